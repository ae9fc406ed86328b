"""Time tokens: generate_time_token, validate_time_token, and the keyless widget calls a token bound to
a customer opens (customer_balance and customer_info for that customer and campaign, until it expires)."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re

import pytest

from gateway.domain.models import TimeToken, utcnow

from conftest import parse_jsonp
from test_customers import give, new_campaign, new_customer

TOKEN = re.compile(r"[A-Z]{36}")


@pytest.fixture
def shop(api):
    """A points campaign with a reward, a second campaign, customers C1 (150 points) and C2."""
    points = new_campaign(api, "points", "Points")
    other = new_campaign(api, "events", "Visits")
    api.ok("campaign_new", action="reward", campaign_id=points, reward_level=100, reward_description="Mug")
    api.ok("campaign_new", action="reward", campaign_id=points, reward_level=500, reward_description="Bike")
    new_customer(api, code="C1", card_number="1111", first_name="Ann")
    new_customer(api, code="C2", card_number="2222")
    give("shop", points, "C1", 150)
    return {"points": points, "other": other}


def widget(client, type_, fmt="json", **fields):
    """A keyless request as a browser widget makes it: GET with account_id and token, no user or key."""
    query = {"type": type_, "account_id": "shop", **fields}
    if fmt == "json":
        query["output"] = "json"
    elif fmt == "jsonp":
        query["callback"] = "jQuery1113012345678901234_1400000000000"
        query["_"] = "1400000000000"
    response = client.get("/", query_string=query)
    assert response.status_code == 200
    if fmt == "jsonp":
        assert response.content_type == "text/javascript; charset=utf-8"
        return parse_jsonp(response.data, query["callback"])
    if fmt == "json":
        return json.loads(response.data)
    from conftest import xml_to_dict
    from lxml import etree

    return xml_to_dict(etree.fromstring(response.data))


def expire(token: str) -> None:
    hashed = hashlib.sha256(token.encode()).hexdigest()
    assert TimeToken.update(expires=utcnow() - dt.timedelta(seconds=1)).where(TimeToken.token_hash == hashed).execute() == 1


# --- generate_time_token ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_generate_answers_a_token_like_the_legacy_one(api, fmt):
    if fmt == "xml":
        root = api.xml("generate_time_token", API="1.5")
        token, expires = root.findtext("token"), root.findtext("expires")
        assert [e.tag for e in root] == ["token", "expires"]
    else:
        doc = api.ok("generate_time_token", API="1.5")
        token, expires = doc["token"], doc["expires"]
    assert TOKEN.fullmatch(token)
    left = dt.datetime.strptime(expires, "%Y-%m-%d %H:%M:%S") - utcnow()
    assert dt.timedelta(seconds=58) <= left <= dt.timedelta(seconds=60)  # default token_interval: 60 s


def test_generate_with_user_api_key_and_an_interval(api):
    keyed = api.as_user("mgr", api.key, "shop", auth="api_key")
    doc = keyed.ok("generate_time_token", token_interval=3600)
    left = dt.datetime.strptime(doc["expires"], "%Y-%m-%d %H:%M:%S") - utcnow()
    assert dt.timedelta(seconds=3598) <= left <= dt.timedelta(seconds=3600)
    assert api.err("generate_time_token", token_interval=86401) == \
        "Invalid value for field token_interval: Must be greater than or equal to 1 and less than or equal to 86400"
    assert api.err("generate_time_token", token_interval=0).startswith("Invalid value for field token_interval")


def test_tokens_are_stored_only_as_hashes_and_each_call_gives_a_new_one(api):
    first = api.ok("generate_time_token", idempotency_key="k1")["token"]
    second = api.ok("generate_time_token", idempotency_key="k1")["token"]
    assert first != second  # not replayed: the answer would keep the token in clear
    stored = [row.token_hash for row in TimeToken.select()]
    assert sorted(stored) == sorted(hashlib.sha256(t.encode()).hexdigest() for t in (first, second))
    from gateway.domain.models import IdempotencyRecord

    assert IdempotencyRecord.select().count() == 0


def test_generate_bound_to_a_customer_checks_customer_and_campaign(api, shop):
    assert api.err("generate_time_token", code="nobody") == "Customer not found"
    assert api.err("generate_time_token", code="C1", campaign_id="404") == "Campaign not found"
    assert api.err("generate_time_token", campaign_id=shop["points"]) == "Missing required field: code"
    assert api.other().err("generate_time_token", code="C1") == "Customer not found"
    assert TimeToken.select().count() == 0
    token = api.ok("generate_time_token", card_number="1111")["token"]
    assert api.ok("validate_time_token", token=token)["token"]["code"] == "C1"


def test_expired_tokens_are_swept_a_day_later(api):
    old = api.ok("generate_time_token")["token"]
    TimeToken.update(expires=utcnow() - dt.timedelta(days=1, seconds=1)).execute()
    api.ok("generate_time_token")
    assert TimeToken.select().count() == 1
    assert api.err("validate_time_token", token=old) == "Token not valid"


# --- validate_time_token ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_validate_answers_what_the_token_opens(api, shop, fmt):
    token = api.ok("generate_time_token", code="C1", campaign_id=shop["points"], token_interval=120)["token"]
    if fmt == "xml":
        node = api.xml("validate_time_token", token=token).find("token")
        assert node.get("status") == "valid"
        answer = {e.tag: e.text or "" for e in node}
    else:
        answer = api.ok("validate_time_token", token=token.lower())["token"]  # letters in either case
        assert answer.pop("status") == "valid"
    assert list(answer) == ["expires", "expires_in", "code", "campaign_id"]
    assert 118 <= int(answer["expires_in"]) <= 120
    assert (answer["code"], answer["campaign_id"]) == ("C1", shop["points"])
    unbound = api.ok("validate_time_token", token=api.ok("generate_time_token")["token"])["token"]
    assert (unbound["code"], unbound["campaign_id"]) == ("", "")
    # Validating does not use a token up.
    assert api.ok("validate_time_token", token=token)["token"]["code"] == "C1"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_validate_refuses_unknown_expired_and_foreign_tokens(api, fmt):
    token = api.ok("generate_time_token")["token"]
    theirs = api.other().ok("generate_time_token")["token"]
    for value, message in [("CHFBTABPGWGBRLCKETCKGDDKEAFFBBFBETTI", "Token not valid"), ("short", "Token not valid"),
                           (theirs, "Token not valid for this account")]:
        doc = api.answer(fmt, "validate_time_token", token=value)
        assert (doc["status"], doc["error"]) == ("error", message)
    expire(token)
    doc = api.answer(fmt, "validate_time_token", token=token)
    assert (doc["status"], doc["error"]) == ("error", "Token expired")
    assert api.answer(fmt, "validate_time_token")["error"] == "Missing required field: token"


# --- the keyless widget calls -------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xml", "json", "jsonp"])
def test_a_bound_token_opens_the_customers_balance_and_info(api, client, shop, fmt):
    token = api.ok("generate_time_token", code="C1")["token"]
    info = widget(client, "customer_info", fmt, token=token)
    assert info["status"] == "success", info
    assert info["customer"]["code"] == "C1" and info["customer"]["first_name"] == "Ann"
    campaigns = info["campaigns"]["campaign"] if fmt == "xml" else info["campaigns"]
    points = next(c for c in campaigns if c["id"] == shop["points"])
    rewards = points["rewards"]["reward"] if fmt == "xml" else points["rewards"]
    rewards = rewards if isinstance(rewards, list) else [rewards]
    assert points["balance"] == "150" and [r["description"] for r in rewards] == ["Mug"]
    # Naming the bound customer (by code or card) is the same as leaving it out.
    assert widget(client, "customer_info", fmt, token=token, code="C1")["status"] == "success"
    assert widget(client, "customer_info", fmt, token=token, card_number="1111")["status"] == "success"
    balance = widget(client, "customer_balance", fmt, token=token, campaign_id=shop["points"])
    assert balance["status"] == "success", balance
    assert balance["campaign"]["customer"]["balance"] == "150"
    assert widget(client, "balance", fmt, token=token, campaign_id=shop["points"], code="C1")["status"] == "success"


@pytest.mark.parametrize("fmt", ["xml", "json", "jsonp"])
def test_a_token_bound_to_a_campaign_shows_only_that_campaign(api, client, shop, fmt):
    token = api.ok("generate_time_token", code="C1", campaign_id=shop["points"])["token"]
    info = widget(client, "customer_info", fmt, token=token)
    campaigns = info["campaigns"]["campaign"] if fmt == "xml" else info["campaigns"]
    campaigns = campaigns if isinstance(campaigns, list) else [campaigns]
    assert [c["id"] for c in campaigns] == [shop["points"]]
    # customer_balance needs no campaign_id: the token's is filled in.
    assert widget(client, "customer_balance", fmt, token=token)["campaign"]["campaign_id"] == shop["points"]
    for type_ in ("customer_info", "customer_balance"):
        doc = widget(client, type_, fmt, token=token, campaign_id=shop["other"])
        assert (doc["status"], doc["error"]) == ("error", "Token not valid for this campaign")


@pytest.mark.parametrize("fmt", ["xml", "json", "jsonp"])
def test_a_token_opens_nothing_else(api, client, shop, fmt):
    token = api.ok("generate_time_token", code="C1", token_interval=300)["token"]
    theirs = api.other().ok("generate_time_token")["token"]
    unbound = api.ok("generate_time_token")["token"]
    cases = [
        (dict(type_="customer_info", token=token, code="C2"), "Token not valid for this customer"),
        (dict(type_="customer_info", token=token, card_number="2222"), "Token not valid for this customer"),
        (dict(type_="customer_balance", token=token, code="C2", campaign_id=shop["points"]),
         "Token not valid for this customer"),
        (dict(type_="campaigns_list", token=token), "A token opens only customer_balance and customer_info"),
        (dict(type_="validate_time_token", token=token), "A token opens only customer_balance and customer_info"),
        (dict(type_="redeem", token=token, campaign_id=shop["points"], custom_points_redeem=100),
         "A token opens only customer_balance and customer_info"),
        (dict(type_="record_activity", token=token, campaign_id=shop["points"], amount=5),
         "A token opens only customer_balance and customer_info"),
        (dict(type_="generate_time_token", token=token, code="C2"), "A token opens only customer_balance and customer_info"),
        (dict(type_="customer_info", token=theirs), "Token not valid for this account"),
        (dict(type_="customer_info", token=unbound), "Token not bound to a customer: generate it with code"),
        (dict(type_="customer_info", token="CHFBTABPGWGBRLCKETCKGDDKEAFFBBFBETTI"), "Token not valid"),
    ]
    for fields, message in cases:
        type_ = fields.pop("type_")
        doc = widget(client, type_, fmt, **fields)
        assert (doc["status"], doc["error"]) == ("error", message), (type_, fields)
    # Nothing was spent or recorded.
    assert api.ok("customer_balance", campaign_id=shop["points"], code="C1")["campaign"]["customer"]["balance"] == "150"
    # Without account_id the token is not looked at.
    response = client.get("/", query_string={"type": "customer_info", "token": token, "output": "json"})
    assert json.loads(response.data)["error"] == "Missing required field: account_id"
    expire(token)
    doc = widget(client, "customer_info", fmt, token=token)
    assert (doc["status"], doc["error"]) == ("error", "Token expired")


def test_with_a_user_or_a_key_the_token_is_no_credential(api, client, shop):
    token = api.ok("generate_time_token", code="C1")["token"]
    for extra in ({"user_id": "mgr"}, {"user_password": "wrong"}, {"user_api_key": "wrong"}):
        doc = widget(client, "customer_info", token=token, **extra)
        assert (doc["status"], doc["error"]) == ("error", "Authentication failed")
    response = client.get("/", query_string={"type": "customer_info", "account_id": "shop", "token": token,
                                             "output": "json"}, headers={"api_access_key": "wrong"})
    assert json.loads(response.data)["error"] == "Authentication failed"
    # A user's request may carry a token field: it changes nothing (another customer is shown).
    assert api.ok("customer_info", code="C2", token=token)["customer"]["code"] == "C2"


def test_a_deleted_customer_takes_its_tokens_along(api, client, shop):
    token = api.ok("generate_time_token", code="C2")["token"]
    api.ok("customer_delete", code="C2")
    assert widget(client, "customer_info", token=token)["error"] == "Token not valid"


def test_a_token_shows_no_more_than_its_issuer_may_see(api, client, shop):
    """A user limited to some campaigns (allowed_campaigns) issues tokens limited to those."""
    api.ok("user_update", user_name="clerk", allowed_campaigns=shop["points"])
    clerk = api.staff()
    assert clerk.err("generate_time_token", code="C1", campaign_id=shop["other"]) == "Campaign not found"
    token = clerk.ok("generate_time_token", code="C1")["token"]
    shown = widget(client, "customer_info", token=token)
    assert [c["id"] for c in shown["campaigns"]] == [shop["points"]]
    # The manager's token (every campaign) shows both.
    token = api.ok("generate_time_token", code="C1")["token"]
    assert {c["id"] for c in widget(client, "customer_info", token=token)["campaigns"]} == {shop["points"], shop["other"]}
