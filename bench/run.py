"""Run the benchmarks and print a Markdown table:
``python3 bench/run.py [--database sqlite|postgres] [--quick] [--scenario NAME]``.

For each data size the harness builds a database (bench/loader.py; cached between runs, see
``SqliteData`` and ``PostgresData``), starts gunicorn as production does (gunicorn.conf.py, sync
workers: 2 on SQLite, 4 on PostgreSQL) serving ``bench.bench_app:app``, and drives it with wrk over
loopback (16 connections on SQLite, 8 on PostgreSQL). Every scenario run is framed by two runs of the
bare Flask route of the same app (before and after), and its ratio is its throughput over the mean of
those two: the machine's speed and noise divide out, since client and server share its cores. Each
scenario is timed ``--repeat`` times (3 by default); its figure is the median run, and the table shows
the lowest and highest ratio of the runs beside it.

Before a scenario is timed, one request is checked to succeed (a call that does not exist yet is
reported as skipped); during the run wrk counts answers that are not ``status="success"``; after it,
write scenarios must have added at least as many rows as wrk saw answers; after all runs on a size,
``flask --app app check-ledger`` must pass on that database.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import inspect
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import loader  # noqa: E402  (needs ROOT on the path when run as a script)

RESULTS = ROOT / "bench" / "results"
LUA = ROOT / "bench" / "post.lua"
SIZES = [(1_000, 10_000), (100_000, 1_000_000)]  # (customers, ledger rows): ten rows per customer
QUICK_SIZES = [(1_000, 10_000), (10_000, 100_000)]
MAX_DROP = 0.20  # a scenario's ratio may fall at most this much from the smallest to the largest size
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass(frozen=True)
class Backend:
    workers: int  # gunicorn sync workers
    connections: int  # wrk connections


# SQLite: gunicorn.conf.py's advice for a small box. PostgreSQL: what a new user would try (the issue).
BACKENDS = {"sqlite": Backend(workers=2, connections=16), "postgres": Backend(workers=4, connections=8)}


@dataclass(frozen=True)
class Scenario:
    name: str
    floors: dict  # database -> minimum throughput ratio to the bare route; absent: reported, no floor
    fields: dict  # the form; __CODE__, __AMOUNT__, __INT__ vary per request (bench/post.lua)
    counts: str | None = None  # the table a successful request adds a row to (write scenarios)


def scenarios(ds: loader.Dataset) -> list[Scenario]:
    record = {"type": "record_activity", "campaign_id": ds.points_campaign, "code": "__CODE__", "amount": "__AMOUNT__"}
    return [
        Scenario("campaign_rewards", {"sqlite": 0.60, "postgres": 0.31},
                 {"type": "campaign_rewards", "campaign_id": ds.points_campaign}),
        Scenario("campaign_new_reward", {"sqlite": 0.35},
                 {"type": "campaign_new", "action": "reward", "campaign_id": ds.rewards_campaign,
                  "reward_level": "__INT__", "reward_description": "Bench reward"}, counts="reward"),
        Scenario("record_activity", {"sqlite": 0.30, "postgres": 0.16}, record, counts="ledger_entry"),
        Scenario("record_activity_promo", {"sqlite": 0.30}, {**record, "promo_id": ds.promo_id},
                 counts="ledger_entry"),
        Scenario("customer_balance", {"sqlite": 0.45},
                 {"type": "customer_balance", "campaign_id": ds.points_campaign, "code": "__CODE__",
                  "transactions_number": "10"}),
    ]


SCENARIO_NAMES = [s.name for s in scenarios(loader.Dataset(0, 0, "", "", "", 0, 0))]


def form_body(fields: dict) -> str:
    auth = {"user_id": loader.USER, "account_id": loader.ACCOUNT, "user_password": loader.API_KEY}
    return urllib.parse.urlencode({**auth, **fields})


# --- data -----------------------------------------------------------------------------------------------

def source_hash() -> str:
    """What a cached database depends on: the schema (the models' module) and the loader."""
    from gateway.domain import models

    digest = hashlib.sha256()
    for path in (inspect.getsourcefile(models), inspect.getsourcefile(loader)):
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:12]


def load_into(url: str, customers: int, entries: int) -> tuple[loader.Dataset, float]:
    """Create the tables in the (empty) database at ``url`` and load it; the dataset and the load's seconds."""
    from gateway.domain import db, models

    db.bind(url)
    models.create_tables()
    started = time.perf_counter()
    ds = loader.load(customers, entries)
    seconds = time.perf_counter() - started
    if url.startswith("sqlite"):
        db.database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # one self-contained file to copy
    db.database.close()
    return ds, seconds


class SqliteData:
    """A fresh copy of the size's file per run, in the run's temporary directory. The loaded file is
    cached in bench/results/cache/ (keyed by the sizes and ``source_hash()``), so a run never sees a
    previous run's writes and loads only when the schema or the loader changed."""

    name = "sqlite"

    def __init__(self, workdir: Path, customers: int, entries: int):
        self.path = workdir / f"bench-{entries}.db"
        self.url = f"sqlite:///{self.path}"
        self.customers, self.entries = customers, entries

    def _remove(self, path: Path) -> None:
        for p in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            p.unlink(missing_ok=True)

    def prepare(self, use_cache: bool) -> tuple[loader.Dataset, float]:
        cache = RESULTS / "cache" / f"bench-{self.customers}-{self.entries}-{source_hash()}.db"
        meta = cache.with_suffix(".json")
        self._remove(self.path)
        if use_cache and cache.exists() and meta.exists():
            shutil.copyfile(cache, self.path)
            return loader.Dataset(**json.loads(meta.read_text())), 0.0
        ds, seconds = load_into(self.url, self.customers, self.entries)
        if use_cache:
            cache.parent.mkdir(parents=True, exist_ok=True)
            for old in cache.parent.glob(f"bench-{self.customers}-{self.entries}-*"):
                old.unlink()
            shutil.copyfile(self.path, cache)
            meta.write_text(json.dumps(ds.__dict__))
        return ds, seconds

    def count_rows(self, table: str) -> int:
        import sqlite3

        with contextlib.closing(sqlite3.connect(self.path, timeout=30)) as conn:
            return conn.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0]

    def discard(self) -> None:
        self._remove(self.path)


class PostgresData:
    """A fresh database ``rg_bench_<rows>_run`` per run on the server at ``BENCH_POSTGRES_URL``, created
    from the template ``rg_bench_<rows>``: the loaded, vacuumed database, kept between runs, whose
    comment records the dataset and the ``source_hash()`` it was loaded with (a different hash reloads
    it). The run's copy is dropped after the size's runs. ``--no-cache`` loads into the run's database
    directly and leaves no template."""

    name = "postgres"
    prefix = "rg_bench"

    def __init__(self, workdir: Path, customers: int, entries: int):
        self.customers, self.entries = customers, entries
        self.template = f"{self.prefix}_{entries}"
        self.database = f"{self.prefix}_{entries}_run"
        self.url = self.url_of(self.database)

    @staticmethod
    def url_of(name: str) -> str:
        return urllib.parse.urlsplit(POSTGRES_URL)._replace(path="/" + name).geturl()

    @staticmethod
    def connect(url: str = POSTGRES_URL):
        import psycopg2

        conn = psycopg2.connect(url, connect_timeout=5)
        conn.autocommit = True
        return conn

    def _admin(self, *statements: str, fetch: bool = False):
        with contextlib.closing(self.connect()) as conn, conn.cursor() as cur:
            for statement in statements:
                cur.execute(statement)
            return cur.fetchone() if fetch else None

    def _create(self, name: str, template: str | None = None) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                    f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def _load(self, name: str) -> tuple[loader.Dataset, float]:
        ds, seconds = load_into(self.url_of(name), self.customers, self.entries)
        # What autovacuum would have done on a database in service (visibility map, hint bits), done
        # now rather than during the timed runs.
        with contextlib.closing(self.connect(self.url_of(name))) as conn, conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE")
        return ds, seconds

    def prepare(self, use_cache: bool) -> tuple[loader.Dataset, float]:
        if not use_cache:
            self._create(self.database)
            return self._load(self.database)
        source = source_hash()
        row = self._admin(f"SELECT shobj_description(oid, 'pg_database') FROM pg_database"
                          f" WHERE datname = '{self.template}'", fetch=True)
        meta = json.loads(row[0]) if row and row[0] else {}
        seconds = 0.0
        if meta.get("source") != source:
            self._create(self.template)
            ds, seconds = self._load(self.template)
            meta = {"source": source, "dataset": ds.__dict__}
            comment = json.dumps(meta).replace("'", "''")
            self._admin(f"COMMENT ON DATABASE \"{self.template}\" IS '{comment}'")
        self._create(self.database, template=self.template)
        return loader.Dataset(**meta["dataset"]), seconds

    def count_rows(self, table: str) -> int:
        with contextlib.closing(self.connect(self.url)) as conn, conn.cursor() as cur:
            cur.execute(f'SELECT COUNT(*) FROM "{table}"')
            return cur.fetchone()[0]

    def discard(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')


DATA = {"sqlite": SqliteData, "postgres": PostgresData}


def check_ledger(database_url: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "check-ledger"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


# --- server and load ------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_cpu_seconds(master: int) -> float:
    """CPU time (user + system) used so far by the gunicorn master and its workers (not the database
    server's). Unlike throughput, CPU per request hardly moves when other work competes for the cores."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    total = 0
    for pid in [master, *map(int, children)]:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / os.sysconf("SC_CLK_TCK")


def post(url: str, body: str) -> str:
    request = urllib.request.Request(url, data=body.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode("utf-8", "replace")


@contextlib.contextmanager
def gunicorn(database_url: str, log_path: Path, workers: int, app: str = "bench.bench_app:app", root: Path = ROOT):
    """Serve ``app`` from the source tree at ``root``; yields (base URL, master pid) once it answers."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "REWARDGATE_BIND": f"127.0.0.1:{port}",
           "REWARDGATE_WORKERS": str(workers)}
    env.pop("REWARDGATE_ACCESS_LOG", None)  # logging every request would be measured too
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", app],
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 30
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"gunicorn exited:\n{log_path.read_text(errors='replace')}")
                with contextlib.suppress(OSError):
                    post(base + "/__bare", "")
                    break
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer within 30 s")
                time.sleep(0.1)
            yield base, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wrk(base: str, path: str, body: str, customers: int, seconds: int, connections: int, *,
        extra: tuple[str, ...] = ()) -> dict:
    """One wrk run of bench/post.lua (its arguments: path, body template, customer count, then ``extra``:
    secret key, content type, success text)."""
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA),
               base, "--", path, body, str(customers), *extra]
    out = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result:\n{out.stdout}\n{out.stderr}")
    result = json.loads(line[len("RESULT "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["p99_ms"] = result["p99_us"] / 1000
    return result


def measurer(base: str, master: int, customers: int, seconds: int, connections: int):
    """A function timing one wrk run against the server, with the server's CPU per answer (``cpu_ms``)."""
    def measure(path: str, body: str) -> dict:
        cpu = server_cpu_seconds(master)
        result = wrk(base, path, body, customers, seconds, connections)
        result["cpu_ms"] = (server_cpu_seconds(master) - cpu) * 1000 / max(result["requests"], 1)
        return result
    return measure


# --- the run --------------------------------------------------------------------------------------------

def run_size(customers: int, entries: int, names: list[str], args, workdir: Path) -> dict:
    data = DATA[args.database](workdir, customers, entries)
    ds, load_seconds = data.prepare(not args.no_cache)
    chosen = [s for s in scenarios(ds) if s.name in names]
    bare_body = form_body(chosen[0].fields if chosen else {})
    out = {"customers": customers, "entries": entries, "load_seconds": round(load_seconds, 1), "scenarios": [],
           "loadavg_before": os.getloadavg()[0]}
    print(f"# {args.database}: {customers:,} customers, {entries:,} ledger rows"
          + (f" (loaded in {load_seconds:.0f} s)" if load_seconds else " (from cache)"), file=sys.stderr)
    try:
        with gunicorn(data.url, workdir / f"gunicorn-{entries}.log", args.workers) as (base, master):
            measure = measurer(base, master, customers, args.duration, args.connections)
            measure("/__bare", bare_body)  # warm-up: every worker connected, caches filled
            bare = measure("/__bare", bare_body)
            for scenario in chosen:
                body = form_body(scenario.fields)
                sample = post(base + "/", body.replace("__CODE__", loader.code_of(0))
                              .replace("__AMOUNT__", "12.34").replace("__INT__", "1000"))
                if 'status="success"' not in sample:
                    print(f"  {scenario.name}: skipped, the call answers {sample[:300]!r}", file=sys.stderr)
                    out["scenarios"].append({"name": scenario.name, "skipped": sample[:300]})
                    continue
                measure("/", body)  # warm-up of this call's code paths and pages
                runs = []
                for _ in range(args.repeat):
                    before = data.count_rows(scenario.counts) if scenario.counts else 0
                    result = measure("/", body)
                    added = data.count_rows(scenario.counts) - before if scenario.counts else None
                    after = measure("/__bare", bare_body)
                    runs.append(framed_run(result, bare, after, added))
                    bare = after
                row = {"name": scenario.name, "floor": scenario.floors.get(args.database), **median_run(runs)}
                print(f"  {scenario.name}: {row['rps']:.0f} rps, p99 {row['p99_ms']:.1f} ms, bare {row['bare_rps']:.0f}"
                      f" rps, ratio {row['ratio']:.2f} (runs {', '.join(f'{r:.2f}' for r in row['ratios'])});"
                      f" server CPU {row['cpu_ms']:.2f} ms/request, bare {row['bare_cpu_ms']:.2f}", file=sys.stderr)
                out["scenarios"].append(row)
        out["loadavg_after"] = os.getloadavg()[0]  # other work on the machine skews every figure
        checked = check_ledger(data.url)
        out["check_ledger"] = checked.returncode == 0
        out["check_ledger_output"] = (checked.stdout + checked.stderr).strip()[-500:]
    finally:
        data.discard()
    return out


def framed_run(result: dict, before: dict, after: dict, added: int | None) -> dict:
    """One timed scenario run and the bare runs framing it: its ratio is over the mean of the two."""
    baseline = (before["rps"] + after["rps"]) / 2
    run = {
        "rps": result["rps"], "p99_ms": result["p99_ms"], "p50_ms": result["p50_us"] / 1000,
        "bare_rps": baseline, "bare_p99_ms": (before["p99_ms"] + after["p99_ms"]) / 2,
        "cpu_ms": result["cpu_ms"], "bare_cpu_ms": (before["cpu_ms"] + after["cpu_ms"]) / 2,
        "ratio": result["rps"] / baseline, "requests": result["requests"], "failed": result["failed"],
        "socket_errors": result["socket_errors"], "http_errors": result["http_errors"], "rows_added": added,
    }
    run["valid"] = (result["failed"] == 0 and result["http_errors"] == 0 and result["socket_errors"] == 0
                    and (added is None or added >= result["requests"]))
    return run


def median_run(runs: list[dict]) -> dict:
    """The run whose ratio is the median (the lower middle one of an even count), with every run's
    ratio beside it, and valid only if every run was: one run of 5 s on a shared two-core machine swings
    by 0.05 or more, and the median of a few framed runs is a steadier figure than any one of them."""
    middle = sorted(runs, key=lambda r: r["ratio"])[(len(runs) - 1) // 2]
    invalid = next((r for r in runs if not r["valid"]), None)
    counts = {k: invalid[k] for k in ("failed", "http_errors", "socket_errors", "rows_added", "requests")} if invalid else {}
    return {**middle, **counts, "ratios": [r["ratio"] for r in runs], "valid": invalid is None}


def spread(row: dict) -> str:
    """The lowest and highest ratio of a scenario's runs."""
    ratios = row.get("ratios") or [row["ratio"]]
    return f"{min(ratios):.2f}-{max(ratios):.2f}" if len(ratios) > 1 else f"{ratios[0]:.2f}"


def markdown(results: list[dict]) -> str:
    lines = [
        "| ledger rows | customers | scenario | rps | p99 ms | bare rps | bare p99 ms | ratio | runs"
        " | floor | ok | server CPU ms/req | bare CPU ms/req | CPU ratio |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---|---:|---|---:|---:|---:|",
    ]
    for size in results:
        for s in size["scenarios"]:
            head = f"| {size['entries']:,} | {size['customers']:,} | {s['name']} |"
            if "skipped" in s:
                lines.append(f"{head} | | | | | | | skipped: call not available | | | |")
                continue
            floor = s.get("floor")
            ok = "-" if floor is None else "yes" if s["ratio"] >= floor else "**no**"
            if not s["valid"]:
                ok += f" (INVALID: {s['failed']} failed answers, {s['http_errors']} HTTP errors,"
                ok += f" {s['socket_errors']} socket errors, rows added {s['rows_added']} for {s['requests']})"
            lines.append(f"{head} {s['rps']:.0f} | {s['p99_ms']:.1f} | {s['bare_rps']:.0f} |"
                         f" {s['bare_p99_ms']:.1f} | {s['ratio']:.2f} | {spread(s)} |"
                         f" {'-' if floor is None else f'{floor:.2f}'} | {ok} |"
                         f" {s['cpu_ms']:.2f} | {s['bare_cpu_ms']:.2f} | {s['bare_cpu_ms'] / s['cpu_ms']:.2f} |")
    if len(results) > 1:
        first, last = results[0], results[-1]
        lines += ["", f"Scaling, {first['entries']:,} -> {last['entries']:,} ledger rows (ratio may fall at most"
                      f" {MAX_DROP:.0%}):", "",
                  "| scenario | ratio small | ratio large | change | ok |", "|---|---:|---:|---:|---|"]
        small = {s["name"]: s for s in first["scenarios"] if "ratio" in s}
        for s in last["scenarios"]:
            if "ratio" in s and s["name"] in small:
                change = s["ratio"] / small[s["name"]]["ratio"] - 1
                ok = "yes" if change >= -MAX_DROP else "**no**"
                lines.append(f"| {s['name']} | {small[s['name']]['ratio']:.2f} | {s['ratio']:.2f} | {change:+.0%} | {ok} |")
    lines.append("")
    for size in results:
        verdict = "passed" if size["check_ledger"] else "FAILED: " + size["check_ledger_output"]
        lines.append(f"- {size['entries']:,} rows: check-ledger after the runs {verdict}; 1-minute load average"
                     f" {size['loadavg_before']:.1f} before, {size['loadavg_after']:.1f} after"
                     f" ({os.cpu_count()} = every core busy)")
    return "\n".join(lines)


def machine() -> str:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    return f"{os.cpu_count()} x {cpu}, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def database_version(args) -> str:
    if args.database == "sqlite":
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (WAL)"
    with contextlib.closing(PostgresData.connect()) as conn, conn.cursor() as cur:
        cur.execute("SHOW server_version")
        return f"PostgreSQL {cur.fetchone()[0]}"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=sorted(BACKENDS), default="sqlite",
                        help="sqlite (default; a file per run) or postgres (the server at BENCH_POSTGRES_URL,"
                             " default postgresql://postgres@127.0.0.1:5432/postgres)")
    parser.add_argument("--quick", action="store_true",
                        help="one 2 s run per scenario on 10,000 and 100,000 ledger rows (a smoke run, not the figures)")
    parser.add_argument("--scenario", action="append", choices=SCENARIO_NAMES,
                        help="run only this scenario (repeatable); default all")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 5, quick 2)")
    parser.add_argument("--connections", type=int, help="wrk connections (default 16 on SQLite, 8 on PostgreSQL)")
    parser.add_argument("--workers", type=int, help="gunicorn sync workers (default 2 on SQLite, 4 on PostgreSQL)")
    parser.add_argument("--repeat", type=int, help="timed runs per scenario, each framed by bare runs; the"
                        " median ratio is the figure (default 3, quick 1)")
    parser.add_argument("--no-cache", action="store_true", help="load the data afresh instead of copying the cache")
    args = parser.parse_args(argv)
    backend = BACKENDS[args.database]
    args.duration = args.duration or (2 if args.quick else 5)
    args.repeat = max(1, args.repeat or (1 if args.quick else 3))
    args.connections = args.connections or backend.connections
    args.workers = args.workers or backend.workers
    if not shutil.which("wrk"):
        parser.error("wrk is not installed (apt-get install wrk)")
    if args.database == "postgres":
        try:
            PostgresData.connect().close()
        except Exception as exc:  # any failure to connect: say which server and why
            parser.error(f"PostgreSQL at {POSTGRES_URL} (BENCH_POSTGRES_URL) does not answer: {exc}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = args.scenario or SCENARIO_NAMES
    RESULTS.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = []
    with tempfile.TemporaryDirectory(prefix="rewardgate-bench-") as tmp:
        for customers, entries in QUICK_SIZES if args.quick else SIZES:
            results.append(run_size(customers, entries, names, args, Path(tmp)))
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    report = {"machine": machine(), "database": database_version(args), "workers": args.workers,
              "duration": args.duration, "connections": args.connections, "repeat": args.repeat,
              "command": " ".join(["python3", "bench/run.py", *(sys.argv[1:] if argv is None else argv)]),
              "seconds": round(time.monotonic() - started), "results": results}
    (RESULTS / f"run-{args.database}-{stamp}.json").write_text(json.dumps(report, indent=2))
    print(f"Machine: {report['machine']}; {report['database']}; gunicorn {args.workers} sync workers;"
          f" wrk -t1 -c{args.connections} -d{args.duration:g}s per run, {args.repeat} timed run(s) per scenario;"
          f" {report['seconds'] // 60} min {report['seconds'] % 60} s\n")
    print(markdown(results))
    failed = [s for size in results for s in size["scenarios"] if "valid" in s and not s["valid"]]
    return 1 if failed or not all(size["check_ledger"] for size in results) else 0


if __name__ == "__main__":
    sys.exit(main())
