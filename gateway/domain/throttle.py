"""Throttling of secret guesses: a few failures within a window lock the row (a user, a customer) for a while.

The counters live on the row the check already reads (``failures``, ``failed_since``, ``locked_until``),
so a success costs no extra query, and every worker and host on the database sees the same counts. A
failure is counted by one atomic UPDATE in its own transaction: the request that failed still answers
an error, and the count survives it.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee as pw

from . import db
from .errors import Forbidden
from .models import utcnow


@dataclass(frozen=True)
class Rule:
    failures: int  # this many failures...
    window: int = 900  # ...within this many seconds...
    lock: int = 900  # ...refuse every try for this many seconds (the right secret too)


# Passwords and PINs (customers', users') are low-entropy: 5 tries. API keys are random, and an
# integration with a stale key retries: 10 (docs/users.md).
SECRET, KEY = "secret", "key"
RULES = {SECRET: Rule(5), KEY: Rule(10)}


def configure(*, failures: int = 5, key_failures: int = 10, window: int = 900, lock: int = 900) -> None:
    """Set the rules (create_app calls it with the operator's REWARDGATE_THROTTLE_* settings)."""
    RULES[SECRET] = Rule(failures, window, lock)
    RULES[KEY] = Rule(key_failures, window, lock)


def check(row) -> None:
    """Forbidden("throttled") while ``row`` is locked; a lock that has run out is ignored."""
    if row is not None and row.locked_until is not None and row.locked_until > utcnow():
        raise Forbidden("throttled")


def failed(model: type[pw.Model], ids: list, kind: str = SECRET) -> None:
    """Count one failure on each row of ``ids``; the failure that reaches the rule's count locks the row
    and starts counting afresh (so after the lock the caller has the whole allowance again)."""
    if not ids:
        return
    rule = RULES[kind]
    now = utcnow()
    since = now - dt.timedelta(seconds=rule.window)
    fresh = model.failed_since.is_null() | (model.failed_since < since)
    count = pw.Case(None, [(fresh, 1)], pw.fn.COALESCE(model.failures, 0) + 1)
    reaches = count >= rule.failures
    with db.write_transaction():
        model.update({
            model.failures: pw.Case(None, [(reaches, 0)], count),
            model.failed_since: pw.Case(None, [(reaches, None), (fresh, now)], model.failed_since),
            model.locked_until: pw.Case(None, [(reaches, now + dt.timedelta(seconds=rule.lock))], model.locked_until),
        }).where(model.id.in_(ids)).execute()


def succeeded(model: type[pw.Model], row) -> None:
    """Forget earlier failures of ``row`` (a write only when there were some)."""
    if row.failures or row.failed_since is not None:
        with db.write_transaction():
            model.update(failures=0, failed_since=None).where(model.id == row.id).execute()
