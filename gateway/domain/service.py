"""The one place a write runs: its transaction and, with an idempotency key, at most once.

Both doors call ``run_write``. The answer stored for a key is the door's own (``dump`` makes it text,
``load`` reads it back), so a retry gets the very answer the first request got.
"""
from __future__ import annotations

import hashlib
import json
from typing import Callable, TypeVar

import peewee

from . import db
from .errors import Conflict, InvalidValue
from .models import IdempotencyRecord

T = TypeVar("T")
MAX_KEY_LENGTH = 255


def run_write(work: Callable[[], T], *, account_id: str, key: str = "", request: Callable[[], tuple] = tuple,
              dump: Callable[[T], str] = json.dumps, load: Callable[[str], T] = json.loads) -> tuple[T, bool]:
    """Run ``work`` in one write transaction; returns its answer and whether it was a replay.

    With a ``key``, the key's row is inserted before ``work`` runs and in the same transaction as its
    writes: a concurrent retry waits on the key's unique index and then replays the committed answer,
    and a failure leaves neither the key nor any write behind. The same key with another request is
    refused: ``request()`` gives what was asked as JSON-able parts, and is called only with a key.
    """
    if len(key) > MAX_KEY_LENGTH:
        raise InvalidValue("idempotency_key", "too_long", maximum=MAX_KEY_LENGTH)
    fingerprint = hashlib.sha256(json.dumps(request()).encode()).hexdigest() if key else ""
    with db.write_transaction():
        if not key:
            return work(), False
        record = IdempotencyRecord.get_or_none(account=account_id, key=key)
        if record is None:
            try:
                with db.database.atomic():
                    record = IdempotencyRecord.create(account=account_id, key=key, request_hash=fingerprint, response="")
            except peewee.IntegrityError:
                record = IdempotencyRecord.get(account=account_id, key=key)
            else:
                answer = work()
                record.response = dump(answer)
                record.save()
                return answer, False
        if record.request_hash != fingerprint:
            raise Conflict("idempotency_key_reused")
        return load(record.response), True
