"""Transactions: what a record earns and a redeem costs in each campaign type, and deleting one.

Every balance change goes through ``ledger`` (an appended row plus a conditional UPDATE); this
module only decides the amount. Amounts are integers in the campaign's unit (``units``).

- points: ``amount`` x ``points_ratio`` (100 when blank), then the promo (``x`` multiplies, ``+`` adds),
  rounded down once at the end; redeem a reward's level, a number of points, or a currency value x
  ``reward_ratio`` points rounded up;
- giftcard: ``amount`` in and an amount of money out;
- events: one event per record; redeem a reward's level in events;
- earned: ``amount_per_event`` per record; redeem an amount of money;
- buyx: purchases are counted per item (``Membership.item``); ``reward_level`` purchases of an item buy
  one free item, and redeeming it takes ``reward_level`` purchases back.

A redeem may spend only what is *available*: the stored balance less what fees and depreciations have
taken as of now (``deductions``), enforced by ``ledger.post(minimum=deducted)``.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, ROUND_UP, Decimal, InvalidOperation
from typing import NamedTuple

import peewee as pw

from . import balances, coalition, customers, deductions, fields, ledger
from .campaigns import CAMPAIGN_FACTS, get_campaign, in_reach
from .db import Statement, is_sqlite
from .errors import Conflict, InsufficientBalance, InvalidValue, NotFound
from .models import Campaign, Customer, Item, LedgerEntry, Membership, Promo, Reward, User, utcnow
from .units import BUYX, DEFAULT_POINTS_RATIO, EARNED, EVENTS, GIFTCARD, POINTS, format_units, money_to_cents


def find_customer(account_id: str, code: str | None, card_number: str | None) -> Customer:
    """The caller's customer named by ``code`` or, when no code is given, by ``card_number``."""
    if not code and not card_number:
        raise InvalidValue("code", "missing")
    return customers.get(account_id, code=code, card_number=card_number)


# The sum of the customer's memberships in the campaign: its stored balance (balances.holdings).
_STORED = (Membership.select(pw.fn.SUM(Membership.balance))
           .where((Membership.customer == Customer.id) & (Membership.campaign == Campaign.id)).alias("customer_stored"))


def _campaign_with_customer(column: pw.Field, *, stored: bool = False) -> Statement:
    return Statement(lambda account_id, campaign_id, value: (
        Campaign.select(Campaign, *CAMPAIGN_FACTS, Customer.id.alias("customer_key"),
                        Customer.code.alias("customer_code"), Customer.card_number.alias("customer_card"),
                        *([_STORED] if stored else []))
        .join(Customer, pw.JOIN.LEFT_OUTER, on=(Customer.account == account_id) & (column == value))
        .where((Campaign.id == campaign_id) & (Campaign.account == account_id)).objects()))


# Every transaction and balance reads its campaign and customer: one statement (one round trip) for both;
# a balance reads the stored balance in it too (``stored``).
_CAMPAIGN_WITH_CUSTOMER = {(column.name, stored): _campaign_with_customer(column, stored=stored)
                           for column in (Customer.code, Customer.card_number) for stored in (False, True)}


def _campaign_and_customer(account_id: str, campaign_id: str, code: str | None, card_number: str | None,
                           reach: frozenset[str] | None = None, *, stored: bool = False) -> tuple[Campaign, Customer | None]:
    """The caller's campaign (active or not; within ``reach``) and the customer named by ``code``, else
    ``card_number`` (None when there is none). The customer holds its id, account, code and card number only;
    with ``stored``, the campaign also holds the customer's stored balance in it (``customer_stored``)."""
    in_reach(campaign_id, reach)
    if not code and not card_number:
        get_campaign(account_id, campaign_id, active_only=False)  # "campaign not found" comes first
        find_customer(account_id, code, card_number)  # raises: no code nor card number
    statement = _CAMPAIGN_WITH_CUSTOMER["code" if code else "card_number", stored]
    found = statement(account_id, campaign_id, code or card_number)
    if not found:
        raise NotFound("campaign")
    campaign = found[0]
    if campaign.customer_key is None:
        return campaign, None
    return campaign, Customer(id=campaign.customer_key, account=account_id, code=campaign.customer_code,
                              card_number=campaign.customer_card)


def subjects(account_id: str, campaign_id: str, code: str | None, card_number: str | None, *,
             reach: frozenset[str] | None = None) -> tuple[Campaign, Customer]:
    """The open campaign and the customer a transaction names (as ``_campaign_and_customer`` holds
    it); errors in that order. A campaign out of the user's ``reach`` is not found."""
    campaign, customer = _campaign_and_customer(account_id, campaign_id, code, card_number, reach)
    if not campaign.active:
        raise Conflict("campaign_inactive")
    if customer is None:
        raise NotFound("customer")
    return campaign, customer


def _lock(customer: Customer, campaign: Campaign, item: int) -> None:
    # On PostgreSQL, hold the membership row while deductions are computed from the ledger and the
    # debit is applied, so a concurrent delete cannot change history in between. SQLite's BEGIN
    # IMMEDIATE already makes the whole write transaction exclusive.
    if not is_sqlite():
        list(Membership.select(Membership.id).where(
            (Membership.customer == customer.id) & (Membership.campaign == campaign.id) & (Membership.item == item)
        ).for_update())


def _positive_money(value: Decimal | None, name: str) -> int:
    if value is None:
        raise InvalidValue(name, "missing")
    cents = money_to_cents(value)
    if cents <= 0:
        raise InvalidValue(name, "not_positive")
    return cents


def _money_text(text: str | None, name: str) -> int:
    """An amount of money given as text (``9.95`` or ``9,95``), in cents."""
    if text is None:
        raise InvalidValue(name, "missing")
    cleaned = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidValue(name, "not_an_amount") from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01"), rounding=ROUND_DOWN) or value > 10**9:
        raise InvalidValue(name, "not_an_amount")
    return _positive_money(value, name)


def _reward(campaign: Campaign, text: str | None, name: str) -> Reward:
    if text is None:
        raise InvalidValue(name, "missing")
    reward = None
    if text.isdigit() and len(text) < 19:
        reward = Reward.get_or_none((Reward.id == int(text)) & (Reward.campaign == campaign.id))
    if reward is None:
        raise NotFound("reward")
    return reward


_BRACKETED = re.compile(r"\[(.+)\]")


def _item(campaign: Campaign, text: str | None, name: str) -> Item:
    """A buy-X item by id (``96``) or by identifier in brackets (``[COFFEE]``), within the campaign."""
    if text is None:
        raise InvalidValue(name, "missing")
    match = _BRACKETED.fullmatch(text)
    query = Item.select().where(Item.campaign == campaign.id)
    if match:
        item = query.where(Item.identifier == match.group(1).strip()).order_by(Item.id).first()
    elif text.isdigit() and len(text) < 19:
        item = query.where(Item.id == int(text)).first()
    else:
        item = None
    if item is None:
        raise NotFound("item")
    return item


def points_for(campaign: Campaign, amount: Decimal, promo: Promo | None) -> int:
    """Points earned for spending ``amount``: exact decimal arithmetic, rounded down once at the end."""
    ratio = Decimal(campaign.points_ratio) if campaign.points_ratio else DEFAULT_POINTS_RATIO
    points = amount * ratio
    if promo is not None:
        points = points * Decimal(promo.amount) if promo.operation == "x" else points + Decimal(promo.amount)
    # A record never debits, whatever a promo's sign.
    return max(0, int(points.to_integral_value(rounding=ROUND_DOWN)))


_PROMO = Statement(lambda promo_id, campaign_id: Promo.select().where(
    (Promo.id == promo_id) & (Promo.campaign == campaign_id)))


def _promo(campaign: Campaign, promo_id: int) -> Promo:
    found = _PROMO(promo_id, campaign.id)
    if not found:
        raise NotFound("promo")
    promo = found[0]
    now = utcnow()
    if (promo.start_date and now < promo.start_date) or (promo.end_date and now > promo.end_date):
        raise Conflict("promo_inactive")
    return promo


@dataclass(frozen=True, slots=True)
class Receipt:
    entry: LedgerEntry
    campaign: Campaign
    customer: Customer
    balance: int  # available after the change, in the campaign's unit (buy-X: purchases of the item)
    item: Item | None = None

    @property
    def amount(self) -> str:
        return format_units(abs(self.entry.amount), self.campaign.type)

    @property
    def balance_text(self) -> str:
        return format_units(self.balance, self.campaign.type)


@dataclass(frozen=True, slots=True)
class Details:
    """What a transaction records besides its amount."""

    user_id: str  # who recorded it
    authorization: str = ""
    custom_fields: dict[str, str] = field(default_factory=dict)

    def columns(self) -> dict:
        return {"authorization": self.authorization, "user_id": self.user_id,
                "custom_fields": json.dumps(self.custom_fields, sort_keys=True)}


@dataclass(frozen=True, slots=True)
class Activity:
    """What a record says: the amount spent (points, gift card), a promotion (points), the item and
    how many were bought (buy-X). Events and earned campaigns need none of them."""

    amount: Decimal | None = None
    promo_id: int | None = None
    item: str | None = None  # an item id, or its identifier in brackets
    quantity: int = 1


def _receipt(posted: ledger.Posted, campaign: Campaign, customer: Customer, item: Item | None) -> Receipt:
    if item is not None:
        return Receipt(posted.entry, campaign, customer, posted.balance, item)
    taken = deductions.deducted(customer, [campaign]).get(campaign.id, 0)
    return Receipt(posted.entry, campaign, customer, posted.balance - taken)


def _checked(account_id: str, campaign: Campaign, details: Details, activity_type: str) -> tuple[Details, dict]:
    """``details`` with its custom field values checked against the transaction fields (gateway.domain.fields)."""
    known = fields.defined_for(campaign, fields.TRANSACTION)
    values = fields.check_values(account_id, fields.TRANSACTION, details.custom_fields, activity_type=activity_type,
                                 complete=details.custom_fields, known=known)
    return replace(details, custom_fields=values), known


def record(account_id: str, campaign: Campaign, customer: Customer, activity: Activity, details: Details) -> Receipt:
    """Record one activity (an earn) and return its receipt. Call inside a write transaction."""
    details, known = _checked(account_id, campaign, details, fields.RECORD)
    amount = activity.amount
    item = None
    extra: dict = {"original_amount": "" if amount is None else str(amount)}
    if campaign.type == POINTS:
        promo = _promo(campaign, activity.promo_id) if activity.promo_id else None
        units = points_for(campaign, amount or Decimal(0), promo)
        extra["promo_id"] = promo.id if promo else None
    elif campaign.type == GIFTCARD:
        units = _positive_money(amount, "amount")
    elif campaign.type == EVENTS:
        units = 1
    elif campaign.type == EARNED:
        units = campaign.amount_per_event or 0
    else:
        item = _item(campaign, activity.item, "item")
        units = extra["quantity"] = activity.quantity
    posted = ledger.post(
        account_id=account_id, campaign=campaign, customer=customer, amount=units, kind="record",
        item=item.id if item else 0, **extra, **details.columns(),
    )
    fields.claim_unique(account_id, fields.TRANSACTION, posted.entry.id, details.custom_fields, known)
    return _receipt(posted, campaign, customer, item)


@dataclass(frozen=True, slots=True)
class Redemption:
    """What a redeem spends: ``choice`` (a reward id on points and events campaigns, an amount of money
    on gift-card and earned ones, an item on buy-X ones), or on points campaigns ``points``, or a
    currency ``value`` at the campaign's reward ratio. Exactly one is given."""

    choice: str | None = None
    points: int | None = None
    value: Decimal | None = None


def _redeem_cost(campaign: Campaign, redemption: Redemption) -> tuple[int, Reward | None, Item | None]:
    if campaign.type == POINTS:
        given = [v for v in (redemption.choice, redemption.points, redemption.value) if v is not None]
        if not given:
            raise InvalidValue("choice", "missing")
        if len(given) > 1:
            raise InvalidValue("choice", "more_than_one")
        if redemption.points is not None:
            return redemption.points, None, None
        if redemption.value is not None:
            if not campaign.reward_ratio:
                raise Conflict("no_reward_ratio")
            cost = redemption.value * Decimal(campaign.reward_ratio)
            return int(cost.to_integral_value(rounding=ROUND_UP)), None, None
    if campaign.type in (POINTS, EVENTS):
        reward = _reward(campaign, redemption.choice, "choice")
        return reward.level, reward, None
    if campaign.type in (GIFTCARD, EARNED):
        return _money_text(redemption.choice, "choice"), None, None
    item = _item(campaign, redemption.choice, "choice")
    return item.reward_level, None, item


def redeem(account_id: str, campaign: Campaign, customer: Customer, redemption: Redemption, details: Details) -> Receipt:
    """Spend from the available balance; refused, changing nothing, when it is not enough."""
    details, known = _checked(account_id, campaign, details, fields.REDEEM)
    cost, reward, item = _redeem_cost(campaign, redemption)
    item_id = item.id if item else 0
    _lock(customer, campaign, item_id)
    taken = 0 if item else deductions.deducted(customer, [campaign]).get(campaign.id, 0)
    stored = Membership.select(Membership.balance).where(
        (Membership.customer == customer.id) & (Membership.campaign == campaign.id) & (Membership.item == item_id)
    ).scalar() or 0
    short = InsufficientBalance(available=max(0, stored - taken), needed=cost, campaign_type=campaign.type)
    posted = ledger.post(
        account_id=account_id, campaign=campaign, customer=customer, amount=-cost, kind="redeem",
        item=item_id, minimum=taken, refusal=short, reward_id=reward.id if reward else None,
        quantity=1 if item else None, **details.columns(),
    )
    fields.claim_unique(account_id, fields.TRANSACTION, posted.entry.id, details.custom_fields, known)
    return Receipt(posted.entry, campaign, customer, posted.balance - taken, item)


def delete(account_id: str, user_id: str, campaign: Campaign, customer: Customer, transaction_id: int) -> ledger.Posted:
    """Cancel one recorded transaction with a reversing row; the history no longer shows it."""
    entry = LedgerEntry.get_or_none(
        (LedgerEntry.id == transaction_id) & (LedgerEntry.account == account_id)
        & (LedgerEntry.campaign == campaign.id) & (LedgerEntry.customer == customer.id)
        & (LedgerEntry.kind != "reversal")
    )
    if entry is None:
        raise NotFound("transaction")
    if LedgerEntry.select().where(LedgerEntry.reverses == entry.id).exists():
        raise Conflict("transaction_already_deleted")
    _lock(customer, campaign, entry.item)
    refusal = Conflict("delete_would_go_negative")
    posted = ledger.reverse(entry, user_id=user_id, refusal=refusal)
    # With fees or depreciations, removing a credit also changes what they took afterwards: replay
    # the history without it, and refuse (rolling back) if it would have gone below zero.
    outcome = deductions.outcomes(customer, [campaign]).get(campaign.id) if not entry.item else None
    if outcome is not None and outcome.balance < 0:
        raise refusal
    return posted


class Transaction(NamedTuple):
    """A history row, with the display name of the user who recorded it (their id when they have no name)."""

    id: int
    created: dt.datetime
    amount: int
    authorization: str
    item: int
    custom_fields: str
    user_id: str
    user_name: str


_REVERSAL = LedgerEntry.alias("reversal")


def history(account_id: str, customer: Customer, campaign: Campaign, limit: int | None) -> list[Transaction]:
    """Live transactions (neither deleted nor reversals), newest first; ``limit`` None means all."""
    if limit is None:
        return [Transaction(*row) for row in _HISTORY(account_id, customer.id, campaign.id)]
    return [Transaction(*row) for row in _LAST(account_id, customer.id, campaign.id, limit)]


def history_query(account_id: str, customer_id, campaign_id, limit=None) -> pw.Select:
    reversed_ = _REVERSAL.select(_REVERSAL.id).where(_REVERSAL.reverses == LedgerEntry.id)
    # A correlated subquery rather than a LEFT JOIN: SQLite plans the join as a scan of every user.
    user_name = User.select(pw.fn.NULLIF(User.name, "")).where((User.account == account_id) & (User.user_id == LedgerEntry.user_id))
    query = (
        LedgerEntry.select(
            LedgerEntry.id, LedgerEntry.created, LedgerEntry.amount, LedgerEntry.authorization, LedgerEntry.item,
            LedgerEntry.custom_fields, LedgerEntry.user_id, pw.fn.COALESCE(user_name, LedgerEntry.user_id).alias("user_name"),
        )
        .where((LedgerEntry.customer == customer_id) & (LedgerEntry.campaign == campaign_id)
               & (LedgerEntry.kind != "reversal") & ~pw.fn.EXISTS(reversed_))
        .order_by(LedgerEntry.created.desc(), LedgerEntry.id.desc())
    )
    return query if limit is None else query.limit(limit)


_HISTORY = Statement(history_query, tuples=True)
_LAST = Statement(history_query, tuples=True)


class Standing(NamedTuple):
    """A customer's available balance in one campaign, with the last transactions."""

    campaign: Campaign
    customer: Customer
    available: int
    items: dict[int, int]  # buy-X: item id -> purchases counted
    history: list[Transaction]


def standing(account_id: str, campaign_id: str, code: str | None, card_number: str | None,
             history_length: int | None = 0, *, reach: frozenset[str] | None = None) -> Standing:
    """The customer's balance in the campaign (active or not) as of now, with the last
    ``history_length`` transactions (None: all). Errors as ``get_campaign`` then ``find_customer``."""
    campaign, customer = _campaign_and_customer(account_id, campaign_id, code, card_number, reach, stored=True)
    if customer is None:
        raise NotFound("customer")
    pool = coalition.pool_of(account_id, campaign)
    if pool:  # points or gift cards sharing one balance (no items): the pool's holdings, not this one's
        available, items = coalition.available(customer, pool), {}
    else:
        if campaign.type == BUYX:  # counted per item: its memberships are read one by one
            holding = balances.holdings(customer, [campaign])[campaign.id]
        else:  # PostgreSQL sums to numeric
            holding = balances.holding(customer, campaign, int(campaign.customer_stored or 0))
        available, items = holding.available, holding.items
    entries = history(account_id, customer, campaign, history_length) if history_length != 0 else []
    return Standing(campaign, customer, available, items, entries)
