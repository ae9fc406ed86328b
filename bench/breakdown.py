"""Where a request's time goes: ``python3 bench/breakdown.py [--scenario NAME] [--requests N] [--top K]``.

Runs each benchmark scenario's request in-process (Flask test client: no gunicorn, no wrk) against the
small benchmark database and splits its CPU time into the stages every call goes through, by timing the
stage functions themselves (CPU time of this process, so a busy machine inflates the figures far less
than it does throughput). ``--top K`` adds cProfile's K costliest functions for one scenario's detail
(cProfile's own overhead inflates many-small-call code such as peewee's SQL builder).
"""
from __future__ import annotations

import argparse
import cProfile
import dataclasses
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import loader  # noqa: E402
from bench.run import SCENARIO_NAMES, build_database, scenarios  # noqa: E402

clock = time.process_time_ns
spent: dict[str, int] = defaultdict(int)
statements: list[str] = []  # the first word of each SQL statement run


def timed(label: str, func):
    def wrapper(*args, **kwargs):
        started = clock()
        try:
            return func(*args, **kwargs)
        finally:
            spent[label] += clock() - started
    return wrapper


def instrument() -> None:
    """Time the stages: the view's steps, each call's handler, and peewee's build-SQL vs execute."""
    import marshmallow
    import peewee

    from gateway.legacy import endpoint as views
    from gateway.legacy.registry import registry

    views.read_form = timed("read form (transport.read_form)", views.read_form)
    views.authenticate = timed("authenticate (auth.authenticate)", views.authenticate)
    marshmallow.Schema.load = timed("validate (marshmallow Schema.load)", marshmallow.Schema.load)
    views._run_write = timed("write transaction incl. handler (views._run_write)", views._run_write)
    render = views.render
    # eager, so that the XML is built inside the timer rather than while Werkzeug iterates the body
    views.render = timed("render (render.render)", lambda *a: list(render(*a)))
    for key, call in list(registry.calls.items()):
        registry.calls[key] = dataclasses.replace(call, handler=timed("call handler", call.handler))

    execute_sql = peewee.Database.execute_sql
    inner = {"sql": 0}

    def run_sql(self, sql, params=None, *args, **kwargs):
        started = clock()
        try:
            return execute_sql(self, sql, params, *args, **kwargs)
        finally:
            took = clock() - started
            spent["peewee: run SQL in sqlite3 (execute_sql)"] += took
            inner["sql"] += took
            statements.append(sql.split(" ", 1)[0].upper())

    execute = peewee.Database.execute

    def run_query(self, query, *args, **kwargs):
        before, started = inner["sql"], clock()
        try:
            return execute(self, query, *args, **kwargs)
        finally:
            spent["peewee: build SQL text from query objects"] += clock() - started - (inner["sql"] - before)

    peewee.Database.execute_sql = run_sql
    peewee.Database.execute = run_query


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", action="append", choices=["bare"] + SCENARIO_NAMES)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--top", type=int, default=0, help="also print cProfile's K costliest functions")
    args = parser.parse_args(argv)
    names = args.scenario or ["bare"] + SCENARIO_NAMES
    with tempfile.TemporaryDirectory(prefix="rewardgate-breakdown-") as tmp:
        path = Path(tmp) / "breakdown.db"
        ds, _ = build_database(1_000, 10_000, path, use_cache=True)
        from gateway import create_app

        from bench.bench_app import bare

        app = create_app({"DATABASE_URL": f"sqlite:///{path}"})
        app.add_url_rule("/__bare", view_func=bare, methods=["POST"])
        instrument()
        client = app.test_client()
        known = {s.name: s for s in scenarios(ds)}
        print(f"CPU ms per request, in-process, {args.requests} requests each, "
              f"{ds.entries:,} ledger rows / {ds.customers:,} customers\n")
        for name in names:
            fields = known[name].fields if name in known else {}
            form = {"user_id": loader.USER, "account_id": loader.ACCOUNT, "user_password": loader.API_KEY, **fields}
            url = "/__bare" if name == "bare" else "/"
            counter = iter(range(10**9))

            def send():
                n = next(counter)
                values = {"__CODE__": loader.code_of(n * 7919 % ds.customers), "__AMOUNT__": "12.34",
                          "__INT__": str(100 + n % 9000)}
                return client.post(url, data={k: values.get(v, v) for k, v in form.items()})

            first = send()
            if b'status="success"' not in first.data:
                print(f"## {name}: skipped, it answers {first.data[:200]!r}\n")
                continue
            for _ in range(50):
                send()
            spent.clear()
            statements.clear()
            started = clock()
            for _ in range(args.requests):
                send()
            total = (clock() - started) / args.requests / 1e6
            kinds = {k: statements.count(k) / args.requests for k in sorted(set(statements))}
            print(f"## {name}: {total:.3f} ms; SQL statements per request: "
                  + (", ".join(f"{n:g} {k}" for k, n in kinds.items()) or "none"))
            print("\n| stage | ms | share |\n|---|---:|---:|")
            for label, ns in spent.items():
                ms = ns / args.requests / 1e6
                print(f"| {label} | {ms:.3f} | {ms / total:.0%} |")
            print()
            if args.top:
                profiler = cProfile.Profile()
                profiler.runcall(lambda: [send() for _ in range(args.requests)])
                pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
