"""Start a real gunicorn (several sync workers) on a free loopback port against a given DATABASE_URL.

    with running_server(url, workers=4) as server:
        requests.post(server.url, data={...})
        server.worker_pids()

Used by the concurrency, crash and idempotency tests, and reusable by the benchmark. The database
must already have its tables (``prepare_database``); the server is stopped (SIGINT, then SIGKILL) on
exit, and its log is kept for assertion messages.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 20.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_database(url: str) -> None:
    """Bind this process to ``url`` and create the tables and the two test tenants of conftest."""
    from conftest import seed_tenants

    from gateway.domain import db, models

    db.bind(url)
    models.create_tables()
    seed_tenants()


@contextlib.contextmanager
def fresh_database(backend: str, directory: Path):
    """A new, prepared database (a SQLite file in ``directory``, or a new PostgreSQL database, dropped
    afterwards); yields its URL with this process bound to it."""
    from conftest import create_pg_database, drop_pg_database, require_postgres

    from gateway.domain import db

    if backend == "sqlite":
        url = f"sqlite:///{directory / 'server.db'}"
    else:
        require_postgres()
        url = create_pg_database("rg_server")
    try:
        prepare_database(url)
        yield url
    finally:
        db.database.close()
        if backend == "postgresql":
            drop_pg_database(url)


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log_path: str

    def log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def worker_pids(self) -> list[int]:
        """The master's live child processes (the workers)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        if children.exists():
            return [int(p) for p in children.read_text().split()]
        out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.process.pid)], capture_output=True, text=True)
        return [int(p) for p in out.stdout.split()]

    def wait_workers(self, count: int, timeout: float = START_TIMEOUT) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) >= count:
                return pids
            time.sleep(0.05)
        raise RuntimeError(f"gunicorn has not {count} workers:\n{self.log()}")


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log()}")
        try:
            # Any answer from the app (here the "Missing required field: type" envelope) means ready.
            if requests.get(server.url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn did not answer within {START_TIMEOUT}s:\n{server.log()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        # SIGINT is gunicorn's quick shutdown: nothing is in flight once a test has its answers.
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running_server(database_url: str, workers: int = 4, timeout: int = 30):
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="rewardgate-gunicorn-", suffix=".log", delete=False)
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REWARDGATE_BIND": f"127.0.0.1:{port}",
        "REWARDGATE_WORKERS": str(workers),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--timeout", str(timeout), "app:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    server = Server(f"http://127.0.0.1:{port}/", process, log.name)
    try:
        _wait_ready(server)
        yield server
    finally:
        stop(process)
        log.close()
        os.unlink(log.name)


def check_ledger(database_url: str) -> subprocess.CompletedProcess:
    """Run ``flask --app app check-ledger`` against ``database_url``, as an operator would."""
    env = {**os.environ, "DATABASE_URL": database_url}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "check-ledger"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)


def form(type_: str, user_id: str = "mgr", **fields) -> dict:
    """A urlencoded legacy form asking for JSON, as the conftest manager (or ``user_id``) of "shop"."""
    from conftest import MANAGER_KEY, STAFF_KEY

    key = {"mgr": MANAGER_KEY, "clerk": STAFF_KEY}[user_id]
    data = {"user_id": user_id, "user_password": key, "account_id": "shop", "type": type_, "output": "json"}
    data.update({k: str(v) for k, v in fields.items()})
    return data
