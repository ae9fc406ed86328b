"""The redeemable codes over real HTTP: gunicorn with several workers on SQLite and PostgreSQL. Every code
endpoint once, and the race: 1,000 concurrent redeems of 100 codes (ten users at once per code) ->
exactly 100 succeed, each winner credited once, the ledger consistent."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gateway.domain import api_keys, db, programs
from gateway.domain.models import Code, LedgerEntry, Membership
from servers import check_ledger, fresh_database, running_server

THREADS = 16
VALUE = 25


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_codes_over_gunicorn_and_the_redeem_race(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        key = api_keys.create_key("shop", "live")
        with db.write_transaction():
            programs.activate(programs.create("shop", slug="race-day", name="Race day"))
        headers = {"X-API-Secret": key}
        local = {}

        def call(method: str, path: str, **kw) -> tuple[int, dict]:
            session = local.setdefault(threading.get_ident(), requests.Session())
            response = session.request(method, server.url + "v1" + path, headers=headers, timeout=60, **kw)
            assert response.headers["Content-Type"].startswith("application/json"), response.text
            return response.status_code, response.json()

        with running_server(url, workers=4) as server:
            status, doc = call("POST", "/campaigns/codes/generate",
                               json={"slug": "race-day", "batchSize": 100, "pointsValue": VALUE, "label": "race"})
            assert status == 200, doc
            codes, batch_id = doc["data"]["codes"], doc["data"]["batch"]["id"]
            assert len(set(codes)) == 100 and all(c.startswith("RACE-") for c in codes)
            status, doc = call("POST", "/campaigns/codes/verify", json={"code": codes[0]})
            assert (status, doc["data"]["message"]) == (200, "Code is valid and redeemable")

            # Ten different users per code, the ten tries of a code next to each other so they overlap.
            tries = [(f"user-{n}-{attempt}", code) for n, code in enumerate(codes) for attempt in range(10)]

            def redeem(attempt):
                user, code = attempt
                return call("POST", "/campaigns/race-day/redeem", json={"userId": user, "code": code})

            with ThreadPoolExecutor(THREADS) as pool:
                answers = list(pool.map(redeem, tries))
            won = [(user, doc) for (user, _), (status, doc) in zip(tries, answers) if status == 200]
            lost = [(status, doc) for status, doc in answers if status != 200]
            assert len(won) == 100, server.log()[-3000:]
            assert {(s, d["code"], d["message"]) for s, d in lost} == {(409, "code_redeemed", "Code status is REDEEMED")}
            winners = [user for user, _ in won]
            assert len(set(winners)) == 100 and {w.rsplit("-", 1)[0] for w in winners} == {f"user-{n}" for n in range(100)}
            assert all(doc["data"]["pointsEarned"] == VALUE == doc["data"]["totalPoints"] for _, doc in won)

            status, doc = call("GET", "/campaigns/codes/stats", params={"slug": "race-day"})
            assert (status, doc["data"]["redeemedCodes"], doc["data"]["activeCodes"]) == (200, 100, 0)
            status, doc = call("GET", "/campaigns/codes/batches", params={"slug": "race-day"})
            assert status == 200 and [b["id"] for b in doc["data"]["batches"]] == [batch_id]
            status, doc = call("POST", "/campaigns/codes/revoke", json={"batchId": batch_id})
            assert (status, doc["data"]) == (200, {"revoked": 0})
            status, doc = call("POST", "/campaigns/codes/verify", json={"code": codes[0]})
            assert (status, doc["data"]["status"]) == (200, "REDEEMED")

        # Each winner credited once, nobody else: one entry and one membership per winner.
        entries = list(LedgerEntry.select())
        assert len(entries) == 100 and all(e.amount == VALUE for e in entries)
        assert len({e.customer_id for e in entries}) == 100
        assert Membership.select().count() == 100
        assert sorted(m.balance for m in Membership.select()) == [VALUE] * 100
        assert Code.select().where(Code.status == "REDEEMED").count() == 100
        assert len({c.redeemed_by_id for c in Code.select()}) == 100
        result = check_ledger(url)
        assert result.returncode == 0 and "ledger consistent" in result.stdout, result.stdout + result.stderr


@pytest.mark.slow
def test_the_codes_benchmark_runs(tmp_path):
    """bench/codes.py on tiny sizes: it builds, checks every answer and check-ledger, and prints its table."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    result = subprocess.run([sys.executable, "bench/codes.py", "--small", "100", "--large", "1000", "--rounds", "2",
                             "--requests", "5"], cwd=root, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| verify: large / small |" in result.stdout and "check-ledger passed" in result.stdout
