"""Serve two or more source trees in turn and compare one scenario's ratio to the bare route:
``python3 bench/compare.py TREE [TREE ...] [--database sqlite|postgres] [--scenario NAME] [--large] [--rounds N]``.

Each TREE is a directory holding a copy of this project (``git worktree add /tmp/before HEAD~1``, or a
copy with one shortcut taken out by hand); ``.`` is the working tree. Every round serves each tree in
turn with gunicorn (bench/run.py's workers and wrk connections for the database) on a fresh copy of
bench/run.py's cached data, measures bare, the scenario, bare, and prints the scenario's ratio and the
server's CPU per request; the medians over the rounds come last. Trees take turns within a round, so
the machine's slow and fast minutes fall on all of them: on a shared two-core machine a difference
under ~0.03 needs several rounds to show.
"""
from __future__ import annotations

import argparse
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
    parser.add_argument("--database", choices=sorted(run.BACKENDS), default="sqlite")
    parser.add_argument("--scenario", default="customer_balance", choices=run.SCENARIO_NAMES)
    parser.add_argument("--large", action="store_true", help="1,000,000 ledger rows instead of 10,000")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run")
    args = parser.parse_args()
    backend = run.BACKENDS[args.database]
    customers, entries = run.SIZES[-1] if args.large else run.SIZES[0]
    trees = [tree.resolve() for tree in args.trees]
    for tree in trees:
        if not (tree / "gunicorn.conf.py").exists():
            parser.error(f"{tree} is not a copy of the project (no gunicorn.conf.py)")
    # by position: the same tree given twice (an A/A run) shows how far apart noise alone puts them
    labels = [f"{i + 1}: {tree}" for i, tree in enumerate(trees)]
    ratios: dict[str, list[float]] = {label: [] for label in labels}
    with tempfile.TemporaryDirectory(prefix="rg-compare-") as tmp:
        data = run.DATA[args.database](Path(tmp), customers, entries)
        for round_ in range(args.rounds):
            for label, tree in zip(labels, trees):
                ds, _ = data.prepare(use_cache=True)  # a fresh copy: no tree sees another's writes
                body = run.form_body(next(s for s in run.scenarios(ds) if s.name == args.scenario).fields)
                try:
                    with run.gunicorn(data.url, Path(tmp) / "gunicorn.log", backend.workers, root=tree) as (base, pid):
                        measure = run.measurer(base, pid, customers, args.duration, backend.connections)
                        measure("/__bare", body)
                        before = measure("/__bare", body)
                        measure("/", body)
                        result = measure("/", body)
                        after = measure("/__bare", body)
                finally:
                    data.discard()
                if result["failed"] or result["http_errors"] or result["socket_errors"]:
                    raise SystemExit(f"{tree}: failed answers {result}")
                ratio = result["rps"] / ((before["rps"] + after["rps"]) / 2)
                ratios[label].append(ratio)
                print(f"round {round_ + 1}, {label}: ratio {ratio:.3f}, server CPU {result['cpu_ms']:.3f} ms/request,"
                      f" bare {(before['cpu_ms'] + after['cpu_ms']) / 2:.3f}", flush=True)
    print(f"\n{args.scenario} on {args.database}, {entries:,} ledger rows: median ratio over {args.rounds} rounds")
    for label, values in ratios.items():
        print(f"  {statistics.median(values):.3f}  {label}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
