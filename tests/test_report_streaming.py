"""A report of 100,000 transactions streams: it is read and written page by page, never held whole.

The ledger is loaded in bulk (insert_many, with the matching stored balances), a few entries are
deleted through the real path, and the report is read through the app as a streamed response while
the memory the process holds is watched after every chunk. The rows are counted and their ids summed
from the stream, line by line, so the check itself holds almost nothing.

A stream that fails midway is cut off before its end (docs/compatibility.md): never a document a
client could take for a complete answer.
"""
from __future__ import annotations

import ctypes
import datetime as dt
import json
import logging
import re
import sys
from dataclasses import dataclass

import peewee as pw
import pytest
from lxml import etree

from conftest import create_pg_database, drop_pg_database, parse_jsonp, require_postgres
from gateway.domain import db, ledger
from gateway.domain.models import Customer, LedgerEntry, Membership
from gateway.legacy.render import OutputFormat, render
from gateway.legacy.tree import Items, el

ROWS = 100_000
CUSTOMERS = 1_000
DELETED = 5
ID_LINE = {"xml": re.compile(rb"^\s*<id>(\d+)</id>$"), "json": re.compile(rb'^\s*"id": "(\d+)",?$')}


def load_ledger(campaign_id: str, rows: int = ROWS, customers: int = CUSTOMERS) -> None:
    start = dt.datetime(2024, 1, 1)
    people = [dict(account="shop", code=f"V{i:05}", card_number=f"9{i:09}", first_name="Vol", last_name=f"Ume{i}")
              for i in range(customers)]
    with db.database.atomic():
        for batch in pw.chunked(people, 500):
            Customer.insert_many(batch).execute()
        ids = [c for (c,) in Customer.select(Customer.id).where(Customer.account == "shop").order_by(Customer.id).tuples()]
        columns = [LedgerEntry.account, LedgerEntry.campaign, LedgerEntry.customer, LedgerEntry.kind, LedgerEntry.amount,
                   LedgerEntry.original_amount, LedgerEntry.authorization, LedgerEntry.user_id, LedgerEntry.created]
        entries = (
            ("shop", campaign_id, ids[i % customers], "record", 100 + i % 7, f"{1 + i % 7}.00", f"sale {i}", "clerk",
             start + dt.timedelta(seconds=20 * i))
            for i in range(rows)
        )
        for batch in pw.chunked(entries, 1000):
            LedgerEntry.insert_many(batch, fields=columns).execute()
        totals = (
            LedgerEntry.select(LedgerEntry.customer, pw.fn.SUM(LedgerEntry.amount), pw.fn.MIN(LedgerEntry.created), pw.fn.MAX(LedgerEntry.created))
            .where(LedgerEntry.campaign == campaign_id).group_by(LedgerEntry.customer).tuples()
        )
        members = [dict(customer=c, campaign=campaign_id, balance=int(total), first_activity=first, last_activity=latest)
                   for c, total, first, latest in totals]
        for batch in pw.chunked(members, 500):
            Membership.insert_many(batch).execute()


@dataclass
class Streamed:
    size: int = 0
    rows: int = 0
    id_sum: int = 0
    blocks: int = 0  # most small objects alive at once, beyond those before the request
    malloced: int = 0  # most malloc'd bytes at once, beyond those before the request


class _Mallinfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]


_libc = ctypes.CDLL(None)
_libc.mallinfo2.restype = _Mallinfo2


def malloc_in_use() -> int:
    """Bytes held through malloc: every object over 512 bytes, the database drivers' buffers."""
    info = _libc.mallinfo2()
    return info.uordblks + info.hblkhd


def stream(client, data: dict, fmt: str) -> Streamed:
    """Read a streamed answer chunk by chunk, watching memory after every chunk.

    Memory is measured with two cheap counters rather than tracemalloc, which makes this run ten times
    slower (about 70 s instead of 7 s for 100,000 rows): ``sys.getallocatedblocks()`` counts Python's
    small objects (a row held in memory is a dozen of them), and glibc's ``mallinfo2`` counts every
    larger allocation (a rendered row or the body itself).
    """
    pattern = ID_LINE[fmt]
    seen = Streamed()
    partial = b""
    blocks, malloced = sys.getallocatedblocks(), malloc_in_use()
    response = client.post("/", data=data, buffered=False)
    assert response.status_code == 200 and response.is_streamed
    for chunk in response.response:
        seen.size += len(chunk)
        lines = (partial + chunk).split(b"\n")
        partial = lines.pop()
        for line in lines:
            match = pattern.match(line)
            if match:
                seen.rows += 1
                seen.id_sum += int(match.group(1))
        seen.blocks = max(seen.blocks, sys.getallocatedblocks() - blocks)
        seen.malloced = max(seen.malloced, malloc_in_use() - malloced)
    response.close()
    assert partial == b""
    return seen


@pytest.fixture
def database_url(backend, tmp_path):
    """A database of its own on PostgreSQL too, so that a hundred thousand rows (and the statistics
    taken of them) never weigh on the database the rest of the suite shares."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'volume.db'}"
        return
    require_postgres()
    url = create_pg_database("rg_volume")
    yield url
    db.database.close()
    drop_pg_database(url)


@pytest.fixture
def big_ledger(api):
    campaign_id = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Volume")["campaign"]["id"]
    load_ledger(campaign_id)
    with db.write_transaction():
        for entry in LedgerEntry.select().order_by(LedgerEntry.id).limit(DELETED):
            ledger.reverse(entry, user_id="mgr")
    # As after any bulk import: PostgreSQL plans by statistics, and autovacuum would not have run yet.
    db.database.execute_sql("ANALYZE")
    assert list(ledger.check()) == []
    live = ledger.live_entries().where(LedgerEntry.kind == "record")
    return live.count(), int(live.select(pw.fn.SUM(LedgerEntry.id)).scalar())


def test_100k_transactions_stream_in_bounded_memory(api, client, backend, big_ledger):
    """XML on SQLite and JSON on PostgreSQL: both renderers and both databases, in two runs."""
    expected_rows, expected_id_sum = big_ledger
    assert expected_rows == ROWS - DELETED
    fmt = "xml" if backend == "sqlite" else "json"
    data, _ = api.fields("reports", {"report": "transactions_all", "date_start": "2024-01-01", "date_end": "2024-12-31"})
    if fmt == "json":
        data["output"] = "json"
    if backend == "sqlite":
        # SQLite's page cache (64 MB by design) would fill with the ledger as it is read; bound it here
        # so that only what the report itself holds is measured.
        db.database.execute_sql("PRAGMA cache_size = -1000")
    seen = stream(client, data, fmt)
    assert (seen.rows, seen.id_sum) == (expected_rows, expected_id_sum)
    # The answer is tens of megabytes; while it streams, a page of rows and a chunk of output at most
    # are alive. Holding the rows would take over a million small objects, holding the body its size.
    assert seen.size > 40_000_000
    assert seen.blocks < ROWS // 2, seen
    assert seen.malloced * 20 < seen.size, seen


# --- a fault in the middle of a stream ---------------------------------------------------------------

FORMATS = [OutputFormat("xml"), OutputFormat("json"), OutputFormat("json", condensed=True),
           OutputFormat("jsonp", callback="cb")]
NO_TRACE = [b"Traceback", b"OperationalError", b"database is locked", b'File "', b"error"]


def transactions(count: int):
    for i in range(count):
        yield el("transaction", id=i, note=f"sale {i} & more <of the same>")


def failing_after(count: int):
    yield from transactions(count)
    raise pw.OperationalError("database is locked")


def assert_cut_off(body: bytes, fmt: OutputFormat) -> None:
    """Neither a complete document nor anything about the fault."""
    if fmt.kind == "xml":
        assert b"</response>" not in body
        with pytest.raises(etree.XMLSyntaxError):
            etree.fromstring(body)
    elif fmt.kind == "jsonp":
        with pytest.raises(AssertionError):  # not /**/cb(...); at all
            parse_jsonp(body, "cb")
    else:
        with pytest.raises(ValueError):
            json.loads(body)
    for word in NO_TRACE:
        assert word not in body


@pytest.mark.parametrize("fmt", FORMATS, ids=["xml", "json", "condensed", "jsonp"])
def test_a_fault_midway_cuts_the_stream_off_before_its_end(fmt, caplog):
    complete = b"".join(render(fmt, "success", [Items("transactions", transactions(4000), wrapped=False)]))
    sent = []
    with pytest.raises(pw.OperationalError):
        for piece in render(fmt, "success", [Items("transactions", failing_after(3000), wrapped=False)]):
            sent.append(piece)
    body = b"".join(sent)
    # Several pieces went out, each the answer as far as it had come: a prefix of the complete one.
    assert len(sent) > 1 and complete.startswith(body) and len(body) < len(complete)
    assert_cut_off(body, fmt)
    logged = [r for r in caplog.records if r.name == "gateway.legacy.render" and r.levelno == logging.ERROR]
    assert len(logged) == 1 and "cut off" in logged[0].getMessage() and logged[0].exc_info


@pytest.mark.parametrize("fmt", FORMATS, ids=["xml", "json", "condensed", "jsonp"])
def test_a_fault_before_anything_is_sent_is_raised_for_the_view_to_answer(fmt, caplog):
    # render() renders a streamed answer's first piece itself: the view then answers with the error
    # envelope (503, "server busy"), as for any answer rendered at once.
    with pytest.raises(pw.OperationalError):
        render(fmt, "success", [Items("transactions", failing_after(3), wrapped=False)])
    assert not [r for r in caplog.records if r.name == "gateway.legacy.render"]


def test_a_database_fault_midway_through_a_report_cuts_it_off(api, client, caplog, monkeypatch):
    campaign_id = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Cut")["campaign"]["id"]
    load_ledger(campaign_id, rows=5000, customers=50)  # several pages of rows, hence queries while streaming
    data, _ = api.fields("reports", {"report": "transactions_all", "date_start": "2024-01-01", "date_end": "2024-12-31"})
    response = client.post("/", data=data, buffered=False)
    assert response.status_code == 200 and response.is_streamed
    pieces = iter(response.response)
    sent = [next(pieces)]

    def locked(*args, **kwargs):
        raise pw.OperationalError("database is locked")

    # From here on every query fails, as when another process holds SQLite's lock for too long.
    monkeypatch.setattr(pw.Database, "execute_sql", locked)
    with pytest.raises(pw.OperationalError):
        for piece in pieces:
            sent.append(piece)
    monkeypatch.undo()
    response.close()
    body = b"".join(sent)
    rows = sum(1 for line in body.split(b"\n") if ID_LINE["xml"].match(line))
    assert 0 < rows < 5000
    assert_cut_off(body, OutputFormat("xml"))
    assert any("cut off" in r.getMessage() for r in caplog.records if r.name == "gateway.legacy.render")
