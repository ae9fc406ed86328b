"""A gunicorn worker killed (SIGKILL) mid-load leaves no partial state: check-ledger passes, every
answered receipt's transaction exists, and clients retrying with their idempotency key get each
request applied exactly once."""
from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gateway.domain.campaigns import create_campaign
from gateway.domain.models import Customer, LedgerEntry, Membership
from servers import check_ledger, form, fresh_database, running_server

CLIENTS = 8
PER_CLIENT = 25
KILL_AFTER = (40, 110)  # answered requests before each SIGKILL


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_sigkill_of_a_worker_mid_load(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        Customer.create(account="shop", code="C1")
        cid = create_campaign("shop", type="points", name="P").id
        answered: dict[str, dict] = {}
        dropped = 0
        lock = threading.Lock()

        def client(n: int) -> None:
            nonlocal dropped
            session = requests.Session()
            for i in range(PER_CLIENT):
                tag = f"c{n}-{i}"
                data = form("record_activity", campaign_id=cid, code="C1", amount="1", authorization=tag, idempotency_key=tag)
                while True:
                    try:
                        doc = session.post(server.url, data=data, timeout=30).json()
                        break
                    except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError,
                            requests.exceptions.JSONDecodeError):
                        # The worker died under this request (before answering, or between the
                        # headers and the body): it may or may not have committed. The same key makes
                        # the retry safe either way.
                        with lock:
                            dropped += 1
                        session = requests.Session()
                        time.sleep(0.05)
                assert doc["status"] == "success", doc
                with lock:
                    answered[tag] = doc["receipt"]

        with running_server(url, workers=3) as server:
            first_workers = server.wait_workers(3)
            killed = []
            with ThreadPoolExecutor(CLIENTS) as pool:
                futures = [pool.submit(client, n) for n in range(CLIENTS)]
                for threshold in KILL_AFTER:
                    while len(answered) < threshold and not all(f.done() for f in futures):
                        time.sleep(0.005)
                    victim = server.worker_pids()[0]
                    os.kill(victim, signal.SIGKILL)
                    killed.append(victim)
                for future in futures:
                    future.result()
            assert killed[0] in first_workers
            assert not set(killed) & set(server.worker_pids())  # the master replaced them

        total = CLIENTS * PER_CLIENT
        assert len(answered) == total
        entries = {e.authorization: e for e in LedgerEntry.select()}
        # Exactly once: one row per request, however many times a dropped one was retried.
        assert len(entries) == LedgerEntry.select().count() == total
        for tag, receipt in answered.items():
            entry = entries[tag]
            assert str(entry.id) == receipt["transaction_id"] and entry.amount == 100
        assert Membership.get().balance == 100 * total
        result = check_ledger(url)
        assert result.returncode == 0, result.stdout + result.stderr
        print(f"{backend}: {dropped} request(s) dropped by killed workers and retried")
