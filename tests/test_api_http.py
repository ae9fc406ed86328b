"""The JSON API over real HTTP: gunicorn with several workers, on SQLite and PostgreSQL. Every endpoint
once, the races (200 concurrent events of one user, one reference sent 20 times at once), a revoke
seen by every worker, and a consistent ledger afterwards."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gateway.domain import api_keys
from gateway.domain.models import CampaignEvent, IdempotencyRecord, LedgerEntry, Membership
from servers import check_ledger, fresh_database, running_server

THREADS = 16


def fire(calls, headers) -> list[requests.Response]:
    local = {}

    def send(call):
        session = local.setdefault(threading.get_ident(), requests.Session())
        method, url, body = call
        return session.request(method, url, json=body, headers=headers, timeout=60)

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(send, calls))


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_endpoint_and_the_races_over_gunicorn(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        secret = {"X-API-Secret": api_keys.create_key("shop", "live")}
        public = {"X-API-Key": api_keys.create_key("shop", "live", "public")}
        with running_server(url, workers=4) as server:
            v1 = server.url + "v1"
            s = requests.Session()

            def ok(method, path, body=None, headers=secret, status=200):
                response = s.request(method, v1 + path, json=body, headers=headers, timeout=30)
                assert response.status_code == status, (response.status_code, response.text, server.log()[-2000:])
                assert response.headers["Content-Type"] == "application/json"
                doc = response.json()
                assert doc["status"] == "success", doc
                return doc["data"]

            made = ok("POST", "/campaigns", {"name": "Summer", "slug": "summer-promo",
                                             "rules": [{"eventType": "visit", "points": 10}]}, status=201)
            assert made["campaign"]["status"] == "draft"
            assert [c["slug"] for c in ok("GET", "/campaigns")["campaigns"]] == ["summer-promo"]
            assert ok("PATCH", "/campaigns/summer-promo", {"name": "Sun"})["campaign"]["name"] == "Sun"
            assert ok("POST", "/campaigns/summer-promo/activate")["campaign"]["status"] == "active"

            # 200 concurrent events of one user: no update lost.
            answers = fire([("POST", v1 + "/campaigns/summer-promo/events", {"userId": "u1", "eventType": "visit"})] * 200,
                           secret)
            assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200][:3]
            assert sorted(a.json()["data"]["totalPoints"] for a in answers) == list(range(10, 2001, 10))
            progress = ok("GET", "/campaigns/summer-promo/participants/u1", headers=public)
            assert (progress["totalPoints"], progress["eventsCount"], progress["rank"]) == (2000, 200, 1)

            # One reference sent 20 times at once: one entry, and every answer is the first one.
            body = {"userId": "u2", "eventType": "visit", "reference": "order-42"}
            answers = fire([("POST", v1 + "/campaigns/summer-promo/events", body)] * 20, secret)
            assert all(a.status_code == 200 for a in answers), [a.text for a in answers if a.status_code != 200][:3]
            assert {a.json()["data"]["totalPoints"] for a in answers} == {10}
            assert sum(a.headers.get("Idempotent-Replayed") == "true" for a in answers) == 19
            assert CampaignEvent.select().where(CampaignEvent.reference == "order-42").count() == 1
            assert IdempotencyRecord.select().count() == 1

            board = ok("GET", "/campaigns/summer-promo/leaderboard", headers=public)
            assert [(e["userId"], e["totalPoints"]) for e in board["entries"]] == [("u1", 2000), ("u2", 10)]
            assert ok("GET", "/campaigns/summer-promo")["campaign"]["name"] == "Sun"
            assert ok("POST", "/campaigns/summer-promo/pause")["campaign"]["status"] == "paused"
            refused = s.post(v1 + "/campaigns/summer-promo/events", json={"userId": "u1", "eventType": "visit"},
                             headers=secret, timeout=30)
            assert refused.status_code == 404 and refused.json()["message"] == "Campaign not found or not active"
            assert ok("POST", "/campaigns/summer-promo/end")["campaign"]["status"] == "ended"
            assert s.get(v1 + "/openapi.json", timeout=30).json()["openapi"].startswith("3.1")
            assert s.get(v1 + "/docs", timeout=30).status_code == 200

            # Bad input over the wire: a 4xx envelope, never a 500.
            bad = s.post(v1 + "/campaigns", data="{", headers={**secret, "Content-Type": "application/json"}, timeout=30)
            assert bad.status_code == 400 and bad.json()["code"] == "malformed_json"
            huge = s.post(v1 + "/campaigns", data=b"{" + b" " * (2 * 1024 * 1024) + b"}",
                          headers={**secret, "Content-Type": "application/json"}, timeout=30)
            assert huge.status_code == 413

            # A revoke applies from the next request, in every worker.
            api_keys.revoke_key(secret["X-API-Secret"])
            answers = fire([("GET", v1 + "/campaigns", None)] * 40, secret)
            assert {a.status_code for a in answers} == {403}

        assert Membership.select().where(Membership.balance == 2000).count() == 1
        assert LedgerEntry.select().count() == 201
        result = check_ledger(url)
        assert result.returncode == 0 and "ledger consistent" in result.stdout, result.stdout + result.stderr
