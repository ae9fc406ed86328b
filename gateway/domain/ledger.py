"""The ledger: every balance change is an appended row, and the stored balance moves with it atomically.

Rules kept here and nowhere else:
- a change is one INSERT into ``ledger_entry`` plus one conditional UPDATE (or upsert) of the
  membership's balance, inside the caller's write transaction: never read-modify-write;
- a debit is refused, changing nothing, when it would take the stored balance below ``minimum``
  (0, or what fees and depreciations have already taken);
- a deleted transaction is never removed: a reversing row cancels it, at most once;
- merging two customers (``move_customer``) re-points the removed one's rows, amounts, ids and dates
  unchanged, and adds their sums to the kept one's balances in atomic upserts;
- ``check`` proves that every stored balance equals the sum of its ledger rows.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import peewee as pw

from .db import Insert, Statement, database, is_sqlite
from .errors import Conflict, InsufficientBalance, NotFound
from .models import Campaign, Customer, LedgerEntry, Membership, utcnow


@dataclass(frozen=True, slots=True)
class Posted:
    entry: LedgerEntry
    balance: int  # the stored balance of the membership after the change


def _membership(customer, campaign, item):
    return (Membership.customer == customer) & (Membership.campaign == campaign) & (Membership.item == item)


def _credited(amount, now, reached) -> dict:
    return {Membership.balance: Membership.balance + amount,
            Membership.last_activity: now,
            Membership.first_activity: pw.fn.COALESCE(Membership.first_activity, now),
            Membership.reached: pw.Case(None, [(amount == 0, Membership.reached)], reached)}


def _credit(customer, campaign, item, amount, now, reached) -> pw.ModelUpdate:
    return Membership.update(_credited(amount, now, reached)).where(_membership(customer, campaign, item))


def _debit(customer, campaign, item, amount, minimum, now, reached) -> pw.ModelUpdate:
    return Membership.update(balance=Membership.balance + amount, last_activity=now, reached=reached).where(
        _membership(customer, campaign, item) & (Membership.balance + amount >= minimum))


# The statements every transaction runs (gateway.domain.db.Statement), answering the new balance
# through RETURNING. A credit inserts (_JOIN) only when no membership was updated, so the participant
# count's trigger runs on joins only. ``reached`` (minus nanoseconds) moves only when the balance does:
# the leaderboard's tie-break.
_CREDIT = Statement(lambda customer, campaign, item, amount, now, reached: _credit(
    customer, campaign, item, amount, now, reached).returning(Membership.balance), tuples=True)
# The first credit; a concurrent first credit of the same membership that inserted it meanwhile
# makes this one an update.
_JOIN = Statement(lambda customer, campaign, item, amount, now, reached: Membership.insert(
    customer=customer, campaign=campaign, item=item, balance=amount,
    first_activity=now, last_activity=now, created=now, reached=reached,
).on_conflict(
    conflict_target=[Membership.customer, Membership.campaign, Membership.item],
    update=_credited(amount, now, reached),
).returning(Membership.balance), tuples=True)
_DEBIT = Statement(lambda customer, campaign, item, amount, minimum, now, reached: _debit(
    customer, campaign, item, amount, minimum, now, reached).returning(Membership.balance), tuples=True)

_INSERT_ENTRY = Insert(LedgerEntry)


def _with_entry(change: pw.ModelUpdate, values) -> pw.Insert:
    """PostgreSQL: ``change`` and the ledger row holding ``values`` (``_INSERT_ENTRY``'s fields) in one
    statement, so one round trip: the row is inserted only if the update changed a membership. It
    answers the row's id and the new balance. (SQLite has no UPDATE inside WITH.)"""
    moved = change.returning(Membership.balance).cte("moved")
    return (LedgerEntry.insert_from(pw.Select(from_list=[moved], columns=list(values)), _INSERT_ENTRY.fields)
            .with_cte(moved)
            .returning(LedgerEntry.id, pw.Select(from_list=[moved], columns=[moved.c.balance])))


_CREDIT_WITH_ENTRY = Statement(lambda customer, campaign, item, amount, now, reached, *values: _with_entry(
    _credit(customer, campaign, item, amount, now, reached), values), tuples=True)
_DEBIT_WITH_ENTRY = Statement(lambda customer, campaign, item, amount, minimum, now, reached, *values: _with_entry(
    _debit(customer, campaign, item, amount, minimum, now, reached), values), tuples=True)


def post(
    *,
    account_id: str,
    campaign: Campaign,
    customer: Customer,
    amount: int,
    kind: str,
    item: int = 0,
    minimum: int = 0,
    refusal: Exception | None = None,
    **details,
) -> Posted:
    """Append one entry and apply it to the balance, in one conditional statement. A debit that would
    leave less than ``minimum`` raises ``refusal`` (InsufficientBalance by default) and changes
    nothing. Call inside ``db.write_transaction()``."""
    if database.transaction_depth() == 0:
        raise RuntimeError("ledger.post must run inside a write transaction")
    now = utcnow()
    reached = -time.time_ns()
    try:
        entry, values = _INSERT_ENTRY.bind(account=account_id, campaign=campaign.id, customer=customer.id, item=item,
                                           kind=kind, amount=amount, created=now, **details)
        target = (customer.id, campaign.id, item, amount)  # which membership, by how much
        change = (*target, now, reached) if amount >= 0 else (*target, minimum, now, reached)
        if not is_sqlite():
            # The change and its row in one round trip; only a first credit (no membership to update
            # yet) or a refused debit goes on below.
            rows = (_CREDIT_WITH_ENTRY if amount >= 0 else _DEBIT_WITH_ENTRY)(*change, *values)
            if rows:
                entry.id, balance = rows[0]
                return Posted(entry, balance)
            rows = _JOIN(*target, now, reached) if amount >= 0 else []
        elif amount >= 0:
            rows = _CREDIT(*change) or _JOIN(*target, now, reached)
        else:
            rows = _DEBIT(*change)
        if not rows:
            if not Customer.select().where(Customer.id == customer.id).exists():
                raise NotFound("customer")  # deleted or merged away since it was looked up (PostgreSQL)
            raise refusal or InsufficientBalance()
        _INSERT_ENTRY.insert(entry, values)
    except pw.IntegrityError as exc:
        # A foreign key: the customer (or campaign) was deleted, or merged away, by a concurrent
        # request after this one looked it up (PostgreSQL; SQLite runs writes one at a time).
        raise NotFound("campaign" if "campaign" in str(exc) else "customer") from None
    return Posted(entry, rows[0][0])


def reverse(entry: LedgerEntry, *, user_id: str = "", minimum: int = 0, refusal: Exception | None = None) -> Posted:
    """Cancel ``entry`` with a reversing row. A second reversal of the same entry is refused by the
    unique ``reverses`` column, so a retried delete can never count twice."""
    campaign = Campaign(id=entry.campaign_id)
    customer = Customer(id=entry.customer_id)
    try:
        with database.atomic():
            return post(
                account_id=entry.account_id, campaign=campaign, customer=customer, amount=-entry.amount,
                kind="reversal", item=entry.item, minimum=minimum, refusal=refusal,
                reverses=entry.id, user_id=user_id, original_amount=entry.original_amount,
            )
    except pw.IntegrityError:
        raise Conflict("transaction_already_deleted") from None


def enroll(campaign: Campaign, customer: Customer, item: int = 0) -> None:
    """Make a customer a member of a campaign with a zero balance (no ledger row: nothing changed)."""
    (
        Membership.insert(customer=customer.id, campaign=campaign.id, item=item, balance=0)
        .on_conflict_ignore()
        .execute()
    )


def live_entries():
    """Entries that count in a history: neither reversed nor reversals."""
    reversed_ids = LedgerEntry.select(LedgerEntry.reverses).where(LedgerEntry.reverses.is_null(False))
    return LedgerEntry.select().where((LedgerEntry.kind != "reversal") & (LedgerEntry.id.not_in(reversed_ids)))


@dataclass(frozen=True, slots=True)
class Mismatch:
    customer_id: int
    campaign_id: str
    item: int
    stored: int | None
    ledger: int


def check(batch: int = 5000):
    """Yield every membership whose stored balance differs from the sum of its ledger rows.

    Both sides are streamed in key order and merged, so the check runs in constant memory on a
    ledger of any size.
    """
    sums = (
        LedgerEntry.select(LedgerEntry.customer, LedgerEntry.campaign, LedgerEntry.item, pw.fn.SUM(LedgerEntry.amount).alias("total"))
        .group_by(LedgerEntry.customer, LedgerEntry.campaign, LedgerEntry.item)
        .order_by(LedgerEntry.customer, LedgerEntry.campaign, LedgerEntry.item)
        .tuples()
        .iterator()
    )
    stored = (
        Membership.select(Membership.customer, Membership.campaign, Membership.item, Membership.balance)
        .order_by(Membership.customer, Membership.campaign, Membership.item)
        .tuples()
        .iterator()
    )
    ledger_row = next(sums, None)
    stored_row = next(stored, None)
    while ledger_row is not None or stored_row is not None:
        lkey = ledger_row[:3] if ledger_row else None
        skey = stored_row[:3] if stored_row else None
        if skey is not None and (lkey is None or skey < lkey):
            if stored_row[3] != 0:
                yield Mismatch(*skey, stored_row[3], 0)
            stored_row = next(stored, None)
        elif lkey is not None and (skey is None or lkey < skey):
            yield Mismatch(*lkey, None, int(ledger_row[3]))
            ledger_row = next(sums, None)
        else:
            if int(ledger_row[3]) != stored_row[3]:
                yield Mismatch(*lkey, stored_row[3], int(ledger_row[3]))
            ledger_row = next(sums, None)
            stored_row = next(stored, None)


def move_customer(gone: Customer, kept: Customer) -> None:
    """Merge two customers' ledgers: every entry of ``gone`` becomes ``kept``'s, and each balance moves
    with its entries. Call inside a write transaction, then delete ``gone``.

    The entries are re-pointed, not reversed and re-posted: ``gone`` is deleted right after (reversals
    on it would go with it), and a re-pointed entry keeps its id (receipts, transaction_delete), its
    date (fees and depreciations replay the same history) and its user. Each of ``kept``'s balances
    grows by the sum of the entries moved into it, in one atomic upsert: never read-modify-write.
    """
    if database.transaction_depth() == 0:
        raise RuntimeError("ledger.move_customer must run inside a write transaction")
    if not is_sqlite():
        # Hold both customers' memberships (in id order), then ``gone`` itself, so that no transaction
        # of ``gone`` lands between the sums and the re-pointing (inserting an entry needs a key-share
        # lock on its customer row). A transaction locks its membership before its customer, so taking
        # them in that order cannot deadlock. SQLite's BEGIN IMMEDIATE makes the transaction exclusive.
        list(Membership.select(Membership.id).where(Membership.customer.in_([gone.id, kept.id]))
             .order_by(Membership.id).for_update())
        list(Customer.select(Customer.id).where(Customer.id == gone.id).for_update())
    moved = {
        (campaign_id, item): int(total)
        for campaign_id, item, total in LedgerEntry.select(LedgerEntry.campaign, LedgerEntry.item, pw.fn.SUM(LedgerEntry.amount))
        .where(LedgerEntry.customer == gone.id).group_by(LedgerEntry.campaign, LedgerEntry.item).tuples()
    }
    reached = -time.time_ns()
    for m in Membership.select().where(Membership.customer == gone.id):
        _add_to_membership(kept, m.campaign_id, m.item, moved.pop((m.campaign_id, m.item), 0), m, reached)
    for (campaign_id, item), amount in moved.items():  # entries without a membership: none if check() is clean
        _add_to_membership(kept, campaign_id, item, amount, None, reached)
    LedgerEntry.update(customer=kept.id).where(LedgerEntry.customer == gone.id).execute()
    Membership.delete().where(Membership.customer == gone.id).execute()


def _earliest(column, value):
    return column if value is None else pw.Case(None, [((column.is_null()) | (column > value), value)], column)


def _latest(column, value):
    return column if value is None else pw.Case(None, [((column.is_null()) | (column < value), value)], column)


def _add_to_membership(kept: Customer, campaign_id: str, item: int, amount: int, source: Membership | None,
                       reached: int) -> None:
    first = source.first_activity if source else None
    last = source.last_activity if source else None
    created = source.created if source else utcnow()
    update = {
        Membership.balance: Membership.balance + amount,
        Membership.first_activity: _earliest(Membership.first_activity, first),
        Membership.last_activity: _latest(Membership.last_activity, last),
        Membership.created: _earliest(Membership.created, created),
    }
    if amount:
        update[Membership.reached] = reached
    Membership.insert(
        customer=kept.id, campaign=campaign_id, item=item, balance=amount, first_activity=first,
        last_activity=last, created=created, reached=reached if amount else 0,
    ).on_conflict(conflict_target=[Membership.customer, Membership.campaign, Membership.item], update=update).execute()
