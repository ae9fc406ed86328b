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
