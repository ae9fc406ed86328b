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


def serve_round(database: Path, log: Path, root: Path, customers: int, duration: int, body: str,
                writes: str | None = None) -> tuple[dict, dict | None, dict, dict]:
    """Serve ``database`` with the tree at ``root`` and measure, each after an untimed run: bare, then
    (with ``writes``) record_activity, then the scenario of ``body``, then bare again. Answers the
    timed runs (bare before, writes or None, scenario, bare after), each with ``cpu_ms``, the server's
    CPU per request; a failed answer ends the program."""
    with run.gunicorn(f"sqlite:///{database}", log, root=root) as (base, pid):
        def measure(path: str, fields: str) -> dict:
            cpu = run.server_cpu_seconds(pid)
            result = run.wrk(base, path, fields, customers, duration, 16)
            result["cpu_ms"] = (run.server_cpu_seconds(pid) - cpu) * 1000 / max(result["requests"], 1)
            if result["failed"] or result["http_errors"] or result["socket_errors"]:
                raise SystemExit(f"{root} on {database.name}: failed answers {result}")
            return result

        measure("/__bare", body)
        before = measure("/__bare", body)
        wrote = None
        if writes is not None:
            measure("/", writes)
            wrote = measure("/", writes)
        measure("/", body)
        result = measure("/", body)
        after = measure("/__bare", body)
    return before, wrote, result, after


def compare_rounds(served: dict[str, tuple[Path, Path]], work: Path, customers: int, duration: int, rounds: int,
                   body: str, writes: str | None) -> dict[str, list[float]]:
    """Each round, serve each NAME's (database file, source tree) on a fresh copy of the file and
    print the scenario's ratio to the mean of the bare runs around it; answers the ratios by name."""
    ratios: dict[str, list[float]] = {name: [] for name in served}
    for round_ in range(rounds):
        for name, (source, root) in served.items():
            database = work / "served.db"
            run._remove(database)
            shutil.copyfile(source, database)
            before, recorded, result, after = serve_round(database, work / "gunicorn.log", root, customers, duration,
                                                          body, writes)
            ratio = result["rps"] / ((before["rps"] + after["rps"]) / 2)
            ratios[name].append(ratio)
            wrote = "" if recorded is None else \
                f"; record_activity {recorded['rps'] / before['rps']:.3f}, CPU {recorded['cpu_ms']:.3f}"
            print(f"round {round_ + 1} {name}: ratio {ratio:.3f}, server CPU {result['cpu_ms']:.3f} ms/request,"
                  f" bare {(before['cpu_ms'] + after['cpu_ms']) / 2:.3f}{wrote}", flush=True)
    return ratios


def print_medians(scenario: str, entries: int, writes_first: bool, rounds: int, ratios: dict[str, list[float]]) -> None:
    print(f"\n{scenario}, {entries:,} ledger rows{', after writes' if writes_first else ''}:"
          f" median ratio over {rounds} rounds")
    for name, values in ratios.items():
        print(f"  {statistics.median(values):.3f}  {name}")


def add_round_arguments(parser: argparse.ArgumentParser) -> None:
    """The options bench/compare.py and bench/compare_files.py share."""
    parser.add_argument("--scenario", default="customer_balance", choices=run.SCENARIO_NAMES)
    parser.add_argument("--large", action="store_true", help="the 1,000,000-row file instead of 10,000 rows")
    parser.add_argument("--writes-first", action="store_true", help="record_activity before the scenario")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=int, default=4, help="seconds per wrk run")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+", type=Path)
    add_round_arguments(parser)
    args = parser.parse_args()
    customers, entries = run.SIZES[-1] if args.large else run.SIZES[0]
    trees = [tree.resolve() for tree in args.trees]
    for tree in trees:
        if not (tree / "gunicorn.conf.py").exists():
            parser.error(f"{tree} is not a copy of the project (no gunicorn.conf.py)")
    with tempfile.TemporaryDirectory(prefix="rg-compare-") as tmp:
        work = Path(tmp)
        master = work / "master.db"
        ds, _ = run.build_database(customers, entries, master, use_cache=True)
        by_name = {s.name: s for s in run.scenarios(ds)}
        body = run.form_body(by_name[args.scenario].fields)
        writes = run.form_body(by_name["record_activity"].fields)
        served = {str(tree): (master, tree) for tree in trees}
        ratios = compare_rounds(served, work, customers, args.duration, args.rounds, body,
                                writes if args.writes_first else None)
    print_medians(args.scenario, entries, args.writes_first, args.rounds, ratios)
    return 0


if __name__ == "__main__":
    sys.exit(main())
