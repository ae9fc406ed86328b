"""Time ``flask --app app import-customers`` on 100,000 customers:
``python3 bench/import_customers.py [--rows N] [--database sqlite|postgres] [--repeat N]``.

The figure is absolute wall time (the issue's target: 100,000 customers in under a minute on this
machine), measured as an operator runs the command: a new process, a CSV file of ``--rows`` customers
(code, card number, names, e-mail, phone, a custom field, enrolment in one campaign) into a fresh
database with its tables, an account and the campaign. Afterwards every row must be stored, every
customer enrolled, and ``flask --app app check-ledger`` must pass; the exit status is 1 otherwise.
The median of ``--repeat`` runs (3 by default) is reported with the lowest and highest, and the
largest resident memory of a command.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
CAMPAIGN = "1000000000000001"


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("code,card_number,first_name,last_name,email,phone,custom_field_2,campaign_id\n")
        for n in range(rows):
            out.write(f"M{n:07d},9{n:015d},First{n},Last {n % 977},m{n}@example.com,555-{n % 10000:04d},"
                      f"tier {n % 3},{CAMPAIGN}\n")


def flask(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def fresh_database(kind: str, directory: Path) -> tuple[str, callable]:
    """A new database with its tables, the account ``bench`` and a points campaign; and how to drop it."""
    if kind == "sqlite":
        url = f"sqlite:///{directory / f'import-{uuid.uuid4().hex[:8]}.db'}"
        drop = lambda: None  # noqa: E731  (the directory goes)
    else:
        import psycopg2

        name = f"rg_bench_import_{uuid.uuid4().hex[:8]}"
        admin = psycopg2.connect(POSTGRES_URL)
        admin.autocommit = True
        admin.cursor().execute(f'CREATE DATABASE "{name}"')
        url = POSTGRES_URL.rsplit("/", 1)[0] + "/" + name

        def drop():
            admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
    for args in (("init-db",), ("create-account", "bench")):
        result = flask(url, *args)
        if result.returncode:
            raise SystemExit(result.stdout + result.stderr)
    from gateway.domain import db
    from gateway.domain.models import Campaign

    db.bind(url)
    Campaign.create(id=CAMPAIGN, account="bench", type="points", name="Bench points")
    db.database.close()
    return url, drop


def verify(url: str, rows: int) -> list[str]:
    from gateway.domain import db
    from gateway.domain.models import Customer, Membership

    db.bind(url)
    problems = []
    stored, members = Customer.select().count(), Membership.select().count()
    db.database.close()
    if (stored, members) != (rows, rows):
        problems.append(f"{stored} customers and {members} memberships stored, {rows} expected")
    check = flask(url, "check-ledger")
    if check.returncode:
        problems.append("check-ledger failed: " + check.stdout + check.stderr)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    times, failed = [], False
    with tempfile.TemporaryDirectory(prefix="rg-import-bench-") as tmp:
        directory = Path(tmp)
        csv_path = directory / "customers.csv"
        write_csv(csv_path, options.rows)
        for run in range(options.repeat):
            url, drop = fresh_database(options.database, directory)
            try:
                started = time.perf_counter()
                result = flask(url, "import-customers", "bench", str(csv_path))
                took = time.perf_counter() - started
                problems = [result.stdout + result.stderr[-2000:]] if result.returncode else verify(url, options.rows)
            finally:
                drop()
            print(f"run {run + 1}: {took:.1f} s {'; '.join(problems)}", file=sys.stderr)
            failed = failed or bool(problems)
            times.append(took)
    median = statistics.median(times)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024  # the largest child: an import
    print(f"| database | rows | wall time (median) | runs | rows per second | peak memory |\n"
          f"|---|---:|---:|---|---:|---:|\n"
          f"| {options.database} | {options.rows:,} | {median:.1f} s | {min(times):.1f}-{max(times):.1f} s "
          f"| {options.rows / median:,.0f} | {peak} MB |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
