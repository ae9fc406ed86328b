"""``flask --app app init-db`` brings an existing database up to the models (gateway/domain/schema.py).

- A SQLite file made by the previous release (905f7e7; tests/fixtures/sqlite_905f7e7.sql, rebuilt by
  tests/fixtures/make_sqlite_905f7e7.py): data kept, indexes as the models declare them, a second run
  changes nothing, the legacy API works on it.
- On SQLite and PostgreSQL: the older index set of d30a115 (tests/fixtures/indexes_d30a115.sql) is
  replaced by today's; an index the models no longer declare is dropped while indexes of the operator's
  own are kept; missing tables and columns are created, existing rows getting the columns' defaults.
"""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from conftest import create_pg_database, drop_pg_database, require_postgres
from gateway import create_app
from gateway.domain import db
from gateway.domain.models import ALL_MODELS

FIXTURES = Path(__file__).resolve().parent / "fixtures"
KEY = "1959caadac9b13dcb3"  # the manager "api" of account "greatwidgets" in both fixtures


# --- helpers -------------------------------------------------------------------------------------------

def init_db(app) -> list[str]:
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1] == "database ready"
    return lines[:-1]


def declared_indexes() -> dict[str, dict[str, tuple]]:
    """Per table, what the models declare: name -> (columns, unique, partial)."""
    out = {}
    for model in ALL_MODELS:
        shapes = {}
        for index in model._meta.fields_to_index():
            columns = tuple(e if isinstance(e, str) else e.column_name for e in index._expressions)
            shapes[index._name] = (columns, bool(index._unique), index._where is not None)
        out[model._meta.table_name] = shapes
    return out


def found_indexes() -> dict[str, dict[str, tuple]]:
    """Per model table, the indexes the bound database has (but primary keys and SQLite's automatic ones)."""
    bound = db.database.obj
    out = {}
    for model in ALL_MODELS:
        table = model._meta.table_name
        out[table] = {
            index.name: (tuple(index.columns), bool(index.unique), " WHERE " in index.sql.upper())
            for index in bound.get_indexes(table)
            if index.sql and not index.name.endswith("_pkey")
        }
    return out


def assert_indexes_as_declared() -> None:
    assert found_indexes() == declared_indexes()


def rows(path: Path) -> dict[str, list[tuple]]:
    with closing(sqlite3.connect(path)) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid').fetchall() for t in tables}


def columns(path: Path) -> dict[str, list[str]]:
    with closing(sqlite3.connect(path)) as conn:
        tables = [t for (t,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: [r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')] for t in tables}


def legacy(client, type_: str, **fields) -> dict:
    data = {"user_id": "api", "user_api_key": KEY, "account_id": "greatwidgets", "type": type_, "output": "json",
            **{k: str(v) for k, v in fields.items()}}
    response = client.post("/", data=data)
    assert response.status_code == 200, response.data
    doc = response.get_json()
    assert doc["status"] == "success", doc
    return doc


def balance(client, campaign_id: str, code: str) -> str:
    return legacy(client, "customer_balance", campaign_id=campaign_id, code=code)["campaign"]["customer"]["balance"]


def campaign_id(client, name: str) -> str:
    return next(c["id"] for c in legacy(client, "campaigns_list")["campaigns"] if c["name"] == name)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """The URL of an empty database of its own (PostgreSQL: created for the test, dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.db'}"
        db.database.close()
        return
    require_postgres()
    url = create_pg_database("rg_upgrade")
    try:
        yield url
    finally:
        db.database.close()
        drop_pg_database(url)


def operator_made(url: str):
    """An app on ``url`` after the README's operator commands: today's tables, account, manager key."""
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    runner = app.test_cli_runner()
    for args in (["init-db"], ["create-account", "greatwidgets", "--name", "Great Widgets"],
                 ["create-user", "greatwidgets", "api", "--role", "manager", "--api-key", KEY]):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
    return app


def execute_script(text: str) -> None:
    bound = db.database.obj
    with bound.atomic():
        for statement in text.split(";"):
            lines = [line for line in statement.splitlines() if not line.startswith("--")]
            if "".join(lines).strip():
                bound.execute_sql("\n".join(lines))


# --- a file made by the previous release ----------------------------------------------------------------

def test_init_db_upgrades_a_sqlite_file_made_by_905f7e7(tmp_path):
    path = tmp_path / "rewardgate.db"
    with closing(sqlite3.connect(path)) as conn:
        conn.executescript((FIXTURES / "sqlite_905f7e7.sql").read_text(encoding="utf-8"))
    before, old_columns = rows(path), columns(path)
    assert len(before["ledger_entry"]) == 6 and len(before["customer"]) == 2

    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{path}"})
    try:
        init_db(app)
        assert_indexes_as_declared()
        assert init_db(app) == []  # a second run changes nothing

        # Every row kept, column for column (added columns, if any, come after the old ones).
        after, new_columns = rows(path), columns(path)
        for table, old in before.items():
            assert new_columns[table][: len(old_columns[table])] == old_columns[table]
            assert [row[: len(old_columns[table])] for row in after[table]] == old, table

        client = app.test_client()
        coffee, bagels = campaign_id(client, "Coffee Club"), campaign_id(client, "Bagels")
        assert balance(client, coffee, "C1") == "1"  # 12 + 3 - 2, then the 12 deleted
        assert balance(client, coffee, "C2") == "7"
        legacy(client, "record_activity", campaign_id=coffee, code="C1", amount="5")
        assert balance(client, coffee, "C1") == "6"
        assert legacy(client, "customer_info", code="C1")["customer"]["first_name"] == "Ada"
        assert bagels
        # The stored answer of the old idempotent call is still replayed, not recorded again.
        legacy(client, "record_activity", campaign_id=coffee, code="C1", amount="12", idempotency_key="till1-0001")
        assert balance(client, coffee, "C1") == "6"
        check = app.test_cli_runner().invoke(args=["check-ledger"])
        assert check.exit_code == 0, check.output
    finally:
        db.database.close()


# --- older index sets, removed indexes, missing tables and columns: SQLite and PostgreSQL ---------------

def test_init_db_replaces_the_index_set_of_d30a115(empty_database):
    app = operator_made(empty_database)
    bound = db.database.obj
    old_sql = (FIXTURES / "indexes_d30a115.sql").read_text(encoding="utf-8")
    with bound.atomic():
        for table, declared in declared_indexes().items():
            for name in declared:
                bound.execute_sql(f'DROP INDEX "{name}"')
    execute_script(old_sql)
    old = {name for table in found_indexes().values() for name in table}
    assert "ledger_entry_customer_id_campaign_id_id" in old and "ledger_entry_reverses" in old

    client = app.test_client()
    legacy(client, "campaign_new", action="campaign", campaign_type="points", campaign_name="Coffee Club",
           points_ratio="1")
    coffee = campaign_id(client, "Coffee Club")
    legacy(client, "record_customer", customer_action="new", code="C1")
    first = legacy(client, "record_activity", campaign_id=coffee, code="C1", amount="10")["receipt"]["transaction_id"]
    legacy(client, "record_activity", campaign_id=coffee, code="C1", amount="4")
    legacy(client, "transaction_delete", campaign_id=coffee, code="C1", transaction_id=first)

    changes = init_db(app)
    assert_indexes_as_declared()
    declared = {name: shape for table in declared_indexes().values() for name, shape in table.items()}
    dropped = {c.split()[-1] for c in changes if c.startswith("dropped index ")}
    replaced = {c.split()[-1] for c in changes if c.startswith("replaced index ")}
    created = {c.split()[-1] for c in changes if c.startswith("created index ")}
    assert dropped == old - set(declared)
    assert created == set(declared) - old
    assert len(changes) == len(dropped) + len(replaced) + len(created)
    if declared.get("ledger_entry_reverses", (None, None, False))[2]:
        assert "ledger_entry_reverses" in replaced  # unique on every row, now on reversals only
    assert init_db(app) == []
    assert balance(client, coffee, "C1") == "4"


def test_an_index_no_model_declares_is_dropped_and_the_operators_own_are_kept(empty_database):
    app = operator_made(empty_database)
    execute_script("""
        CREATE INDEX "customer_email" ON "customer" ("email");
        CREATE INDEX "ledger_entry_kind_created" ON "ledger_entry" ("kind", "created");
        CREATE INDEX "local_customer_email" ON "customer" ("email");
        CREATE INDEX "customer_phone_lookup" ON "customer" ("phone");
        CREATE INDEX "customer_lower_email" ON "customer" (lower("email"));
    """)
    assert sorted(init_db(app)) == ["dropped index customer_email", "dropped index ledger_entry_kind_created"]
    kept = {index.name for index in db.database.obj.get_indexes("customer")}
    assert {"local_customer_email", "customer_phone_lookup", "customer_lower_email"} <= kept
    assert "customer_email" not in kept
    assert init_db(app) == []


def test_missing_tables_and_columns_are_added_with_their_defaults(empty_database):
    app = operator_made(empty_database)
    client = app.test_client()
    legacy(client, "campaign_new", action="campaign", campaign_type="points", campaign_name="Coffee Club",
           points_ratio="1")
    coffee = campaign_id(client, "Coffee Club")
    legacy(client, "record_customer", customer_action="new", code="C1")
    legacy(client, "record_activity", campaign_id=coffee, code="C1", amount="3")
    bound = db.database.obj
    with bound.atomic():
        bound.execute_sql('DROP TABLE "idempotency_record"')
        bound.execute_sql('ALTER TABLE "campaign" DROP COLUMN "two_tier_opt_out"')  # NOT NULL, default False
        bound.execute_sql('ALTER TABLE "customer" DROP COLUMN "pin_hash"')  # nullable
        bound.execute_sql('ALTER TABLE "ledger_entry" DROP COLUMN "original_amount"')  # NOT NULL, default ""
        bound.execute_sql('ALTER TABLE "membership" DROP COLUMN "created"')  # NOT NULL, default utcnow()

    changes = init_db(app)
    assert changes[0] == "created table idempotency_record"
    assert sorted(changes[1:5]) == ["added column campaign.two_tier_opt_out", "added column customer.pin_hash",
                                    "added column ledger_entry.original_amount", "added column membership.created"]
    assert changes[5:] == []
    assert_indexes_as_declared()
    assert init_db(app) == []

    assert bound.execute_sql('SELECT "two_tier_opt_out", "name" FROM "campaign"').fetchall() == [(False, "Coffee Club")]
    assert bound.execute_sql('SELECT "original_amount" FROM "ledger_entry"').fetchall() == [("",)]
    assert bound.execute_sql('SELECT COUNT(*) FROM "membership" WHERE "created" IS NULL').fetchone() == (0,)
    for model in ALL_MODELS:
        have = {c.name: c.null for c in bound.get_columns(model._meta.table_name)}
        assert have == {f.column_name: f.null for f in model._meta.sorted_fields}, model

    legacy(client, "record_activity", campaign_id=coffee, code="C1", amount="2", idempotency_key="k-1")
    legacy(client, "record_activity", campaign_id=coffee, code="C1", amount="2", idempotency_key="k-1")
    assert balance(client, coffee, "C1") == "5"


def test_a_refused_upgrade_changes_nothing_and_exits_1(empty_database):
    app = operator_made(empty_database)
    bound = db.database.obj
    execute_script("""
        DROP INDEX "customer_account_id_code";
        CREATE INDEX "customer_email" ON "customer" ("email");
        INSERT INTO "customer" ("account_id", "code", "first_name", "last_name", "phone", "email", "street1",
            "street2", "city", "state", "postal_code", "country", "custom_date", "custom_field", "custom_fields",
            "registered", "created")
        SELECT 'greatwidgets', 'SAME', '', '', '', '', '', '', '', '', '', '', '', '', '{}', FALSE, '2026-12-01 00:00:00'
        FROM "account";
    """)
    execute_script("""
        INSERT INTO "customer" ("account_id", "code", "first_name", "last_name", "phone", "email", "street1",
            "street2", "city", "state", "postal_code", "country", "custom_date", "custom_field", "custom_fields",
            "registered", "created")
        SELECT "account_id", "code", '', '', '', '', '', '', '', '', '', '', '', '', '{}', FALSE, "created"
        FROM "customer";
    """)  # two customers with one code: the unique index cannot be made
    before = found_indexes()
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 1
    assert "cannot create index customer_account_id_code" in result.output
    assert "nothing was changed" in result.output and "database ready" not in result.output
    assert found_indexes() == before  # the drop of customer_email was rolled back with the rest
    bound.execute_sql('DELETE FROM "customer" WHERE "id" = (SELECT MAX("id") FROM "customer")')
    assert sorted(init_db(app)) == ["created index customer_account_id_code", "dropped index customer_email"]


def test_a_model_that_changes_between_versions(empty_database):
    """One table through four versions of its model: a column added without and with a default, an
    index declared, then no longer declared."""
    import peewee as pw

    from gateway.domain import schema

    operator_made(empty_database)

    def version(**fields):
        meta = type("Meta", (), {"database": db.database, "table_name": "upgrade_probe",
                                  "legacy_table_names": False})
        return type("Probe", (pw.Model,), {"name": pw.CharField(max_length=32), "Meta": meta, **fields})

    assert schema.upgrade([version()]) == ["created table upgrade_probe"]
    db.database.obj.execute_sql("INSERT INTO \"upgrade_probe\" (\"name\") VALUES ('kept')")
    with pytest.raises(schema.UpgradeError, match="cannot add upgrade_probe.tier: NOT NULL without a default"):
        schema.upgrade([version(tier=pw.CharField(max_length=16))])
    indexed = version(tier=pw.CharField(max_length=16, default="gold", index=True))
    assert schema.upgrade([indexed]) == ["added column upgrade_probe.tier", "created index upgrade_probe_tier"]
    assert schema.upgrade([indexed]) == []
    assert schema.upgrade([version(tier=pw.CharField(max_length=16, default="gold"))]) == [
        "dropped index upgrade_probe_tier"]
    assert db.database.obj.execute_sql('SELECT "name", "tier" FROM "upgrade_probe"').fetchall() == [("kept", "gold")]
