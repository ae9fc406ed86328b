"""Benchmarks of the JSON API's events, participants and leaderboard:
``python3 bench/api.py events|leaderboard [--database sqlite|postgres] ...``.

- events: POST /v1/campaigns/{slug}/events through gunicorn (gunicorn.conf.py, 2 sync workers on
  SQLite, 4 on PostgreSQL) driven by wrk (bench/post.lua), as bench/run.py measures record_activity:
  each timed run is framed by two runs of the bare route of the same app, the ratio is the run's
  throughput over their mean, the figure the median of ``--repeat`` runs. Every answer must be a
  success, the events table must have grown by at least the answers counted, and check-ledger must
  pass afterwards. Floor: 0.30 on SQLite (record_activity's).
- leaderboard: ``--participants`` (1,000,000) participants of one campaign written straight into the
  tables (memberships with spread balances and ties), then in this process, through Flask's test
  client (server time: no socket), GET the leaderboard (limit 100) and GET one participant's progress
  (ranks at the top, the middle and the bottom), each ``--requests`` times; the figure is the median
  per request. The queries behind them are also timed alone (top 100, the rank count, the stored
  total and the COUNT it saves), to show where the time goes. Targets: top 100 <= 5 ms, one rank <= 20 ms.

Output: Markdown on stdout, progress on stderr.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ACCOUNT = "bench"
SLUG = "bench-events"
EVENT = '{"userId":"__USER__","eventType":"purchase","metadata":{"amount":__AMOUNT__}}'
LEGACY_USER, LEGACY_KEY = "bench", "bench-key-0001"  # a throwaway database's key


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


@contextlib.contextmanager
def database(kind: str, workdir: Path):
    """A fresh, empty database (a SQLite file, or a new PostgreSQL database dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'api-bench.db'}"
        return
    import psycopg2

    name = f"rg_bench_api_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(POSTGRES_URL, connect_timeout=5)
    admin.autocommit = True
    admin.cursor().execute(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlsplit(POSTGRES_URL)._replace(path="/" + name).geturl()
    finally:
        from gateway.domain import db

        if db.database.obj is not None:
            db.database.close()
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def setup(url: str) -> tuple[str, object]:
    """Tables, the account, a secret key and an active campaign; answers (key, campaign)."""
    from gateway.domain import api_keys, db, models, programs
    from gateway.domain.models import Account

    db.bind(url)
    models.create_tables()
    Account.create(id=ACCOUNT, name="Bench")
    key = api_keys.create_key(ACCOUNT, "live")
    with db.write_transaction():
        campaign = programs.create(ACCOUNT, slug=SLUG, name="Bench", rules=[
            programs.Rule("purchase", points_per=programs.Decimal(1), metadata_field="amount"),
            programs.Rule("visit", points=10)])
        programs.activate(campaign)
    return key, campaign


# --- events -----------------------------------------------------------------------------------------------

def wrk(base: str, path: str, body: str, users: int, key: str, seconds: int, connections: int,
        content_type: str = "application/json", success: str = '"status":"success"') -> dict:
    return run.wrk(base, path, body, users, seconds, connections, extra=(key, content_type, success))


def count_rows(model) -> int:
    from gateway.domain import db

    db.ensure_connection()
    count = model.select().count()
    db.database.close()
    return count


def events(args) -> int:
    backend = run.BACKENDS["postgres" if args.database == "postgres" else "sqlite"]
    workers, connections = args.workers or backend.workers, args.connections or backend.connections
    with tempfile.TemporaryDirectory(prefix="rewardgate-bench-api-") as tmp, database(args.database, Path(tmp)) as url:
        key, campaign = setup(url)
        from gateway.domain import db
        from gateway.domain.models import CampaignEvent, LedgerEntry, User
        from gateway.domain.users import hash_key

        # The participants exist (as customers of the legacy door must), so both calls find them.
        load_participants(url, campaign, args.users, spread=False)
        User.create(account=ACCOUNT, user_id=LEGACY_USER, role="manager", key_hash=hash_key(LEGACY_KEY))
        record = urllib.parse.urlencode({"user_id": LEGACY_USER, "user_password": LEGACY_KEY, "account_id": ACCOUNT,
                                         "type": "record_activity", "campaign_id": campaign.id, "code": "__USER__",
                                         "amount": "__AMOUNT__", "output": "json"})
        db.database.close()
        with run.gunicorn(url, Path(tmp) / "gunicorn.log", workers) as (base, master):
            path = f"/v1/campaigns/{SLUG}/events"

            def measure(target: str, body: str = EVENT, *form) -> dict:
                cpu = run.server_cpu_seconds(master)
                result = wrk(base, target, body, args.users, key, args.duration, connections, *form)
                result["cpu_ms"] = (run.server_cpu_seconds(master) - cpu) * 1000 / max(result["requests"], 1)
                return result

            measure("/__bare")
            bare = measure("/__bare")
            rows = {}
            # record_activity on the same campaign and participants, framed the same way: the
            # comparison the issue asks for ("like record_activity"), on this machine, now.
            legacy = (record, "application/x-www-form-urlencoded", '"status": "success"')
            for name, target, body, model in (("events", path, (EVENT,), CampaignEvent),
                                              ("record_activity", "/", legacy, LedgerEntry)):
                measure(target, *body)  # warm-up
                runs = []
                for _ in range(args.repeat):
                    before = count_rows(model)
                    result = measure(target, *body)
                    added = count_rows(model) - before
                    after = measure("/__bare")
                    runs.append(run.framed_run(result, bare, after, added))
                    bare = after
                rows[name] = run.median_run(runs)
        checked = run.check_ledger(url)
    floors = {"sqlite": {"events": 0.30, "record_activity": 0.30}, "postgres": {"record_activity": 0.16}}[args.database]
    print(f"events ({args.database}, gunicorn {workers} workers, wrk -t1 -c{connections} -d{args.duration}s,"
          f" {args.repeat} framed runs, {args.users:,} participants; load average {os.getloadavg()[0]:.1f}):\n")
    print("| scenario | rps | p99 ms | bare rps | ratio | runs | floor | ok | server CPU ms/req | bare CPU ms/req |")
    print("|---|---:|---:|---:|---:|---|---:|---|---:|---:|")
    for name, row in rows.items():
        floor = floors.get(name)
        ok = "-" if floor is None else ("yes" if row["ratio"] >= floor else "**no**")
        if not row["valid"]:
            ok += f" (INVALID: {row['failed']} failed, {row['http_errors']} HTTP errors, rows {row['rows_added']})"
        print(f"| {name} | {row['rps']:.0f} | {row['p99_ms']:.1f} | {row['bare_rps']:.0f} | {row['ratio']:.2f} |"
              f" {run.spread(row)} | {'-' if floor is None else floor} | {ok} | {row['cpu_ms']:.2f} |"
              f" {row['bare_cpu_ms']:.2f} |")
    print(f"\nevents / record_activity: {rows['events']['ratio'] / rows['record_activity']['ratio']:.2f};"
          f" check-ledger: {'passed' if checked.returncode == 0 else 'FAILED ' + checked.stdout[-300:]}")
    return 0 if all(r["valid"] for r in rows.values()) and checked.returncode == 0 else 1


# --- leaderboard ------------------------------------------------------------------------------------------

def load_participants(url: str, campaign, count: int, spread: bool = True) -> None:
    """``count`` customers and their memberships in ``campaign``, written with one INSERT ... SELECT each
    (a template customer's defaults copied): balances spread over 0..100,002 (about ten per total, so
    ties are common), ``reached`` distinct. ``spread=False``: every balance 0, as the ledger (empty) says."""
    from gateway.domain import db
    from gateway.domain.models import Customer, Membership, utcnow

    template = Customer.create(account=ACCOUNT, code="template")
    columns = [f.column_name for f in Customer._meta.sorted_fields if f.column_name not in ("id", "code")]
    copied = ", ".join(f"t.{c}" for c in columns)
    listed = ", ".join(columns)
    sqlite = db.is_sqlite()
    numbers = ("WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ?) " if sqlite else "")
    code = "'P' || substr('0000000' || n.i, -7, 7)" if sqlite else "'P' || lpad(n.i::text, 7, '0')"
    source = "n" if sqlite else "generate_series(0, %s) AS n(i)"
    mark = "?" if sqlite else "%s"
    balance = f"(c.id * 7919) {'%' if sqlite else '%%'} 100003" if spread else "0"
    if not sqlite:
        balance = balance.replace("c.id", "c.id::bigint")
    now = utcnow()
    with db.database.atomic():
        db.database.execute_sql(
            f"{numbers}INSERT INTO customer ({listed}, code) SELECT {copied}, {code} FROM {source}, customer t"
            f" WHERE t.id = {mark}", (count - 1, template.id))
        db.database.execute_sql(
            "INSERT INTO membership (customer_id, campaign_id, item, balance, reached, created)"
            f" SELECT c.id, {mark}, 0, {balance}, -(1000000000000000000 + c.id * 1000{'' if sqlite else '::bigint'}), {mark}"
            f" FROM customer c WHERE c.account_id = {mark} AND c.code <> 'template'",
            (campaign.id, now, ACCOUNT))
        Customer.delete().where(Customer.id == template.id).execute()
    if not sqlite:
        # What autovacuum would have done on a database in service (visibility map, statistics), done
        # now rather than during the timed requests, as bench/run.py does.
        with contextlib.closing(run.PostgresData.connect(url)) as conn, conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
    log(f"  loaded {Membership.select().count():,} participants")


def timed(fn, times: int) -> float:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


def leaderboard(args) -> int:
    import peewee as pw

    from gateway import create_app
    from gateway.domain import participants
    from gateway.domain.models import Membership

    with tempfile.TemporaryDirectory(prefix="rewardgate-bench-api-") as tmp, database(args.database, Path(tmp)) as url:
        key, campaign = setup(url)
        started = time.perf_counter()
        load_participants(url, campaign, args.participants)
        log(f"  load: {time.perf_counter() - started:.0f} s")
        app = create_app({"DATABASE_URL": url})
        client = app.test_client()
        headers = {"X-API-Secret": key}
        members = Membership.select().where(Membership.campaign == campaign.id)
        ordered = members.order_by(Membership.balance.desc(), Membership.reached.desc(), Membership.id.desc())
        top = ordered.first()
        middle = ordered.offset(args.participants // 2).first()
        bottom = ordered.offset(args.participants - 1).first()

        def code_of(m):
            return m.customer.code

        def get(path):
            response = client.get(path, headers=headers)
            assert response.status_code == 200, response.data[:300]
            return response.get_json()["data"]

        board = get(f"/v1/campaigns/{SLUG}/leaderboard?limit=100")
        assert len(board["entries"]) == 100 and board["totalParticipants"] == args.participants
        rows = []
        rows.append(("GET leaderboard?limit=100 (whole request)",
                     timed(lambda: get(f"/v1/campaigns/{SLUG}/leaderboard?limit=100"), args.requests), 5))
        for label, m in (("top", top), ("middle", middle), ("bottom", bottom)):
            user = code_of(m)
            rank = get(f"/v1/campaigns/{SLUG}/participants/{user}")["rank"]
            rows.append((f"GET participants/{{userId}}, rank {rank:,} ({label}) (whole request)",
                         timed(lambda u=user: get(f"/v1/campaigns/{SLUG}/participants/{u}"), args.requests), 20))
        # The queries alone.
        where = (Membership.campaign == campaign.id) & (Membership.item == 0)
        rows.append(("query: top 100 (index walk)", timed(lambda: list(
            Membership.select(Membership.id, Membership.balance).where(where)
            .order_by(Membership.balance.desc(), Membership.reached.desc(), Membership.id.desc()).limit(100).tuples()),
            args.requests), None))
        rows.append(("query: totalParticipants (the stored count it reads)", timed(
            lambda: participants._TOTAL(campaign.id), args.requests), None))
        rows.append(("query: COUNT of the memberships (what the stored count saves)", timed(
            lambda: Membership.select(pw.fn.COUNT(Membership.id)).where(where).scalar(), args.requests), None))
        rows.append(("query: rank of the bottom participant (COUNT ahead)", timed(
            lambda: participants._ahead(campaign.id, bottom.balance, bottom.reached, bottom.id), args.requests), None))
        rows.append(("query: rank of the middle participant (COUNT ahead)", timed(
            lambda: participants._ahead(campaign.id, middle.balance, middle.reached, middle.id), args.requests), None))
    print(f"leaderboard ({args.database}, {args.participants:,} participants, median of {args.requests} requests"
          f" through Flask's test client, in process):\n")
    print("| what | median ms | target ms | ok |")
    print("|---|---:|---:|---|")
    for label, ms, target in rows:
        ok = "-" if target is None else ("yes" if ms <= target else "**no**")
        print(f"| {label} | {ms:.2f} | {target if target is not None else '-'} | {ok} |")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["events", "leaderboard"])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (events)")
    parser.add_argument("--repeat", type=int, default=3, help="framed runs (events)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (events; default 2 SQLite, 4 PostgreSQL)")
    parser.add_argument("--connections", type=int, help="wrk connections (events; default 16 SQLite, 8 PostgreSQL)")
    parser.add_argument("--users", type=int, default=10_000, help="distinct users sending events")
    parser.add_argument("--participants", type=int, default=1_000_000, help="participants (leaderboard)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per figure (leaderboard)")
    args = parser.parse_args(argv)
    return events(args) if args.what == "events" else leaderboard(args)


if __name__ == "__main__":
    sys.exit(main())
