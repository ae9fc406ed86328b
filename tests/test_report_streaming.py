"""A report of 100,000 transactions streams: it is read and written page by page, never held whole.

The ledger is loaded in bulk (insert_many, with the matching stored balances), a few entries are
deleted through the real path, and the report is read through the app as a streamed response while
tracemalloc watches every allocation. The rows are counted and their ids summed from the stream, line
by line, so the check itself holds almost nothing.
"""
from __future__ import annotations

import datetime as dt
import re
import tracemalloc

import peewee as pw
import pytest

from gateway import db, ledger
from gateway.models import Customer, LedgerEntry, Membership

ROWS = 100_000
CUSTOMERS = 1_000
DELETED = 5
ID_LINE = {"xml": re.compile(rb"^\s*<id>(\d+)</id>$"), "json": re.compile(rb'^\s*"id": "(\d+)",?$')}


def load_ledger(campaign_id: str) -> None:
    start = dt.datetime(2024, 1, 1)
    people = [dict(account="shop", code=f"V{i:05}", card_number=f"9{i:09}", first_name="Vol", last_name=f"Ume{i}")
              for i in range(CUSTOMERS)]
    with db.database.atomic():
        for batch in pw.chunked(people, 500):
            Customer.insert_many(batch).execute()
        ids = [c for (c,) in Customer.select(Customer.id).where(Customer.account == "shop").order_by(Customer.id).tuples()]
        columns = [LedgerEntry.account, LedgerEntry.campaign, LedgerEntry.customer, LedgerEntry.kind, LedgerEntry.amount,
                   LedgerEntry.original_amount, LedgerEntry.authorization, LedgerEntry.user_id, LedgerEntry.created]
        entries = (
            ("shop", campaign_id, ids[i % CUSTOMERS], "record", 100 + i % 7, f"{1 + i % 7}.00", f"sale {i}", "clerk",
             start + dt.timedelta(seconds=20 * i))
            for i in range(ROWS)
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


def stream(client, data: dict, fmt: str) -> tuple[int, int, int, int]:
    """Read a streamed answer chunk by chunk: (bytes, rows, sum of ids, peak bytes allocated)."""
    pattern = ID_LINE[fmt]
    size = count = total = 0
    partial = b""
    tracemalloc.start()
    try:
        response = client.post("/", data=data, buffered=False)
        assert response.status_code == 200
        assert response.is_streamed
        for chunk in response.response:
            size += len(chunk)
            lines = (partial + chunk).split(b"\n")
            partial = lines.pop()
            for line in lines:
                match = pattern.match(line)
                if match:
                    count += 1
                    total += int(match.group(1))
        response.close()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert partial in (b"", b"}")
    return size, count, total, peak


@pytest.fixture
def big_ledger(api):
    campaign_id = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Volume")["campaign"]["id"]
    load_ledger(campaign_id)
    with db.write_transaction():
        for entry in LedgerEntry.select().order_by(LedgerEntry.id).limit(DELETED):
            ledger.reverse(entry, user_id="mgr")
    assert list(ledger.check()) == []
    live = ledger.live_entries().where(LedgerEntry.kind == "record")
    return live.count(), int(live.select(pw.fn.SUM(LedgerEntry.id)).scalar())


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_100k_transactions_stream_in_bounded_memory(api, client, big_ledger, fmt):
    expected_rows, expected_id_sum = big_ledger
    assert expected_rows == ROWS - DELETED
    data, _ = api.fields("reports", {"report": "transactions_all", "date_start": "2024-01-01", "date_end": "2024-12-31"})
    if fmt == "json":
        data["output"] = "json"
    size, rows, id_sum, peak = stream(client, data, fmt)
    assert (rows, id_sum) == (expected_rows, expected_id_sum)
    # The whole answer is tens of megabytes; while it streams, at most a page of rows and a chunk of
    # output are alive at once.
    assert size > 40_000_000
    assert peak < 8_000_000, f"peak {peak} bytes while streaming {size} bytes"
    assert peak * 10 < size
