"""The benchmark's data loader, at a tiny size, so that it cannot rot: no timing is asserted here.

The loader must leave a ledger that ``check-ledger`` accepts, and data the measured calls can use with
the harness's credentials.
"""
from __future__ import annotations

from bench import loader
from bench.run import scenarios
from gateway import ledger
from gateway.models import Customer, LedgerEntry, Membership


def test_loader_leaves_a_consistent_ledger(app, runner):
    # A chunk size that does not divide the row counts exercises the last, shorter INSERT too.
    ds = loader.load(customers=23, entries=611, chunk=50)

    assert Customer.select().where(Customer.account == loader.ACCOUNT).count() == 23
    rows = LedgerEntry.select().where(LedgerEntry.account == loader.ACCOUNT)
    assert rows.count() == 611
    assert rows.where(LedgerEntry.kind == "redeem").count() > 0
    assert Membership.select().where(Membership.balance < 0).count() == 0
    assert list(ledger.check()) == []

    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 0, result.output
    assert "ledger consistent" in result.output
    assert {s.name for s in scenarios(ds)} >= {"campaign_rewards", "customer_balance", "record_activity"}


def test_loaded_data_answers_the_measured_calls(app, api):
    ds = loader.load(customers=5, entries=120, chunk=40)
    bench = api.as_user(loader.USER, loader.API_KEY, loader.ACCOUNT)
    customer = Customer.get(Customer.account == loader.ACCOUNT, Customer.code == loader.code_of(3))
    stored = sum(m.balance for m in Membership.select().where(
        (Membership.customer == customer.id) & (Membership.campaign == ds.points_campaign)))

    doc = bench.ok("customer_balance", campaign_id=ds.points_campaign, code=loader.code_of(3), transactions_number=10)
    assert doc["campaign"]["customer"]["balance"] == str(stored)
    assert 0 < len(doc["campaign"]["customer"]["transactions"]) <= 10

    rewards = bench.ok("campaign_rewards", campaign_id=ds.points_campaign)["rewards"]
    assert [r["level"] for r in rewards] == [str(level) for level in loader.REWARD_LEVELS]

