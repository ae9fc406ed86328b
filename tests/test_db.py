"""The database binding: URLs, and a worker that outlives its PostgreSQL connection."""
from __future__ import annotations

import peewee
import pytest

from conftest import _pg_admin
from gateway.domain import db


def test_urls_name_their_database(tmp_path):
    assert isinstance(db.open_database(f"sqlite:///{tmp_path}/a.db"), peewee.SqliteDatabase)
    pg = db.open_database("postgresql://someone:secret@127.0.0.1:5433/shopdb")
    assert isinstance(pg, peewee.PostgresqlDatabase)
    assert pg.database == "shopdb" and pg.connect_params["port"] == 5433


@pytest.mark.parametrize("url", ["sqlite:///:memory:", "mysql://x/y", "sqlite://"])
def test_unusable_urls_are_refused(url):
    with pytest.raises(ValueError):
        db.open_database(url)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_dropped_postgresql_connection_is_replaced(api, backend):
    api.ok("campaigns_list")
    pid = db.database.execute_sql("SELECT pg_backend_pid()").fetchone()[0]
    admin = _pg_admin()
    with admin.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
    admin.close()
    # The request that meets the dead socket is told to retry (nothing was changed); the next one
    # runs on a new connection.
    first = api.call("campaigns_list", output="json")
    assert first.status_code in (200, 503)
    assert first.get_json()["status"] == "success" or first.get_json()["error"].startswith("The server is busy")
    api.ok("campaigns_list")
    assert db.database.execute_sql("SELECT pg_backend_pid()").fetchone()[0] != pid


@pytest.mark.parametrize("setting, expected", [(None, db.MMAP_SIZE), ("0", 0), ("1048576", 1048576)])
def test_sqlite_files_are_read_through_mmap_unless_turned_off(tmp_path, monkeypatch, setting, expected):
    from gateway import create_app

    if setting is not None:
        monkeypatch.setenv("REWARDGATE_MMAP_SIZE", setting)
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/m.db", "CHECKPOINT_INTERVAL": 0})
    with app.app_context():
        db.ensure_connection()
        assert db.database.execute_sql("PRAGMA mmap_size").fetchone()[0] == expected
        db.database.close()


def _mapped(path) -> bool:
    """Whether this process maps ``path`` (SQLite's mmap of the database file)."""
    with open("/proc/self/maps") as maps:
        return any(line.rstrip().endswith(str(path)) for line in maps)


def _mmap_pragma() -> int:
    return db.database.obj._state.conn.execute("PRAGMA mmap_size").fetchone()[0]


def test_writes_read_the_file_without_the_map_and_the_next_read_maps_it_again(tmp_path):
    # SQLite drops a connection's whole map whenever another connection has written since its last
    # transaction; writes therefore leave the map off, and reads on their own turn it back on.
    path = tmp_path / "w.db"
    db.bind(f"sqlite:///{path}", checkpoint_interval=0)
    try:
        db.create_tables()
        from gateway.domain.models import Account

        assert db.database.execute_sql("SELECT count(*) FROM account").fetchone()[0] == 0
        assert _mapped(path) and _mmap_pragma() == db.MMAP_SIZE
        for n in range(2):
            with db.write_transaction():
                assert not _mapped(path) and _mmap_pragma() == 0
                Account.create(id=f"a{n}", name="Shop")
                assert db.database.execute_sql("SELECT count(*) FROM account").fetchone()[0] == n + 1
                assert not _mapped(path)
            assert not _mapped(path) and _mmap_pragma() == 0
        assert [a.id for a in Account.select().order_by(Account.id)] == ["a0", "a1"]
        # (SQLite maps the file again at the first page it does not hold in its cache)
        assert _mmap_pragma() == db.MMAP_SIZE
        # A new connection starts mapped, whatever the previous one was left at.
        with db.write_transaction():
            Account.create(id="a2", name="Shop")
        db.database.close()
        assert db.database.execute_sql("SELECT count(*) FROM account").fetchone()[0] == 3
        assert _mmap_pragma() == db.MMAP_SIZE
    finally:
        db.database.close()


def test_with_mmap_turned_off_writes_and_reads_leave_it_off(tmp_path):
    path = tmp_path / "off.db"
    db.bind(f"sqlite:///{path}", checkpoint_interval=0, mmap_size=0)
    try:
        db.create_tables()
        from gateway.domain.models import Account

        with db.write_transaction():
            Account.create(id="a", name="Shop")
        assert Account.select().count() == 1
        assert _mmap_pragma() == 0 and not _mapped(path)
    finally:
        db.database.close()
