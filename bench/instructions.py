"""Count the instructions a request takes in process, for one or more source trees: a figure that does
not move with the machine's load, to tell a small change from noise where ``bench/compare.py`` would
need many rounds:
``python3 bench/instructions.py TREE [TREE ...] [--scenario NAME] [--large] [--requests N]``.

Each TREE's ``bench.bench_app`` (the production app plus the bare route) is called through WSGI in one
process under ``valgrind --tool=callgrind``, on a fresh copy of bench/run.py's cached SQLite data: once
with ``WARM`` requests and once with N more, so that the difference is N requests without start-up.
The requests are bench/run.py's, varied as bench/post.lua varies them, from a fixed seed. Printed: the
instructions per request of the bare route and of the scenario, and bare / scenario, the counterpart
of bench/run.py's ratios without gunicorn, the socket and the load. Not counted: gunicorn's HTTP work
and anything a database server does, so SQLite only. Needs valgrind; about a minute per tree.
"""
from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM = 200  # requests every run makes before the counted ones: the same in both runs of a tree
_COLLECTED = re.compile(r"Collected : (\d+)")


def bodies(template: str, customers: int, count: int) -> list[bytes]:
    """``count`` request bodies from ``template``, varied as bench/post.lua varies them (seeded)."""
    rng = random.Random(1)
    fills = {"__CODE__": lambda: f"B{rng.randrange(customers):07d}",
             "__AMOUNT__": lambda: f"{rng.randint(1, 99)}.{rng.randint(0, 99):02d}",
             "__INT__": lambda: str(rng.randint(100, 9999))}
    out = []
    for _ in range(count):
        body = template
        for marker, fill in fills.items():
            while marker in body:
                body = body.replace(marker, fill(), 1)
        out.append(body.encode())
    return out


def child(path: str, template: str, customers: int, served: int, built: int) -> None:
    """Serve ``served`` of ``built`` prepared requests, in the tree that is the working directory, on the
    database of DATABASE_URL."""
    sys.path.insert(0, os.getcwd())
    from werkzeug.test import EnvironBuilder

    from bench.bench_app import app

    environs = [EnvironBuilder(path=path, method="POST", data=body, content_type="application/x-www-form-urlencoded")
                .get_environ() for body in bodies(template, customers, built)]
    answers = []

    def start_response(status, headers, exc_info=None):
        answers.append(status)

    for environ in environs[:served]:
        body = app(environ, start_response)
        text = b"".join(body)
        body.close()
        if not (answers[-1].startswith("200") and b'status="success"' in text):
            raise SystemExit(f"a request failed: {answers[-1]} {text[:300]!r}")


def count(tree: Path, data: Path, path: str, template: str, customers: int, served: int, built: int) -> int:
    """The instructions of one run of ``child`` in ``tree`` on a copy of ``data``, under callgrind."""
    with tempfile.TemporaryDirectory(prefix="rg-instructions-run-") as tmp:
        copy = Path(tmp) / "bench.db"
        shutil.copyfile(data, copy)  # a run never sees another's writes
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{copy}", "PYTHONHASHSEED": "0"}
        command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__,
                   "--child", path, template, str(customers), str(served), str(built)]
        out = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
    found = _COLLECTED.search(out.stderr)
    if out.returncode or not found:
        raise SystemExit(f"{tree}: the counted run failed:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}")
    return int(found.group(1))


def main() -> int:
    if sys.argv[1:2] == ["--child"]:
        path, template, customers, served, built = sys.argv[2:7]
        child(path, template, int(customers), int(served), int(built))
        return 0
    sys.path.insert(0, str(ROOT))
    from bench import run

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--scenario", default="customer_balance", choices=run.SCENARIO_NAMES)
    parser.add_argument("--large", action="store_true", help="1,000,000 ledger rows instead of 10,000")
    parser.add_argument("--requests", type=int, default=500, help="counted requests per run")
    args = parser.parse_args()
    customers, entries = run.SIZES[-1] if args.large else run.SIZES[0]
    trees = [tree.resolve() for tree in args.trees]
    for tree in trees:
        if not (tree / "bench" / "bench_app.py").exists():
            parser.error(f"{tree} is not a copy of the project (no bench/bench_app.py)")
    with tempfile.TemporaryDirectory(prefix="rg-instructions-") as tmp:
        data = run.SqliteData(Path(tmp), customers, entries)
        ds, _ = data.prepare(use_cache=True)
        template = run.form_body(next(s for s in run.scenarios(ds) if s.name == args.scenario).fields)
        built = WARM + args.requests
        jobs = [(tree, data.path, path, template, customers, served, built)
                for tree in trees for path in ("/__bare", "/") for served in (WARM, built)]
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            totals = list(pool.map(lambda job: count(*job), jobs))
    print(f"{args.scenario}, SQLite, {entries:,} ledger rows: instructions per request in process"
          f" ({args.requests} requests)")
    print(f"  {'bare':>11} {'scenario':>11} {'ratio':>6}  tree")
    for n, tree in enumerate(trees):
        bare_few, bare_more, call_few, call_more = totals[4 * n: 4 * n + 4]
        bare = (bare_more - bare_few) / args.requests
        call = (call_more - call_few) / args.requests
        print(f"  {bare:11,.0f} {call:11,.0f} {bare / call:6.3f}  {n + 1}: {tree}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
