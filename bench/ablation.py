"""What each stage of a call costs under gunicorn: ``python3 bench/ablation.py [--scenario NAME ...]``.

For each scenario, gunicorn (2 sync workers, as in bench/run.py) serves ``bench.ablation_app:app`` four
times: the whole call; without validation (the marshmallow schema is skipped: read calls only, a write's
handler needs the typed values); without rendering (the handler runs its SQL and builds its tree, the
answer is empty); and without the handler (no SQL, no tree, an empty answer), leaving the pipeline
every call shares (form, authentication, call lookup, validation, the Flask response). Each variant is measured next to the bare route, as in
bench/run.py, and the differences between variants are what each stage costs as served.

Why not in-process timings: the same code costs about twice as much per request under gunicorn with
wrk on the same two cores as it does in a tight in-process loop (bench/wsgi_micro.py, bench/breakdown.py),
because every request runs with cold CPU caches; throughput ratios under the real server are the only
figures comparable to the targets.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402

VARIANTS = [("whole call", ""), ("no validation", "validation"), ("no rendering", "rendering"),
            ("no handler: the shared pipeline", "handler")]
READS = ["campaign_rewards", "customer_balance"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", action="append", choices=run.SCENARIO_NAMES)
    parser.add_argument("--duration", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()
    names = args.scenario or READS
    with tempfile.TemporaryDirectory(prefix="rg-ablation-") as tmp:
        workdir = Path(tmp)
        db_path = workdir / "bench.db"
        ds, _ = run.build_database(1_000, 10_000, db_path, use_cache=True)
        chosen = [s for s in run.scenarios(ds) if s.name in names]
        print("| scenario | variant | rps | bare rps | ratio | server CPU ms/req | bare CPU ms/req |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for label, ablate in VARIANTS:
            with run.gunicorn(f"sqlite:///{db_path}", workdir / "gunicorn.log", "bench.ablation_app:app",
                              {"REWARDGATE_ABLATE": ablate}) as (base, master):
                def measure(path: str, body: str) -> dict:
                    cpu = run.server_cpu_seconds(master)
                    result = run.wrk(base, path, body, ds.customers, args.duration, args.connections)
                    result["cpu_ms"] = (run.server_cpu_seconds(master) - cpu) * 1000 / max(result["requests"], 1)
                    return result

                bare_body = run.form_body(chosen[0].fields)
                measure("/__bare", bare_body)
                for scenario in chosen:
                    if "validation" in ablate and scenario.counts:
                        continue
                    body = run.form_body(scenario.fields)
                    measure("/", body)
                    before = measure("/__bare", bare_body)
                    result = measure("/", body)
                    after = measure("/__bare", bare_body)
                    if result["failed"] or result["http_errors"] or result["socket_errors"]:
                        print(f"{scenario.name} / {label}: failed answers {result}", file=sys.stderr)
                        return 1
                    bare_rps = (before["rps"] + after["rps"]) / 2
                    bare_cpu = (before["cpu_ms"] + after["cpu_ms"]) / 2
                    print(f"| {scenario.name} | {label} | {result['rps']:.0f} | {bare_rps:.0f} | "
                          f"{result['rps'] / bare_rps:.2f} | {result['cpu_ms']:.2f} | {bare_cpu:.2f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
