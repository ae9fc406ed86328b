"""Bad input at the JSON API: malformed JSON, wrong content type, huge bodies, wrong types, unknown
fields. Always a 4xx error envelope naming the problem, never a 500, and nothing written."""
from __future__ import annotations

import json
import re

import pytest

from api_support import JsonApi, campaign, keys, live, test_env  # noqa: F401
from gateway.domain.models import Campaign, CampaignEvent, Customer, IdempotencyRecord, LedgerEntry

EVENTS = "/campaigns/summer-promo/events"


def written() -> tuple:
    return (Campaign.select().count(), Customer.select().count(), LedgerEntry.select().count(),
            CampaignEvent.select().count(), IdempotencyRecord.select().count())


@pytest.mark.parametrize("raw, content_type, status, code", [
    ("{bad", "application/json", 400, "malformed_json"),
    ('{"userId": "u1", "eventType": "visit"', "application/json", 400, "malformed_json"),
    ('{"userId": "u1", "eventType": "visit", "metadata": {"amount": NaN}}', "application/json", 400, "malformed_json"),
    (b'{"userId": "\xff"}', "application/json", 400, "malformed_json"),
    ("", "application/json", 400, "malformed_json"),
    ('["userId"]', "application/json", 400, "invalid_request_body"),
    ('"text"', "application/json", 400, "invalid_request_body"),
    ("null", "application/json", 400, "invalid_request_body"),
    ("userId=u1&eventType=visit", "application/x-www-form-urlencoded", 400, "invalid_content_type"),
    ('{"userId": "u1", "eventType": "visit"}', "text/plain", 400, "invalid_content_type"),
    ("[" * 100000 + "]" * 100000, "application/json", 400, "malformed_json"),
])
def test_unreadable_bodies(live, campaign, raw, content_type, status, code):
    before = written()
    doc = live.err("POST", EVENTS, raw=raw, content_type=content_type, status=status)
    assert doc["code"] == code and doc["message"]
    assert written() == before


def test_a_huge_body_is_refused_before_it_is_read(live, campaign, app):
    before = written()
    big = json.dumps({"userId": "u1", "eventType": "visit", "metadata": {"x": "a" * (2 * 1024 * 1024)}})
    doc = live.err("POST", EVENTS, raw=big, status=413)
    assert doc == {"status": "error", "code": "body_too_large", "message": "Request body is too large"}
    assert written() == before


@pytest.mark.parametrize("body, field", [
    ({"userId": 5, "eventType": "visit"}, "userId"),
    ({"userId": "u1", "eventType": ["visit"]}, "eventType"),
    ({"userId": "u1", "eventType": "visit", "metadata": "amount=5"}, "metadata"),
    ({"userId": "u1", "eventType": "visit", "metadata": [1]}, "metadata"),
    ({"userId": "u1", "eventType": "visit", "displayName": 7}, "displayName"),
    ({"userId": "u1", "eventType": "visit", "reference": 12}, "reference"),
    ({"userId": "u1", "eventType": "visit", "reference": "r" * 129}, "reference"),
    ({"userId": "", "eventType": "visit"}, "userId"),
    ({"userId": "u" * 129, "eventType": "visit"}, "userId"),
    ({"eventType": "visit"}, "userId"),
    ({"userId": "u1"}, "eventType"),
    ({"userId": "u1", "eventType": "visit", "points": 1000}, "points"),
    ({"userId": "u1", "eventType": "visit", "UserId": "u2"}, "UserId"),
    ({"userId": None, "eventType": "visit"}, "userId"),
])
def test_wrong_types_and_unknown_fields_name_the_field(live, campaign, body, field):
    before = written()
    doc = live.err("POST", EVENTS, body, status=400)
    assert doc["code"] == "validation_error" and f"{field}:" in doc["message"] and field in doc["fields"]
    assert written() == before


@pytest.mark.parametrize("body, field", [
    ({"name": 5, "slug": "summer"}, "name"),
    ({"name": "S", "slug": "summer", "startsAt": "tomorrow"}, "startsAt"),
    ({"name": "S", "slug": "summer", "endsAt": 1700000000}, "endsAt"),
    ({"name": "S", "slug": "summer", "rules": {"eventType": "a"}}, "rules"),
    ({"name": "S", "slug": "summer", "status": "active"}, "status"),
    ({"slug": "summer"}, "name"),
    ({"name": "S"}, "slug"),
])
def test_campaign_bodies(live, body, field):
    before = written()
    doc = live.err("POST", "/campaigns", body, status=400)
    assert f"{field}:" in doc["message"], doc
    assert written() == before


def test_routes_without_a_body_ignore_one_and_unknown_paths_answer_json(live, campaign, client):
    assert live.post("/campaigns/summer-promo/pause", raw="garbage", content_type="text/plain")["campaign"]["status"] == \
        "paused"
    assert live.err("GET", "/nothing/here", status=404)["code"] == "not_found"
    assert live.err("DELETE", "/campaigns/summer-promo", status=405)["code"] == "method_not_allowed"
    # The legacy door keeps its own answers.
    assert client.get("/nothing").status_code == 404 and client.get("/nothing").content_type.startswith("text/html")


def test_a_query_with_unknown_parameters(live, campaign):
    assert "sort" in live.err("GET", "/campaigns/summer-promo/leaderboard", query={"sort": "x"}, status=400)["message"]


def _routes():
    from gateway.api import blueprint
    from gateway.api.registry import registry

    blueprint()  # every route module loaded
    return sorted(registry.routes.values(), key=lambda r: (r.path, r.method))


NUL_CASES = [(r, where) for r in _routes() for where in ("path", "query", "body")
             if (where != "path" or "{" in r.path) and (where != "body" or r.body is not None)]


@pytest.mark.parametrize("route, where", NUL_CASES, ids=[f"{r.method} {r.path} {w}" for r, w in NUL_CASES])
def test_a_nul_character_anywhere_is_refused_and_writes_nothing(live, campaign, route, where):
    # PostgreSQL stores no NUL: every route refuses it at the door, wherever it comes, on both databases.
    before = written()
    path = re.sub(r"\{(\w+)\}", lambda m: "summer%00promo" if where == "path" else "summer-promo", route.path)
    query = {"slug": "summer\x00promo"} if where == "query" else None
    body = {"userId\x00": "u\x00"} if where == "body" else ({} if route.body is not None else None)
    doc = live.err(route.method, path, body, query=query, status=400)
    assert "NUL" in doc["message"]
    assert written() == before
