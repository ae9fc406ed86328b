"""Bring an existing database (SQLite file or PostgreSQL) up to what the models declare: ``upgrade()``.

``flask --app app init-db`` runs it, on a new database as on one made by any earlier version: there is
no migration history to keep, because the models themselves are the target. What it does, in one
transaction (SQLite and PostgreSQL both roll DDL back, so a failure leaves the database as it was):

1. creates the tables the models declare and the database lacks (with their indexes);
2. adds the columns a model declares and its table lacks. A column must be nullable or have a default:
   existing rows get the default (a callable default is called once, for all of them). On SQLite the
   column keeps that value as its SQL ``DEFAULT`` (SQLite adds a NOT NULL column only with one); on
   PostgreSQL the SQL default is dropped again, so the column is as a new database would have it;
3. drops the indexes that peewee's naming would give one of the models (``<table>_<column>_…``, the
   name ``ModelIndex`` makes from the index's columns) but that the model no longer declares. Any other
   index (a name of your own, e.g. ``local_customer_email``; SQLite's automatic ones; primary keys) is
   never touched;
4. replaces a declared index whose name exists with another definition (other columns, uniqueness, or
   partial where it was not, or the reverse), and creates the declared indexes that are missing;
5. creates the triggers that keep each campaign's number of participants, when any is missing, and
   counts them afresh (``models.install_participant_triggers``).

It never drops or alters a table or a column: columns a model no longer declares stay with their data.
Run again, it changes nothing and says so (an empty list).

Only peewee's public introspection is read (``get_tables``, ``get_columns``, ``get_indexes``,
``Model._meta.fields_to_index()``); a declared index's name, columns, uniqueness and predicate are read
from the ``ModelIndex`` objects peewee builds (``_name``, ``_expressions``, ``_unique``, ``_where``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import peewee as pw
from playhouse.migrate import SchemaMigrator

from . import db
from .models import ALL_MODELS, ParticipantCount, install_participant_triggers


class UpgradeError(Exception):
    """The schema cannot be brought up to date automatically (nothing was changed)."""


@dataclass(frozen=True)
class IndexShape:
    columns: tuple[str, ...]
    unique: bool
    partial: bool


_WHERE = re.compile(r"\)\s+WHERE\s", re.IGNORECASE)


def upgrade(models: list[type[pw.Model]] | None = None) -> list[str]:
    """Apply what ``models`` (default: every model) need to the bound database; return one line per
    change, e.g. ``"dropped index ledger_entry_customer_id"``, in the order they were made."""
    if models is None:
        models = ALL_MODELS
    db.ensure_connection()
    bound = db.database.obj
    changes: list[str] = []
    # A write transaction from the start (on SQLite, the writers' turn and BEGIN IMMEDIATE), as any writer.
    with db.write_transaction():
        existing_tables = set(bound.get_tables())
        missing = [m for m in models if m._meta.table_name not in existing_tables]
        if missing:
            bound.create_tables(missing, safe=True)
            changes += [f"created table {m._meta.table_name}" for m in pw.sort_models(missing)]
        present = [m for m in models if m._meta.table_name in existing_tables]
        for model in present:
            changes += _add_columns(bound, model)
        for model in present:
            table = model._meta.table_name
            found = {index.name: index for index in bound.get_indexes(table)}
            declared = {index._name: index for index in model._meta.fields_to_index()}
            for name, index in found.items():
                if name in declared:
                    if _shape_found(index) != _shape_declared(declared[name]):
                        _drop_index(bound, table, name)
                        _create_index(bound, declared[name])
                        changes.append(f"replaced index {name}")
                elif _follows_model_naming(model, index):
                    _drop_index(bound, table, name)
                    changes.append(f"dropped index {name}")
            for name, index in declared.items():
                if name not in found:
                    _create_index(bound, index)
                    changes.append(f"created index {name}")
        if ParticipantCount in models:
            changes += install_participant_triggers()
    return changes


def _create_index(bound: pw.Database, index: pw.Index) -> None:
    ctx = bound.get_sql_context()
    # SQLite takes no parameters in DDL (a partial index's predicate): peewee inlines them there too.
    ctx.sql(pw.ValueLiterals(index) if bound.index_value_literals else index)
    try:
        with bound.atomic():  # a savepoint: PostgreSQL's transaction stays usable for the rollback
            bound.execute(ctx)
    except pw.DatabaseError as exc:
        raise UpgradeError(f"cannot create index {index._name}: {str(exc).strip()}") from exc


def _add_columns(bound: pw.Database, model: type[pw.Model]) -> list[str]:
    table = model._meta.table_name
    have = {column.name for column in bound.get_columns(table)}
    changes = []
    for field in model._meta.sorted_fields:
        if field.column_name in have:
            continue
        if field.primary_key:
            raise UpgradeError(f"{table} has no primary key column {field.column_name}: rebuild it by hand")
        default = field.default() if callable(field.default) else field.default
        if not field.null and default is None:
            raise UpgradeError(f"cannot add {table}.{field.column_name}: NOT NULL without a default")
        sqlite = isinstance(bound, pw.SqliteDatabase)
        ctx = bound.get_sql_context()
        ctx.literal("ALTER TABLE ").sql(pw.Entity(table)).literal(" ADD COLUMN ").sql(field.ddl(ctx))
        if default is not None:
            value = pw.Value(field.db_value(default), converter=False)
            # SQLite takes no parameters in DDL: the default goes in as a literal. psycopg2 binds on the
            # client side, so PostgreSQL gets it typed (a boolean as false, not 0).
            ctx.literal(" DEFAULT ").sql(pw.ValueLiterals(value) if sqlite else value)
        if isinstance(field, pw.ForeignKeyField):
            SchemaMigrator.from_database(bound).add_inline_fk_sql(ctx, field)
        try:
            with bound.atomic():  # a savepoint, as for an index
                bound.execute(ctx)
                if default is not None and not sqlite:
                    bound.execute_sql(f'ALTER TABLE "{_q(table)}" ALTER COLUMN "{_q(field.column_name)}" DROP DEFAULT')
        except pw.DatabaseError as exc:
            raise UpgradeError(f"cannot add {table}.{field.column_name}: {str(exc).strip()}") from exc
        changes.append(f"added column {table}.{field.column_name}")
    return changes


def _q(name: str) -> str:
    return name.replace('"', '""')


def _drop_index(bound: pw.Database, table: str, name: str) -> None:
    SchemaMigrator.from_database(bound).drop_index(table, name).run()


def _column_of(expression) -> str | None:
    if isinstance(expression, str):
        return expression.split()[0].strip('"')
    if isinstance(expression, pw.Node) and not isinstance(expression, pw.Field):
        expression = expression.unwrap()
    return expression.column_name if isinstance(expression, pw.Field) else None


def _shape_declared(index: pw.Index) -> IndexShape:
    return IndexShape(tuple(_column_of(e) for e in index._expressions), bool(index._unique), index._where is not None)


def _shape_found(index) -> IndexShape:
    return IndexShape(tuple(index.columns), bool(index.unique), bool(index.sql and _WHERE.search(index.sql)))


def _follows_model_naming(model: type[pw.Model], index) -> bool:
    """Whether ``index`` carries the name peewee would give an index of ``model`` on its own columns."""
    columns = [c for c in index.columns if c]
    if not columns or len(columns) != len(index.columns):
        return False  # an expression index: not one peewee named from columns
    return index.name == pw.ModelIndex(model, columns)._name
