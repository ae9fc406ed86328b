"""Fees and depreciations: what they have taken from a balance as of a moment, computed, never stored.

The legacy API computes these on the fly, so they cannot be deleted, and neither can they drift from
the rules: change or delete a fee and every balance follows. The computation replays the customer's
live ledger rows of one campaign in time order, with the deductions the rules schedule among them:

- credits become *lots*; every debit (a redeem, a fee, a last-transaction depreciation) consumes the
  oldest lots first;
- ``per_transaction`` depreciation: once a credit is ``interval`` old, what is left of its lot loses
  ``percentage``% (once per credit);
- ``last_transaction`` depreciation: whenever ``interval`` passes with no transaction, the balance at
  that moment loses ``percentage``%; the next transaction starts a new period;
- fee: ``amount`` is charged at each full ``interval`` after the customer's first transaction in the
  campaign or the fee's creation, whichever is later; a charge never takes the balance below zero.

No rule reaches back before it existed: an event due earlier takes effect at the rule's creation. At one
instant deductions come before transactions, and losses are rounded down to whole units, so nobody
loses more than the stated percentage. See docs/ledger.md.
"""
from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from typing import Iterable

from .models import Customer, Depreciation, Fee, LedgerEntry, utcnow
from .units import GIFTCARD, POINTS

# Only these campaign types carry fees and depreciations (legacy-api §3.7).
DEDUCTIBLE = (POINTS, GIFTCARD)
MAX_CHARGES = 100_000  # a daily fee over 270 years: a bound against a runaway loop, not a policy


def add_interval(start: dt.datetime, count: int, interval_type: str) -> dt.datetime:
    """``start`` plus ``count`` days, months or years; a month end is clamped (Jan 31 + 1 month = Feb 28)."""
    if interval_type == "days":
        return start + dt.timedelta(days=count)
    months = count * (12 if interval_type == "years" else 1)
    total = start.month - 1 + months
    year, month = start.year + total // 12, total % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


@dataclass(slots=True)
class Rules:
    fees: list[Fee] = field(default_factory=list)
    depreciations: list[Depreciation] = field(default_factory=list)


def _fees(where):
    return Fee.select().where(where & (Fee.interval > 0)).order_by(Fee.id)


def _depreciations(where):
    return Depreciation.select().where(where & (Depreciation.interval > 0)).order_by(Depreciation.id)


def rules_for(campaigns: Iterable) -> dict[str, Rules]:
    """Fees and depreciations of those campaigns that have any (two queries whatever the count)."""
    # A campaign read by campaigns.get_campaign knows whether it has any rules; skip the queries when not.
    ids = [c.id for c in campaigns if c.type in DEDUCTIBLE and getattr(c, "has_deductions", True)]
    rules: dict[str, Rules] = {}
    if not ids:
        return rules
    fees, depreciations = _fees(Fee.campaign.in_(ids)), _depreciations(Depreciation.campaign.in_(ids))
    for fee in fees:
        rules.setdefault(fee.campaign_id, Rules()).fees.append(fee)
    for dep in depreciations:
        rules.setdefault(dep.campaign_id, Rules()).depreciations.append(dep)
    return rules


@dataclass(frozen=True, slots=True)
class Outcome:
    balance: int  # what the customer holds as of now; negative only if a deletion broke history
    deducted: int  # taken by fees and depreciations so far


def _percent_of(units: int, percentage: str) -> int:
    return int((Decimal(units) * Decimal(percentage) / 100).to_integral_value(rounding=ROUND_DOWN))


# Event priorities at one instant: deductions first, then the transactions of that second.
_AGE, _INACTIVE, _FEE, _ENTRY = range(4)


def replay(entries: list[tuple[dt.datetime, int]], rules: Rules, now: dt.datetime) -> Outcome:
    """Play ``entries`` (time, signed amount; live rows in ledger order) and ``rules`` up to ``now``."""
    if not entries:
        return Outcome(0, 0)
    events: list[tuple] = []
    seq = 0

    def at(when: dt.datetime, priority: int, kind: str, *args) -> None:
        nonlocal seq
        if when <= now:
            events.append((when, priority, seq, kind, args))
            seq += 1

    times = [t for t, _ in entries]
    for index, (when, amount) in enumerate(entries):
        at(when, _ENTRY, "entry", index, amount)
    for dep in rules.depreciations:
        if dep.type == "per_transaction":
            for index, (when, amount) in enumerate(entries):
                if amount > 0:
                    at(max(add_interval(when, dep.interval, dep.interval_type), dep.created), _AGE, "age", index, dep.percentage)
        else:
            for index, when in enumerate(times):
                due = max(add_interval(when, dep.interval, dep.interval_type), dep.created)
                following = times[index + 1] if index + 1 < len(times) else None
                if following is None or due <= following:
                    at(due, _INACTIVE, "inactive", dep.percentage)
    for fee in rules.fees:
        start = max(times[0], fee.created)
        for k in range(1, MAX_CHARGES):
            due = add_interval(start, k * fee.interval, fee.interval_type)
            if due > now:
                break
            at(due, _FEE, "fee", fee.amount)
    events.sort(key=lambda e: e[:3])
    return _play(events)


def _play(events: list[tuple]) -> Outcome:
    lots: list[int] = []  # what remains of each credit, by entry index order of creation
    lot_of: dict[int, int] = {}  # entry index -> position in lots
    head = 0  # lots before ``head`` are spent
    total = 0  # sum of remaining lots
    debt = 0  # debits beyond every lot (only after a deletion rewrote history)
    deducted = 0

    def take(units: int) -> int:
        """Consume ``units`` from the oldest lots; return what could not be covered."""
        nonlocal head, total
        while units and head < len(lots):
            used = min(units, lots[head])
            lots[head] -= used
            total -= used
            units -= used
            if lots[head] == 0:
                head += 1
        return units

    for _, _, _, kind, args in events:
        if kind == "entry":
            index, amount = args
            if amount > 0:
                paid = min(debt, amount)
                debt -= paid
                lot_of[index] = len(lots)
                lots.append(amount - paid)
                total += amount - paid
            elif amount < 0:
                debt += take(-amount)
        elif kind == "age":
            position = lot_of.get(args[0])
            if position is not None and position >= head:
                loss = _percent_of(lots[position], args[1])
                lots[position] -= loss
                total -= loss
                deducted += loss
        else:
            held = max(0, total - debt)
            loss = _percent_of(held, args[0]) if kind == "inactive" else min(args[0], held)
            take(loss)
            deducted += loss
    return Outcome(total - debt, deducted)


def outcomes(customer: Customer, campaigns: Iterable, now: dt.datetime | None = None) -> dict[str, Outcome]:
    """The replay result for each of ``campaigns`` that has fees or depreciations (others deduct nothing)."""
    rules = rules_for(campaigns)
    if not rules:
        return {}
    now = now or utcnow()
    rows = (
        LedgerEntry.select(LedgerEntry.id, LedgerEntry.campaign, LedgerEntry.amount, LedgerEntry.created, LedgerEntry.reverses)
        .where((LedgerEntry.customer == customer.id) & LedgerEntry.campaign.in_(list(rules)) & (LedgerEntry.item == 0))
        .order_by(LedgerEntry.created, LedgerEntry.id)
        .tuples()
    )
    rows = list(rows)
    reversed_ids = {r[4] for r in rows if r[4] is not None}
    entries: dict[str, list] = {cid: [] for cid in rules}
    for entry_id, campaign_id, amount, created, reverses in rows:
        if reverses is None and entry_id not in reversed_ids:
            entries[campaign_id].append((created, amount))
    return {cid: replay(entries[cid], rules[cid], now) for cid in rules}


def deducted(customer: Customer, campaigns: Iterable, now: dt.datetime | None = None) -> dict[str, int]:
    """Units fees and depreciations have taken from ``customer`` in each campaign as of ``now``."""
    return {cid: o.deducted for cid, o in outcomes(customer, campaigns, now).items()}
