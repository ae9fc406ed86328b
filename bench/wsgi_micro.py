"""Per-request CPU of the WSGI app, in-process: ``python3 bench/wsgi_micro.py [--requests N] [NAME ...]``.

Calls the Flask app as gunicorn does (a WSGI environ, ``start_response``, the body consumed) with no
server, client or profiler around it, on a copy of the small benchmark database; prints CPU µs per
request for the bare route and each scenario, and the difference. Quick and repeatable enough to tell
a 10 µs change apart, which a throughput run on a shared machine cannot; ``bench/run.py`` stays the
measure of record.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import run  # noqa: E402


def environ(path: str, body: bytes) -> dict:
    return {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "", "PATH_INFO": path, "QUERY_STRING": "",
        "CONTENT_TYPE": "application/x-www-form-urlencoded", "CONTENT_LENGTH": str(len(body)),
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000", "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=["campaign_rewards", "customer_balance", "record_activity"])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rg-micro-"))
    ds, _ = run.build_database(1_000, 10_000, work / "bench.db", use_cache=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{work / 'bench.db'}"
    from bench.bench_app import app
    import gc
    if os.environ.get("GCMODE") == "off": gc.disable()
    if os.environ.get("GCMODE") == "freeze": gc.collect(); gc.freeze()

    by_name = {s.name: s for s in run.scenarios(ds)}
    rng = random.Random(7)

    def body_for(fields: dict) -> bytes:
        text = run.form_body(fields)
        text = text.replace("__CODE__", f"B{rng.randrange(ds.customers):07d}")
        text = text.replace("__AMOUNT__", f"{rng.randrange(100, 9999) / 100:.2f}")
        return text.replace("__INT__", str(rng.randrange(100, 9999))).encode()

    def start_response(status, headers, exc_info=None):
        if not status.startswith("200"):
            raise SystemExit(f"HTTP {status}")

    def measure(path: str, fields: dict) -> float:
        bodies = [body_for(fields) for _ in range(args.requests)]
        for body in bodies[:200]:  # warm
            b"".join(app(environ(path, body), start_response))
        started = time.process_time_ns()
        for body in bodies:
            out = b"".join(app(environ(path, body), start_response))
        spent = time.process_time_ns() - started
        if path == "/" and b'status="success"' not in out:
            raise SystemExit(out.decode()[:300])
        return spent / len(bodies) / 1000

    bare_fields = {"type": "campaign_rewards", "campaign_id": ds.points_campaign}
    results: dict[str, list[float]] = {}
    for _ in range(args.rounds):
        results.setdefault("bare", []).append(measure("/__bare", bare_fields))
        for name in args.names:
            results.setdefault(name, []).append(measure("/", by_name[name].fields))
    bare = min(results["bare"])
    print(f"{'route':<24}{'µs/req (best of rounds)':>26}{'over bare':>12}")
    for name, values in results.items():
        best = min(values)
        print(f"{name:<24}{best:>26.1f}{best - bare:>12.1f}")
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
