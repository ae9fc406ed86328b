"""Authentication and roles: key channels and their precedence, the account check, one generic error."""
from __future__ import annotations

import hashlib

import pytest

from conftest import MANAGER_KEY, OTHER_KEY, STAFF_KEY
from gateway.domain import db
from gateway.domain.users import hash_key
from gateway.domain.models import ALL_MODELS, User

AUTH_FAILED = "Authentication failed"
PERMISSION_DENIED = "Permission denied: this call needs the add_campaign permission"  # staff (K) lacks the flag


@pytest.mark.parametrize("auth", ["password", "api_key", "header"])
def test_the_key_is_accepted_in_each_of_its_three_places(api, auth, encoding):
    caller = api.as_user("mgr", MANAGER_KEY, "shop", auth=auth, encoding=encoding)
    assert caller.ok("campaigns_list")["campaigns"] == []


def _send(api, headers=None, **fields):
    data = {"user_id": "mgr", "account_id": "shop", "type": "campaigns_list", "output": "json", **fields}
    return api.client.post("/", data={k: v for k, v in data.items() if v is not None}, headers=headers or {}).get_json()


@pytest.mark.parametrize("header_name", ["api_access_key", "Api-Access-Key", "API_ACCESS_KEY"])
def test_header_wins_over_a_wrong_key_in_the_body(api, header_name):
    doc = _send(api, {header_name: MANAGER_KEY}, user_api_key="wrong-key-1", user_password="wrong-key-2")
    assert doc["status"] == "success"


def test_a_wrong_header_fails_even_with_the_right_key_in_the_body(api):
    doc = _send(api, {"api_access_key": "wrong-key-0"}, user_api_key=MANAGER_KEY, user_password=MANAGER_KEY)
    assert doc["error"] == AUTH_FAILED


def test_user_api_key_wins_over_user_password(api):
    assert _send(api, user_api_key=MANAGER_KEY, user_password="wrong")["status"] == "success"
    assert _send(api, user_api_key="wrong", user_password=MANAGER_KEY)["error"] == AUTH_FAILED


def test_account_id_may_be_omitted_and_then_is_the_users_own(api):
    doc = api.as_user("mgr", MANAGER_KEY, None).ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Mine")
    listed = api.ok("campaigns_list")["campaigns"]
    assert [c["id"] for c in listed] == [doc["campaign"]["id"]]
    assert api.other().ok("campaigns_list")["campaigns"] == []


def test_same_user_id_in_two_accounts_is_told_apart_by_key_and_account(api):
    User.create(account="other", user_id="mgr", role="manager", key_hash=hash_key(OTHER_KEY))
    api.as_user("mgr", OTHER_KEY, None).ok("campaign_new", action="campaign", campaign_type="points", campaign_name="O")
    assert [c["name"] for c in api.other().ok("campaigns_list")["campaigns"]] == ["O"]
    assert api.ok("campaigns_list")["campaigns"] == []
    assert api.as_user("mgr", OTHER_KEY, "shop").err("campaigns_list") == AUTH_FAILED


FAILURES = {
    "unknown user": dict(user_id="nobody", key=MANAGER_KEY, account_id="shop"),
    "wrong key": dict(user_id="mgr", key="not-the-key", account_id="shop"),
    "other user's key": dict(user_id="mgr", key=STAFF_KEY, account_id="shop"),
    "wrong account": dict(user_id="mgr", key=MANAGER_KEY, account_id="other"),
    "unknown account": dict(user_id="mgr", key=MANAGER_KEY, account_id="nowhere"),
    "missing user_id": dict(user_id="", key=MANAGER_KEY, account_id="shop"),
    "missing key": dict(user_id="mgr", key="", account_id="shop"),
    "key case differs": dict(user_id="mgr", key=MANAGER_KEY.upper(), account_id="shop"),
    "user id case differs": dict(user_id="MGR", key=MANAGER_KEY, account_id="shop"),
}


@pytest.mark.parametrize("case", FAILURES)
def test_every_failure_gives_the_same_generic_error(api, fmt, case):
    caller = api.as_user(**FAILURES[case])
    answer = caller.answer(fmt, "campaign_new", action="campaign", campaign_type="points", campaign_name="Nope")
    assert answer["status"] == "error"
    assert answer["error"] == AUTH_FAILED
    assert answer.get("errors", [AUTH_FAILED]) == [AUTH_FAILED]
    assert api.ok("campaigns_list")["campaigns"] == []


def test_failure_bodies_are_byte_identical(api):
    bodies = {api.as_user(**c).call("campaigns_list", output="json").data for c in FAILURES.values()}
    assert len(bodies) == 1


def test_auth_comes_before_the_type_is_looked_at(api):
    # An unauthenticated caller learns nothing, not even which types exist.
    assert api.as_user("nobody", "x", "shop").err("no_such_type") == AUTH_FAILED


def test_the_database_holds_no_plaintext_key(api):
    api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Something")
    stored = [u.key_hash for u in User.select()]
    assert hashlib.sha256(MANAGER_KEY.encode()).hexdigest() in stored
    for model in ALL_MODELS:
        for row in model.select().tuples():
            for value in row:
                assert not any(k in str(value) for k in (MANAGER_KEY, STAFF_KEY, OTHER_KEY)), (model, row)
    if db.is_sqlite():
        with open(db.database.database, "rb") as f:
            assert MANAGER_KEY.encode() not in f.read()


def test_no_answer_echoes_the_key(api, fmt):
    for caller in (api, api.as_user("mgr", "wrong-key-9", "shop")):
        answer = caller.answer(fmt, "campaigns_list")
        assert MANAGER_KEY not in str(answer) and "wrong-key-9" not in str(answer)


def test_staff_may_read_but_is_refused_manage_calls(api, fmt):
    staff = api.staff()
    assert staff.ok("campaigns_list")["campaigns"] == []
    answer = staff.answer(fmt, "campaign_new", action="campaign", campaign_type="points", campaign_name="Nope")
    assert answer["status"] == "error" and answer["error"] == PERMISSION_DENIED
    assert api.ok("campaigns_list")["campaigns"] == []


def test_permission_is_checked_before_the_fields(api):
    # A staff user does not get to probe a manager call's validation rules.
    assert api.staff().err("campaign_new", action="campaign") == PERMISSION_DENIED
