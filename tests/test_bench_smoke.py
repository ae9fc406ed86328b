"""The benchmark's data loader, at a tiny size, so that it cannot rot: no timing is asserted here.

The loader must leave a ledger that ``check-ledger`` accepts, and data the measured calls can use with
the harness's credentials.
"""
from __future__ import annotations

from bench import loader
from bench.run import scenarios
from gateway.domain import ledger
from gateway.domain.models import Customer, LedgerEntry, Membership


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



def test_a_scenario_figure_is_its_median_run_and_valid_only_if_every_run_was():
    from bench.run import markdown, median_run

    def run(ratio, valid=True, failed=0):
        return {"rps": 100 * ratio, "p99_ms": 1.0, "p50_ms": 0.5, "bare_rps": 100.0, "bare_p99_ms": 1.0, "cpu_ms": 1.0,
                "bare_cpu_ms": 0.5, "ratio": ratio, "requests": 500, "failed": failed, "socket_errors": 0,
                "http_errors": 0, "rows_added": None, "valid": valid}

    row = median_run([run(0.70), run(0.55), run(0.62)])
    assert row["ratio"] == 0.62 and row["ratios"] == [0.70, 0.55, 0.62] and row["valid"]
    assert median_run([run(0.7), run(0.5)])["ratio"] == 0.5  # an even count takes the lower middle
    broken = median_run([run(0.7), run(0.6, valid=False, failed=3), run(0.65)])
    assert broken["ratio"] == 0.65 and not broken["valid"] and broken["failed"] == 3

    size = {"entries": 10, "customers": 1, "check_ledger": True, "loadavg_before": 0.0, "loadavg_after": 0.0,
            "scenarios": [{"name": "s", "issue": "#3", "target": 0.6, **row}, {"name": "t", "issue": "#3",
                                                                             "target": 0.6, **broken}]}
    table = markdown([size])
    assert "| 0.62 | 0.55-0.70 | 0.60 | yes |" in table
    assert "| 0.65 | 0.60-0.70 | 0.60 | yes (INVALID: 3 failed answers" in table
