"""Benchmark of the redeemable codes (JSON API E4, E5, E8):
``python3 bench/codes.py [--database sqlite|postgres] [--rounds N] [--large N]``.

- generate: POST /v1/campaigns/codes/generate of a 10,000-code batch (draw, hash, insert, answer),
  timed ``--rounds`` times into the small database; the figure is the median, with the range, in wall
  time and in this thread's CPU time (which other load on the machine moves far less).
- verify and redeem with 10,000 codes stored and with ``--large`` (1,000,000) stored: both databases
  are built first (codes generated through the domain, as the endpoint does), then timed in
  alternating rounds (small, large, small, large...) of ``--requests`` requests each, so the machine's
  drift divides out; the figure is each side's median per-request time and their ratio.

Server time: the requests run in this process through Flask's test client (no socket, no other
process), so a request's time is the app's own work plus a few microseconds of the test client,
the same on both sides. Every answer is checked (200 and the expected message) and, after the run,
``check-ledger`` must pass on both databases. Output: Markdown on stdout, progress on stderr.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway import create_app  # noqa: E402
from gateway.domain import api_keys, codes, db, models, programs  # noqa: E402
from gateway.domain.models import Account  # noqa: E402

POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-code-secret-0123456789abcdef0123456789"
SLUG = "bench-codes"
BATCH = 10_000


def log(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


class Side:
    """One database: its URL, a key, and plaintext codes kept aside for verify and redeem."""

    def __init__(self, name: str, url: str):
        self.name, self.url = name, url
        self.key = ""
        self.fresh: list[str] = []  # ACTIVE codes, each redeemed at most once

    def bind(self) -> None:
        db.bind(self.url, checkpoint_interval=0.1)
        db.ensure_connection()

    def build(self, stored: int, keep: int) -> None:
        self.bind()
        models.create_tables()
        Account.create(id="bench", name="Bench")
        self.key = api_keys.create_key("bench", "live")
        with db.write_transaction():
            programs.activate(programs.create("bench", slug=SLUG, name="Bench codes"))
        started = time.perf_counter()
        made = 0
        while made < stored:
            size = min(BATCH, stored - made)
            with db.write_transaction():
                generated = codes.generate("bench", SLUG, batch_size=size, points_value=10, key=SECRET.encode())
            made += size
            # Keep codes from the first and the last batches: old and new rows alike are looked up.
            if len(self.fresh) < keep // 2 or made == stored:
                self.fresh.extend(generated.codes[: keep // 2])
            if made % 100_000 == 0:
                log(f"  {self.name}: {made:,} codes ({time.perf_counter() - started:.0f} s)")
        random.Random(7).shuffle(self.fresh)
        db.database.execute_sql("ANALYZE")
        db.database.close()


def fresh_url(backend: str, directory: Path, name: str) -> str:
    if backend == "sqlite":
        return f"sqlite:///{directory / (name + '.db')}"
    import psycopg2

    database = f"rg_bench_codes_{name}_{uuid.uuid4().hex[:6]}"
    conn = psycopg2.connect(POSTGRES_URL)
    conn.autocommit = True
    conn.cursor().execute(f'CREATE DATABASE "{database}"')
    conn.close()
    return POSTGRES_URL.rsplit("/", 1)[0] + "/" + database


def drop(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg2

    conn = psycopg2.connect(POSTGRES_URL)
    conn.autocommit = True
    conn.cursor().execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')
    conn.close()


def timed(client, side: Side, path: str, bodies: list[dict], expect: str, cpu: list | None = None) -> list[float]:
    """Each request's wall time; with ``cpu``, each one's CPU time of this thread is appended to it."""
    headers = {"X-API-Secret": side.key}
    times = []
    for body in bodies:
        started, started_cpu = time.perf_counter(), time.thread_time()
        response = client.post(path, json=body, headers=headers)
        times.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.thread_time() - started_cpu)
        answer = response.get_json()
        if response.status_code != 200 or answer["data"].get("message", expect) != expect:
            raise SystemExit(f"unexpected answer from {path} on {side.name}: {response.status_code} {answer}")
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=300, help="verify and redeem requests per round")
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=10_000)
    args = parser.parse_args()

    keep = 2 * args.rounds * args.requests
    with tempfile.TemporaryDirectory(prefix="rg-bench-codes-") as tmp:
        small = Side("small", fresh_url(args.database, Path(tmp), "small"))
        large = Side("large", fresh_url(args.database, Path(tmp), "large"))
        try:
            log(f"building {args.small:,} and {args.large:,} codes on {args.database}")
            small.build(args.small, keep)
            large.build(args.large, keep)
            app = create_app({"DATABASE_URL": small.url, "CODE_SECRET": SECRET})
            client = app.test_client()

            # generate: 10,000 codes a request, into the small database (it grows by as many each round).
            small.bind()
            body = {"slug": SLUG, "batchSize": BATCH, "pointsValue": 5}
            timed(client, small, "/v1/campaigns/codes/generate", [body], "")  # warm-up
            generate_cpu: list[float] = []
            generate = timed(client, small, "/v1/campaigns/codes/generate", [body] * args.rounds, "", generate_cpu)

            rows = {"verify": {small.name: [], large.name: []}, "redeem": {small.name: [], large.name: []}}
            for side in (small, large):  # warm-up of each side's connection and statements
                side.bind()
                timed(client, side, "/v1/campaigns/codes/verify", [{"code": side.fresh[0]}],
                      "Code is valid and redeemable")
            for round_ in range(args.rounds):
                for side in (small, large) if round_ % 2 == 0 else (large, small):
                    side.bind()
                    batch = [side.fresh.pop() for _ in range(args.requests)]
                    rows["verify"][side.name].append(statistics.median(timed(
                        client, side, "/v1/campaigns/codes/verify", [{"code": c} for c in batch],
                        "Code is valid and redeemable")))
                    rows["redeem"][side.name].append(statistics.median(timed(
                        client, side, f"/v1/campaigns/{SLUG}/redeem",
                        [{"userId": f"u{n % 50}", "code": c} for n, c in enumerate(batch)],
                        "Code redeemed successfully")))
                log(f"  round {round_ + 1}/{args.rounds} done")
            db.database.close()

            for side in (small, large):
                result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "check-ledger"], cwd=ROOT,
                                        env={**os.environ, "DATABASE_URL": side.url}, capture_output=True, text=True)
                if result.returncode != 0:
                    raise SystemExit(f"check-ledger failed on {side.name}: {result.stdout}{result.stderr}")

            print(f"## Codes on {args.database} ({args.rounds} rounds, {args.requests} requests a round)\n")
            print("| measure | figure | runs |\n|---|---:|---|")
            print(f"| generate 10,000 codes (one request) | {statistics.median(generate) * 1000:.0f} ms | "
                  f"{min(generate) * 1000:.0f}-{max(generate) * 1000:.0f} ms |")
            print(f"| generate 10,000 codes, CPU time | {statistics.median(generate_cpu) * 1000:.0f} ms | "
                  f"{min(generate_cpu) * 1000:.0f}-{max(generate_cpu) * 1000:.0f} ms |")
            for name, sides in rows.items():
                a, b = statistics.median(sides["small"]), statistics.median(sides["large"])
                print(f"| {name}, {args.small:,} codes stored | {a * 1e6:.0f} µs | "
                      f"{min(sides['small']) * 1e6:.0f}-{max(sides['small']) * 1e6:.0f} µs |")
                print(f"| {name}, {args.large:,} codes stored | {b * 1e6:.0f} µs | "
                      f"{min(sides['large']) * 1e6:.0f}-{max(sides['large']) * 1e6:.0f} µs |")
                print(f"| {name}: large / small | {b / a:.2f} | |")
            print("\ncheck-ledger passed on both databases.")
        finally:
            db.database.close()
            drop(small.url)
            drop(large.url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
