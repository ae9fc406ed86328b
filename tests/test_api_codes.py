"""Redeemable codes of the JSON API (E4 generate, E5 verify, E6 batches, E7 stats, E8 redeem, revoke)
through HTTP on SQLite and PostgreSQL: the code format, hashes only, the seven verify messages in the
reference's order, redeem's errors, expiry, revoking, live/test isolation on every endpoint, bad input,
and the bridge to the legacy API. Races and real HTTP: tests/test_api_codes_http.py."""
from __future__ import annotations

import datetime as dt
import json
import re

import pytest

from gateway.api.routes.codes import code_secret
from gateway.domain import api_keys, db, programs
from gateway.domain.codes import hash_code
from gateway.domain.models import Campaign, Code, CodeBatch, Customer, IdempotencyRecord, LedgerEntry, Membership

CODE = re.compile(r"[A-Z0-9]{4}-[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}")
NOT_FOUND_VERDICT = {"valid": False, "status": "", "pointsValue": 0, "campaignName": "", "campaignSlug": "",
                     "expired": False, "message": "Code not found"}


class Json:
    """A JSON API client with one key (secret keys go in X-API-Secret)."""

    def __init__(self, client, key: str):
        self.client, self.key = client, key

    def headers(self) -> dict:
        return {"X-API-Secret": self.key} if self.key.startswith("sk_") else {"X-API-Key": self.key}

    def post(self, path: str, body) -> tuple[int, dict]:
        response = self.client.post("/v1" + path, data=json.dumps(body), content_type="application/json",
                                    headers=self.headers())
        return response.status_code, response.get_json()

    def get(self, path: str, **query) -> tuple[int, dict]:
        response = self.client.get("/v1" + path, query_string=query, headers=self.headers())
        return response.status_code, response.get_json()

    def ok(self, method: str, path: str, body=None, **query) -> dict:
        status, doc = self.post(path, body) if method == "POST" else self.get(path, **query)
        assert status == 200 and doc["status"] == "success", (status, doc)
        return doc["data"]

    def err(self, method: str, path: str, body=None, **query) -> tuple[int, str, str]:
        status, doc = self.post(path, body) if method == "POST" else self.get(path, **query)
        assert doc["status"] == "error" and status >= 400, (status, doc)
        return status, doc["code"], doc["message"]

    # the endpoints
    def generate(self, slug="summer-promo", batch_size=5, points_value=500, **more) -> dict:
        return self.ok("POST", "/campaigns/codes/generate",
                       {"slug": slug, "batchSize": batch_size, "pointsValue": points_value, **more})

    def verify(self, code: str) -> dict:
        return self.ok("POST", "/campaigns/codes/verify", {"code": code})

    def redeem(self, code: str, user="alice", slug="summer-promo") -> dict:
        return self.ok("POST", f"/campaigns/{slug}/redeem", {"userId": user, "code": code})

    def redeem_err(self, code: str, user="alice", slug="summer-promo") -> tuple[int, str, str]:
        return self.err("POST", f"/campaigns/{slug}/redeem", {"userId": user, "code": code})

    def stats(self, slug="summer-promo") -> dict:
        return self.ok("GET", "/campaigns/codes/stats", slug=slug)

    def batches(self, slug="summer-promo", **query) -> dict:
        return self.ok("GET", "/campaigns/codes/batches", slug=slug, **query)

    def revoke(self, **body) -> dict:
        return self.ok("POST", "/campaigns/codes/revoke", body)


def make_campaign(tenant: str, slug: str = "summer-promo", state: str = "active", name: str = "Summer Promo 2025"):
    with db.write_transaction():
        campaign = programs.create(tenant, slug=slug, name=name)
        if state != "draft":
            programs.activate(campaign)
        if state == "paused":
            programs.pause(campaign)
        elif state == "ended":
            programs.end(campaign)
    return campaign


def set_campaign(slug: str, tenant: str = "shop", **fields) -> None:
    Campaign.update(**fields).where((Campaign.slug == slug) & (Campaign.account == tenant)).execute()


def past(**delta) -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None, microsecond=0) - dt.timedelta(**(delta or {"hours": 1}))


@pytest.fixture
def live(client):
    return Json(client, api_keys.create_key("shop", "live"))


@pytest.fixture
def test_env(client, live):
    return Json(client, api_keys.create_key("shop", "test"))


@pytest.fixture
def other(client):
    return Json(client, api_keys.create_key("other", "live"))


@pytest.fixture
def summer(live):
    return make_campaign("shop")


def counts() -> tuple[int, int, int, int]:
    return CodeBatch.select().count(), Code.select().count(), LedgerEntry.select().count(), Customer.select().count()


# --- E4 generate ----------------------------------------------------------------------------------------

def test_generate_answers_plaintext_once_and_stores_only_keyed_hashes(live, summer):
    data = live.generate(batch_size=100, points_value=500, label="In-store promo cards",
                         expiresAt="2099-12-31T23:59:59Z")
    codes = data["codes"]
    assert data["count"] == 100 == len(codes) == len(set(codes))
    assert all(CODE.fullmatch(c) and c.startswith("SUMM-") for c in codes)
    batch = data["batch"]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", batch["id"])
    assert batch | {"id": None, "createdAt": None} == {
        "id": None, "campaignId": summer.id, "batchSize": 100, "pointsValue": 500, "label": "In-store promo cards",
        "expiresAt": "2099-12-31T23:59:59Z", "createdAt": None}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", batch["createdAt"])
    assert data["gameUrl"] == "http://localhost/campaign/summer-promo"
    # Only 64-hex keyed hashes are stored, none of them a plain SHA-256 of a code, and no plaintext anywhere.
    import hashlib
    stored = [row.code_hash for row in Code.select()]
    assert len(stored) == 100 and all(re.fullmatch(r"[0-9a-f]{64}", h) for h in stored)
    assert not {hashlib.sha256(c.encode()).hexdigest() for c in codes} & set(stored)
    with live.client.application.app_context():
        secret = code_secret()
    assert {hash_code(secret, c) for c in codes} == set(stored)
    assert IdempotencyRecord.select().count() == 0
    # A second generation with an Idempotency-Key header stores no answer either (it would hold codes).
    response = live.client.post("/v1/campaigns/codes/generate", headers={**live.headers(), "Idempotency-Key": "k1"},
                                json={"slug": "summer-promo", "batchSize": 2, "pointsValue": 1})
    assert response.status_code == 200 and IdempotencyRecord.select().count() == 0


def test_generate_prefix_is_the_slug_first_four_characters(live):
    make_campaign("shop", slug="ab12-winter")
    assert all(c.startswith("AB12-") for c in live.generate(slug="ab12-winter", batch_size=3)["codes"])


def test_generate_expiry_is_kept_in_utc(live, summer):
    assert live.generate(expiresAt="2099-06-01T12:00:00+02:00")["batch"]["expiresAt"] == "2099-06-01T10:00:00Z"
    assert live.generate(expiresAt="2099-06-01T12:00:00.75")["batch"]["expiresAt"] == "2099-06-01T12:00:00Z"
    assert live.generate(expiresAt=None)["batch"]["expiresAt"] is None


def test_generate_bounds_and_states(live, summer):
    assert live.generate(batch_size=1)["count"] == 1
    assert live.generate(batch_size=10_000, points_value=1)["count"] == 10_000
    assert Code.select().count() == 10_001
    make_campaign("shop", slug="draft-one", state="draft")
    make_campaign("shop", slug="paused-one", state="paused")
    assert live.generate(slug="draft-one")["count"] == 5  # codes may be prepared before the launch
    assert live.generate(slug="paused-one")["count"] == 5
    make_campaign("shop", slug="ended-one", state="ended")
    assert live.err("POST", "/campaigns/codes/generate", {"slug": "ended-one", "batchSize": 1, "pointsValue": 1}) == (
        409, "campaign_ended", "Campaign has ended")
    assert live.err("POST", "/campaigns/codes/generate", {"slug": "nope-nope", "batchSize": 1, "pointsValue": 1}) == (
        404, "campaign_not_found", "Campaign not found")


@pytest.mark.parametrize("body, field", [
    ({"batchSize": 0}, "batchSize"),
    ({"batchSize": 10_001}, "batchSize"),
    ({"batchSize": "5"}, "batchSize"),
    ({"batchSize": 5.5}, "batchSize"),
    ({"batchSize": None}, "batchSize"),
    ({"pointsValue": 0}, "pointsValue"),
    ({"pointsValue": -5}, "pointsValue"),
    ({"pointsValue": 10**12}, "pointsValue"),
    ({"pointsValue": True}, "pointsValue"),
    ({"slug": ""}, "slug"),
    ({"slug": 7}, "slug"),
    ({"label": "x" * 256}, "label"),
    ({"expiresAt": "next tuesday"}, "expiresAt"),
    ({"expiresAt": "2001-01-01T00:00:00Z"}, "expiresAt"),
    ({"colour": "red"}, "colour"),
    ({"expiresAt": "0001-01-01T00:00:00+01:00"}, "expiresAt"),
    ({"expiresAt": "9999-12-31T23:59:59-01:00"}, "expiresAt"),
])
def test_generate_bad_input_names_the_field_and_writes_nothing(live, summer, body, field):
    status, code, message = live.err("POST", "/campaigns/codes/generate",
                                     {"slug": "summer-promo", "batchSize": 5, "pointsValue": 10, **body})
    assert status == 400 and code == "validation_error" and field in message
    assert counts()[:2] == (0, 0)


def test_generate_missing_fields(live, summer):
    status, code, message = live.err("POST", "/campaigns/codes/generate", {"slug": "summer-promo"})
    assert (status, code) == (400, "validation_error") and "batchSize" in message and "pointsValue" in message
    response = live.client.post("/v1/campaigns/codes/generate", data="{not json", content_type="application/json",
                                headers=live.headers())
    assert response.status_code == 400 and response.get_json()["status"] == "error"
    assert counts()[:2] == (0, 0)


# --- E5 verify ------------------------------------------------------------------------------------------

def test_verify_valid_and_not_found(live, summer):
    code = live.generate(batch_size=1)["codes"][0]
    assert live.verify(code) == {"valid": True, "status": "ACTIVE", "pointsValue": 500,
                                 "campaignName": "Summer Promo 2025", "campaignSlug": "summer-promo",
                                 "expired": False, "message": "Code is valid and redeemable"}
    assert live.verify(f"  {code.lower()} ")["valid"] is True  # what a person types
    assert live.verify("SUMM-AAAAAAAA") == NOT_FOUND_VERDICT
    assert live.verify("not a code at all") == NOT_FOUND_VERDICT
    assert live.verify(code[:-1] + ("A" if code[-1] != "A" else "B")) == NOT_FOUND_VERDICT
    status, code_, message = live.err("POST", "/campaigns/codes/verify", {})
    assert (status, code_) == (400, "validation_error") and "code" in message
    assert live.err("POST", "/campaigns/codes/verify", {"code": 12345})[0] == 400


def test_verify_each_message_in_the_reference_order(live, summer):
    codes = live.generate(batch_size=6)["codes"]
    live.redeem(codes[0])
    live.revoke(code=codes[1])
    expired = live.generate(batch_size=2)
    CodeBatch.update(expires_at=past()).where(CodeBatch.id == expired["batch"]["id"]).execute()

    def said(code):
        answer = live.verify(code)
        return answer["status"], answer["valid"], answer["message"], answer["expired"]

    assert said(codes[0]) == ("REDEEMED", False, "Code status is REDEEMED", False)
    assert said(codes[1]) == ("REVOKED", False, "Code status is REVOKED", False)
    assert said(expired["codes"][0]) == ("EXPIRED", False, "Code status is EXPIRED", False)
    assert said(codes[2]) == ("ACTIVE", True, "Code is valid and redeemable", False)

    # The campaign's state comes after the code's status.
    set_campaign("summer-promo", status="paused", active=False)
    assert said(codes[2]) == ("ACTIVE", False, "Campaign is not active", False)
    assert said(codes[0]) == ("REDEEMED", False, "Code status is REDEEMED", False)
    assert said(expired["codes"][0]) == ("EXPIRED", False, "Code status is EXPIRED", False)
    set_campaign("summer-promo", status="draft", active=False)
    assert said(codes[2])[2] == "Campaign is not active"
    set_campaign("summer-promo", status="active", active=True, starts_at=past(hours=-1))
    assert said(codes[2])[2] == "Campaign is not active"  # not started yet
    # Its end date passed while it ran: "Campaign has ended"; ended by hand: "not active"; both "expired".
    set_campaign("summer-promo", status="active", active=True, starts_at=None, ends_at=past())
    assert said(codes[2]) == ("ACTIVE", False, "Campaign has ended", True)
    assert said(codes[1]) == ("REVOKED", False, "Code status is REVOKED", True)
    set_campaign("summer-promo", status="ended", active=False, ends_at=None)
    assert said(codes[2]) == ("ACTIVE", False, "Campaign is not active", True)


# --- E8 redeem ------------------------------------------------------------------------------------------

def test_redeem_credits_the_participant_once(live, summer):
    codes = live.generate(batch_size=3, points_value=250)
    first = live.redeem(codes["codes"][0], user="alice")
    assert first == {"userId": "alice", "pointsEarned": 250, "totalPoints": 250, "batchId": codes["batch"]["id"],
                     "message": "Code redeemed successfully"}
    assert live.redeem(codes["codes"][1].lower(), user="alice")["totalPoints"] == 500
    assert live.redeem_err(codes["codes"][0], user="bob") == (409, "code_redeemed", "Code status is REDEEMED")
    assert live.redeem_err(codes["codes"][0], user="alice") == (409, "code_redeemed", "Code status is REDEEMED")
    alice = Customer.get(account="shop", code="alice")
    assert Membership.get(customer=alice, campaign=summer.id).balance == 500
    assert [e.amount for e in LedgerEntry.select().order_by(LedgerEntry.id)] == [250, 250]
    assert not Customer.select().where(Customer.code == "bob").exists()  # a refused redeem creates no one
    # The redeemed code knows who took it.
    assert Code.select().where(Code.status == "REDEEMED").count() == 2
    assert {c.redeemed_by_id for c in Code.select().where(Code.status == "REDEEMED")} == {alice.id}
    # The points show as the participant's progress (E2).
    assert live.ok("GET", "/campaigns/summer-promo/participants/alice")["totalPoints"] == 500


def test_redeem_with_an_idempotency_key_replays_the_first_success(live, summer):
    code = live.generate(batch_size=1, points_value=70)["codes"][0]
    headers = {**live.headers(), "Idempotency-Key": "till-7-0001"}
    answers = [live.client.post("/v1/campaigns/summer-promo/redeem", json={"userId": "alice", "code": code},
                                headers=headers) for _ in range(2)]
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].get_json() == answers[1].get_json() and answers[1].headers["Idempotent-Replayed"] == "true"
    assert LedgerEntry.select().count() == 1
    assert live.redeem_err(code) == (409, "code_redeemed", "Code status is REDEEMED")


def test_a_configured_secret_is_the_key(app, client):
    app.config["CODE_SECRET"] = "s" * 40
    live = Json(client, api_keys.create_key("shop", "live"))
    make_campaign("shop")
    code = live.generate(batch_size=1)["codes"][0]
    assert Code.get().code_hash == hash_code(b"s" * 40, code)
    assert live.verify(code)["valid"] is True
    app.config["CODE_SECRET"] = "t" * 40  # another secret: no outstanding code is found any more
    assert live.verify(code)["message"] == "Code not found"


def test_redeem_errors(live, summer):
    codes = live.generate(batch_size=6)["codes"]
    make_campaign("shop", slug="winter-fest", name="Winter")
    winter = live.generate(slug="winter-fest", batch_size=1)["codes"][0]
    before = counts()
    assert live.redeem_err("SUMM-AAAAAAAA") == (404, "code_not_found", "Code not found")
    assert live.redeem_err(winter) == (404, "code_not_found", "Code not found")  # another campaign's code
    assert live.redeem_err(codes[0], slug="nope-nope") == (404, "campaign_not_found", "Campaign not found")
    live.revoke(code=codes[1])
    assert live.redeem_err(codes[1]) == (409, "code_revoked", "Code status is REVOKED")
    expiring = live.generate(batch_size=1)
    CodeBatch.update(expires_at=past()).where(CodeBatch.id == expiring["batch"]["id"]).execute()
    assert live.redeem_err(expiring["codes"][0]) == (409, "code_expired", "Code status is EXPIRED")
    set_campaign("summer-promo", status="paused", active=False)
    assert live.redeem_err(codes[2]) == (409, "campaign_not_active", "Campaign is not active")
    set_campaign("summer-promo", status="active", active=True, ends_at=past())
    assert live.redeem_err(codes[2]) == (409, "campaign_ended", "Campaign has ended")
    for body, field in (({"code": codes[3]}, "userId"), ({"userId": "alice"}, "code"),
                        ({"userId": "", "code": codes[3]}, "userId"), ({"userId": 5, "code": codes[3]}, "userId"),
                        ({"userId": "x" * 129, "code": codes[3]}, "userId"),
                        ({"userId": "a", "code": codes[3], "extra": 1}, "extra")):
        status, code, message = live.err("POST", "/campaigns/summer-promo/redeem", body)
        assert (status, code) == (400, "validation_error") and field in message
    batches_and_codes = (CodeBatch.select().count(), Code.select().count())
    assert (batches_and_codes, counts()[2:]) == ((before[0] + 1, before[1] + 1), before[2:])
    assert Code.select().where(Code.status == "REDEEMED").count() == 0


def test_redeem_adds_to_points_earned_by_events(live, summer):
    set_campaign("summer-promo", rules=json.dumps([{"event_type": "purchase", "points": 100}]))
    assert live.ok("POST", "/campaigns/summer-promo/events", {"userId": "alice", "eventType": "purchase"})[
        "totalPoints"] == 100
    code = live.generate(batch_size=1, points_value=40)["codes"][0]
    assert live.redeem(code)["totalPoints"] == 140


# --- E6 batches, E7 stats -------------------------------------------------------------------------------

def test_batches_newest_first_with_pages(live, summer):
    ids = [live.generate(batch_size=1, label=f"b{n}")["batch"]["id"] for n in range(5)]
    page = live.batches()
    assert [b["id"] for b in page["batches"]] == ids[::-1]
    assert (page["total"], page["page"], page["limit"]) == (5, 1, 20)
    assert page["batches"][0]["label"] == "b4" and page["batches"][0]["expiresAt"] is None
    assert "codes" not in page["batches"][0]
    second = live.batches(page=2, limit=2)
    assert [b["id"] for b in second["batches"]] == ids[::-1][2:4] and (second["page"], second["limit"]) == (2, 2)
    assert live.batches(page=4, limit=2)["batches"] == []
    assert live.batches(limit=500)["limit"] == 100  # clamped
    make_campaign("shop", slug="empty-one")
    assert live.batches(slug="empty-one") == {"batches": [], "total": 0, "page": 1, "limit": 20}
    assert live.err("GET", "/campaigns/codes/batches", slug="nope-nope") == (404, "campaign_not_found",
                                                                           "Campaign not found")
    for query, field in (({"page": "0"}, "page"), ({"limit": "0"}, "limit"), ({"page": "x"}, "page"),
                         ({"limit": "1.5"}, "limit"), ({"nope": "1"}, "nope")):
        status, code, message = live.err("GET", "/campaigns/codes/batches", slug="summer-promo", **query)
        assert (status, code) == (400, "validation_error") and field in message
    status, code, message = live.err("GET", "/campaigns/codes/batches")
    assert status == 400 and "slug" in message


def test_stats_count_every_status(live, summer):
    assert live.stats() == {"totalCodes": 0, "activeCodes": 0, "redeemedCodes": 0, "expiredCodes": 0,
                            "revokedCodes": 0, "totalBatches": 0}
    a = live.generate(batch_size=10)
    b = live.generate(batch_size=4)
    live.redeem(a["codes"][0], user="u1")
    live.redeem(a["codes"][1], user="u2")
    live.revoke(code=a["codes"][2])
    live.redeem(b["codes"][0], user="u3")
    CodeBatch.update(expires_at=past()).where(CodeBatch.id == b["batch"]["id"]).execute()
    assert live.stats() == {"totalCodes": 14, "activeCodes": 7, "redeemedCodes": 3, "expiredCodes": 3,
                            "revokedCodes": 1, "totalBatches": 2}
    assert live.err("GET", "/campaigns/codes/stats", slug="nope-nope")[:2] == (404, "campaign_not_found")
    assert live.err("GET", "/campaigns/codes/stats")[0] == 400


# --- revoke ---------------------------------------------------------------------------------------------

def test_revoke_a_code_or_a_batch(live, summer):
    first = live.generate(batch_size=5)
    second = live.generate(batch_size=3)
    live.redeem(first["codes"][0])
    assert live.revoke(code=first["codes"][1]) == {"revoked": 1}
    assert live.revoke(code=first["codes"][1].lower()) == {"revoked": 0}  # already revoked
    assert live.revoke(code=first["codes"][0]) == {"revoked": 0}  # redeemed stays redeemed
    assert live.verify(first["codes"][0])["status"] == "REDEEMED"
    assert live.revoke(batchId=first["batch"]["id"]) == {"revoked": 3}
    assert live.revoke(batchId=first["batch"]["id"]) == {"revoked": 0}
    assert live.stats()["revokedCodes"] == 4 and live.stats()["activeCodes"] == 3
    CodeBatch.update(expires_at=past()).where(CodeBatch.id == second["batch"]["id"]).execute()
    assert live.revoke(batchId=second["batch"]["id"]) == {"revoked": 3}  # expired codes too
    assert live.stats() | {"totalBatches": None} == {"totalCodes": 8, "activeCodes": 0, "redeemedCodes": 1,
                                                     "expiredCodes": 0, "revokedCodes": 7, "totalBatches": None}
    assert live.err("POST", "/campaigns/codes/revoke", {"code": "SUMM-AAAAAAAA"}) == (404, "code_not_found",
                                                                                    "Code not found")
    assert live.err("POST", "/campaigns/codes/revoke", {"batchId": "0e2b8c1c-0000-4000-8000-000000000000"}) == (
        404, "batch_not_found", "Batch not found")
    for body in ({}, {"code": first["codes"][2], "batchId": first["batch"]["id"]}, {"code": ""}, {"batchId": 5}):
        status, code, message = live.err("POST", "/campaigns/codes/revoke", body)
        assert (status, code) == (400, "validation_error")
    assert "code" in live.err("POST", "/campaigns/codes/revoke", {})[2]


def test_nul_characters_are_refused_not_fatal(live, summer):
    code = live.generate(batch_size=1)["codes"][0]
    for method, path, body, query, field in (
            ("POST", "/campaigns/codes/revoke", {"batchId": "ab\x00c"}, {}, "batchId"),
            ("POST", "/campaigns/codes/revoke", {"code": "SUMM-\x00"}, {}, "code"),
            ("POST", "/campaigns/summer-promo/redeem", {"userId": "a\x00b", "code": code}, {}, "userId"),
            ("POST", "/campaigns/codes/generate", {"slug": "summer-promo", "batchSize": 1, "pointsValue": 1,
                                                   "label": "a\x00"}, {}, "label"),
            ("POST", "/campaigns/codes/generate", {"slug": "s\x00", "batchSize": 1, "pointsValue": 1}, {}, "slug"),
            ("POST", "/campaigns/codes/verify", {"code": "\x00"}, {}, "code"),
            ("GET", "/campaigns/codes/stats", None, {"slug": "ab\x00c"}, "slug"),
            ("GET", "/campaigns/codes/batches", None, {"slug": "ab\x00c"}, "slug")):
        status, error, message = live.err(method, path, body, **query)
        assert (status, error) == (400, "validation_error") and field in message
    assert live.redeem_err(code, slug="summer\x00promo")[:2] == (400, "validation_error")  # refused at the door
    assert live.verify(code)["status"] == "ACTIVE" and LedgerEntry.select().count() == 0


# --- live and test, accounts ----------------------------------------------------------------------------

def test_live_and_test_environments_never_see_each_other(live, test_env, other, summer):
    made = live.generate(batch_size=3, points_value=10)
    code, batch_id = made["codes"][0], made["batch"]["id"]
    for env in (test_env, other):
        # No campaign there: generate, batches, stats, redeem say so.
        assert env.err("POST", "/campaigns/codes/generate", {"slug": "summer-promo", "batchSize": 1,
                                                            "pointsValue": 1})[:2] == (404, "campaign_not_found")
        assert env.err("GET", "/campaigns/codes/batches", slug="summer-promo")[:2] == (404, "campaign_not_found")
        assert env.err("GET", "/campaigns/codes/stats", slug="summer-promo")[:2] == (404, "campaign_not_found")
        assert env.redeem_err(code)[:2] == (404, "campaign_not_found")
        assert env.verify(code) == NOT_FOUND_VERDICT
        assert env.err("POST", "/campaigns/codes/revoke", {"code": code})[:2] == (404, "code_not_found")
        assert env.err("POST", "/campaigns/codes/revoke", {"batchId": batch_id})[:2] == (404, "batch_not_found")
    # The same slug in the test environment is another campaign: its codes and the live ones stay apart.
    make_campaign("shop~test")
    test_made = test_env.generate(batch_size=2, points_value=7)
    assert test_env.redeem_err(code) == (404, "code_not_found", "Code not found")
    assert live.redeem_err(test_made["codes"][0]) == (404, "code_not_found", "Code not found")
    assert live.verify(test_made["codes"][0]) == NOT_FOUND_VERDICT
    assert test_env.verify(test_made["codes"][0])["valid"] is True
    assert [b["id"] for b in test_env.batches()["batches"]] == [test_made["batch"]["id"]]
    assert [b["id"] for b in live.batches()["batches"]] == [batch_id]
    assert test_env.stats()["totalCodes"] == 2 and live.stats()["totalCodes"] == 3
    assert live.err("POST", "/campaigns/codes/revoke", {"batchId": test_made["batch"]["id"]})[0] == 404
    assert test_env.redeem(test_made["codes"][0], user="alice")["totalPoints"] == 7
    assert live.redeem(code, user="alice")["totalPoints"] == 10
    assert test_env.stats()["redeemedCodes"] == 1 and live.stats()["redeemedCodes"] == 1
    assert live.verify(code)["status"] == "REDEEMED" and test_env.verify(test_made["codes"][1])["status"] == "ACTIVE"


def test_public_keys_may_not_use_codes(live, client, summer):
    public = Json(client, api_keys.create_key("shop", "live", "public"))
    assert public.err("POST", "/campaigns/codes/verify", {"code": "SUMM-AAAAAAAA"})[0] == 403
    assert public.err("GET", "/campaigns/codes/stats", slug="summer-promo")[0] == 403
    assert Json(client, "sk_live_nope").err("POST", "/campaigns/codes/verify", {"code": "x"})[0] == 401


# --- the bridge to the legacy API -----------------------------------------------------------------------

def test_legacy_then_json_then_legacy(api, live, summer):
    Customer.create(account="shop", code="alice")
    legacy = api.ok("record_activity", campaign_id=summer.id, code="alice", amount="2", authorization="till")
    earned = int(legacy["receipt"]["balance"])
    assert earned > 0
    assert live.ok("GET", "/campaigns/summer-promo/participants/alice")["totalPoints"] == earned
    code = live.generate(batch_size=1, points_value=300)["codes"][0]
    assert live.redeem(code, user="alice")["totalPoints"] == earned + 300
    customer = api.ok("customer_balance", campaign_id=summer.id, code="alice")["campaign"]["customer"]
    assert customer["balance"] == str(earned + 300)
    assert [t["amount"] for t in customer["transactions"]] == ["300", str(earned)]  # newest first


def test_json_then_legacy(api, live, summer):
    code = live.generate(batch_size=1, points_value=300)["codes"][0]
    assert live.redeem(code, user="bob")["totalPoints"] == 300  # bob joins through the redeem
    receipt = api.ok("record_activity", campaign_id=summer.id, code="bob", amount="1")["receipt"]
    assert int(receipt["balance"]) > 300
    customer = api.ok("customer_balance", campaign_id=summer.id, code="bob")["campaign"]["customer"]
    assert customer["balance"] == receipt["balance"]
    assert [t["amount"] for t in customer["transactions"]][1] == "300"
    assert live.ok("GET", "/campaigns/summer-promo/participants/bob")["totalPoints"] == int(receipt["balance"])
    # A legacy redeem spends code points like any others.
    api.ok("redeem", campaign_id=summer.id, code="bob", custom_points_redeem="300")
    assert live.ok("GET", "/campaigns/summer-promo/participants/bob")["totalPoints"] == int(receipt["balance"]) - 300


def test_legacy_deletes_carry_codes_along(api, live, summer):
    codes = live.generate(batch_size=2)["codes"]
    live.redeem(codes[0], user="alice")
    api.ok("customer_delete", code="alice")
    assert live.verify(codes[0])["status"] == "REDEEMED"  # the code stays used; who used it is forgotten
    assert Code.select().where(Code.redeemed_by.is_null(False)).count() == 0
    assert live.stats()["redeemedCodes"] == 1
    api.ok("campaign_delete", action="campaign", campaign_id=summer.id)
    assert live.verify(codes[1]) == NOT_FOUND_VERDICT
    assert (CodeBatch.select().count(), Code.select().count()) == (0, 0)
