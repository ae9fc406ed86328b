"""A real legacy PHP integration against a real gunicorn: curl posting arrays (multipart), SimpleXML reading.

The scripts in tests/php/ print ``OK <step>`` per step and ``ALL OK`` at the end, or ``FAIL: ...`` on
stderr with exit status 1. Without php-cli (with curl and SimpleXML) these tests skip, except under
``CI=true``, where they fail.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import IN_CI, MANAGER_KEY, STAFF_KEY, create_pg_database, drop_pg_database, require_postgres
from gateway.domain import db
from servers import prepare_database, running_server

PHP_DIR = Path(__file__).resolve().parent / "php"

pytestmark = pytest.mark.slow


def php_missing() -> str | None:
    php = shutil.which("php")
    if php is None:
        return "php-cli is not installed"
    modules = subprocess.run([php, "-m"], capture_output=True, text=True, timeout=30).stdout.lower().split()
    missing = [m for m in ("curl", "simplexml") if m not in modules]
    return f"php lacks the {', '.join(missing)} extension(s)" if missing else None


@pytest.fixture(scope="module")
def php() -> str:
    reason = php_missing()
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(f"{reason}; CI runs these")
    return shutil.which("php")


@pytest.fixture(params=["sqlite", "postgresql"])
def server(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'php.db'}"
    else:
        require_postgres()
        url = create_pg_database("rg_php")
    try:
        prepare_database(url)
        db.database.close()
        with running_server(url, workers=2) as running:
            yield running
    finally:
        db.database.close()
        if request.param == "postgresql":
            drop_pg_database(url)


def run_php(php: str, script: str, server, **env: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RG_URL": server.url + "api.php", "RG_USER": "mgr", "RG_KEY": MANAGER_KEY, "RG_ACCOUNT": "shop", **env}
    return subprocess.run([php, str(PHP_DIR / script)], env=env, capture_output=True, text=True, timeout=120)


def assert_all_ok(result: subprocess.CompletedProcess, server) -> None:
    assert result.returncode == 0 and result.stdout.endswith("ALL OK\n"), (
        f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}\nserver log:\n{server.log()[-3000:]}"
    )


def test_php_back_office_manages_campaigns_and_rewards(php, server):
    result = run_php(php, "campaign_flow.php", server)
    assert_all_ok(result, server)
    assert "OK campaign_delete campaign" in result.stdout


def test_php_till_works_a_whole_day(php, server):
    # The till is a staff user posting to "/"; the back office (a manager) sets up and reads the report.
    result = run_php(php, "till_day.php", server, RG_URL=server.url, RG_USER="clerk", RG_KEY=STAFF_KEY,
                     RG_MANAGER_USER="mgr", RG_MANAGER_KEY=MANAGER_KEY)
    assert_all_ok(result, server)


def test_php_back_office_manages_users_fields_and_account(php, server):
    result = run_php(php, "back_office_users.php", server)
    assert_all_ok(result, server)
    assert "OK user_delete" in result.stdout


def test_php_portal_logs_staff_and_customers_in(php, server):
    # The portal signs its desk user in with user_login and uses the key it answers for every later call.
    result = run_php(php, "portal_flow.php", server)
    assert_all_ok(result, server)
    assert "OK token balance" in result.stdout
