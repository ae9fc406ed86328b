"""What the hot paths (docs/performance.md) must keep: a key read afresh on every request, the stored
ledger row in a receipt, the has-deductions flag, the writers' queue, the history's user names."""
from __future__ import annotations

import datetime as dt
import fcntl
import os

import pytest

from conftest import MANAGER_KEY
from gateway.domain import campaigns, db
from gateway.domain.users import hash_key
from gateway.domain.models import Customer, Depreciation, Fee, LedgerEntry, User

AUTH_FAILED = "Authentication failed"


# --- authentication --------------------------------------------------------------------------------

def test_a_changed_key_applies_on_the_next_request(api):
    api.ok("campaigns_list")
    User.update(key_hash=hash_key("rotated-key")).where(User.user_id == "mgr").execute()
    assert api.err("campaigns_list") == AUTH_FAILED
    api.as_user("mgr", "rotated-key", "shop").ok("campaigns_list")


def test_a_caller_answers_for_its_own_account_only(api):
    api.ok("campaigns_list")
    assert api.as_user("mgr", MANAGER_KEY, "other").err("campaigns_list") == AUTH_FAILED
    api.as_user("mgr", MANAGER_KEY, None).ok("campaigns_list")


# --- the ledger -----------------------------------------------------------------------------------------

def test_a_ledger_row_answered_by_post_is_the_stored_row(api):
    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="P")["campaign"]["id"]
    Customer.create(account="shop", code="C1")
    receipt = api.ok("record_activity", campaign_id=cid, code="C1", amount="2.50", authorization="A1")["receipt"]
    entry = LedgerEntry.get_by_id(int(receipt["transaction_id"]))
    assert (entry.amount, entry.kind, entry.authorization, entry.original_amount) == (250, "record", "A1", "2.50")
    assert receipt["date"] == entry.created.strftime("%Y-%m-%d %H:%M:%S") and receipt["balance"] == "250"


# --- the has-deductions flag ---------------------------------------------------------------------------

@pytest.mark.parametrize("rule", ["fee", "depreciation", "none", "zero-interval fee"])
def test_the_campaign_knows_whether_it_has_deductions(app, rule):
    campaign = campaigns.create_campaign("shop", type="points", name="Rules")
    if rule == "fee":
        Fee.create(campaign=campaign, interval=1, interval_type="days", amount=5)
    elif rule == "zero-interval fee":
        Fee.create(campaign=campaign, interval=0, interval_type="days", amount=5)
    elif rule == "depreciation":
        Depreciation.create(campaign=campaign, type="per_transaction", interval=1, interval_type="days", percentage="10")
    assert bool(campaigns.get_campaign("shop", campaign.id).has_deductions) is (rule in ("fee", "depreciation"))


def test_a_fee_added_after_activity_is_deducted_on_the_next_balance(api):
    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Fees")["campaign"]["id"]
    Customer.create(account="shop", code="C1")
    api.ok("record_activity", campaign_id=cid, code="C1", amount="10")
    assert api.ok("customer_balance", campaign_id=cid, code="C1")["campaign"]["customer"]["balance"] == "1000"
    old = dt.datetime(2020, 1, 1)
    Fee.create(campaign=cid, interval=1, interval_type="days", amount=100, created=old)
    LedgerEntry.update(created=old).execute()
    assert api.ok("customer_balance", campaign_id=cid, code="C1")["campaign"]["customer"]["balance"] == "0"


# --- the writers' queue (SQLite) -----------------------------------------------------------------------

def _can_lock(path: str) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


# The writers' lock is SQLite's alone: PostgreSQL writers queue on row locks.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_write_transaction_holds_the_writers_lock_until_it_ends(app, backend):
    path = db.database.obj.database + "-writer"
    # Another open file description stands for another process: flock excludes it.
    with pytest.raises(RuntimeError):
        with db.write_transaction():
            assert not _can_lock(path)
            Customer.create(account="shop", code="kept-out")
            raise RuntimeError("roll back")
    assert _can_lock(path)
    assert not Customer.select().where(Customer.code == "kept-out").exists()
    with db.write_transaction():
        Customer.create(account="shop", code="kept")
    assert _can_lock(path) and Customer.select().where(Customer.code == "kept").exists()


def test_history_names_each_recording_user_from_the_callers_account_only(api):
    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Names")["campaign"]["id"]
    Customer.create(account="shop", code="C1")
    User.update(name="Clara").where((User.account == "shop") & (User.user_id == "clerk")).execute()
    User.create(account="other", user_id="mgr", name="Not Me", role="manager", key_hash=hash_key("x"))
    api.staff().ok("record_activity", campaign_id=cid, code="C1", amount="1")
    api.ok("record_activity", campaign_id=cid, code="C1", amount="2")
    LedgerEntry.create(account="shop", campaign=cid, customer=Customer.get(code="C1"), kind="record", amount=5, user_id="gone")
    txs = api.ok("customer_balance", campaign_id=cid, code="C1", transactions_number=3)["campaign"]["customer"]["transactions"]
    assert sorted(t["user_name"] for t in txs) == ["Clara", "gone", "mgr"]
