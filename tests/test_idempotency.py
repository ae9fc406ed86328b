"""Idempotency keys on write calls: a retry replays the first answer and applies nothing."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gateway.domain.campaigns import create_campaign
from gateway.domain.models import Customer, IdempotencyRecord, LedgerEntry, Membership
from servers import form, fresh_database, running_server


@pytest.fixture
def points(app):
    Customer.create(account="shop", code="C1")
    return create_campaign("shop", type="points", name="P").id


def stored() -> int:
    return Membership.select(Membership.balance).scalar() or 0


def test_a_repeat_returns_the_original_answer_and_applies_nothing(api, points):
    first = api.call("record_activity", output="json", campaign_id=points, code="C1", amount="2", idempotency_key="k-1")
    again = api.call("record_activity", output="json", campaign_id=points, code="C1", amount="2", idempotency_key="k-1")
    assert json.loads(again.data) == json.loads(first.data)
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert LedgerEntry.select().count() == 1 and stored() == 200
    # The replay may ask for another format: the answer is the same tree.
    root = api.xml("record_activity", campaign_id=points, code="C1", amount="2", idempotency_key="k-1")
    assert root.findtext("receipt/transaction_id") == json.loads(first.data)["receipt"]["transaction_id"]
    # Another key is another request.
    api.ok("record_activity", campaign_id=points, code="C1", amount="2", idempotency_key="k-2")
    assert LedgerEntry.select().count() == 2 and stored() == 400


def test_the_header_carries_the_key_too(api, points):
    data, headers = api.fields("redeem", {"campaign_id": points, "code": "C1", "custom_points_redeem": "10", "output": "json"})
    api.ok("record_activity", campaign_id=points, code="C1", amount="1")
    headers["Idempotency-Key"] = "hdr-1"
    answers = [json.loads(api.send(data, headers).data) for _ in range(3)]
    assert answers[0]["status"] == "success" and answers.count(answers[0]) == 3
    assert stored() == 90
    # The same key in the form field names the same request.
    replay = api.ok("redeem", campaign_id=points, code="C1", custom_points_redeem="10", idempotency_key="hdr-1")
    assert replay == answers[0] and stored() == 90


def test_same_key_with_different_fields_is_an_error(api, points):
    api.ok("record_activity", campaign_id=points, code="C1", amount="1", idempotency_key="k")
    assert api.err("record_activity", campaign_id=points, code="C1", amount="5", idempotency_key="k") == (
        "Idempotency key already used with different fields")
    assert api.err("redeem", campaign_id=points, code="C1", custom_points_redeem="5", idempotency_key="k") == (
        "Idempotency key already used with different fields")
    assert stored() == 100 and LedgerEntry.select().count() == 1


def test_a_refused_call_keeps_no_key_so_a_later_retry_runs(api, points):
    assert api.err("redeem", campaign_id=points, code="C1", custom_points_redeem="50", idempotency_key="r").startswith(
        "Insufficient balance")
    assert IdempotencyRecord.select().count() == 0
    api.ok("record_activity", campaign_id=points, code="C1", amount="1")
    assert api.ok("redeem", campaign_id=points, code="C1", custom_points_redeem="50", idempotency_key="r")["receipt"]["balance"] == "50"


def test_keys_belong_to_one_account(api, points):
    api.ok("record_activity", campaign_id=points, code="C1", amount="1", idempotency_key="shared")
    other_campaign = create_campaign("other", type="events", name="E").id
    Customer.create(account="other", code="O1")
    api.other().ok("record_activity", campaign_id=other_campaign, code="O1", idempotency_key="shared")
    assert LedgerEntry.select().count() == 2


def test_an_overlong_key_is_refused(api, points):
    assert api.err("record_activity", campaign_id=points, code="C1", amount="1", idempotency_key="x" * 256) == (
        "Idempotency key too long: at most 255 characters")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_repeats_against_gunicorn_apply_once(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        Customer.create(account="shop", code="C1")
        cid = create_campaign("shop", type="giftcard", name="G").id
        with running_server(url, workers=4) as server:
            def send(key: str) -> dict:
                data = form("record_activity", campaign_id=cid, code="C1", amount="5", idempotency_key=key)
                return requests.post(server.url, data=data, timeout=30).json()

            with ThreadPoolExecutor(16) as pool:
                answers = list(pool.map(send, ["once"] * 24 + [f"k{i}" for i in range(8)]))
        repeated = answers[:24]
        assert all(a["status"] == "success" for a in answers), answers
        assert len({a["receipt"]["transaction_id"] for a in repeated}) == 1
        assert LedgerEntry.select().count() == 1 + 8
        assert stored() == 9 * 500
