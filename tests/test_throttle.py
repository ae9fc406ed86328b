"""Throttling of guesses (docs/users.md): validate_customer_password per customer, user_login per user,
the key check per user and account; counted in the database, so every worker sees the same count, and
the lock runs out."""
from __future__ import annotations

import datetime as dt
import time

import pytest
import requests

from conftest import MANAGER_KEY
from gateway.domain.models import Customer, User
from servers import fresh_database, running_server

THROTTLED = "Too many failed attempts: try again in a few minutes"


def test_customer_pin_guessing_is_locked_after_five_failures(api):
    api.ok("record_customer", customer_action="register", code="C1", customer_PIN="1234", customer_password="pw")
    for pin in ("0000", "0001", "0002", "0003"):
        assert api.err("validate_customer_password", code="C1", customer_PIN=pin) == "Customer credentials do not match"
    api.ok("validate_customer_password", code="C1", customer_PIN="1234")  # a success forgets the failures
    for pin in ("0000", "0001", "0002", "0003", "0004"):
        assert api.err("validate_customer_password", code="C1", customer_PIN=pin) == "Customer credentials do not match"
    assert api.err("validate_customer_password", code="C1", customer_PIN="1234") == THROTTLED
    root = api.xml("validate_customer_password", code="C1", customer_PIN="1234")
    assert root.get("status") == "error" and root.findtext("error") == THROTTLED
    # The lock runs out: the right PIN works again.
    Customer.update(locked_until=dt.datetime(2000, 1, 1)).execute()
    api.ok("validate_customer_password", code="C1", customer_PIN="1234")


def test_user_login_is_locked_after_five_wrong_passwords(api):
    api.ok("user_new", user_name="amy", user_role="K", user_new_password="right-one")

    def login(password):
        return api.client.post("/", data={"type": "user_login", "output": "json", "user_id": "amy",
                                          "user_password": password}).get_json()

    for n in range(5):
        assert login(f"wrong{n}")["error"] == "Authentication failed"
    assert login("right-one")["error"] == THROTTLED
    User.update(locked_until=dt.datetime(2000, 1, 1)).where(User.user_id == "amy").execute()
    assert login("right-one")["status"] == "success"


def test_the_key_check_is_locked_after_ten_wrong_keys(api):
    wrong = api.as_user("mgr", "wrong-key-000", "shop")
    for _ in range(10):
        assert wrong.err("campaigns_list") == "Authentication failed"
    assert api.err("campaigns_list") == THROTTLED
    assert api.staff().ok("campaigns_list")["campaigns"] == []  # another user is not locked
    User.update(locked_until=dt.datetime(2000, 1, 1)).where(User.user_id == "mgr").execute()
    assert api.ok("campaigns_list")["campaigns"] == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_guessing_over_several_workers_is_counted_once_and_the_lock_expires(tmp_path, backend, monkeypatch):
    monkeypatch.setenv("REWARDGATE_THROTTLE_LOCK", "3")
    with fresh_database(backend, tmp_path) as url:
        with running_server(url, workers=3) as server:
            session = requests.Session()

            def call(**fields):
                data = {"output": "json", "user_id": "mgr", "user_password": MANAGER_KEY, "account_id": "shop", **fields}
                return session.post(server.url, data=data).json()

            assert call(type="record_customer", customer_action="register", code="C1", customer_PIN="4321",
                        customer_password="pw")["status"] == "success"
            answers = [call(type="validate_customer_password", code="C1", customer_PIN=f"{n:04d}")["error"]
                       for n in range(12)]
            # Spread over the workers, yet the fifth failure locks: every worker reads the same row.
            assert answers[:5] == ["Customer credentials do not match"] * 5 and answers[5:] == [THROTTLED] * 7
            assert call(type="validate_customer_password", code="C1", customer_PIN="4321")["error"] == THROTTLED
            # The 3-second lock runs out: polled against a deadline; a locked try counts no failure.
            deadline = time.monotonic() + 15
            right_pin = {"type": "validate_customer_password", "code": "C1", "customer_PIN": "4321"}
            while (answer := call(**right_pin)).get("error") == THROTTLED:
                assert time.monotonic() < deadline, "the 3-second lock did not run out"
                time.sleep(0.2)
            assert answer["status"] == "success"
