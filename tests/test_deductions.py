"""Fees and depreciations, computed as of the read: the replay rules, then their effect through HTTP."""
from __future__ import annotations

import datetime as dt

import pytest

from gateway.domain.deductions import Outcome, Rules, add_interval, replay
from gateway.domain.models import Customer, Depreciation, Fee, LedgerEntry, Membership, utcnow

T0 = dt.datetime(2024, 1, 15, 12, 0, 0)
LONG_AGO = dt.datetime(2000, 1, 1)


def months(n: int, days: int = 0) -> dt.datetime:
    return add_interval(T0, n, "months") + dt.timedelta(days=days)


def fee(amount, interval=1, kind="months", created=LONG_AGO) -> Fee:
    return Fee(interval=interval, interval_type=kind, amount=amount, created=created)


def dep(type_, percentage, interval, kind="months", created=LONG_AGO) -> Depreciation:
    return Depreciation(type=type_, interval=interval, interval_type=kind, percentage=percentage, created=created)


# --- the replay --------------------------------------------------------------------------------------

def test_add_interval_clamps_month_ends():
    assert add_interval(dt.datetime(2024, 1, 31), 1, "months") == dt.datetime(2024, 2, 29)
    assert add_interval(dt.datetime(2023, 1, 31), 13, "months") == dt.datetime(2024, 2, 29)
    assert add_interval(dt.datetime(2024, 2, 29), 1, "years") == dt.datetime(2025, 2, 28)
    assert add_interval(dt.datetime(2024, 2, 29), 30, "days") == dt.datetime(2024, 3, 30)


def test_fee_is_charged_per_full_interval_since_first_activity():
    rules = Rules(fees=[fee(100)])
    entries = [(T0, 1000)]
    assert replay(entries, rules, months(1, -1)) == Outcome(1000, 0)
    assert replay(entries, rules, months(1)) == Outcome(900, 100)
    assert replay(entries, rules, months(3, 1)) == Outcome(700, 300)


def test_fee_never_takes_a_balance_below_zero():
    rules = Rules(fees=[fee(100)])
    assert replay([(T0, 150)], rules, months(5)) == Outcome(0, 150)
    # A later credit is not eaten by charges that found nothing to take.
    assert replay([(T0, 150), (months(5, 1), 40)], rules, months(5, 2)) == Outcome(40, 150)


def test_fee_starts_at_its_creation_when_that_is_later():
    rules = Rules(fees=[fee(100, created=months(2))])
    assert replay([(T0, 1000)], rules, months(3, -1)) == Outcome(1000, 0)
    assert replay([(T0, 1000)], rules, months(3)) == Outcome(900, 100)


def test_per_transaction_depreciation_ages_each_credit_once_fifo_against_redeems():
    rules = Rules(depreciations=[dep("per_transaction", "50", 12)])
    entries = [(T0, 100), (months(6), 100)]
    assert replay(entries, rules, months(12, -1)) == Outcome(200, 0)
    assert replay(entries, rules, months(13)) == Outcome(150, 50)
    assert replay(entries, rules, months(40)) == Outcome(100, 100)  # each credit loses 50% once
    # A redeem spends the oldest credit first, so less of it is left to depreciate.
    spent = [(T0, 100), (months(1), -80), (months(6), 100)]
    assert replay(spent, rules, months(13)) == Outcome(110, 10)


def test_depreciation_rounds_losses_down():
    rules = Rules(depreciations=[dep("per_transaction", "33.3", 1)])
    assert replay([(T0, 10)], rules, months(2)) == Outcome(7, 3)  # 3.33 -> 3


def test_last_transaction_depreciation_after_inactivity():
    rules = Rules(depreciations=[dep("last_transaction", "100", 18)])
    assert replay([(T0, 500)], rules, months(18, -1)) == Outcome(500, 0)
    assert replay([(T0, 500)], rules, months(18)) == Outcome(0, 500)
    # Activity within the interval starts a new period.
    assert replay([(T0, 500), (months(10), 10)], rules, months(20)) == Outcome(510, 0)
    # A period that ran out stays deducted when the customer comes back.
    assert replay([(T0, 500), (months(20), 100)], rules, months(21)) == Outcome(100, 500)
    half = Rules(depreciations=[dep("last_transaction", "50", 1)])
    assert replay([(T0, 500), (months(1, 1), -50)], half, months(2, 1)) == Outcome(100, 250 + 100)


def test_rules_never_reach_back_before_they_existed():
    rules = Rules(depreciations=[dep("per_transaction", "100", 1, created=months(6))])
    assert replay([(T0, 100)], rules, months(5)) == Outcome(100, 0)
    assert replay([(T0, 100)], rules, months(6)) == Outcome(0, 100)


def test_history_broken_by_a_deletion_shows_a_debt():
    assert replay([(T0, 100), (months(1), -150)], Rules(), months(2)) == Outcome(-50, 0)


# --- through the API ------------------------------------------------------------------------------------

@pytest.fixture
def customer(app):
    return Customer.create(account="shop", code="C1")


def campaign(api, type_) -> str:
    return api.ok("campaign_new", action="campaign", campaign_type=type_, campaign_name="club")["campaign"]["id"]


def backdated(api, cid, ago: dt.timedelta, **fields) -> int:
    receipt = api.ok("record_activity", campaign_id=cid, code="C1", **fields)["receipt"]
    entry_id = int(receipt["transaction_id"])
    LedgerEntry.update(created=utcnow() - ago).where(LedgerEntry.id == entry_id).execute()
    return entry_id


def shown(api, cid) -> dict:
    return api.ok("customer_balance", campaign_id=cid, code="C1")["campaign"]["customer"]


def test_depreciated_points_cannot_be_redeemed(api, customer):
    cid = campaign(api, "points")
    Depreciation.create(campaign=cid, type="per_transaction", interval=30, interval_type="days", percentage="100",
                        created=LONG_AGO)
    backdated(api, cid, dt.timedelta(days=31), amount="10")  # 1000 points, expired
    assert shown(api, cid)["balance"] == "0"
    assert api.err("redeem", campaign_id=cid, code="C1", custom_points_redeem="1") == "Insufficient balance: 0 available, 1 needed"
    assert Membership.get().balance == 1000  # the stored balance is the ledger's sum; expiry is computed
    assert api.ok("record_activity", campaign_id=cid, code="C1", amount="1")["receipt"]["balance"] == "100"
    assert api.ok("redeem", campaign_id=cid, code="C1", custom_points_redeem="100")["receipt"]["balance"] == "0"
    assert api.err("redeem", campaign_id=cid, code="C1", custom_points_redeem="1").startswith("Insufficient balance")


def test_giftcard_fee_is_charged_and_listed_nowhere(api, customer, runner):
    cid = campaign(api, "giftcard")
    Fee.create(campaign=cid, interval=1, interval_type="months", amount=100, description="Monthly", created=LONG_AGO)
    backdated(api, cid, dt.timedelta(days=100), amount="10")  # three full months ago at least
    holding = shown(api, cid)
    assert holding["balance"] == "7.00"
    assert len(holding["transactions"]) == 1  # fees are not transactions: nothing to delete
    assert api.err("redeem", campaign_id=cid, code="C1", reward_to_redeem="7.01").startswith("Insufficient balance: 7.00")
    assert api.ok("redeem", campaign_id=cid, code="C1", reward_to_redeem="7")["receipt"]["balance"] == "0.00"
    Fee.delete().execute()  # deleting the rule gives back what it took: it was never stored
    assert shown(api, cid)["balance"] == "3.00"
    assert runner.invoke(args=["check-ledger"]).exit_code == 0


def test_fees_do_not_apply_to_other_campaign_types(api, customer):
    cid = campaign(api, "events")
    Fee.create(campaign=cid, interval=1, interval_type="days", amount=1, created=LONG_AGO)
    backdated(api, cid, dt.timedelta(days=10))
    assert shown(api, cid)["balance"] == "1"


def test_delete_refused_when_the_replayed_history_would_go_negative(api, customer):
    cid = campaign(api, "points")
    Depreciation.create(campaign=cid, type="per_transaction", interval=2, interval_type="months", percentage="100",
                        created=LONG_AGO)
    backdated(api, cid, dt.timedelta(days=90), amount="1")  # 100 points, expired
    recent = backdated(api, cid, dt.timedelta(days=1), amount="1")  # 100 points
    api.ok("redeem", campaign_id=cid, code="C1", custom_points_redeem="100")
    # The stored balance would stay >= 0 (100 - 100), but the redeem spent the recent credit: without
    # it the history has spent 100 points it never had.
    message = api.err("transaction_delete", campaign_id=cid, code="C1", transaction_id=recent)
    assert message == "Cannot delete this transaction: the balance would become negative"
    assert Membership.get().balance == 100 and LedgerEntry.select().count() == 3
