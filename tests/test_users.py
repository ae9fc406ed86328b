"""The user calls through the legacy endpoint: user_new/update/info/delete, users_list, campaign_users,
user_login, in XML and JSON, on SQLite and PostgreSQL (docs/users.md)."""
from __future__ import annotations

import pytest
from lxml import etree

from conftest import MANAGER_KEY, xml_to_dict
from gateway.domain.models import User, UserSession
from gateway.domain.permissions import FLAGS


def new_user(api, name="amy", **fields):
    fields = {"user_role": "K", "user_new_password": "amy-pass-1", **fields}
    return api.ok("user_new", user_name=name, **fields)


def login(api, user_id="amy", password="amy-pass-1", fmt="json"):
    data = {"type": "user_login", "user_id": user_id, "user_password": password}
    if fmt == "json":
        data["output"] = "json"
        return api.client.post("/", data=data).get_json()
    return xml_to_dict(etree.fromstring(api.client.post("/", data=data).data))


def test_user_new_and_user_info_in_json(api):
    doc = new_user(api, user_first_name="Amy", user_last_name="Pond", language_selector="DE", timezone_selector="-5",
                   add_campaign="Yes")
    assert doc["message"] == "User added" and doc["user"]["user_id"] == "amy"
    info = api.ok("user_info", user_name="amy")["user"]
    assert (info["user_first_name"], info["user_last_name"], info["user_level"], info["user_language"],
            info["user_timezone"]) == ("Amy", "Pond", "K", "DE", "-5")
    perms = info["user_permissions"]
    assert list(perms) == list(FLAGS)
    assert perms["add_campaign"] == "Yes" and perms["add_customer"] == "Yes" and perms["delete_campaign"] == "No"


def test_user_info_in_xml(api):
    new_user(api)
    root = api.xml("user_info", user_name="amy")
    assert root.get("status") == "success"
    assert root.findtext("user/user_level") == "K"
    assert [e.tag for e in root.find("user/user_permissions")] == list(FLAGS)
    assert root.findtext("user/user_permissions/access_reports") == "Yes"


def test_seeded_manager_and_staff_read_as_a_and_k(api):
    assert api.ok("user_info", user_name="mgr")["user"]["user_level"] == "A"
    assert api.ok("user_info", user_name="clerk")["user"]["user_level"] == "K"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_users_list(api, fmt):
    new_user(api)
    doc = api.answer(fmt, "users_list", API="1.5")
    users = doc["users"] if fmt == "json" else doc["users"]["user"]
    assert users == [{"user_id": "amy", "user_role": "K"}, {"user_id": "clerk", "user_role": "K"},
                     {"user_id": "mgr", "user_role": "A"}]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_user_update_changes_role_flags_and_takes_effect_at_once(api, fmt):
    new_user(api)
    amy = login(api)["account"]
    as_amy = api.as_user("amy", amy["user_api_key"], None)
    assert as_amy.err("campaign_new", action="campaign", campaign_type="points", campaign_name="X") == \
        "Permission denied: this call needs the add_campaign permission"
    answer = api.answer(fmt, "user_update", user_name="amy", add_campaign="Yes", user_first_name="Amelia")
    assert answer["status"] == "success"
    as_amy.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="X")
    api.ok("user_update", user_name="amy", user_role="O")  # a new role starts from its preset
    assert api.ok("user_info", user_name="amy")["user"]["user_permissions"]["add_campaign"] == "No"
    assert as_amy.err("record_customer", customer_action="new", code="C9").startswith("Permission denied")


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_user_delete_stops_the_user_at_once(api, fmt):
    new_user(api)
    key = login(api)["account"]["user_api_key"]
    answer = api.answer(fmt, "user_delete", user_name="amy")
    assert answer["status"] == "success"
    assert api.as_user("amy", key, None).err("campaigns_list") == "Authentication failed"
    assert api.err("user_info", user_name="amy") == "User not found"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_the_last_administrator_stays(api, fmt):
    # mgr is the shop's only administrator (role A): it cannot be deleted, by itself or anyone.
    answer = api.answer(fmt, "user_delete", user_name="mgr")
    assert (answer["status"], answer["error"]) == ("error", "The account's last administrator cannot be deleted")
    api.ok("user_new", user_name="boss", user_new_password="Boss-pass-1", user_role="A")
    assert api.answer(fmt, "user_delete", user_name="mgr")["status"] == "success"
    assert api.as_user("mgr", MANAGER_KEY, "shop").err("campaigns_list") == "Authentication failed"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_user_login_answers_a_session_key_and_the_account(api, fmt):
    new_user(api)
    doc = login(api, fmt=fmt)
    assert doc["status"] == "success"
    account = doc["account"]
    assert account["user_id"] == "amy" and account["account_id"] == "shop" and len(account["user_api_key"]) == 32
    assert api.as_user("amy", account["user_api_key"], "shop").ok("campaigns_list")["campaigns"] == []
    # The key is stored only as a hash.
    stored = str(list(User.select().tuples())) + str(list(UserSession.select().tuples()))
    assert account["user_api_key"] not in stored and UserSession.select().count() == 1


def test_user_login_refuses_a_wrong_password_and_a_new_password_ends_sessions(api):
    new_user(api)
    assert login(api, password="nope")["error"] == "Authentication failed"
    key = login(api)["account"]["user_api_key"]
    api.ok("user_update", user_name="amy", user_new_password="another-pass")
    assert api.as_user("amy", key, None).err("campaigns_list") == "Authentication failed"
    assert login(api, password="another-pass")["status"] == "success"


def test_own_profile_with_edit_my_info_but_not_own_rights(api):
    new_user(api)
    key = login(api)["account"]["user_api_key"]
    amy = api.as_user("amy", key, None)
    amy.ok("user_update", user_name="amy", user_first_name="Me")
    assert amy.ok("user_info", user_name="amy")["user"]["user_first_name"] == "Me"
    assert amy.err("user_update", user_name="amy", add_campaign="Yes") == \
        "Permission denied: this call needs the add_user permission"
    assert amy.err("user_info", user_name="mgr") == "Permission denied: this call needs the view_user permission"


def test_a_user_cannot_grant_more_than_it_holds(api):
    new_user(api, "boss", user_role="S", add_user="Yes")
    key = login(api, "boss")["account"]["user_api_key"]
    boss = api.as_user("boss", key, None)
    assert boss.err("user_new", user_name="x", user_role="A") == \
        "Permission denied: a user cannot grant rights or campaigns it does not hold"
    assert boss.ok("user_new", user_name="y", user_role="K")["user"]["user_level"] == "K"
    assert [u["user_id"] for u in api.ok("users_list")["users"]] == ["boss", "clerk", "mgr", "y"]  # x was rolled back


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_allowed_campaigns_limit_what_a_user_sees(api, fmt):
    a = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="A")["campaign"]["id"]
    b = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="B")["campaign"]["id"]
    api.ok("record_customer", customer_action="new", code="C1", campaign_id=f"{a},{b}")
    new_user(api, allowed_campaigns=a)
    amy = api.as_user("amy", login(api)["account"]["user_api_key"], None)
    answer = amy.answer(fmt, "campaigns_list")
    listed = answer["campaigns"] if fmt == "json" else [answer["campaigns"]["campaign"]]
    assert [c["id"] for c in listed] == [a]
    assert amy.ok("record_activity", campaign_id=a, code="C1", amount=1)["status"] == "success"
    assert amy.err("record_activity", campaign_id=b, code="C1", amount=1) == "Campaign not found"
    assert amy.err("customer_balance", campaign_id=b, code="C1") == "Campaign not found"
    assert [c["id"] for c in amy.ok("customer_info", code="C1")["campaigns"]] == [a]
    assert amy.err("reports", report="transactions_all", date_start="2020-01-01", selected_campaigns=b) == "Campaign not found"
    rows = amy.ok("reports", report="transactions_all", date_start="2020-01-01")
    assert {t["campaign_id"] for t in rows.get("transactions", [])} <= {a}
    # campaign_users adds b; remove takes a away; "all" gives every campaign back.
    added = api.answer(fmt, "campaign_users", action="add", API="1.6", user_name="amy", campaign_id=b)
    assert added["status"] == "success"
    amy.ok("customer_balance", campaign_id=b, code="C1")
    doc = api.ok("campaign_users", action="remove", user_name="amy", campaign_id=a)
    assert doc["users_removed"] == [{"user_id": "amy"}] and doc["campaigns_removed"] == [{"id": a}]
    assert amy.err("customer_balance", campaign_id=a, code="C1") == "Campaign not found"
    api.ok("user_update", user_name="amy", allowed_campaigns="all")
    amy.ok("customer_balance", campaign_id=a, code="C1")


def test_campaign_users_answers_in_json(api):
    a = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="A")["campaign"]["id"]
    new_user(api, allowed_campaigns="none")
    doc = api.ok("campaign_users", action="add", API="1.6", user_name="amy", campaign_id=a)
    assert doc["users_added"] == [{"user_id": "amy"}] and doc["campaigns_added"] == [{"id": a}]
    assert api.ok("user_info", user_name="amy")["user"]["allowed_campaigns"] == a


def test_staff_may_not_manage_users(api):
    assert api.staff().err("user_new", user_name="x", user_role="K") == \
        "Permission denied: this call needs the add_user permission"


@pytest.mark.parametrize("backend_", ["sqlite", "postgresql"])
def test_concurrent_user_new_with_one_name_makes_one_user(tmp_path, backend_):
    import requests
    from concurrent.futures import ThreadPoolExecutor

    from servers import fresh_database, running_server

    with fresh_database(backend_, tmp_path) as url:
        with running_server(url, workers=4) as server:
            def create(n):
                return requests.post(server.url, data={
                    "type": "user_new", "output": "json", "user_id": "mgr", "user_password": MANAGER_KEY,
                    "account_id": "shop", "user_name": "twin", "user_role": "K", "user_first_name": f"n{n}"}).json()

            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(create, range(8)))
        assert sorted(a["status"] for a in answers) == ["error"] * 7 + ["success"], answers
        assert {a["error"] for a in answers if a["status"] == "error"} == {"User name already in use: twin"}
        assert User.select().where(User.user_id == "twin").count() == 1


def test_rotate_key_keeps_the_old_key_for_the_grace_period(api, runner):
    import datetime as dt

    result = runner.invoke(args=["rotate-key", "shop", "mgr", "--grace", "3600"])
    assert result.exit_code == 0, result.output
    new_key = result.output.strip()
    assert len(new_key) == 32 and api.as_user("mgr", new_key, "shop").ok("campaigns_list")
    assert api.ok("campaigns_list")["status"] == "success"  # the old key, within the grace period
    User.update(previous_key_until=dt.datetime(2000, 1, 1)).where(User.user_id == "mgr").execute()
    assert api.err("campaigns_list") == "Authentication failed"  # the grace period is over
    result = runner.invoke(args=["rotate-key", "shop", "mgr"])  # no grace: the old key stops at once
    assert api.as_user("mgr", new_key, "shop").err("campaigns_list") == "Authentication failed"
    assert api.as_user("mgr", result.output.strip(), "shop").ok("campaigns_list")


def test_list_users_and_delete_user(api, runner):
    a = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="A")["campaign"]["id"]
    new_user(api, allowed_campaigns=a)
    result = runner.invoke(args=["list-users", "shop"])
    assert result.output.splitlines() == [f"amy\tK\t{a}", "clerk\tK\tall", "mgr\tA\tall"]
    assert runner.invoke(args=["delete-user", "shop", "clerk"]).output == "user clerk deleted\n"
    assert api.staff().err("campaigns_list") == "Authentication failed"
    refused = runner.invoke(args=["delete-user", "shop", "clerk"])
    assert refused.exit_code == 1 and "user clerk does not exist in account shop" in refused.output
    assert runner.invoke(args=["rotate-key", "shop", "nobody"]).exit_code == 1


def test_create_user_takes_role_letters_and_the_old_words(api, runner):
    key = runner.invoke(args=["create-user", "shop", "olga", "--role", "O"]).output.strip()
    olga = api.as_user("olga", key, "shop")
    assert api.ok("user_info", user_name="olga")["user"]["user_level"] == "O"
    assert olga.err("record_customer", customer_action="new", code="C1") == \
        "Permission denied: this call needs the add_customer permission"
    key = runner.invoke(args=["create-user", "shop", "stan", "--role", "staff"]).output.strip()
    assert api.as_user("stan", key, "shop").ok("user_info", user_name="stan")["user"]["user_level"] == "K"
    assert User.get(User.user_id == "stan").role == "staff"  # stored as given, read as K


def test_a_limited_user_sees_the_campaigns_it_creates(api):
    new_user(api, user_role="S", allowed_campaigns="none")
    amy = api.as_user("amy", login(api)["account"]["user_api_key"], None)
    assert amy.ok("campaigns_list")["campaigns"] == []
    cid = amy.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Mine")["campaign"]["id"]
    assert [c["id"] for c in amy.ok("campaigns_list")["campaigns"]] == [cid]
    assert api.ok("user_info", user_name="amy")["user"]["allowed_campaigns"] == cid


def test_a_database_of_the_earlier_version_is_upgraded_and_its_users_keep_their_rights(api):
    from gateway.domain import db, schema

    new = ["first_name", "last_name", "custom1", "language", "timezone", "password_hash", "pin_hash", "flags",
           "campaigns", "previous_key_hash", "previous_key_until", "failures", "failed_since", "locked_until"]
    db.database.execute_sql('DROP TABLE "user_session"')
    for column in new:
        db.database.execute_sql(f'ALTER TABLE "user" DROP COLUMN "{column}"')
    changes = schema.upgrade()
    assert "created table user_session" in changes or any("user_session" in c for c in changes), changes
    assert api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="P")["status"] == "success"
    assert api.staff().err("campaign_new", action="campaign", campaign_type="points", campaign_name="P") == \
        "Permission denied: this call needs the add_campaign permission"
    assert api.staff().ok("reports", report="customers_all")["status"] == "success"
    assert api.ok("user_info", user_name="clerk")["user"]["user_level"] == "K"
