"""Database binding: one peewee proxy, bound late to SQLite or PostgreSQL from a URL.

The models are declared against ``database`` (a ``DatabaseProxy``) so that the same code runs on the
embedded SQLite file and on PostgreSQL; ``init_app`` binds it from ``DATABASE_URL``.
"""
from __future__ import annotations

import os
from urllib.parse import parse_qsl, unquote, urlparse

import peewee

database = peewee.DatabaseProxy()

# WAL lets readers run beside the single writer; NORMAL sync is durable across process crashes in WAL
# mode (only an OS crash may lose the last commits); busy_timeout makes writers queue instead of failing.
SQLITE_PRAGMAS = {
    "journal_mode": "wal",
    "foreign_keys": 1,
    "busy_timeout": 10000,
    "synchronous": "normal",
    "cache_size": -64000,
}


def open_database(url: str) -> peewee.Database:
    """Build (without connecting) the peewee database a ``sqlite:///path`` or ``postgresql://`` URL names."""
    parsed = urlparse(url)
    scheme = parsed.scheme.lower()
    if scheme == "sqlite":
        path = unquote(parsed.path)
        # sqlite:///relative/file and sqlite:////absolute/file, as SQLAlchemy and playhouse.db_url spell it
        path = path[1:] if path.startswith("/") else path
        if not path or path == ":memory:":
            raise ValueError("Rewardgate needs a SQLite file, not an in-memory database: every worker must see it")
        directory = os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        return peewee.SqliteDatabase(path, pragmas=SQLITE_PRAGMAS, timeout=10, check_same_thread=False)
    if scheme in ("postgres", "postgresql"):
        options = dict(parse_qsl(parsed.query))
        return peewee.PostgresqlDatabase(
            unquote(parsed.path.lstrip("/")) or "postgres",
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or None,
            port=parsed.port or None,
            **options,
        )
    raise ValueError(f"Unsupported DATABASE_URL scheme {scheme!r}: use sqlite:///path or postgresql://...")


def is_sqlite() -> bool:
    return isinstance(database.obj, peewee.SqliteDatabase)


def write_transaction():
    """A transaction for work that writes.

    On SQLite it starts ``BEGIN IMMEDIATE``: a deferred transaction that reads first cannot upgrade to a
    write lock once another connection has committed, and fails at once with "database is locked"
    instead of waiting (engineering-notes B5). PostgreSQL's row locks make a plain BEGIN enough, since
    every balance change is a conditional UPDATE.
    """
    if is_sqlite():
        return database.atomic("IMMEDIATE")
    return database.atomic()


def bind(url: str) -> None:
    old = database.obj
    if old is not None and not old.is_closed():
        old.close()
    database.initialize(open_database(url))


def ensure_connection() -> None:
    # Connections are kept per worker thread and reused across requests: opening a SQLite file and
    # setting its pragmas on every request would cost more than most calls themselves.
    database.connect(reuse_if_open=True)


def create_tables() -> None:
    from . import models

    ensure_connection()
    database.create_tables(models.ALL_MODELS, safe=True)


class Prepared:
    """A SELECT whose SQL text is built once per kind of database, then run with new values.

    peewee builds a query's SQL in Python on every execution, and for a small indexed SELECT that costs
    several times what SQLite takes to run it (bench/breakdown.py: ~0.4 ms of the ~0.5 ms authentication
    took). ``Prepared(build)`` calls ``build`` once with marker arguments, keeps the SQL and the
    positions the arguments land in, and afterwards only binds new values. Arguments are bound as
    given (no field conversion), so pass text; rows come back as ``build``'s query would return them.
    """

    def __init__(self, build):
        self.build = build
        self._compiled: dict[type, tuple] = {}  # by database class: SQLite and PostgreSQL differ

    def __call__(self, *args) -> list:
        compiled = self._compiled.get(type(database.obj))
        if compiled is None:
            markers = [f"\x00prepared-argument-{n}\x00" for n in range(len(args))]
            query = self.build(*markers)
            sql, params = query.sql()
            slots = [(markers.index(p), None) if isinstance(p, str) and p in markers else (None, p) for p in params]
            if sorted(n for n, _ in slots if n is not None) != list(range(len(args))):
                raise ValueError("every argument of a prepared query must be bound exactly once, unchanged")
            compiled = self._compiled[type(database.obj)] = (query, sql, slots)
        query, sql, slots = compiled
        cursor = database.execute_sql(sql, [args[n] if n is not None else constant for n, constant in slots])
        return list(query._get_cursor_wrapper(cursor))
