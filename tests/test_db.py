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

    def typed(pairs):  # 1 == True == 1.0: each value is compared with its type
        return sorted((k, type(v).__name__, v) for k, v in pairs)

    def shape(row):
        if isinstance(row, tuple):
            return typed(enumerate(row))
        extras = {k: v for k, v in vars(row).items() if not k.startswith("_")}
        return type(row), typed(model_to_dict(row, recurse=False).items()), typed(extras.items())

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
    api.ok("customer_info", card_number="CARD1")
    promo = api.ok("campaign_new", action="promo", campaign_id=cid, promo_operation="x", promo_amount="2",
                   promo_description="Double")["campaign"]["promo"]["id"]
    api.ok("record_activity", campaign_id=cid, code="C1", amount="1.00", promo_id=promo)
    api.ok("campaign_deactivate", campaign_id=cid)
    api.ok("campaign_reactivate", campaign_id=cid)
    api.as_user("mgr", "manager-key-0001", None).ok("campaigns_list")
    # The JSON API's statements (gateway/api): a key, a campaign by slug, an event, a participant.
    from gateway.domain import api_keys

    secret = {"X-API-Secret": api_keys.create_key("shop", "live")}
    rules = [{"eventType": "e", "points": 2, "maxPerUserPerDay": 5}]
    for path, body in (("/v1/campaigns", {"name": "J", "slug": "json-one", "rules": rules}),
                       ("/v1/campaigns/json-one/activate", None),
                       ("/v1/campaigns/json-one/events", {"userId": "C1", "eventType": "e"}),
                       ("/v1/campaigns/json-one/events", {"userId": "C1", "eventType": "no-rule"}),
                       ("/v1/campaigns/codes/verify", {"code": "JSON-ABCDEFGH"})):
        assert api.client.post(path, json=body, headers=secret).status_code < 300
    assert api.client.get("/v1/campaigns/json-one/participants/C1", headers=secret).status_code == 200
    assert api.client.get("/v1/campaigns/json-one/leaderboard", headers=secret).status_code == 200
    selects = {s for s in db.Statement.all if isinstance(s.build(*[None] * s.build.__code__.co_argcount), pw.Select)}
    assert selects <= compared, [(s.build.__code__.co_filename, s.build.__code__.co_firstlineno) for s in selects - compared]
    assert len(compared) >= 8, len(compared)
    if not db.is_sqlite():
        # ... and on PostgreSQL each of them ran prepared (db.PREPARE): none fell back to text.
        prepared = {name for (name,) in db.database.execute_sql("SELECT name FROM pg_prepared_statements").fetchall()}
        assert {s.name for s in compared} <= prepared


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_statements_are_sent_as_text_when_preparing_is_off(api, backend, monkeypatch):
    # REWARDGATE_PG_PREPARE=0, for a pooler that gives each transaction another server session.
    monkeypatch.setattr(db.database.obj, "prepare", False)
    db.database.close()
    api.ok("campaigns_list")
    api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="P")
    assert db.database.execute_sql("SELECT count(*) FROM pg_prepared_statements").fetchone()[0] == 0


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_postgresql_transaction_whose_begin_travels_with_its_first_statement_is_one_transaction(app, backend):
    # PostgresqlDatabase sends BEGIN with the transaction's first statement: it must behave as a
    # transaction sent the plain way, on its own round trip.
    from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INTRANS

    from gateway.domain.models import Customer

    status = lambda: db.database.connection().info.transaction_status  # noqa: E731
    with db.write_transaction():
        first = db.database.execute_sql("SELECT now(), pg_sleep(0.01)").fetchone()[0]
        assert status() == TRANSACTION_STATUS_INTRANS
        Customer.create(account="shop", code="T1")
        # now() is the transaction's start: the same for every statement of one transaction
        assert db.database.execute_sql("SELECT now()").fetchone()[0] == first
    assert status() == TRANSACTION_STATUS_IDLE and Customer.get_or_none(code="T1") is not None

    with pytest.raises(RuntimeError):  # a write followed by a failure leaves nothing
        with db.write_transaction():
            Customer.create(account="shop", code="T2")
            raise RuntimeError
    assert Customer.get_or_none(code="T2") is None

    with pytest.raises(peewee.IntegrityError):  # the first statement itself fails: rolled back, usable
        with db.write_transaction():
            Customer.create(account="shop", code="T1")
    assert status() == TRANSACTION_STATUS_IDLE

    with db.write_transaction():  # a transaction that ran nothing sends nothing, and leaves none open
        pass
    with db.write_transaction():
        with db.database.atomic():  # a savepoint as the first statement
            Customer.create(account="shop", code="T3")
    assert status() == TRANSACTION_STATUS_IDLE and Customer.get_or_none(code="T3") is not None
    outside = [db.database.execute_sql("SELECT now(), pg_sleep(0.01)").fetchone()[0] for _ in range(2)]
    assert outside[0] != outside[1]  # outside a transaction each statement is its own

    db.database.close()  # a transaction begun with no connection open connects first, as a BEGIN would
    with db.write_transaction():
        # the row count is the first statement's, not its BEGIN's
        assert Customer.update(first_name="Ann").where(Customer.code == "T1").execute() == 1
        assert Customer.update(first_name="Ann").where(Customer.code == "none").execute() == 0
    assert status() == TRANSACTION_STATUS_IDLE and Customer.get(code="T1").first_name == "Ann"


def test_an_insert_statement_stores_what_create_stores(app):
    # db.Insert binds every field itself: the stored row must be the one Model.create stores.
    from playhouse.shortcuts import model_to_dict

    from gateway.domain.campaigns import _INSERTS
    from gateway.domain.ledger import _INSERT_ENTRY
    from gateway.domain.models import Campaign, Customer, Depreciation, Fee, Item, LedgerEntry, Promo, Reward, utcnow

    campaign = Campaign.create(id="1000000000000001", account="shop", type="points", name="P")
    customer = Customer.create(account="shop", code="C1")
    now = utcnow()
    cases = [
        (LedgerEntry, _INSERT_ENTRY, dict(account="shop", campaign=campaign.id, customer=customer.id, kind="record",
                                          amount=-250, created=now, original_amount="2.50", promo_id=None,
                                          custom_fields='{"custom_field_1": "é"}', user_id="mgr")),
        (Reward, _INSERTS[Reward], dict(campaign=campaign, level=10, description="Mug", custom_fields="{}")),
        (Promo, _INSERTS[Promo], dict(campaign=campaign, operation="x", amount="1.5", description="Double",
                                      start_date=now, end_date=None)),
        (Item, _INSERTS[Item], dict(campaign=campaign, reward_level=3, description="Coffee", identifier="C")),
        (Fee, _INSERTS[Fee], dict(campaign=campaign, interval=1, interval_type="months", amount=5)),
        (Depreciation, _INSERTS[Depreciation], dict(campaign=campaign, type="per_transaction", interval=2,
                                                    interval_type="days", percentage="12.5")),
    ]
    for model, insert, values in cases:
        made = insert(**values)
        plain = model.create(**values)
        stored = model_to_dict(model.get_by_id(made.id), recurse=False)
        expected = model_to_dict(model.get_by_id(plain.id), recurse=False)
        assert made.id != plain.id
        stored.pop("id"), expected.pop("id")
        if "created" in expected and model is not LedgerEntry:  # each took its own default time
            stored.pop("created"), expected.pop("created")
        assert stored == expected, model
        assert {k: v for k, v in model_to_dict(made, recurse=False).items() if k != "id" and k in stored} == \
            {k: v for k, v in stored.items()}, model


def test_a_posted_change_stores_its_row_and_balance_as_create_and_a_sum_would(app):
    # ledger.post: on PostgreSQL the balance's update and the ledger row are one statement (a WITH),
    # on SQLite two. Either way the row is the one Model.create stores, the answer is the stored
    # balance, and a refused debit or a first credit leaves things as the plain path would.
    from playhouse.shortcuts import model_to_dict

    from gateway.domain import ledger
    from gateway.domain.errors import InsufficientBalance
    from gateway.domain.models import Campaign, Customer, LedgerEntry, Membership, utcnow

    campaign = Campaign.create(id="1000000000000001", account="shop", type="points", name="P")
    customer = Customer.create(account="shop", code="C1")
    details = dict(original_amount="2.50", promo_id=7, custom_fields='{"custom_field_1": "é"}', user_id="mgr",
                   authorization="A-1")

    def post(amount, **extra):
        with db.write_transaction():
            return ledger.post(account_id="shop", campaign=campaign, customer=customer, amount=amount,
                               kind="record" if amount >= 0 else "redeem", **details, **extra)

    first, second, debit = post(250), post(100, quantity=3), post(-300, reward_id=9)
    with pytest.raises(InsufficientBalance):
        post(-51)
    assert [p.balance for p in (first, second, debit)] == [250, 350, 50]
    assert Membership.get(Membership.customer == customer.id).balance == 50
    assert LedgerEntry.select().count() == 3
    common = dict(account="shop", campaign=campaign.id, customer=customer.id, item=0, reverses=None, **details)
    for posted, amount, extra in ((first, 250, {}), (second, 100, {"quantity": 3}), (debit, -300, {"reward_id": 9})):
        stored = model_to_dict(LedgerEntry.get_by_id(posted.entry.id), recurse=False)
        expected = {**common, "kind": "record" if amount >= 0 else "redeem", "amount": amount, "quantity": None,
                    "reward_id": None, **extra}
        assert {k: stored[k] for k in expected} == expected
        assert stored["created"] <= utcnow()
        assert model_to_dict(posted.entry, recurse=False) == stored  # the answered row is the stored one
