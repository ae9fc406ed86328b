"""Reports: transactions and customers of one account, streamed from the database.

A report may cover the whole history of an account, so nothing here loads it at once: every report is
a generator that reads ``PAGE`` rows per query in key order (keyset pagination: each page starts after
the last key seen, so a page costs the same however deep into the report it is) and hands them on
one at a time, so that a door can write each row out as it comes.

Days are UTC calendar days, as every stored time is naive UTC; ``date_end`` is inclusive.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterator

import peewee as pw

from . import coalition, deductions
from .balances import Holding
from .campaigns import get_campaign
from .errors import NotFound
from .ledger import live_entries
from .models import Campaign, Customer, LedgerEntry, Membership, User, utcnow

PAGE = 1000
RECORD, REDEEM, ACTIVATION = "record", "redeem", "activation"


@dataclass(frozen=True, slots=True)
class Scope:
    """What a report covers: one account, its campaigns (named, or all), a range of days."""

    account_id: str
    campaigns: dict[str, Campaign]
    named: bool  # campaigns were named by ``selected_campaigns`` (else: all of the account's)
    start: dt.datetime | None = None
    end: dt.datetime | None = None  # exclusive: the midnight after ``date_end``

    def in_range(self, column) -> pw.Expression:
        condition = pw.Value(1) == 1
        if self.start is not None:
            condition &= column >= self.start
        if self.end is not None:
            condition &= column < self.end
        return condition


def scope(account_id: str, campaign_ids: list[str], date_start: dt.date | None = None,
          date_end: dt.date | None = None, *, reach: frozenset[str] | None = None) -> Scope:
    """The caller's campaigns among ``campaign_ids`` (all when empty; all within ``reach`` for a user limited
    to some); another account's id, or one out of reach, is "not found".

    Deactivated campaigns are reported too: deactivation puts a campaign on hold and keeps its history.
    """
    query = Campaign.select().where(Campaign.account == account_id)
    if campaign_ids:
        query = query.where(Campaign.id.in_(campaign_ids))
    if reach is not None:
        query = query.where(Campaign.id.in_(sorted(reach)))
    found = {c.id: c for c in query}
    if any(cid not in found for cid in campaign_ids):
        raise NotFound("campaign")
    start = dt.datetime.combine(date_start, dt.time()) if date_start else None
    end = dt.datetime.combine(date_end + dt.timedelta(days=1), dt.time()) if date_end else None
    return Scope(account_id, found, bool(campaign_ids) or reach is not None, start, end)


def keyset(build: Callable[[tuple | None], pw.Select], order: tuple, key: Callable, *, offset: int = 0,
           limit: int | None = None) -> Iterator:
    """Yield the rows of ``build(after)`` in ``order``, ``PAGE`` rows per query.

    ``build`` gets the key of the last row seen (None for the first page) and must return only rows
    after it; ``offset`` skips rows of the first page, ``limit`` caps the rows yielded.
    """
    after, left = None, limit
    while left is None or left > 0:
        size = PAGE if left is None else min(PAGE, left)
        query = build(after).order_by(*order).limit(size)
        if after is None and offset:
            query = query.offset(offset)
        rows = list(query)
        yield from rows
        if len(rows) < size:
            return
        after = key(rows[-1])
        left = None if left is None else left - len(rows)


def stamp(value: dt.datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


# --- transactions_all ------------------------------------------------------------------------------------

_CUSTOMER_COLUMNS = (Customer.code, Customer.card_number, Customer.first_name, Customer.last_name, Customer.custom_field)


def transactions(scope: Scope, *, last: int = 0, user_id: str | None = None, activations: bool = False) -> Iterator[dict]:
    """Live transactions (neither deleted nor reversals) in id order, then, with ``activations``,
    the enrolments that have no transaction yet.

    Rows are dicts with the entry's and its customer's columns. The report stops at the newest entry
    that existed when it started, so a long report has a definite end and ``last`` can resume from it.
    """
    newest = LedgerEntry.select(pw.fn.MAX(LedgerEntry.id)).scalar() or 0
    kinds = [RECORD, REDEEM] + ([ACTIVATION] if activations else [])
    base = (
        live_entries()
        .select(LedgerEntry.id, LedgerEntry.created, LedgerEntry.campaign, LedgerEntry.kind, LedgerEntry.amount,
                LedgerEntry.item, LedgerEntry.original_amount, LedgerEntry.authorization, LedgerEntry.custom_fields,
                LedgerEntry.user_id, *_CUSTOMER_COLUMNS)
        .join(Customer, on=(LedgerEntry.customer == Customer.id))
        .where(
            (LedgerEntry.account == scope.account_id)
            & LedgerEntry.campaign.in_(list(scope.campaigns))
            & LedgerEntry.kind.in_(kinds)
            & (LedgerEntry.id > last)
            & (LedgerEntry.id <= newest)
            & scope.in_range(LedgerEntry.created)
        )
    )
    if user_id is not None:
        base = base.where(LedgerEntry.user_id == user_id)

    def page(after):
        return base.dicts() if after is None else base.where(LedgerEntry.id > after).dicts()

    yield from keyset(page, (LedgerEntry.id,), lambda row: row["id"])
    # An enrolment has no transaction id to come after ``last`` and no recording user to restrict to.
    if activations and not last and user_id is None:
        yield from idle_enrolments(scope)


def idle_enrolments(scope: Scope) -> Iterator[dict]:
    """One "customer activated" row per membership enrolled within the range and never used since:
    no membership row of that customer and campaign has seen a transaction (buy-X keeps one per item)."""
    joined = pw.fn.MIN(Membership.created).python_value(Membership.created.python_value)
    base = (
        Membership.select(Membership.customer, Membership.campaign, joined.alias("created"), *_CUSTOMER_COLUMNS)
        .join(Customer, on=(Membership.customer == Customer.id))
        .where((Customer.account == scope.account_id) & Membership.campaign.in_(list(scope.campaigns)))
        .group_by(Customer.id, Membership.customer, Membership.campaign)
        .having(pw.fn.MAX(Membership.first_activity).is_null() & scope.in_range(joined))
    )

    def page(after):
        if after is not None:
            return base.where(pw.Tuple(Membership.customer, Membership.campaign) > pw.Tuple(*after)).dicts()
        return base.dicts()

    for row in keyset(page, (Membership.customer, Membership.campaign), lambda r: (r["customer"], r["campaign"])):
        yield {**row, "id": "", "kind": ACTIVATION, "amount": 0, "item": 0, "original_amount": "", "authorization": "",
               "custom_fields": "{}", "user_id": ""}


def user_names(account_id: str) -> dict[str, str]:
    """Display names of the account's users (their id when they have none); a report names the user
    who recorded each transaction, as the customer's history does."""
    return {uid: name or uid for uid, name in User.select(User.user_id, User.name).where(User.account == account_id).tuples()}


# --- customers_balances ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class BalancePage:
    campaign: Campaign
    total: int  # members of the campaign, whatever the page
    rows: Iterator[tuple[Customer, int]]  # (customer, available balance in units)


def balances(account_id: str, campaign_id: str, *, offset: int = 0, limit: int | None = None,
             reach: frozenset[str] | None = None) -> BalancePage:
    """Every member of one campaign (enrolled or with a transaction) with the balance they may spend,
    by customer id; ``offset``/``limit`` page through them."""
    campaign = get_campaign(account_id, campaign_id, active_only=False, reach=reach)
    in_campaign = (Customer.account == account_id) & Customer.id.in_(
        Membership.select(Membership.customer).where(Membership.campaign == campaign.id)
    )
    # The stored balance comes with each page of customers (one query per page, not per customer);
    # only fees and depreciations, when the campaign has any, are worked out customer by customer.
    stored = (
        Membership.select(pw.fn.COALESCE(pw.fn.SUM(Membership.balance), 0))
        .where((Membership.customer == Customer.id) & (Membership.campaign == campaign.id))
    )
    members = Customer.select(Customer, stored.alias("stored")).where(in_campaign)

    def page(after):
        return members if after is None else members.where(Customer.id > after)

    def rows():
        for customer in keyset(page, (Customer.id,), lambda c: c.id, offset=offset, limit=limit):
            taken = deductions.deducted(customer, [campaign]).get(campaign.id, 0)
            yield customer, Holding(campaign, int(customer.stored), taken).available

    return BalancePage(campaign, Customer.select().where(in_campaign).count(), rows())


def coalition_balances(account_id: str, campaign_id: str, kind: str, *, offset: int = 0, limit: int | None = None,
                       reach: frozenset[str] | None = None) -> BalancePage:
    """``customers_balances`` with ``coalition_balance``: every member of any campaign of the pool
    (``coalition_points`` or ``coalition_storedvalue``, which ``campaign_id`` must belong to), with
    the coalition balance, by customer id."""
    campaign = get_campaign(account_id, campaign_id, active_only=False, reach=reach)
    pool = coalition.report_pool(account_id, campaign, kind)
    in_pool = (Customer.account == account_id) & Customer.id.in_(
        Membership.select(Membership.customer).where(Membership.campaign.in_([c.id for c in pool])))
    members = Customer.select().where(in_pool)

    def page(after):
        return members if after is None else members.where(Customer.id > after)

    def rows():
        for customer in keyset(page, (Customer.id,), lambda c: c.id, offset=offset, limit=limit):
            yield customer, coalition.available(customer, pool)

    return BalancePage(campaign, members.count(), rows())


# --- customer reports ------------------------------------------------------------------------------------

def _activity(scope: Scope, kinds: list[str], after: int | None):
    """Per customer: the number of live transactions of ``kinds`` and the time of the latest one."""
    query = (
        live_entries()
        .select(LedgerEntry.customer, pw.fn.COUNT(LedgerEntry.id).alias("n"), pw.fn.MAX(LedgerEntry.created).alias("latest"))
        .where((LedgerEntry.account == scope.account_id) & LedgerEntry.campaign.in_(list(scope.campaigns))
               & LedgerEntry.kind.in_(kinds))
        .group_by(LedgerEntry.customer)
    )
    return query if after is None else query.where(LedgerEntry.customer > after)


def _customers(scope: Scope, where: Callable[[int | None], tuple[pw.Select, pw.Expression]] | pw.Expression) -> Iterator[Customer]:
    """The account's customers matching ``where``, by id; with named campaigns, only their members.

    ``where`` is a condition, or a function of the keyset position giving a query to build on and a
    condition (for reports that join per-customer activity).
    """
    def page(after):
        if callable(where):
            query, condition = where(after)
        else:
            query, condition = Customer.select(), where
        query = query.where((Customer.account == scope.account_id) & condition)
        if scope.named:
            member = Membership.select(Membership.customer).where(Membership.campaign.in_(list(scope.campaigns)))
            query = query.where(Customer.id.in_(member))
        # objects(): the joined activity columns become attributes of the customer itself
        return (query if after is None else query.where(Customer.id > after)).objects()

    return keyset(page, (Customer.id,), lambda c: c.id)


def customers_all(scope: Scope) -> Iterator[Customer]:
    """Every customer, or those created within the range when one is given."""
    return _customers(scope, scope.in_range(Customer.created))


def customers_frequent(scope: Scope, frequency: int, include_redeemed: bool) -> Iterator[Customer]:
    """Customers with at least ``frequency`` live transactions within the range (records; redeems too
    with ``include_redeemed``). Each carries ``n`` (that count) and ``latest``."""
    kinds = [RECORD, REDEEM] if include_redeemed else [RECORD]

    def where(after):
        counts = _activity(scope, kinds, after).where(scope.in_range(LedgerEntry.created)).alias("activity")
        query = Customer.select(Customer, counts.c.n, counts.c.latest).join(counts, on=(Customer.id == counts.c.customer_id))
        return query, counts.c.n >= frequency

    return _customers(scope, where)


def customers_inactive(scope: Scope, days: int, now: dt.datetime | None = None) -> Iterator[Customer]:
    """Customers with no live transaction for ``days`` days who were customers for that long; with a
    range, only those whose last transaction falls within it. Each carries ``latest`` (or None)."""
    cutoff = (now or utcnow()) - dt.timedelta(days=days)

    def where(after):
        seen = _activity(scope, [RECORD, REDEEM, ACTIVATION], after).alias("activity")
        query = Customer.select(Customer, seen.c.latest).join(seen, pw.JOIN.LEFT_OUTER, on=(Customer.id == seen.c.customer_id))
        condition = (Customer.created <= cutoff) & (seen.c.latest.is_null() | (seen.c.latest <= cutoff))
        if scope.start is not None or scope.end is not None:
            condition &= seen.c.latest.is_null(False) & scope.in_range(seen.c.latest)
        return query, condition

    return _customers(scope, where)


# custom_date is free text; only values that start like YYYY-MM-DD take part in date reports.
_DATE_LIKE = "____-__-__%"


def customers_custom_date(scope: Scope) -> Iterator[Customer]:
    """Customers whose custom_date (its day) falls within the range."""
    day = pw.fn.SUBSTR(Customer.custom_date, 1, 10)
    condition = Customer.custom_date ** _DATE_LIKE
    if scope.start is not None:
        condition &= day >= scope.start.strftime("%Y-%m-%d")
    if scope.end is not None:
        condition &= day < scope.end.strftime("%Y-%m-%d")
    return _customers(scope, condition)


def customers_birthday(scope: Scope) -> Iterator[Customer]:
    """Customers whose custom_date's month and day fall within the range, whatever the year; a range
    that ends in an earlier month-day than it starts wraps over New Year, and a range of a year or
    more (or one without a start or end) takes every birthday."""
    condition = Customer.custom_date ** _DATE_LIKE
    if scope.start is not None and scope.end is not None and scope.end - scope.start <= dt.timedelta(days=365):
        month_day = pw.fn.SUBSTR(Customer.custom_date, 6, 5)
        first = scope.start.strftime("%m-%d")
        final = (scope.end - dt.timedelta(days=1)).strftime("%m-%d")
        if first <= final:
            condition &= (month_day >= first) & (month_day <= final)
        else:
            condition &= (month_day >= first) | (month_day <= final)
    return _customers(scope, condition)


SEARCHED = (Customer.first_name, Customer.last_name, Customer.email, Customer.phone, Customer.code, Customer.card_number)


def customers_search(scope: Scope, text: str) -> Iterator[Customer]:
    """Customers with ``text`` in a name, e-mail, phone, code or card number (any case; ``%`` and
    ``_`` are literal), created within the range when one is given."""
    matches = pw.Value(1) == 0
    for column in SEARCHED:
        matches |= column.contains(text)
    return _customers(scope, matches & scope.in_range(Customer.created))
