"""The benchmark's data loader and harness, at tiny sizes, so that they cannot rot: no timing is asserted.

The loader must leave a ledger that ``check-ledger`` accepts and data the measured calls can use with
the harness's credentials; the harness must hand each run a fresh copy of its cached data (a SQLite
file, or a PostgreSQL database made from a template) and take the median of its framed runs.
"""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from bench import loader, run
from bench.instructions import bodies
from bench.run import scenarios
from gateway.domain import db, ledger
from gateway.domain.models import Customer, LedgerEntry, Membership
from conftest import PG_URL, create_pg_database, drop_pg_database, require_postgres


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


def test_the_same_sizes_give_the_same_data(tmp_path):
    first, _ = run.load_into(f"sqlite:///{tmp_path / 'a.db'}", 7, 90)
    second, _ = run.load_into(f"sqlite:///{tmp_path / 'b.db'}", 7, 90)
    assert first == second


def test_each_sqlite_run_gets_a_fresh_copy_of_the_cached_file(tmp_path, monkeypatch):
    monkeypatch.setattr(run, "RESULTS", tmp_path / "results")
    data = run.SqliteData(tmp_path, 9, 100)

    ds, seconds = data.prepare(use_cache=True)
    assert seconds > 0 and data.count_rows("ledger_entry") == 100
    db.bind(data.url)
    LedgerEntry.delete().execute()  # a run's writes
    db.database.close()
    data.discard()

    again, seconds = data.prepare(use_cache=True)
    assert (again, seconds) == (ds, 0.0)
    assert data.count_rows("ledger_entry") == 100
    assert run.check_ledger(data.url).returncode == 0
    data.discard()


def test_the_loader_fills_a_postgres_database():
    require_postgres()
    url = create_pg_database("rg_bench_test")
    try:
        ds, _ = run.load_into(url, 11, 257)  # PostgreSQL's own chunk size: one INSERT per table
        assert (ds.customers, ds.entries) == (11, 257)
        checked = run.check_ledger(url)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    finally:
        db.database.close()
        drop_pg_database(url)


def test_each_postgres_run_gets_a_fresh_database_from_the_cached_template(monkeypatch):
    require_postgres()
    monkeypatch.setattr(run, "POSTGRES_URL", PG_URL)
    monkeypatch.setattr(run.PostgresData, "prefix", f"rg_bench_test_{uuid.uuid4().hex[:8]}")
    data = run.PostgresData(None, 6, 80)
    try:
        ds, seconds = data.prepare(use_cache=True)
        assert seconds > 0 and data.count_rows("ledger_entry") == 80
        with data.connect(data.url) as conn, conn.cursor() as cur:
            cur.execute('DELETE FROM "ledger_entry"')  # a run's writes
        conn.close()
        data.discard()

        again, seconds = data.prepare(use_cache=True)
        assert (again, seconds) == (ds, 0.0)
        assert data.count_rows("ledger_entry") == 80
        checked = run.check_ledger(data.url)
        assert checked.returncode == 0, checked.stdout + checked.stderr
    finally:
        data.discard()
        drop_pg_database(data.url_of(data.template))


def test_a_scenario_figure_is_its_median_run_and_valid_only_if_every_run_was():
    from bench.run import markdown, median_run

    def run_(ratio, valid=True, failed=0):
        return {"rps": 100 * ratio, "p99_ms": 1.0, "p50_ms": 0.5, "bare_rps": 100.0, "bare_p99_ms": 1.0, "cpu_ms": 1.0,
                "bare_cpu_ms": 0.5, "ratio": ratio, "requests": 500, "failed": failed, "socket_errors": 0,
                "http_errors": 0, "rows_added": None, "valid": valid}

    row = median_run([run_(0.70), run_(0.55), run_(0.62)])
    assert row["ratio"] == 0.62 and row["ratios"] == [0.70, 0.55, 0.62] and row["valid"]
    assert median_run([run_(0.7), run_(0.5)])["ratio"] == 0.5  # an even count takes the lower middle
    broken = median_run([run_(0.7), run_(0.6, valid=False, failed=3), run_(0.65)])
    assert broken["ratio"] == 0.65 and not broken["valid"] and broken["failed"] == 3

    size = {"entries": 10, "customers": 1, "check_ledger": True, "loadavg_before": 0.0, "loadavg_after": 0.0,
            "scenarios": [{"name": "s", "floor": 0.6, **row}, {"name": "t", "floor": 0.6, **broken},
                          {"name": "u", "floor": None, **row}]}
    table = markdown([size])
    assert "| 0.62 | 0.55-0.70 | 0.60 | yes |" in table
    assert "| 0.65 | 0.60-0.70 | 0.60 | yes (INVALID: 3 failed answers" in table
    assert "| u | 62 |" in table and "| 0.62 | 0.55-0.70 | - | - |" in table


def test_a_run_is_framed_by_the_bare_runs_around_it():
    def wrk_result(rps, failed=0):
        return {"rps": rps, "p99_ms": 2.0, "p50_us": 1000, "cpu_ms": 1.0, "requests": 1000, "failed": failed,
                "socket_errors": 0, "http_errors": 0}

    run_ = run.framed_run(wrk_result(300), wrk_result(900), wrk_result(1100), added=1000)
    assert run_["bare_rps"] == 1000 and run_["ratio"] == pytest.approx(0.3) and run_["valid"]
    assert not run.framed_run(wrk_result(300), wrk_result(900), wrk_result(1100), added=999)["valid"]
    assert not run.framed_run(wrk_result(300, failed=1), wrk_result(900), wrk_result(1100), added=None)["valid"]


def test_each_database_has_its_server_shape_and_floors():
    assert (run.BACKENDS["sqlite"].workers, run.BACKENDS["sqlite"].connections) == (2, 16)
    assert (run.BACKENDS["postgres"].workers, run.BACKENDS["postgres"].connections) == (4, 8)
    floors = {s.name: s.floors for s in scenarios(loader.Dataset(0, 0, "", "", "", 0, 0))}
    assert floors["campaign_rewards"] == {"sqlite": 0.60, "postgres": 0.31}
    assert floors["record_activity"] == {"sqlite": 0.30, "postgres": 0.16}
    assert floors["customer_balance"]["sqlite"] == 0.45 and floors["campaign_new_reward"]["sqlite"] == 0.35


def test_instruction_counts_serve_the_harness_requests_and_stop_at_a_failed_one(tmp_path):
    # bench/instructions.py's counted process, run here without valgrind: it serves every scenario's
    # requests (and the bare route's) on the loaded data, and exits with an error at an answer that is
    # not a success, so that a count is never taken of failing requests.
    root = Path(__file__).resolve().parent.parent
    ds, _ = run.load_into(f"sqlite:///{tmp_path / 'i.db'}", 7, 90)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'i.db'}"}

    def serve(path: str, fields: dict) -> subprocess.CompletedProcess:
        command = [sys.executable, "bench/instructions.py", "--child", path, run.form_body(fields), "7", "4", "6"]
        return subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, timeout=120)

    for scenario in scenarios(ds):
        done = serve("/", scenario.fields)
        assert done.returncode == 0, (scenario.name, done.stderr[-2000:])
    assert serve("/__bare", {}).returncode == 0
    failed = serve("/", {"type": "customer_balance", "campaign_id": "0", "code": loader.code_of(1)})
    assert failed.returncode != 0 and "a request failed" in failed.stderr

    template = run.form_body(next(s for s in scenarios(ds) if s.name == "record_activity").fields)
    made = bodies(template, 7, 50)
    assert made == bodies(template, 7, 50) and len(set(made)) > 40  # seeded, and varied as post.lua varies
    assert not any(b"__" in body for body in made)
    assert {body.split(b"code=")[1][:8] for body in made} <= {loader.code_of(i).encode() for i in range(7)}
