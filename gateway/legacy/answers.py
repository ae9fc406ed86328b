"""Answers of read calls reused within one process while the database has not changed.

A call registered with ``cache=(topics...)`` (only calls whose answer depends on nothing but the
database and the request: no clock, no fees or depreciations) is answered once per worker and then, for
the same account, fields and format, from memory, for as long as ``db.change_token(topics)`` is
unchanged: every committed write on this machine that touches one of those topics changes it
(``db.ChangeMarker``), so an answer is never reused across such a change, whichever worker made it. The token is read before the answer is computed: a write that lands
meanwhile leaves the answer under the old token, which no later request matches.

SQLite only: on PostgreSQL other hosts may write, and ``change_token()`` is None, so nothing is kept.
Entries also expire after ``TTL`` seconds, for writes made with other tools (the sqlite3 shell).
"""
from __future__ import annotations

import time

TTL = 5.0
MAX_ENTRIES = 1024

_answers: dict[tuple, tuple[float, bytes, list[bytes]]] = {}


def get(key: tuple, token: bytes) -> list[bytes] | None:
    entry = _answers.get(key)
    if entry is None:
        return None
    expires, stored_token, body = entry
    if stored_token != token or expires < time.monotonic():
        del _answers[key]
        return None
    return body


def put(key: tuple, token: bytes, body: list[bytes]) -> None:
    if len(_answers) >= MAX_ENTRIES:
        _answers.clear()
    _answers[key] = (time.monotonic() + TTL, token, body)


def forget() -> None:
    _answers.clear()
