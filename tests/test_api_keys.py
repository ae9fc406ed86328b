"""JSON API keys and environments: the CLI, the authentication errors, revokes, and live and test
data fully apart for every endpoint."""
from __future__ import annotations

import hashlib

import pytest

from api_support import JsonApi, campaign, keys, live, open_campaign, test_env  # noqa: F401
from gateway.domain.models import Account, ApiKey, Campaign, CampaignEvent, LedgerEntry


def test_create_api_key_prints_a_key_stored_only_as_its_hash(runner):
    out = runner.invoke(args=["create-api-key", "shop", "--env", "live"])
    assert out.exit_code == 0, out.output
    key = out.output.strip()
    assert key.startswith("sk_live_") and len(key) > 30
    row = ApiKey.get()
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest() and key not in str(row.__data__)
    assert (row.account_id, row.environment, row.kind, row.revoked_at) == ("shop", "live", "secret", None)
    public = runner.invoke(args=["create-api-key", "shop", "--env", "test", "--public"]).output.strip()
    assert public.startswith("pk_test_")
    assert Account.get_by_id("shop~test").name == Account.get_by_id("shop").name
    bad = runner.invoke(args=["create-api-key", "nobody", "--env", "live"])
    assert bad.exit_code == 1 and "account nobody does not exist" in bad.output
    assert runner.invoke(args=["create-api-key", "shop", "--env", "prod"]).exit_code == 2
    assert ApiKey.select().count() == 2


def test_a_revoked_key_is_refused_from_the_next_request(runner, client):
    key = runner.invoke(args=["create-api-key", "shop", "--env", "live"]).output.strip()
    api = JsonApi(client, key)
    assert api.get("/campaigns") == {"campaigns": []}
    out = runner.invoke(args=["revoke-api-key", key])
    assert out.exit_code == 0 and "revoked" in out.output and key not in out.output
    doc = api.err("GET", "/campaigns", status=403)
    assert doc == {"status": "error", "code": "api_key_revoked", "message": "API key has been revoked"}
    assert runner.invoke(args=["revoke-api-key", "sk_live_nothing"]).exit_code == 1


@pytest.mark.parametrize("headers, status, code", [
    ({}, 401, "missing_api_key"),
    ({"X-API-Secret": ""}, 401, "missing_api_key"),
    ({"X-API-Secret": "sk_live_wrong"}, 401, "invalid_api_key"),
    ({"X-API-Secret": "manager-key-0001"}, 401, "invalid_api_key"),
    ({"X-API-Secret": "sk_live_" + "x" * 500}, 401, "invalid_api_key"),
    ({"X-API-Key": "pk_live_wrong"}, 401, "invalid_api_key"),
])
def test_authentication_errors(client, keys, headers, status, code):
    response = client.get("/v1/campaigns", headers=headers)
    doc = response.get_json()
    assert response.status_code == status and doc["status"] == "error" and doc["code"] == code
    assert doc["message"] in ("Missing X-API-Key / X-API-Secret header", "Invalid API key")


def test_a_key_in_the_wrong_header_is_invalid(client, keys):
    # A secret key sent as X-API-Key, or a public key as X-API-Secret: refused, never downgraded.
    assert client.get("/v1/campaigns", headers={"X-API-Key": keys[("live", "secret")]}).status_code == 401
    assert client.get("/v1/campaigns", headers={"X-API-Secret": keys[("live", "public")]}).status_code == 401


def _paths(slug="summer-promo"):
    return [("GET", f"/campaigns/{slug}", None), ("PATCH", f"/campaigns/{slug}", {"name": "X"}),
            ("POST", f"/campaigns/{slug}/activate", None), ("POST", f"/campaigns/{slug}/pause", None),
            ("POST", f"/campaigns/{slug}/end", None),
            ("POST", f"/campaigns/{slug}/events", {"userId": "u1", "eventType": "visit"}),
            ("GET", f"/campaigns/{slug}/participants/u1", None), ("GET", f"/campaigns/{slug}/leaderboard", None)]


@pytest.mark.parametrize("owner", ["live", "test"])
def test_live_and_test_never_see_each_other(client, keys, owner):
    apis = {"live": JsonApi(client, keys[("live", "secret")]), "test": JsonApi(client, keys[("test", "secret")])}
    mine, theirs = apis[owner], apis["test" if owner == "live" else "live"]
    open_campaign(mine)
    mine.post("/campaigns/summer-promo/events", {"userId": "u1", "eventType": "visit"})
    before = (Campaign.select().count(), LedgerEntry.select().count(), CampaignEvent.select().count())
    assert theirs.get("/campaigns") == {"campaigns": []}
    for method, path, body in _paths():
        doc = theirs.err(method, path, body, status=404)
        assert doc["code"] == "campaign_not_found", (method, path, doc)
    assert (Campaign.select().count(), LedgerEntry.select().count(), CampaignEvent.select().count()) == before
    # The same slug in the other environment is another campaign, with its own participants.
    open_campaign(theirs)
    assert theirs.post("/campaigns/summer-promo/events", {"userId": "u1", "eventType": "visit"})["totalPoints"] == 10
    assert mine.get("/campaigns/summer-promo/participants/u1")["totalPoints"] == 10
    assert mine.post("/campaigns/summer-promo/events", {"userId": "u1", "eventType": "visit"})["totalPoints"] == 20
    assert theirs.get("/campaigns/summer-promo/leaderboard")["entries"][0]["totalPoints"] == 10
    # Public keys keep to their environment too.
    public = JsonApi(client, keys[("test" if owner == "live" else "live", "public")], header="X-API-Key")
    assert public.get("/campaigns/summer-promo/participants/u1")["totalPoints"] == 10


def test_the_test_environment_is_invisible_to_the_legacy_door(api, test_env):
    made = open_campaign(test_env)
    assert made["legacyCampaignId"] not in str(api.ok("campaigns_list"))
    assert made["legacyCampaignId"] not in str(api.ok("campaigns_inactive_list"))
    assert api.err("record_activity", campaign_id=made["legacyCampaignId"], code="u1", amount="5") == "Campaign not found"
