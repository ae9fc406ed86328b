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


def test_every_statement_answers_what_its_query_answers_run_the_plain_way(api, monkeypatch):
    # Statements (db.Statement) build their SQL once and build rows themselves: every read one run
    # here is compared with its query run through peewee, row for row, value for value.
    import peewee as pw
    from playhouse.shortcuts import model_to_dict

    from gateway.domain.models import User

    compared = set()
    original = db.Statement.__call__

    def shape(row):
        if isinstance(row, tuple):
            return row
        extras = {k: v for k, v in vars(row).items() if not k.startswith("_")}
        return type(row), model_to_dict(row, recurse=False), extras

    def checked(statement, *args):
        rows = original(statement, *args)
        query = statement.build(*args)
        if isinstance(query, pw.Select):
            plain = list(query.tuples()) if statement.tuples else list(query)
            assert [shape(r) for r in rows] == [shape(r) for r in plain], statement.build
            compared.add(statement)
        return rows

    monkeypatch.setattr(db.Statement, "__call__", checked)
    User.update(name="Clara").where(User.user_id == "clerk").execute()
    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="P")["campaign"]["id"]
    api.ok("campaign_new", action="reward", campaign_id=cid, reward_level="10", reward_description="Mug")
    api.ok("campaign_new", action="reward", campaign_id=cid, reward_level="5", reward_description="Pen",
           reward_identifier="PEN", reward_custom_field_1="blue")
    api.ok("record_customer", customer_action="new", code="C1", card_number="CARD1", first_name="Ann")
    api.staff().ok("record_activity", campaign_id=cid, code="C1", amount="0.20", authorization="A1", custom_field_1="x")
    api.ok("record_activity", campaign_id=cid, card_number="CARD1", amount="0.30")
    api.ok("redeem", campaign_id=cid, code="C1", custom_points_redeem="5")
    api.ok("campaign_rewards", campaign_id=cid)
    api.ok("customer_balance", campaign_id=cid, code="C1")
    api.ok("customer_balance", campaign_id=cid, card_number="CARD1", transactions_number="2")
    api.ok("customer_info", code="C1")
    api.as_user("mgr", "manager-key-0001", None).ok("campaigns_list")
    selects = {s for s in db.Statement.all if isinstance(s.build(*[None] * s.build.__code__.co_argcount), pw.Select)}
    assert selects <= compared, [s.build for s in selects - compared]
    assert len(compared) >= 8, len(compared)
