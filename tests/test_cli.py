"""Operator commands, through the Flask CLI runner and as real subprocesses (exit codes for scripts)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import Api, create_pg_database, drop_pg_database, require_postgres
from gateway import create_app
from gateway.domain import db
from gateway.domain.users import hash_key
from gateway.domain.models import Account, Campaign, Customer, Membership, User

ROOT = Path(__file__).resolve().parent.parent


def invoke(runner, *args):
    return runner.invoke(args=list(args))


def test_init_db_is_safe_to_run_again(runner):
    for _ in range(2):
        result = invoke(runner, "init-db")
        assert result.exit_code == 0 and result.output == "database ready\n"
    assert Account.select().count() == 2  # the seeded tenants survived


def test_create_account_then_user_whose_printed_key_authenticates(runner, client):
    result = invoke(runner, "create-account", "acme", "--name", "Acme Widgets")
    assert result.exit_code == 0, result.output
    assert Account.get_by_id("acme").name == "Acme Widgets"
    result = invoke(runner, "create-user", "acme", "boss", "--role", "manager")
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert len(key) >= 32 and key not in {u.key_hash for u in User.select()}
    acme = Api(client, user_id="boss", key=key, account_id="acme")
    acme.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Acme points")
    assert [c["name"] for c in acme.ok("campaigns_list")["campaigns"]] == ["Acme points"]


def test_api_key_option_keeps_a_migrating_merchants_key(runner, client):
    invoke(runner, "create-account", "legacy")
    result = invoke(runner, "create-user", "legacy", "john1970", "--role", "staff", "--api-key", "1959caadac9b13dcb3")
    assert result.exit_code == 0 and result.output == "1959caadac9b13dcb3\n"
    user = User.get(User.user_id == "john1970")
    assert user.key_hash == hash_key("1959caadac9b13dcb3") and user.role == "staff"
    clerk = Api(client, user_id="john1970", key="1959caadac9b13dcb3", account_id="legacy", auth="api_key")
    assert clerk.ok("campaigns_list")["campaigns"] == []
    assert clerk.err("campaign_new", action="campaign", campaign_type="points", campaign_name="x").startswith("Permission denied")


@pytest.mark.parametrize(
    "args, message",
    [
        (["create-account", "shop"], "account shop already exists"),
        (["create-account", "bad id!"], "account id: 1-64 letters, digits, or . _ - @"),
        (["create-user", "nowhere", "u1"], "account nowhere does not exist"),
        (["create-user", "shop", "mgr"], "user mgr already exists in account shop"),
        (["create-user", "shop", "u2", "--api-key", "short"], "--api-key must be at least 8 characters"),
    ],
)
def test_refusals_exit_non_zero_and_change_nothing(runner, args, message):
    before = (Account.select().count(), User.select().count())
    result = invoke(runner, *args)
    assert result.exit_code == 1
    assert message in result.output
    assert (Account.select().count(), User.select().count()) == before


def test_bad_role_is_a_usage_error(runner):
    result = invoke(runner, "create-user", "shop", "u3", "--role", "owner")
    assert result.exit_code == 2
    assert User.get_or_none(User.user_id == "u3") is None


def test_demo_prints_a_working_key_and_refreshes_it(runner, client):
    first = invoke(runner, "demo")
    assert first.exit_code == 0
    fields = dict(part.split("=", 1) for part in first.output.split())
    assert fields["account_id"] == "demo" and fields["user_id"] == "demo"
    demo = Api(client, user_id="demo", key=fields["user_api_key"], account_id="demo")
    assert demo.ok("campaigns_list")["status"] == "success"
    second = dict(part.split("=", 1) for part in invoke(runner, "demo").output.split())
    assert second["user_api_key"] != fields["user_api_key"]
    assert demo.err("campaigns_list") == "Authentication failed"
    assert Api(client, user_id="demo", key=second["user_api_key"], account_id="demo").ok("campaigns_list")


def _corrupt_a_balance() -> None:
    campaign = Campaign.create(id="1111222233334444", account="shop", type="points", name="P")
    customer = Customer.create(account="shop", code="C1")
    Membership.create(customer=customer, campaign=campaign, balance=500)  # no ledger row says so


def test_check_ledger_exit_status(runner):
    result = invoke(runner, "check-ledger")
    assert result.exit_code == 0 and result.output == "ledger consistent\n"
    _corrupt_a_balance()
    result = invoke(runner, "check-ledger")
    assert result.exit_code == 1
    assert "MISMATCH" in result.output and "campaign=1111222233334444" in result.output and "stored=500" in result.output


# --- as scripts would run them ------------------------------------------------------------------------

def flask(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(params=["sqlite", "postgresql"])
def script_db(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'script.db'}"
        return
    require_postgres()
    url = create_pg_database("rg_cli")
    yield url
    db.database.close()
    drop_pg_database(url)


def test_commands_as_subprocesses_report_through_exit_codes(script_db):
    assert flask(script_db, "init-db").returncode == 0
    made = flask(script_db, "create-account", "greatwidgets", "--name", "Great Widgets")
    assert made.returncode == 0, made.stderr
    again = flask(script_db, "create-account", "greatwidgets")
    assert again.returncode == 1 and "already exists" in again.stderr
    user = flask(script_db, "create-user", "greatwidgets", "john1970", "--role", "manager", "--api-key", "1959caadac9b13dcb3")
    assert user.returncode == 0 and user.stdout == "1959caadac9b13dcb3\n"
    assert flask(script_db, "check-ledger").returncode == 0

    app = create_app({"TESTING": True, "DATABASE_URL": script_db})
    try:
        client = Api(app.test_client(), user_id="john1970", key="1959caadac9b13dcb3", account_id="greatwidgets")
        client.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Scripted")
        assert [c["name"] for c in client.ok("campaigns_list")["campaigns"]] == ["Scripted"]
        customer = Customer.create(account="greatwidgets", code="C9")
        Membership.create(customer=customer, campaign=Campaign.get(), balance=7)
    finally:
        db.database.close()
    broken = flask(script_db, "check-ledger")
    assert broken.returncode == 1 and "1 balance(s) differ from the ledger" in broken.stderr
