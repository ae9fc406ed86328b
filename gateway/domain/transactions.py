"""Transactions: what a record earns and a redeem costs in each campaign type, and deleting one.

Every balance change goes through ``gateway.ledger`` (an appended row plus a conditional UPDATE); this
module only decides the amount. Amounts are integers in the campaign's unit (``gateway.units``).

- points: ``amount`` x ``points_ratio`` (100 when blank), then the promo (``x`` multiplies, ``+`` adds),
  rounded down once at the end; redeem a reward's level, ``custom_points_redeem`` points, or
  ``custom_dollars_redeem`` x ``reward_ratio`` points rounded up;
- giftcard: ``amount`` in and ``reward_to_redeem`` out, as money;
- events: one event per record; redeem a reward's level in events;
- earned: ``amount_per_event`` per record; redeem ``reward_to_redeem`` money;
- buyx: purchases are counted per item (``Membership.item``); ``reward_level`` purchases of an item buy
  one free item, and redeeming it takes ``reward_level`` purchases back.

A redeem may spend only what is *available*: the stored balance less what fees and depreciations have
taken as of now (``gateway.deductions``), enforced by ``ledger.post(minimum=deducted)``.
"""
from __future__ import annotations

import functools
import json
import operator
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_UP, Decimal, InvalidOperation
from typing import NamedTuple

import peewee as pw

from . import balances, customers, deductions, ledger
from .campaigns import CAMPAIGN, HAS_DEDUCTIONS, get_campaign
from .db import Prepared, as_model, is_sqlite
from ..legacy.messages import INVALID_FIELD, MISSING_FIELD, LegacyError, NotFound
from .models import Campaign, Customer, Item, LedgerEntry, Membership, Promo, Reward, User, utcnow
from .units import BUYX, DEFAULT_POINTS_RATIO, EARNED, EVENTS, GIFTCARD, POINTS, format_units, money_to_cents

CAMPAIGN_INACTIVE = "Campaign is deactivated"
PROMO_INACTIVE = "Promo is not active at this time"
NO_REWARD_RATIO = "This campaign does not redeem by currency value (it has no reward_ratio)"
ONE_REDEEM_FIELD = "Give only one of reward_to_redeem, custom_points_redeem, custom_dollars_redeem"
ALREADY_DELETED = "Transaction already deleted"
DELETE_NEGATIVE = "Cannot delete this transaction: the balance would become negative"
REDEEM_FIELDS = ("reward_to_redeem", "custom_points_redeem", "custom_dollars_redeem")


def find_customer(account_id: str, code: str | None, card_number: str | None) -> Customer:
    """The caller's customer named by ``code`` or, when no code is given, by ``card_number``."""
    if not code and not card_number:
        raise LegacyError(MISSING_FIELD.format("code"))
    return customers.get(account_id, code=code, card_number=card_number)


def open_campaign(account_id: str, campaign_id: str) -> Campaign:
    """The caller's campaign, refused with its own message when deactivated (it takes no transactions)."""
    campaign = get_campaign(account_id, campaign_id, active_only=False)
    if not campaign.active:
        raise LegacyError(CAMPAIGN_INACTIVE)
    return campaign


# The stored balance of the customer in the campaign (all items), for customer_balance.
_STORED = pw.fn.COALESCE(Membership.select(pw.fn.SUM(Membership.balance)).where(
    (Membership.customer == Customer.id) & (Membership.campaign == Campaign.id)), 0)


class _Columns(NamedTuple):
    """The fields a statement reads of the campaign and of the customer (by name)."""

    campaign: tuple[str, ...]
    customer: tuple[str, ...]


# What transactions and balances use of a customer (ledger rows, receipts, deductions): reading the
# customer's whole row (password and PIN hashes, address, custom fields) took a twentieth of a balance's
# throughput as served (docs/performance.md).
_CUSTOMER_IN_TRANSACTIONS = ("id", "account", "code", "card_number")
# record, redeem and delete: the whole campaign (its type, ratios, state).
SUBJECT_COLUMNS = _Columns(tuple(f.name for f in Campaign._meta.sorted_fields), _CUSTOMER_IN_TRANSACTIONS)
# What a balance shows of its campaign, and what deductions read of it.
STANDING_COLUMNS = _Columns(("id", "account", "type", "name", "reward_ratio", "active"), _CUSTOMER_IN_TRANSACTIONS)


def _campaign_and_customer(account_id: str, campaign_id: str, column: pw.Field, value: str, columns: _Columns, *extra):
    return (
        Campaign.select(*(Campaign._meta.fields[n] for n in columns.campaign), HAS_DEDUCTIONS,
                        *(Customer._meta.fields[n] for n in columns.customer), *extra)
        .join(Customer, pw.JOIN.LEFT_OUTER, on=(Customer.account == account_id) & (column == value))
        .where((Campaign.id == campaign_id) & (Campaign.account == account_id))
        .tuples()
    )


# Every record, redeem, delete and balance starts with its campaign and customer: one statement for
# both (each statement is a read transaction of its own on SQLite), prepared by customer code or card.
# A balance also reads the stored balance and the last transactions in that same statement.
_BY = (("code", Customer.code), ("card_number", Customer.card_number))
_SUBJECTS_BY = {
    name: Prepared(lambda account_id, campaign_id, value, column=column:
                   _campaign_and_customer(account_id, campaign_id, column, value, SUBJECT_COLUMNS))
    for name, column in _BY
}
_STANDING_BY = {
    name: Prepared(lambda account_id, campaign_id, value, limit, column=column:
                   _campaign_and_customer(account_id, campaign_id, column, value, STANDING_COLUMNS, _STORED,
                                          _history_array(account_id, limit)))
    for name, column in _BY
}
_STATEMENTS = {SUBJECT_COLUMNS: _SUBJECTS_BY, STANDING_COLUMNS: _STANDING_BY}


def _campaign_and_customer_row(columns: _Columns, account_id: str, campaign_id: str, code: str,
                               card_number: str | None, *more) -> tuple[Campaign, Customer | None, tuple]:
    """The caller's campaign (active or not, else "Campaign not found"), the customer named by ``code``
    or else ``card_number`` (None when there is none), both holding ``columns``, and what follows them
    in the row."""
    rows = _STATEMENTS[columns]["code" if code else "card_number"](account_id, campaign_id, code or card_number, *more)
    if not rows:
        raise NotFound(CAMPAIGN)
    row = rows[0]
    n, m = len(columns.campaign), len(columns.customer)
    campaign = as_model(Campaign, dict(zip(columns.campaign, row[:n])), has_deductions=row[n])
    customer = None if row[n + 1] is None else as_model(Customer, dict(zip(columns.customer, row[n + 1:n + 1 + m])))
    return campaign, customer, row[n + 1 + m:]


def subjects(account_id: str, campaign_id: str, code: str | None, card_number: str | None) -> tuple[Campaign, Customer]:
    """The caller's open campaign and the customer a transaction names, read in one statement; the
    customer holds only the fields ``SUBJECT_COLUMNS`` names (what ledger rows and receipts use).

    Errors, in this order, as ``open_campaign`` then ``find_customer``: "Campaign not found", the
    campaign is deactivated, no code nor card number, "Customer not found".
    """
    if not code and not card_number:
        return open_campaign(account_id, campaign_id), find_customer(account_id, code, card_number)
    campaign, customer, _ = _campaign_and_customer_row(SUBJECT_COLUMNS, account_id, campaign_id, code, card_number)
    if not campaign.active:
        raise LegacyError(CAMPAIGN_INACTIVE)
    if customer is None:
        raise NotFound(customers.CUSTOMER)
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
        raise LegacyError(MISSING_FIELD.format(name))
    cents = money_to_cents(value)
    if cents <= 0:
        raise LegacyError(INVALID_FIELD.format(name, "must be greater than 0"))
    return cents


def _money_field(text: str | None, name: str) -> int:
    """A money amount sent in a text field (``reward_to_redeem`` on gift-card and earned campaigns)."""
    if text is None:
        raise LegacyError(MISSING_FIELD.format(name))
    cleaned = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise LegacyError(INVALID_FIELD.format(name, "Not a valid amount")) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01"), rounding=ROUND_DOWN) or value > 10**9:
        raise LegacyError(INVALID_FIELD.format(name, "Not a valid amount"))
    return _positive_money(value, name)


def _reward(campaign: Campaign, text: str | None) -> Reward:
    if text is None:
        raise LegacyError(MISSING_FIELD.format("reward_to_redeem"))
    reward = None
    if text.isdigit() and len(text) < 19:
        reward = Reward.get_or_none((Reward.id == int(text)) & (Reward.campaign == campaign.id))
    if reward is None:
        raise NotFound("Reward")
    return reward


_BRACKETED = re.compile(r"\[(.+)\]")


def _item(campaign: Campaign, text: str | None, name: str) -> Item:
    """A buy-X item by id (``96``) or by identifier in brackets (``[COFFEE]``), within the campaign."""
    if text is None:
        raise LegacyError(MISSING_FIELD.format(name))
    match = _BRACKETED.fullmatch(text)
    query = Item.select().where(Item.campaign == campaign.id)
    if match:
        item = query.where(Item.identifier == match.group(1).strip()).order_by(Item.id).first()
    elif text.isdigit() and len(text) < 19:
        item = query.where(Item.id == int(text)).first()
    else:
        item = None
    if item is None:
        raise NotFound("Item")
    return item


def points_for(campaign: Campaign, amount: Decimal, promo: Promo | None) -> int:
    """Points earned for spending ``amount``: exact decimal arithmetic, rounded down once at the end."""
    ratio = Decimal(campaign.points_ratio) if campaign.points_ratio else DEFAULT_POINTS_RATIO
    points = amount * ratio
    if promo is not None:
        points = points * Decimal(promo.amount) if promo.operation == "x" else points + Decimal(promo.amount)
    # A record never debits, whatever a promo's sign.
    return max(0, int(points.to_integral_value(rounding=ROUND_DOWN)))


_PROMO = Prepared(lambda promo_id, campaign_id: Promo.select().where((Promo.id == promo_id) & (Promo.campaign == campaign_id)))


def _promo(campaign: Campaign, promo_id: int) -> Promo:
    rows = _PROMO(promo_id, campaign.id)
    if not rows:
        raise NotFound("Promo")
    promo = rows[0]
    now = utcnow()
    if (promo.start_date and now < promo.start_date) or (promo.end_date and now > promo.end_date):
        raise LegacyError(PROMO_INACTIVE)
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


def _details(data: dict, caller) -> dict:
    return {
        "authorization": data.get("authorization", ""),
        "custom_fields": json.dumps(data.get("custom_fields") or {}, sort_keys=True),
        "user_id": caller.user.user_id,
    }


def _receipt(posted: ledger.Posted, campaign: Campaign, customer: Customer, item: Item | None) -> Receipt:
    if item is not None:
        return Receipt(posted.entry, campaign, customer, posted.balance, item)
    taken = deductions.deducted(customer, [campaign]).get(campaign.id, 0)
    return Receipt(posted.entry, campaign, customer, posted.balance - taken)


def record(caller, campaign: Campaign, customer: Customer, data: dict) -> Receipt:
    """Record one activity (an earn) and return its receipt. Call inside a write transaction."""
    amount = data.get("amount")
    item = None
    extra: dict = {"original_amount": "" if amount is None else str(amount)}
    if campaign.type == POINTS:
        promo = _promo(campaign, data["promo_id"]) if data.get("promo_id") else None
        units = points_for(campaign, amount or Decimal(0), promo)
        extra["promo_id"] = promo.id if promo else None
    elif campaign.type == GIFTCARD:
        units = _positive_money(amount, "amount")
    elif campaign.type == EVENTS:
        units = 1
    elif campaign.type == EARNED:
        units = campaign.amount_per_event or 0
    else:
        item = _item(campaign, data.get("service_product"), "service_product")
        units = extra["quantity"] = data["buyx_quantity"]
    posted = ledger.post(
        account_id=caller.account_id, campaign=campaign, customer=customer, amount=units, kind="record",
        item=item.id if item else 0, **extra, **_details(data, caller),
    )
    return _receipt(posted, campaign, customer, item)


def _redeem_cost(campaign: Campaign, data: dict) -> tuple[int, Reward | None, Item | None]:
    if campaign.type == POINTS:
        given = [f for f in REDEEM_FIELDS if data.get(f) is not None]
        if not given:
            raise LegacyError(MISSING_FIELD.format("reward_to_redeem"))
        if len(given) > 1:
            raise LegacyError(ONE_REDEEM_FIELD)
        if given[0] == "custom_points_redeem":
            return data["custom_points_redeem"], None, None
        if given[0] == "custom_dollars_redeem":
            if not campaign.reward_ratio:
                raise LegacyError(NO_REWARD_RATIO)
            cost = data["custom_dollars_redeem"] * Decimal(campaign.reward_ratio)
            return int(cost.to_integral_value(rounding=ROUND_UP)), None, None
    if campaign.type in (POINTS, EVENTS):
        reward = _reward(campaign, data.get("reward_to_redeem"))
        return reward.level, reward, None
    if campaign.type in (GIFTCARD, EARNED):
        return _money_field(data.get("reward_to_redeem"), "reward_to_redeem"), None, None
    item = _item(campaign, data.get("reward_to_redeem"), "reward_to_redeem")
    return item.reward_level, None, item


def redeem(caller, campaign: Campaign, customer: Customer, data: dict) -> Receipt:
    """Spend from the available balance; refused, changing nothing, when it is not enough."""
    cost, reward, item = _redeem_cost(campaign, data)
    item_id = item.id if item else 0
    _lock(customer, campaign, item_id)
    taken = 0 if item else deductions.deducted(customer, [campaign]).get(campaign.id, 0)
    stored = Membership.select(Membership.balance).where(
        (Membership.customer == customer.id) & (Membership.campaign == campaign.id) & (Membership.item == item_id)
    ).scalar() or 0
    available = max(0, stored - taken)
    short = (f"Insufficient balance: {format_units(available, campaign.type)} available, "
             f"{format_units(cost, campaign.type)} needed")
    posted = ledger.post(
        account_id=caller.account_id, campaign=campaign, customer=customer, amount=-cost, kind="redeem",
        item=item_id, minimum=taken, insufficient=short, reward_id=reward.id if reward else None,
        quantity=1 if item else None, **_details(data, caller),
    )
    return Receipt(posted.entry, campaign, customer, posted.balance - taken, item)


def delete(caller, campaign: Campaign, customer: Customer, transaction_id: int) -> ledger.Posted:
    """Cancel one recorded transaction with a reversing row; the history no longer shows it."""
    entry = LedgerEntry.get_or_none(
        (LedgerEntry.id == transaction_id) & (LedgerEntry.account == caller.account_id)
        & (LedgerEntry.campaign == campaign.id) & (LedgerEntry.customer == customer.id)
        & (LedgerEntry.kind != "reversal")
    )
    if entry is None:
        raise NotFound("Transaction")
    if LedgerEntry.select().where(LedgerEntry.reverses == entry.id).exists():
        raise LegacyError(ALREADY_DELETED)
    _lock(customer, campaign, entry.item)
    posted = ledger.reverse(entry, user_id=caller.user.user_id, insufficient=DELETE_NEGATIVE)
    # With fees or depreciations, removing a credit also changes what they took afterwards: replay
    # the history without it, and refuse (rolling back) if it would have gone below zero.
    outcome = deductions.outcomes(customer, [campaign]).get(campaign.id) if not entry.item else None
    if outcome is not None and outcome.balance < 0:
        raise LegacyError(DELETE_NEGATIVE)
    return posted


class Transaction(NamedTuple):
    """A history row, with the display name of the user who recorded it (their id when they have no name)."""

    id: int
    created: str  # the UTC time as text (``created_text``): "YYYY-MM-DD HH:MM:SS", perhaps a fraction after
    amount: int
    authorization: str
    item: int
    custom_fields: str
    user_id: str
    user_name: str


_REVERSAL = LedgerEntry.alias("reversal")


def created_text():
    """``LedgerEntry.created`` as text whose first 19 characters are "YYYY-MM-DD HH:MM:SS" and which
    sorts as the time does, for a history read without a round trip through ``datetime`` (parsing the
    stored text and formatting it again cost a balance more than its history's other Python work).

    SQLite holds the time as this text already (peewee writes ``str(datetime)``: no fraction when it is
    zero, and a shorter text sorts first); PostgreSQL writes it with all six fractional digits.
    """
    if is_sqlite():
        return LedgerEntry.created.cast("TEXT")  # the text as stored, without peewee's conversion
    return pw.fn.to_char(LedgerEntry.created, "YYYY-MM-DD HH24:MI:SS.US").coerce(False)


def _history(account_id: str, customer_id, campaign_id):
    # Per row, one probe of the reversals' unique index (NOT EXISTS), instead of first listing every
    # reversal of the customer's campaign history (NOT IN), which reads each of its rows.
    reversed_ = _REVERSAL.select(_REVERSAL.id).where(_REVERSAL.reverses == LedgerEntry.id)
    # A correlated subquery rather than a LEFT JOIN: SQLite plans the join as a scan of every user.
    user_name = User.select(pw.fn.NULLIF(User.name, "")).where((User.account == account_id) & (User.user_id == LedgerEntry.user_id))
    return (
        LedgerEntry.select(
            LedgerEntry.id, created_text().alias("created"), LedgerEntry.amount, LedgerEntry.authorization, LedgerEntry.item,
            LedgerEntry.custom_fields, LedgerEntry.user_id, pw.fn.COALESCE(user_name, LedgerEntry.user_id).alias("user_name"),
        )
        .where((LedgerEntry.customer == customer_id) & (LedgerEntry.campaign == campaign_id)
               & (LedgerEntry.kind != "reversal") & ~pw.fn.EXISTS(reversed_))
        .order_by(LedgerEntry.created.desc(), LedgerEntry.id.desc())
        .tuples()
    )


_HISTORY = Prepared(_history)
_LAST_IN_HISTORY = Prepared(lambda account_id, customer_id, campaign_id, limit: _history(account_id, customer_id, campaign_id).limit(limit))
# What "all" is when a limit must be bound (LIMIT takes no negative number on PostgreSQL).
_ALL = 2 ** 62


def _history_array(account_id: str, limit):
    """The last ``limit`` transactions of the customer and campaign of the enclosing row, as one JSON
    array of arrays (the columns of ``Transaction``): a balance reads them in its one statement."""
    rows = _history(account_id, Customer.id, Campaign.id).limit(limit).alias("history")
    columns = [rows.c.id, rows.c.created, rows.c.amount, rows.c.authorization, rows.c.item, rows.c.custom_fields,
               rows.c.user_id, rows.c.user_name]
    if is_sqlite():
        array = pw.fn.json_group_array(pw.fn.json_array(*columns))
    else:
        array = pw.fn.json_agg(pw.fn.json_build_array(*columns))
    return pw.Select([rows], [array])


def _transactions(array) -> list[Transaction]:
    # SQLite answers the array as text, psycopg2 as Python lists (None when there is no row). An
    # aggregate's order is not promised by either database: the rows are put in history order here.
    rows = _scan_json(array, 0)[0] if array.__class__ is str else array or []
    history = list(map(_new_transaction, rows))
    history.sort(key=_NEWEST_FIRST, reverse=True)
    return history


# json.loads without its Python-level wrapper (a third of its cost on a history): SQLite writes the
# array, so there is neither white space around it nor anything after it to refuse.
_scan_json = json.JSONDecoder().scan_once
_NEWEST_FIRST = operator.itemgetter(1, 0)  # (created, id), as history() orders: the texts sort as the times
# Transaction._make without its length check: the statement's array holds exactly its columns.
_new_transaction = functools.partial(tuple.__new__, Transaction)


def history(account_id: str, customer: Customer, campaign: Campaign, limit: int | None) -> list[Transaction]:
    """Live transactions (neither deleted nor reversals), newest first; ``limit`` None means all.

    ``standing`` reads the same rows inside its own statement (tests/test_performance.py holds the two
    equal); this is the read for a history without a balance."""
    if limit is None:
        rows = _HISTORY(account_id, customer.id, campaign.id)
    else:
        rows = _LAST_IN_HISTORY(account_id, customer.id, campaign.id, limit)
    return [Transaction._make(row) for row in rows]


class Standing(NamedTuple):
    """A customer's available balance in one campaign, with the campaign and the customer (holding only
    the fields ``STANDING_COLUMNS`` names) and the last transactions."""

    campaign: Campaign
    customer: Customer
    available: int
    items: dict[int, int]  # buy-X: item id -> purchases counted
    history: list[Transaction]


def standing(account_id: str, campaign_id: str, code: str | None, card_number: str | None,
             history: int | None = 0) -> Standing:
    """The caller's customer's balance in the caller's campaign, active or not, as of now, with the last
    ``history`` transactions as ``history()`` gives them (None: all). The campaign and the customer hold
    only the fields ``STANDING_COLUMNS`` names, as a peewee select of those columns gives them.

    Errors as ``get_campaign`` then ``find_customer``. The campaign, the customer, the stored balance
    and the transactions come from one statement; a campaign with fees or depreciations, or buy-X, then
    has its deductions and per-item counts computed through ``gateway.balances``.
    """
    if not code and not card_number:
        get_campaign(account_id, campaign_id, active_only=False)  # "Campaign not found" comes first
        find_customer(account_id, code, card_number)  # raises: no code nor card number
    limit = _ALL if history is None else history
    campaign, customer, (stored, array) = _campaign_and_customer_row(
        STANDING_COLUMNS, account_id, campaign_id, code, card_number, limit)
    if customer is None:
        raise NotFound(customers.CUSTOMER)
    entries = _transactions(array)
    if not campaign.has_deductions and campaign.type != BUYX:
        return Standing(campaign, customer, max(0, stored), {}, entries)
    holding = balances.holdings(customer, [campaign])[campaign.id]
    return Standing(campaign, customer, holding.available, holding.items, entries)


__all__ = ["Receipt", "Standing", "delete", "find_customer", "history", "open_campaign", "record", "redeem", "standing"]
