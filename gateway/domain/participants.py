"""Participants of a campaign, as the JSON API sees them: a participant IS the account's customer whose
``code`` is the API's ``userId``, and its points are its membership's balance in the campaign, moved by
ledger entries like record_activity's (gateway.domain.ledger). So a customer who earns at a legacy till
sees the same points through the JSON API, and the reverse.

Ranking: by total points, ties broken by who reached the total first (``Membership.reached``, set by
every balance change), then by the later membership. The index (campaign, item, balance, reached, id)
read backwards is exactly that order: the top N is an index walk, a rank is a count over the index.
"""
from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass

import peewee as pw

from . import ledger
from .db import Insert, Statement, database, is_sqlite
from .errors import Conflict, InvalidValue, NotFound
from .models import Campaign, CampaignEvent, Customer, Membership, ParticipantCount, utcnow
from .programs import check_open, rule_for

API_USER = "api"  # the user_id of ledger entries the JSON API writes (legacy histories show it)
MAX_USER_ID = 128
MAX_DISPLAY_NAME = 255


@dataclass(frozen=True, slots=True)
class Progress:
    user_id: str
    display_name: str
    total_points: int
    events_count: int
    rank: int
    joined_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Standing:
    rank: int
    user_id: str
    display_name: str
    total_points: int
    events_count: int


@dataclass(frozen=True, slots=True)
class EventResult:
    points_earned: int
    total_points: int


def _display(customer: Customer) -> str:
    if customer.display_name:
        return customer.display_name
    return " ".join(part for part in (customer.first_name, customer.last_name) if part)


_CUSTOMER = Statement(lambda account, code: Customer.select().where(
    (Customer.account == account) & (Customer.code == code)).limit(1))


def join(tenant_id: str, campaign: Campaign, user_id: str, display_name: str | None = None) -> Customer:
    """The participant ``user_id`` of ``campaign`` (the tenant's customer with that code), created with
    its membership on first sight; a given ``display_name`` is stored. Call inside a write transaction.
    On PostgreSQL the membership row stays locked until the transaction ends, so a user's concurrent
    events are counted one after another (SQLite's write transaction is exclusive already)."""
    return _enrolled(_customer(tenant_id, user_id, display_name), campaign)


def _customer(tenant_id: str, user_id: str, display_name: str | None, found: list[Customer] | None = None) -> Customer:
    """The tenant's customer ``user_id`` (``found``: as already read, [] when there was none), created
    on first sight, with ``display_name`` stored."""
    if not user_id or len(user_id) > MAX_USER_ID:
        raise InvalidValue("user_id", "invalid", maximum=MAX_USER_ID)
    if display_name is not None and len(display_name) > MAX_DISPLAY_NAME:
        raise InvalidValue("display_name", "too_long", maximum=MAX_DISPLAY_NAME)
    if found is None:
        found = _CUSTOMER(tenant_id, user_id)
    if not found:
        # A concurrent first event of the same user waits on the unique (account, code), then finds it.
        try:
            with database.atomic():
                return _INSERT_CUSTOMER(account=tenant_id, code=user_id, display_name=display_name or None,
                                        created=utcnow())
        except pw.IntegrityError:
            found = _CUSTOMER(tenant_id, user_id)
    customer = found[0]
    if display_name and customer.display_name != display_name:
        Customer.update(display_name=display_name).where(Customer.id == customer.id).execute()
        customer.display_name = display_name
    return customer


def _enrolled(customer: Customer, campaign: Campaign) -> Customer:
    _ENROLL(customer.id, campaign.id, utcnow(), -time.time_ns())
    if not is_sqlite():
        # PostgreSQL only (SQLite has no FOR UPDATE: its write transaction is exclusive already).
        list(Membership.select(Membership.id).where(
            (Membership.customer == customer.id) & (Membership.campaign == campaign.id) & (Membership.item == 0)
        ).for_update())
    return customer


_INSERT_CUSTOMER = Insert(Customer)
_ENROLL = Statement(lambda customer, campaign, now, reached: Membership.insert(
    customer=customer, campaign=campaign, item=0, balance=0, created=now, reached=reached).on_conflict_ignore())
_BALANCE = Statement(lambda customer, campaign: Membership.select(Membership.balance).where(
    (Membership.customer == customer) & (Membership.campaign == campaign) & (Membership.item == 0)), tuples=True)
_TODAY = Statement(lambda customer, campaign, event_type, since: CampaignEvent.select(
    pw.fn.COUNT(CampaignEvent.id)).where(
    (CampaignEvent.customer == customer) & (CampaignEvent.campaign == campaign)
    & (CampaignEvent.event_type == event_type) & (CampaignEvent.created >= since)), tuples=True)
_INSERT_EVENT = Insert(CampaignEvent)


def balance_of(campaign: Campaign, customer: Customer) -> int:
    rows = _BALANCE(customer.id, campaign.id)
    return rows[0][0] if rows else 0


def credit(tenant_id: str, campaign: Campaign, customer: Customer, points: int, *, authorization: str = "") -> int:
    """Credit ``points`` (>= 0) to the participant: one ledger entry (kind "record", as
    record_activity's), applied atomically; answers the new total. Nothing is written for 0 points.
    Call inside a write transaction."""
    if points < 0:
        raise InvalidValue("points", "negative")
    if points == 0:
        return balance_of(campaign, customer)
    posted = ledger.post(account_id=tenant_id, campaign=campaign, customer=customer, amount=points, kind="record",
                         authorization=authorization, user_id=API_USER, original_amount=str(points))
    return posted.balance


def _day_start(now: dt.datetime) -> dt.datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


# Every event reads its campaign and its participant in one statement (one round trip), as a legacy
# transaction does (gateway.domain.transactions).
_CAMPAIGN_WITH_PARTICIPANT = Statement(lambda account, slug, code: (
    Campaign.select(Campaign, Customer.id.alias("customer_key"), Customer.display_name.alias("customer_display_name"))
    .join(Customer, pw.JOIN.LEFT_OUTER, on=(Customer.account == account) & (Customer.code == code))
    .where((Campaign.account == account) & (Campaign.slug == slug)).limit(1).objects()))


def record_event(tenant_id: str, slug: str, *, user_id: str, event_type: str, metadata: dict,
                 display_name: str | None = None, reference: str = "") -> EventResult:
    """Record one event in the tenant's campaign ``slug``: NotFound("campaign") without one; the campaign
    must be open (programs.check_open); the participant joins on first event; the matching rule's
    points are credited (an event type without a rule earns 0); a rule's ``max_per_user_per_day``
    refuses further events of that type that UTC day with Conflict("max_per_day_reached"). Call inside
    a write transaction."""
    rows = _CAMPAIGN_WITH_PARTICIPANT(tenant_id, slug, user_id) if slug else []
    if not rows:
        raise NotFound("campaign")
    campaign = rows[0]
    now = utcnow()
    check_open(campaign, now)
    rule = rule_for(campaign, event_type)
    points = rule.earns(metadata) if rule else 0
    capped = rule is not None and rule.max_per_user_per_day is not None
    known = [] if campaign.customer_key is None else [
        Customer(id=campaign.customer_key, account=tenant_id, code=user_id, display_name=campaign.customer_display_name)]
    customer = _customer(tenant_id, user_id, display_name, known)
    if capped or points == 0:
        # The membership first: a capped count must see this user's concurrent events (the row lock),
        # and an event that earns nothing still makes a participant. A credit makes it otherwise.
        _enrolled(customer, campaign)
    if capped:
        today = _TODAY(customer.id, campaign.id, event_type, _day_start(now))[0][0]
        if today >= rule.max_per_user_per_day:
            raise Conflict("max_per_day_reached", maximum=rule.max_per_user_per_day)
    entry_id = None
    if points > 0:
        posted = ledger.post(account_id=tenant_id, campaign=campaign, customer=customer, amount=points,
                             kind="record", authorization=event_type, user_id=API_USER,
                             original_amount=str(points))
        total, entry_id = posted.balance, posted.entry.id
    else:
        total = balance_of(campaign, customer)
    _INSERT_EVENT(account=tenant_id, campaign=campaign.id, customer=customer.id, event_type=event_type,
                  points=points, entry=entry_id, metadata=json.dumps(metadata, sort_keys=True),
                  reference=reference, created=now)
    return EventResult(points, total)


def _events_of(membership_customer, membership_campaign):
    """The number of E1 events of a membership's customer in its campaign (a correlated subquery)."""
    count = (CampaignEvent.select(pw.fn.COUNT(CampaignEvent.id))
             .where((CampaignEvent.customer == membership_customer) & (CampaignEvent.campaign == membership_campaign)))
    # Typed as an integer column, so that peewee converts it as the statement does.
    return pw.Cast(count, "INTEGER")


_MEMBERSHIP = Statement(lambda customer, campaign: Membership.select(
    Membership, _events_of(Membership.customer, Membership.campaign).alias("events")).where(
    (Membership.customer == customer) & (Membership.campaign == campaign) & (Membership.item == 0)).limit(1))
# Row-value comparison: one range of the (campaign, item, balance, reached, id) index.
_AHEAD = Statement(lambda campaign, balance, reached, membership: Membership.select(pw.fn.COUNT(Membership.id)).where(
    (Membership.campaign == campaign) & (Membership.item == 0)
    & (pw.Tuple(Membership.balance, Membership.reached, Membership.id) > pw.Tuple(balance, reached, membership))),
    tuples=True)
_TOP = Statement(lambda campaign, limit: Membership.select(
    Membership.balance, Customer.code, Customer.display_name, Customer.first_name, Customer.last_name,
    _events_of(Membership.customer, Membership.campaign)).join(Customer, on=(Membership.customer == Customer.id))
    .where((Membership.campaign == campaign) & (Membership.item == 0))
    .order_by(Membership.balance.desc(), Membership.reached.desc(), Membership.id.desc()).limit(limit), tuples=True)
# Kept by triggers on membership (models.ParticipantCount): a count of the index would visit every member.
_TOTAL = Statement(lambda campaign: ParticipantCount.select(ParticipantCount.participants).where(
    ParticipantCount.campaign == campaign), tuples=True)


def _ahead(campaign_id, balance, reached, membership_id) -> int:
    return _AHEAD(campaign_id, balance, reached, membership_id)[0][0]


def progress(tenant_id: str, campaign: Campaign, user_id: str) -> Progress:
    """One participant's total, events, rank and joining time; NotFound("participant") when the user
    never took part (no membership in the campaign)."""
    found = _CUSTOMER(tenant_id, user_id) if user_id else []
    membership = _MEMBERSHIP(found[0].id, campaign.id) if found else []
    if not membership:
        raise NotFound("participant")
    customer, member = found[0], membership[0]
    rank = _ahead(campaign.id, member.balance, member.reached, member.id) + 1
    return Progress(customer.code, _display(customer), member.balance, member.events, rank, member.created)


def leaderboard(tenant_id: str, campaign: Campaign, limit: int) -> tuple[list[Standing], int]:
    """The top ``limit`` participants, best first, and how many take part."""
    standings = []
    for rank, (balance, code, display_name, first, last, events) in enumerate(_TOP(campaign.id, limit), start=1):
        shown = display_name or " ".join(part for part in (first, last) if part)
        standings.append(Standing(rank, code, shown, balance, events))
    total = _TOTAL(campaign.id)
    return standings, total[0][0] if total else 0


def miscounted() -> list[tuple[str, int, int]]:
    """(campaign id, stored count, memberships counted) for every campaign whose stored number of
    participants differs from its memberships; empty when the triggers kept every count."""
    counted = dict(Membership.select(Membership.campaign, pw.fn.COUNT(Membership.id))
                   .where(Membership.item == 0).group_by(Membership.campaign).tuples())
    stored = dict(ParticipantCount.select(ParticipantCount.campaign, ParticipantCount.participants).tuples())
    return [(campaign, stored.get(campaign, 0), counted.get(campaign, 0))
            for campaign in sorted(counted.keys() | stored.keys()) if stored.get(campaign, 0) != counted.get(campaign, 0)]
