"""Serve two or more source trees in turn and compare one scenario's ratio to the bare route:
``python3 bench/compare.py TREE [TREE ...] [--scenario NAME] [--large] [--writes-first] [--rounds N]``.

Each TREE is a directory holding a copy of this project (``git worktree add /tmp/before HEAD~1``, or a
copy with one change made by hand); ``.`` is the working tree. Every round serves each tree in turn
with gunicorn on a fresh copy of the benchmark file (bench/run.py's cache), measures bare, the
scenario, bare, and prints the scenario's ratio and server CPU per request; the medians over the
rounds come last. Trees take turns within a round, so the machine's slow and fast minutes fall on all
of them: on a shared two-core machine a difference under ~0.03 needs several rounds to show.

``--writes-first`` runs record_activity for one untimed and one timed run before the scenario, as
bench/run.py's order does: writes empty the workers' SQLite caches, which is what the 1,000,000-row
balance figure pays for (docs/performance.md, "Fourth pass").
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--scenario", default="customer_balance", choices=run.SCENARIO_NAMES)
    parser.add_argument("--large", action="store_true", help="the 1,000,000-row file instead of 10,000 rows")
    parser.add_argument("--writes-first", action="store_true", help="record_activity before the scenario")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run")
    args = parser.parse_args()
    customers, entries = run.SIZES[-1] if args.large else run.SIZES[0]
    trees = [tree.resolve() for tree in args.trees]
    for tree in trees:
        if not (tree / "gunicorn.conf.py").exists():
            parser.error(f"{tree} is not a copy of the project (no gunicorn.conf.py)")
    ratios: dict[Path, list[float]] = {tree: [] for tree in trees}
    with tempfile.TemporaryDirectory(prefix="rg-compare-") as tmp:
        work = Path(tmp)
        master = work / "master.db"
        ds, _ = run.build_database(customers, entries, master, use_cache=True)
        by_name = {s.name: s for s in run.scenarios(ds)}
        body = run.form_body(by_name[args.scenario].fields)
        writes = run.form_body(by_name["record_activity"].fields)
        for round_ in range(args.rounds):
            for tree in trees:
                database = work / "served.db"
                run._remove(database)
                shutil.copyfile(master, database)
                with run.gunicorn(f"sqlite:///{database}", work / "gunicorn.log", root=tree) as (base, pid):
                    def measure(path: str, fields: str) -> dict:
                        cpu = run.server_cpu_seconds(pid)
                        result = run.wrk(base, path, fields, customers, args.duration, 16)
                        result["cpu_ms"] = (run.server_cpu_seconds(pid) - cpu) * 1000 / max(result["requests"], 1)
                        if result["failed"] or result["http_errors"] or result["socket_errors"]:
                            raise SystemExit(f"{tree}: failed answers {result}")
                        return result

                    measure("/__bare", body)
                    before = measure("/__bare", body)
                    if args.writes_first:
                        measure("/", writes)
                        measure("/", writes)
                    measure("/", body)
                    result = measure("/", body)
                    after = measure("/__bare", body)
                ratio = result["rps"] / ((before["rps"] + after["rps"]) / 2)
                ratios[tree].append(ratio)
                print(f"round {round_ + 1} {tree}: ratio {ratio:.3f}, server CPU {result['cpu_ms']:.3f} ms/request,"
                      f" bare {(before['cpu_ms'] + after['cpu_ms']) / 2:.3f}", flush=True)
    print(f"\n{args.scenario}, {entries:,} ledger rows{', after writes' if args.writes_first else ''}:"
          f" median ratio over {args.rounds} rounds")
    for tree, values in ratios.items():
        print(f"  {statistics.median(values):.3f}  {tree}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
