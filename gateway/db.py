"""Database binding: one peewee proxy, bound late to SQLite or PostgreSQL from a URL.

The models are declared against ``database`` (a ``DatabaseProxy``) so that the same code runs on the
embedded SQLite file and on PostgreSQL; ``init_app`` binds it from ``DATABASE_URL``.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
from urllib.parse import parse_qsl, unquote, urlparse

import peewee

database = peewee.DatabaseProxy()
# Bumped by every bind(): per-process caches of database contents (gateway.auth) key on it, so that
# rebinding (tests, the CLI) never serves rows of the previous database.
generation = 0

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


@contextlib.contextmanager
def write_transaction():
    """A transaction for work that writes.

    On SQLite it starts ``BEGIN IMMEDIATE``: a deferred transaction that reads first cannot upgrade to a
    write lock once another connection has committed, and fails at once with "database is locked"
    instead of waiting (engineering-notes B5). PostgreSQL's row locks make a plain BEGIN enough, since
    every balance change is a conditional UPDATE.
    """
    if not is_sqlite():
        with database.atomic():
            yield
        return
    with _writer_turn(), database.atomic("IMMEDIATE"):
        yield


_writer_files: dict[str, int] = {}


@contextlib.contextmanager
def _writer_turn():
    """Wait for this process's turn to write, in the kernel (``flock`` on ``<database>-writer``).

    SQLite's own wait for the write lock sleeps and polls with growing pauses (1, 2, 5, 10 ms...),
    while a write here holds it well under a millisecond: workers queued that way sleep through the
    lock's release (bench/run.py, write scenarios). A kernel lock wakes the next writer at once. SQLite's
    lock still guards correctness; this only orders the processes of one machine. Threads of one
    process share the descriptor, so between them it does nothing and SQLite's wait applies.
    """
    path = database.obj.database + "-writer"
    fd = _writer_files.get(path)
    if fd is None:
        fd = _writer_files[path] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def bind(url: str) -> None:
    global generation
    generation += 1
    old = database.obj
    if old is not None and not old.is_closed():
        old.close()
    database.initialize(open_database(url))


def ensure_connection() -> None:
    # Connections are kept per worker thread and reused across requests: opening a SQLite file and
    # setting its pragmas on every request would cost more than most calls themselves. A PostgreSQL
    # connection the server dropped (restart, idle timeout) is replaced rather than failing every
    # later request of this worker.
    if not database.is_closed() and not database.is_connection_usable():
        database.close()
    database.connect(reuse_if_open=True)


def create_tables() -> None:
    from . import models

    ensure_connection()
    database.create_tables(models.ALL_MODELS, safe=True)


class Prepared:
    """A statement whose SQL text is built once per kind of database, then run with new values.

    peewee builds a query's SQL in Python on every execution, and for a small indexed statement that
    costs several times what SQLite takes to run it (bench/breakdown.py: ~0.4 ms of the ~0.5 ms
    authentication took). ``Prepared(build)`` calls ``build`` once with marker arguments, keeps the SQL
    and the positions the arguments land in, and afterwards only binds new values. An argument may land
    in several places. Arguments are bound as given (no field conversion), so pass what peewee would
    pass: text, int, datetime, None. A SELECT, or a write with ``.returning(...)``, returns its rows as
    ``build``'s query would; any other write returns nothing.
    """

    def __init__(self, build):
        self.build = build
        # By database class (SQLite and PostgreSQL differ): (query, sql, slots), and the first cursor
        # wrapper that saw a row, whose column-to-field resolution is then reused for every row.
        self._compiled: dict[type, tuple] = {}
        self._wrappers: dict[type, peewee.CursorWrapper] = {}

    def __call__(self, *args) -> list:
        kind = type(database.obj)
        compiled = self._compiled.get(kind)
        if compiled is None:
            compiled = self._compiled[kind] = self._compile(len(args))
        query, sql, slots = compiled
        cursor = database.execute_sql(sql, [args[n] if n is not None else constant for n, constant in slots])
        if isinstance(query, peewee._WriteQuery) and not query._returning:
            return []
        wrapper = self._wrappers.get(kind)
        if wrapper is not None:
            return [wrapper.process_row(row) for row in cursor.fetchall()]
        wrapper = query._get_cursor_wrapper(cursor)
        rows = list(wrapper)
        if wrapper.initialized:
            wrapper.row_cache = []
            self._wrappers[kind] = wrapper
        return rows

    def _compile(self, count: int) -> tuple:
        markers = [f"\x00prepared-argument-{n}\x00" for n in range(count)]
        query = self.build(*markers)
        sql, params = query.sql()
        slots = [(markers.index(p), None) if isinstance(p, str) and p in markers else (None, p) for p in params]
        if {n for n, _ in slots if n is not None} != set(range(count)):
            raise ValueError("every argument of a prepared query must be bound, unchanged")
        return query, sql, slots


class PreparedInsert:
    """``model.create(**fields)`` with the INSERT's SQL built once (``Prepared``): every column is bound,
    those not given to their default, values converted by their field as peewee would."""

    def __init__(self, model: type[peewee.Model]):
        meta = model._meta
        self.model = model
        self.fields = {name: f for name, f in meta.fields.items() if not isinstance(f, peewee.AutoField)}
        # converter=False: values are converted by their field on every call instead (a BooleanField
        # would otherwise turn the marker into True while the SQL is built).
        self._insert = Prepared(lambda *values: model.insert(
            {name: peewee.Value(value, converter=False, unpack=False) for name, value in zip(self.fields, values)}
        ).returning(meta.primary_key).tuples())

    def __call__(self, **given) -> peewee.Model:
        unknown = given.keys() - self.fields.keys()
        if unknown:
            raise TypeError(f"{self.model.__name__} has no fields {sorted(unknown)}")
        values = {
            name: given[name] if name in given else f.default() if callable(f.default) else f.default
            for name, f in self.fields.items()
        }
        ((key,),) = self._insert(*(f.db_value(values[name]) for name, f in self.fields.items()))
        return self.model(**values, **{self.model._meta.primary_key.name: key})
