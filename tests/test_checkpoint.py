"""SQLite writes made cheaper: WAL checkpoints run by a thread beside the requests (``db.Checkpointer``),
and no foreign-key index that a composite index already leads (``gateway/models.py``)."""
from __future__ import annotations

import os
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

import pytest
import requests

from conftest import seed_tenants
from gateway import create_app
from gateway.domain import db, models
from gateway.domain.models import (ALL_MODELS, Account, Campaign, Customer, IdempotencyRecord, LedgerEntry, Membership,
                            Reward, User)
from servers import check_ledger, form, prepare_database, running_server

WRITES = 300  # ~10 WAL pages each: well below the commits' backstop (db.BACKSTOP_PAGES)


def checkpointers() -> list[db.Checkpointer]:
    return [t for t in threading.enumerate() if isinstance(t, db.Checkpointer) and t.is_alive()]


def descriptors_on(path: str, pid: int | str = "self") -> int:
    """How many of the process's file descriptors are open on ``path``."""
    target = os.path.realpath(path)
    count = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            count += os.readlink(f"/proc/{pid}/fd/{fd}") == target
        except FileNotFoundError:
            pass
    return count


def entries_in_file(path: str) -> int | None:
    """Ledger rows in the database file itself, WAL ignored (``immutable=1``): what checkpoints copied
    there. None while a checkpoint is half-way through the file."""
    conn = sqlite3.connect(f"file:{quote(path)}?immutable=1", uri=True)
    try:
        return conn.execute("SELECT COUNT(*) FROM ledger_entry").fetchone()[0]
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


def sqlite_app(path: Path, **config):
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}", **config})
    models.create_tables()
    seed_tenants()
    return app


def record_stream(api, count: int = WRITES) -> None:
    Customer.create(account="shop", code="C1")
    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Stream")["campaign"]["id"]
    # The file starts with the tables and no ledger row; from here on only checkpoints move pages there.
    db.database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    for n in range(count):
        api.ok("record_activity", campaign_id=cid, code="C1", amount="1", authorization=f"a{n}")


# --- the checkpointer ----------------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_checkpointer_moves_committed_writes_into_the_database_file(api, backend):
    path = db.database.obj.database
    assert db.database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == db.BACKSTOP_PAGES
    assert [c.path for c in checkpointers()] == [path]
    record_stream(api)
    # No commit crossed the backstop and this process ran no checkpoint: the thread copied them.
    assert wait_for(lambda: entries_in_file(path) == WRITES), entries_in_file(path)
    assert LedgerEntry.select().count() == WRITES


def test_interval_0_leaves_checkpoints_to_the_commits(tmp_path, monkeypatch):
    monkeypatch.setenv("REWARDGATE_CHECKPOINT_INTERVAL", "0")
    app = sqlite_app(tmp_path / "plain.db")
    try:
        assert checkpointers() == []
        assert db.database.execute_sql("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000  # SQLite's default
        # With the commits' own checkpoints off too, nothing reaches the file: what the test above sees
        # arriving there is the checkpointer's doing.
        db.database.execute_sql("PRAGMA wal_autocheckpoint = 0")
        from conftest import Api

        record_stream(Api(app.test_client()))
        time.sleep(0.3)
        assert entries_in_file(str(tmp_path / "plain.db")) == 0
        assert LedgerEntry.select().count() == WRITES
    finally:
        db.database.close()


def test_the_checkpointer_follows_the_binding_and_stops_with_it(tmp_path):
    first, second = str(tmp_path / "first.db"), str(tmp_path / "second.db")
    sqlite_app(Path(first))
    assert [c.path for c in checkpointers()] == [first]
    assert descriptors_on(first) == 2  # this thread's connection and the checkpointer's
    sqlite_app(Path(second))
    assert [c.path for c in checkpointers()] == [second]
    assert descriptors_on(first) == 0
    # A connection of another thread counts too: the checkpointer stops with the last one.
    connected, release = threading.Event(), threading.Event()

    def other_thread():
        Account.select().count()
        connected.set()
        release.wait(10)
        db.database.close()

    other = threading.Thread(target=other_thread)
    other.start()
    assert connected.wait(10)
    db.database.close()
    assert [c.path for c in checkpointers()] == [second]
    release.set()
    other.join()
    assert checkpointers() == [] and descriptors_on(second) == 0


def test_a_database_file_deleted_under_the_checkpointer_is_let_go(tmp_path):
    path = str(tmp_path / "gone.db")
    sqlite_app(Path(path), CHECKPOINT_INTERVAL=0.02)
    try:
        (running,) = checkpointers()
        for suffix in ("", "-wal", "-shm"):
            os.unlink(path + suffix)
        running.join(timeout=5)
        assert not running.is_alive()
        assert not os.path.exists(path)  # and it did not create a new one
    finally:
        db.database.close()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_postgresql_has_no_checkpointer(api, backend):
    api.ok("campaigns_list")
    assert checkpointers() == []


@pytest.mark.slow
def test_every_gunicorn_worker_checkpoints_beside_its_requests(tmp_path):
    path = str(tmp_path / "server.db")
    url = f"sqlite:///{path}"
    prepare_database(url)
    Customer.create(account="shop", code="C1")
    cid = Campaign.create(id="1234567890123456", account="shop", type="points", name="P").id
    db.database.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.database.close()  # from here on, only the workers checkpoint
    assert checkpointers() == []
    with running_server(url, workers=2) as server:
        workers = server.wait_workers(2)
        data = form("record_activity", campaign_id=cid, code="C1", amount="1")
        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(lambda _: requests.post(server.url, data=data, timeout=30).json(), range(WRITES)))
        assert all(a["status"] == "success" for a in answers)
        assert wait_for(lambda: entries_in_file(path) == WRITES), entries_in_file(path)
        # Each worker that has the database open has it twice: its own connection and its checkpointer's.
        opened = [descriptors_on(path, pid) for pid in workers]
        assert any(opened) and all(n in (0, 2) for n in opened), opened
        checked = check_ledger(url)
        assert checked.returncode == 0, checked.stdout + checked.stderr


# --- indexes -------------------------------------------------------------------------------------------

# Foreign keys whose own index peewee would add, left out because a composite index leads with them.
LEFT_OUT = {
    "ledger_entry": {"ledger_entry_customer_id", "ledger_entry_campaign_id"},
    "membership": {"membership_customer_id", "membership_campaign_id"},
    "campaign": {"campaign_account_id"},
    "user": {"user_account_id"},
    "idempotency_record": {"idempotency_record_account_id"},
}
KEPT = {
    "ledger_entry": {"ledger_entry_customer_id_campaign_id_created", "ledger_entry_account_id_created",
                     "ledger_entry_campaign_id_created", "ledger_entry_reverses",
                     # the account's entries in id order, for transactions_all's keyset pages
                     "ledger_entry_account_id"},
    "membership": {"membership_customer_id_campaign_id_item", "membership_campaign_id_customer_id"},
    "campaign": {"campaign_account_id_active_type"},
    "user": {"user_account_id_user_id", "user_user_id"},
    "idempotency_record": {"idempotency_record_account_id_key"},
    # the account's customers in id order, for the customer reports' keyset pages
    "customer": {"customer_account_id", "customer_account_id_code"},
}


def index_columns(table: str) -> dict[str, list[str]]:
    if db.is_sqlite():
        names = [row[1] for row in db.database.execute_sql(f'PRAGMA index_list("{table}")').fetchall()]
        return {n: [r[2] for r in db.database.execute_sql(f'PRAGMA index_info("{n}")').fetchall()] for n in names}
    return {index.name: index.columns for index in db.database.get_indexes(table)}


def test_redundant_foreign_key_indexes_are_left_out_and_the_composites_kept(app):
    for table in LEFT_OUT.keys() | KEPT.keys():
        names = set(index_columns(table))
        assert not names & LEFT_OUT.get(table, set()), table
        assert KEPT[table] <= names, table


def test_the_one_reversal_per_entry_index_holds_reversals_only(app):
    # Partial: ordinary ledger rows (reverses NULL) do not write it.
    if db.is_sqlite():
        (sql,) = db.database.execute_sql(
            "SELECT sql FROM sqlite_master WHERE name = 'ledger_entry_reverses'").fetchone()
    else:
        (sql,) = db.database.execute_sql(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'ledger_entry_reverses'").fetchone()
    assert "UNIQUE" in sql.upper() and "WHERE" in sql.upper() and "NOT NULL" in sql.upper(), sql


def test_every_foreign_key_still_leads_an_index(app):
    for model in ALL_MODELS:
        leading = {columns[0] for columns in index_columns(model._meta.table_name).values() if columns}
        for field in model._meta.refs:
            assert field.column_name in leading, f"{model.__name__}.{field.name}"


def plan(sql: str, params: list) -> list[str]:
    return [row[3] for row in db.database.execute_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cascades_and_keyset_pages_are_planned_on_an_index(app, backend):
    # Deleting a parent row looks up each child table's rows (ON DELETE CASCADE): an index search each.
    for parent in (Account, Campaign, Customer):
        children = {m._meta.table_name for m in ALL_MODELS for f in m._meta.refs if f.rel_model is parent}
        steps = plan(f'DELETE FROM "{parent._meta.table_name}" WHERE "id" = ?', [1])
        assert {s.split()[1] for s in steps} == children | {parent._meta.table_name}, steps
        assert all(s.startswith("SEARCH") and ("INDEX" in s or "PRIMARY KEY" in s) for s in steps), steps
    # Keyset pages in id order read an index in that order instead of sorting a whole account per page.
    for model in (LedgerEntry, Customer):
        page = model.select(model.id).where((model.account == "shop") & (model.id > 0)).order_by(model.id).limit(1000)
        steps = plan(*page.sql())
        assert not any("TEMP B-TREE" in s for s in steps) and "INDEX" in steps[0], (model, steps)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_customers_history_is_read_in_index_order_without_statistics(app, backend):
    # init-db never runs ANALYZE: without statistics SQLite must still take the customer's own rows in
    # the order customer_balance shows them (newest first), not walk the whole campaign's ledger.
    from gateway.domain.transactions import history_query

    campaign = Campaign.create(id="1234567890123456", account="shop", type="points", name="P")
    customer = Customer.create(account="shop", code="H1")
    for limit in (10, None):
        steps = plan(*history_query("shop", customer.id, campaign.id, limit).sql())
        assert not any("TEMP B-TREE" in s for s in steps), steps
        assert any("ledger_entry_customer_id_campaign_id_created" in s for s in steps), steps
        assert not any(s.startswith("SCAN") and "ledger_entry" in s for s in steps), steps


def test_cascade_deletes_still_remove_what_hangs_from_a_row(api):
    def campaign(name: str) -> str:
        cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name=name)["campaign"]["id"]
        api.ok("campaign_new", action="reward", campaign_id=cid, reward_level=100, reward_description="R")
        return cid

    kept, doomed = campaign("Kept"), campaign("Doomed")
    for code in ("C1", "C2"):
        Customer.create(account="shop", code=code)
        for cid in (kept, doomed):
            api.ok("record_activity", campaign_id=cid, code=code, amount="3", idempotency_key=f"{code}-{cid}")
    other = api.other()
    other_campaign = other.ok("campaign_new", action="campaign", campaign_type="points",
                              campaign_name="O")["campaign"]["id"]
    Customer.create(account="other", code="C1")
    other.ok("record_activity", campaign_id=other_campaign, code="C1", amount="3", idempotency_key="o")

    api.ok("customer_delete", code="C2")
    c1 = Customer.get(account="shop", code="C1")
    assert {m.customer_id for m in Membership.select().join(Customer).where(Customer.account == "shop")} == {c1.id}
    assert {e.customer_id for e in LedgerEntry.select().where(LedgerEntry.account == "shop")} == {c1.id}

    api.ok("campaign_delete", action="campaign", campaign_id=doomed)
    assert {e.campaign_id for e in LedgerEntry.select().where(LedgerEntry.account == "shop")} == {kept}
    assert {m.campaign_id for m in Membership.select().where(Membership.customer == c1.id)} == {kept}
    assert not Reward.select().where(Reward.campaign == doomed).exists()

    Account.delete().where(Account.id == "shop").execute()
    for model in (Campaign, Customer, User, IdempotencyRecord, LedgerEntry):
        assert not model.select().where(model.account == "shop").exists(), model
    assert Membership.select().count() == 1 and Reward.select().count() == 0
    # The other account lost nothing.
    assert LedgerEntry.select().where(LedgerEntry.account == "other").count() == 1
    assert IdempotencyRecord.select().where(IdempotencyRecord.account == "other").count() == 1
    other.ok("campaigns_list")
