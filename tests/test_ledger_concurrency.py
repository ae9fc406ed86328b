"""Concurrent records and redeems against one customer through gunicorn with several workers, on
SQLite and PostgreSQL: no lost update, no negative balance, exactly as many redeems as the balance
allows, and a consistent ledger afterwards."""
from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gateway.domain.campaigns import create_campaign
from gateway.domain.models import Customer, LedgerEntry, Membership
from servers import check_ledger, form, fresh_database, running_server

THREADS = 16


def fire(server, requests_: list[tuple[str, dict]]) -> list[dict]:
    """Send ``(type, fields)`` requests from THREADS clients at once; every answer must be a 200."""
    local = {}

    def send(request):
        session = local.setdefault(threading.get_ident(), requests.Session())
        type_, fields = request
        response = session.post(server.url, data=form(type_, **fields), timeout=30)
        assert response.status_code == 200, (response.status_code, response.text, server.log()[-2000:])
        return response.json()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(send, requests_))


def stored() -> int:
    return Membership.select(Membership.balance).scalar()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_records_and_redeems(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        Customer.create(account="shop", code="C1")
        cid = create_campaign("shop", type="points", name="P").id
        earn = ("record_activity", {"campaign_id": cid, "code": "C1", "amount": "1"})  # 100 points

        def spend(points: int):
            return ("redeem", {"campaign_id": cid, "code": "C1", "custom_points_redeem": points})

        with running_server(url, workers=4) as server:
            # No update lost: 60 credits of 100 from many connections at once.
            answers = fire(server, [earn] * 60)
            assert all(a["status"] == "success" for a in answers)
            assert stored() == 6_000 and LedgerEntry.select().count() == 60

            # Exactly as many redeems succeed as the balance allows: 6,000 / 400 = 15 of 30.
            answers = fire(server, [spend(400)] * 30)
            ok = [a for a in answers if a["status"] == "success"]
            refused = [a for a in answers if a["status"] == "error"]
            assert len(ok) == 15 and len(refused) == 15
            assert all(a["error"].startswith("Insufficient balance") for a in refused)
            assert stored() == 0
            assert sorted(int(a["receipt"]["balance"]) for a in ok) == list(range(0, 6_000, 400))

            # Mixed: credits and debits race; every answer's balance is >= 0 and the sums agree.
            mixed = [earn] * 30 + [spend(150)] * 30
            random.Random(7).shuffle(mixed)
            answers = fire(server, mixed)
        ok_earn = sum(1 for (t, _), a in zip(mixed, answers) if t == "record_activity" and a["status"] == "success")
        ok_spend = sum(1 for (t, _), a in zip(mixed, answers) if t == "redeem" and a["status"] == "success")
        assert ok_earn == 30 and ok_spend <= 20
        assert all(int(a["receipt"]["balance"]) >= 0 for a in answers if a["status"] == "success")
        assert stored() == 100 * ok_earn - 150 * ok_spend >= 0
        assert LedgerEntry.select().count() == 60 + 15 + ok_earn + ok_spend

        result = check_ledger(url)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "ledger consistent" in result.stdout
