"""Serve the working tree on variants of the benchmark file and compare one scenario's ratio:
``python3 bench/compare_files.py --variant NAME='SQL; SQL' [--variant ...] [--scenario NAME] [--large]
[--writes-first] [--rounds N]``.

Each variant is a copy of bench/run.py's cached file with its SQL statements applied (an index
dropped, another created); a variant with no SQL is the file as loaded. Every round serves each variant
in turn with gunicorn, measures bare, the scenario, bare, and prints the scenario's ratio and server
CPU per request; medians come last. ``--writes-first`` runs record_activity before the scenario, as
bench/run.py's order does, and prints its ratio too. What bench/compare.py does for source trees, for
database files: e.g. the covering history index against the index it replaced (docs/performance.md).
"""
from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402
from bench.compare import add_round_arguments, compare_rounds, print_medians  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variant", action="append", required=True, help="NAME=SQL statements, ';'-separated")
    add_round_arguments(parser)
    args = parser.parse_args()
    customers, entries = run.SIZES[-1] if args.large else run.SIZES[0]
    with tempfile.TemporaryDirectory(prefix="rg-compare-files-") as tmp:
        work = Path(tmp)
        ds, _ = run.build_database(customers, entries, work / "loaded.db", use_cache=True)
        files: dict[str, Path] = {}
        for spec in args.variant:
            name, _, sql = spec.partition("=")
            files[name] = work / f"{name}.db"
            shutil.copyfile(work / "loaded.db", files[name])
            conn = sqlite3.connect(files[name])
            for statement in filter(str.strip, sql.split(";")):
                conn.execute(statement)
            conn.commit()
            conn.execute("VACUUM")  # as a file built that way would be laid out
            conn.close()
        by_name = {s.name: s for s in run.scenarios(ds)}
        body = run.form_body(by_name[args.scenario].fields)
        writes = run.form_body(by_name["record_activity"].fields)
        ratios = compare_rounds({name: (path, ROOT) for name, path in files.items()}, work, customers,
                                args.duration, args.rounds, body, writes if args.writes_first else None)
    print_medians(args.scenario, entries, args.writes_first, args.rounds, ratios)
    return 0


if __name__ == "__main__":
    sys.exit(main())
