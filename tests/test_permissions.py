"""Role letters, flags and the one permission check (gateway.legacy.auth.authorize)."""
from __future__ import annotations

import pytest

from gateway.domain.permissions import ALIASES, FLAGS, MANAGER_LEVEL, ROLES, flags_of, role_letter
from gateway.legacy.calls import load_all
from gateway.legacy.registry import registry


def test_manager_and_staff_are_a_and_k_and_a_holds_every_flag():
    assert ALIASES == {"manager": "A", "staff": "K"}
    assert role_letter("manager") == "A" and role_letter("staff") == "K"
    assert flags_of("manager") == frozenset(FLAGS) and "A" in MANAGER_LEVEL and "K" not in MANAGER_LEVEL


def test_staff_holds_every_flag_a_call_staff_could_make_before_needs():
    # Before flags, staff could make every "read" and "till" call: the calls re-tagged with a flag that
    # staff makes (customers, reports) need only flags K holds.
    load_all()
    staff_calls = {"record_customer/new", "record_customer/edit", "record_customer/register", "card_replace"}
    staff_calls |= {c.name for c in registry if c.type == "reports"}
    for c in registry:
        if c.name in staff_calls:
            assert c.permission in flags_of("staff"), c.name


def test_flags_of_applies_a_users_own_changes():
    assert "add_campaign" in flags_of("K", {"add_campaign": True})
    assert "access_reports" not in flags_of("K", {"access_reports": False})
    assert set(ROLES) == set("AMSNGIKPFCO")


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_flag_turned_off_refuses_the_call_with_the_flags_name(api, fmt):
    api.ok("user_update", user_name="clerk", access_reports="No")
    answer = api.staff().answer(fmt, "reports", report="customers_all")
    assert answer["status"] == "error"
    assert answer["error"] == "Permission denied: this call needs the access_reports permission"
    api.ok("user_update", user_name="clerk", access_reports="Yes")
    assert api.staff().answer(fmt, "reports", report="customers_all")["status"] == "success"


def test_manager_level_calls_need_a_or_m_whatever_the_flags(api):
    api.ok("user_new", user_name="sam", user_role="S", user_new_password="sam-pass")
    key = api.client.post("/", data={"type": "user_login", "output": "json", "user_id": "sam",
                                     "user_password": "sam-pass"}).get_json()["account"]["user_api_key"]
    sam = api.as_user("sam", key, "shop")
    assert sam.err("campaigns_inactive_list") == "Permission denied: this call needs a manager-level user"
    cid = sam.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="S")["campaign"]["id"]
    assert sam.err("campaign_delete", action="campaign", campaign_id=cid) == \
        "Permission denied: this call needs the delete_campaign permission"
    api.ok("user_update", user_name="sam", user_role="M")
    sam.ok("campaigns_inactive_list")
    sam.ok("campaign_delete", action="campaign", campaign_id=cid)


def test_a_stored_manager_row_keeps_every_call(api):
    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="P")["campaign"]["id"]
    api.ok("campaign_deactivate", campaign_id=cid)
    api.ok("campaigns_inactive_list")
    api.ok("campaign_reactivate", campaign_id=cid)
    api.ok("campaign_delete", action="campaign", campaign_id=cid)
