"""Database binding: one peewee proxy, bound late to SQLite or PostgreSQL from a URL.

The models are declared against ``database`` (a ``DatabaseProxy``) so that the same code runs on the
embedded SQLite file and on PostgreSQL; ``init_app`` binds it from ``DATABASE_URL``.
"""
from __future__ import annotations

import atexit
import contextlib
import fcntl
import os
import sqlite3
import threading
import weakref
from typing import Callable
from urllib.parse import parse_qsl, quote, unquote, urlparse

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

# Seconds between two background checkpoints of a SQLite database (``Checkpointer``); 0 leaves them to
# the commits, as SQLite does by default. App config CHECKPOINT_INTERVAL / REWARDGATE_CHECKPOINT_INTERVAL.
CHECKPOINT_INTERVAL = 0.1
# With the checkpointer on, a commit still checkpoints once the WAL holds this many pages (SQLite's
# default is 1000): a backstop that bounds the WAL (~40 MB) should the checkpointer fall behind or stop.
BACKSTOP_PAGES = 10000


def open_database(url: str, checkpoint_interval: float = CHECKPOINT_INTERVAL, *,
                  prepare: bool = True) -> peewee.Database:
    """Build (without connecting) the peewee database a ``sqlite:///path`` or ``postgresql://`` URL names.

    On SQLite, ``checkpoint_interval`` > 0 moves WAL checkpoints off the request path (``Checkpointer``).
    On PostgreSQL, ``prepare`` runs each ``Statement`` prepared (``PostgresqlDatabase``).
    """
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
        pragmas = dict(SQLITE_PRAGMAS)
        if checkpoint_interval > 0:
            pragmas["wal_autocheckpoint"] = BACKSTOP_PAGES
        return SqliteDatabase(path, checkpoint_interval=checkpoint_interval, pragmas=pragmas, timeout=10,
                              check_same_thread=False)
    if scheme in ("postgres", "postgresql"):
        options = dict(parse_qsl(parsed.query))
        return PostgresqlDatabase(
            unquote(parsed.path.lstrip("/")) or "postgres",
            prepare=prepare,
            user=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
            host=parsed.hostname or None,
            port=parsed.port or None,
            **options,
        )
    raise ValueError(f"Unsupported DATABASE_URL scheme {scheme!r}: use sqlite:///path or postgresql://...")


class PostgresqlDatabase(peewee.PostgresqlDatabase):
    """peewee's PostgreSQL database. PostgreSQL plans every statement sent as text; with ``prepare``
    each ``Statement`` is prepared once per connection instead (docs/performance.md). Off
    (``REWARDGATE_PG_PREPARE=0``) for a pooler that hands each transaction another server session,
    such as PgBouncer in transaction mode."""

    def __init__(self, database, *args, prepare: bool = True, **kwargs):
        self.prepare = prepare
        self._begin = threading.local()  # .pending: a BEGIN waiting for the transaction's first statement
        super().__init__(database, *args, **kwargs)

    # A transaction's BEGIN travels with its first statement ("BEGIN; <statement>", one simple-protocol
    # message) instead of costing a round trip of its own; one that ran no statement sends nothing.
    def begin(self, isolation_level=None):
        if isolation_level or self._isolation_level:
            return super().begin(isolation_level)
        self.connection()  # connect now, as a BEGIN sent at once would: connecting later resets the state
        self._begin.pending = True

    def _begin_pending(self) -> bool:
        """Whether a BEGIN is waiting, forgetting it: it is about to be sent, or no longer needed."""
        pending = getattr(self._begin, "pending", False)
        self._begin.pending = False
        return pending

    def execute_sql(self, sql, params=None):
        return super().execute_sql("BEGIN; " + sql if self._begin_pending() else sql, params)

    def commit(self):
        if not self._begin_pending():
            super().commit()

    def rollback(self):
        if not self._begin_pending():
            super().rollback()


class SqliteDatabase(peewee.SqliteDatabase):
    """peewee's SQLite database, with this process's ``Checkpointer`` running while it has a connection open.

    The checkpointer belongs to the database object, so it follows ``bind()``: a new binding is a new
    object, whose first connection starts its own, and ``bind()`` stops the old one. It also stops when
    the process closes its last connection (tests, the CLI, bench/run.py copying the file), so it never
    holds a file nobody else uses. Connections are counted per process: a forked child starts afresh.
    """

    def __init__(self, database, *args, checkpoint_interval: float = 0.0, **kwargs):
        self.checkpoint_interval = checkpoint_interval
        self._checkpointer: Checkpointer | None = None
        self._open_connections = (os.getpid(), 0)
        self._checkpointer_lock = threading.Lock()
        super().__init__(database, *args, **kwargs)

    def _connect(self):
        conn = super()._connect()
        if self.checkpoint_interval > 0:
            with self._checkpointer_lock:
                pid, count = self._open_connections
                self._open_connections = (os.getpid(), (count if pid == os.getpid() else 0) + 1)
                running = self._checkpointer
                if running is None or running.pid != os.getpid() or not running.is_alive():
                    self._checkpointer = Checkpointer(self.database, self.checkpoint_interval)
                    self._checkpointer.start()
        return conn

    def _close(self, conn):
        try:
            super()._close(conn)
        finally:
            if self.checkpoint_interval > 0:
                with self._checkpointer_lock:
                    pid, count = self._open_connections
                    count = count - 1 if pid == os.getpid() else 0
                    self._open_connections = (os.getpid(), max(count, 0))
                if count <= 0:
                    self.stop_checkpointer()

    def stop_checkpointer(self) -> None:
        with self._checkpointer_lock:
            running, self._checkpointer = self._checkpointer, None
        if running is not None and running.pid == os.getpid():
            running.stop()


class Checkpointer(threading.Thread):
    """Runs ``PRAGMA wal_checkpoint(PASSIVE)`` on its own connection every ``interval`` seconds.

    Why: by default SQLite checkpoints inside the COMMIT that takes the WAL past ``wal_autocheckpoint``
    pages, two fsyncs while that request still holds the writers' lock (``write_transaction``): ~55 % of
    all commit time in record_activity (docs/performance.md). A PASSIVE checkpoint takes no lock a writer
    needs and never waits, so here it runs beside the writers, and commits keep only the BACKSTOP_PAGES
    autocheckpoint. With writes going on meanwhile the WAL rarely restarts from its beginning (a write
    must find it fully checkpointed), so it grows to the backstop, whose checkpoint then has only the
    frames of the last round to copy. Periodic rather than "every N pages": Python's sqlite3 has no WAL
    hook to tell a thread that the WAL grew. A thread in each process rather than a process of its own:
    it lives and dies with the workers and the CLI, with nothing to supervise; two workers' rounds take
    turns (the loser's checkpoint answers busy and waits for the next round). It stops when asked
    (``SqliteDatabase``), at exit, and when the file it opened is gone or replaced, so it never keeps a
    deleted database open.
    """

    def __init__(self, path: str, interval: float):
        super().__init__(name="rewardgate-checkpointer", daemon=True)
        self.path = path
        self.interval = interval
        self.pid = os.getpid()
        self._stopping = threading.Event()
        _checkpointers.add(self)

    def stop(self) -> None:
        self._stopping.set()
        if self is not threading.current_thread() and self.ident is not None:
            self.join(timeout=10)
        _checkpointers.discard(self)

    def run(self) -> None:
        try:
            identity = _file_identity(self.path)
            # mode=rw: never create a database that was deleted meanwhile.
            conn = sqlite3.connect(f"file:{quote(os.path.abspath(self.path))}?mode=rw", uri=True, timeout=0,
                                   isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error):
            return
        try:
            while not self._stopping.wait(self.interval):
                if _file_identity(self.path) != identity:
                    return
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except sqlite3.OperationalError:
                    pass  # locked: a connection holds the file exclusively (closing the WAL); next round
        except OSError:
            return  # the file is gone
        finally:
            conn.close()


def _file_identity(path: str) -> tuple[int, int]:
    status = os.stat(path)
    return status.st_dev, status.st_ino


_checkpointers: set[Checkpointer] = set()


@atexit.register
def _stop_checkpointers() -> None:
    # A checkpoint cut short by the process exiting is safe (SQLite redoes it), but stopping cleanly
    # lets the last connection of a short-lived process (the CLI) close the WAL as SQLite intends.
    for checkpointer in list(_checkpointers):
        if checkpointer.pid == os.getpid():
            checkpointer.stop()


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
    with _writer_turn():
        with database.atomic("IMMEDIATE"):
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


def bind(url: str, checkpoint_interval: float = CHECKPOINT_INTERVAL, *, prepare: bool = True) -> None:
    old = database.obj
    if old is not None and not old.is_closed():
        old.close()
    if isinstance(old, SqliteDatabase):
        # Connections of other threads may still be open: the old binding's checkpointer stops anyway.
        old.stop_checkpointer()
    database.initialize(open_database(url, checkpoint_interval, prepare=prepare))


def ensure_connection() -> None:
    # Connections are kept per worker thread and reused across requests: opening a SQLite file and
    # setting its pragmas on every request would cost more than most calls themselves. A PostgreSQL
    # connection the server dropped (restart, idle timeout) is replaced rather than failing every
    # later request of this worker.
    bound = database.obj  # the proxy forwards every attribute through a failed lookup
    if not bound.is_closed() and not bound.is_connection_usable():
        bound.close()
    bound.connect(reuse_if_open=True)


BUSY, NO_TABLES = "busy", "no_tables"
# PostgreSQL's codes for a transaction that lost a race and may simply be retried.
_RETRYABLE_PGCODES = {"40001", "40P01", "55P03", "57014"}


def failure(exc: peewee.DatabaseError) -> str | None:
    """What a database error means for the caller: BUSY (locked, or the server unreachable: the same
    request may succeed later), NO_TABLES (``init-db`` never ran), or None (a fault)."""
    cause = getattr(exc, "orig", None) or exc.__cause__ or exc
    text = str(exc).lower()
    pgcode = getattr(cause, "pgcode", None)
    if "no such table" in text or pgcode == "42P01":
        return NO_TABLES
    if pgcode in _RETRYABLE_PGCODES or "database is locked" in text or "database table is locked" in text:
        return BUSY
    if isinstance(exc, peewee.OperationalError) and pgcode is None and not is_sqlite():
        return BUSY  # the PostgreSQL server did not answer
    return None


# The Statements prepared on each open PostgreSQL connection (a prepared statement lives as long as its
# connection: a replaced connection starts with none).
_prepared: "weakref.WeakKeyDictionary[object, set[str]]" = weakref.WeakKeyDictionary()


# Text and integer columns come from the drivers as str and int already: their fields' conversion
# would hand every value back unchanged, so it is not called.
_AS_GIVEN = (peewee.Field.adapt, peewee.CharField.adapt, peewee.IntegerField.adapt)


def _converter(field: peewee.Field | None):
    if field is None or (type(field).python_value is peewee.Field.python_value and type(field).adapt in _AS_GIVEN):
        return None
    return field.python_value


class Statement:
    """A query whose SQL is built once per kind of database and then run with new values.

    peewee builds a query's SQL in Python every time it runs, and for the small indexed queries every
    request makes that costs tens of times what running them does (docs/performance.md). ``build`` is
    called once with one placeholder per argument and returns a peewee query; each call then binds
    the arguments in the placeholders' places, runs the SQL (``execute_sql``) and answers the rows as
    model objects built with the model's constructor, or as tuples with ``tuples=True``. A selected
    field's values are converted by it (``python_value``) unless it is a text or integer field, whose
    values the driver gives as they would come out; other columns (aliases) come as the driver gives
    them, as attributes of the objects.

    On PostgreSQL it is prepared once per connection and run with EXECUTE (``PostgresqlDatabase``).
    Arguments are bound as given: pass what the column stores (text, int, None, a datetime).
    tests/test_db.py holds every statement equal to its query run the plain way.
    """

    all: list["Statement"] = []

    def __init__(self, build: Callable[..., peewee.Query], *, tuples: bool = False):
        self.build = build
        self.tuples = tuples
        self._compiled: dict[type, tuple] = {}
        self._shapes: dict[type, tuple] = {}
        self.name = f"rg_statement_{len(Statement.all)}"  # its name where it is prepared
        self.prepares = True  # False once PostgreSQL refused to prepare it: then it is sent as text
        Statement.all.append(self)

    def __call__(self, *args) -> list:
        kind = type(database.obj)
        compiled = self._compiled.get(kind)
        if compiled is None:
            compiled = self._compiled[kind] = self._compile(len(args))
        model, sql, slots, fields, converters = compiled
        params = [args[index] if index is not None else value for index, value in slots]
        if kind is PostgresqlDatabase and self.prepares and database.obj.prepare:
            cursor = self._execute_prepared(sql, params)
        else:
            cursor = database.execute_sql(sql, params)
        if cursor.description is None:
            return []
        rows = cursor.fetchall()
        if converters:
            rows = [[v if convert is None else convert(v) for convert, v in zip(converters, row)] for row in rows]
        if self.tuples:
            return [tuple(row) for row in rows]
        shape = self._shapes.get(kind)
        if shape is None:
            shape = self._shapes[kind] = self._shape(model, fields, [d[0] for d in cursor.description])
        own, other = shape
        return [self._object(model, own, other, row) for row in rows]

    @staticmethod
    def _shape(model, fields: list, names: list[str]) -> tuple[list, list]:
        """Which columns are the model's own fields (passed to its constructor) and which are other
        attributes (aliases), as (index, name) pairs: the same for every run of one SQL text."""
        fields = fields or [None] * len(names)
        mine = [field is not None and field.model is model for field in fields]
        own = [(i, field.name) for i, (field, m) in enumerate(zip(fields, mine)) if m]
        other = [(i, name) for i, (name, m) in enumerate(zip(names, mine)) if not m]
        return own, other

    def _execute_prepared(self, sql: str, params: list):
        """Run on PostgreSQL as a statement prepared on this connection (PREPARE once, then EXECUTE):
        the server plans it once per connection instead of on every request."""
        prepared = _prepared.setdefault(database.connection(), set())
        if self.name not in prepared:
            first, *rest = sql.split("%s")  # psycopg2's placeholders, in order: PostgreSQL's $1, $2...
            text = first + "".join(f"${n}{piece}" for n, piece in enumerate(rest, 1))
            try:
                with database.atomic():  # a savepoint inside a transaction: a refusal leaves it usable
                    database.execute_sql(f"PREPARE {self.name} AS {text}")
            except peewee.ProgrammingError:
                self.prepares = False  # a parameter whose type PostgreSQL cannot tell: text it stays
                return database.execute_sql(sql, params)
            prepared.add(self.name)
        arguments = f"({', '.join(['%s'] * len(params))})" if params else ""
        return database.execute_sql(f"EXECUTE {self.name}{arguments}", params)

    @staticmethod
    def _object(model, own: list, other: list, row):
        made = model(**{name: row[i] for i, name in own})
        for i, name in other:
            setattr(made, name, row[i])
        return made

    def _compile(self, count: int) -> tuple:
        markers = [f"\x00statement-argument-{n}\x00" for n in range(count)]
        query = self.build(*(peewee.Value(m, converter=False) for m in markers))
        sql, params = query.sql()
        slots = [(markers.index(p), None) if p in markers else (None, p) for p in params]
        if {index for index, _ in slots if index is not None} != set(range(count)):
            raise ValueError("every argument of a statement must be used in its query")
        if "%" in sql.replace("%s", ""):
            self.prepares = False  # a literal % would need another escaping in PREPARE's text
        # A SELECT's columns in order: a field's values are converted by it, other columns (aliases,
        # what a write answers with RETURNING) come as the driver gives them.
        fields = [c if isinstance(c, peewee.Field) else None for c in getattr(query, "selected_columns", None) or []]
        converters = [_converter(field) for field in fields]
        return query.model, sql, slots, fields, converters if any(converters) else None


class Insert:
    """``model.create(**values)`` as a ``Statement``: every field but the key is bound (its default
    when not given), converted by the field as peewee converts it; the new key comes back through
    RETURNING."""

    def __init__(self, model: type[peewee.Model]):
        key = model._meta.primary_key
        self.model = model
        self.fields = [field for field in model._meta.sorted_fields if field is not key]
        names = [field.name for field in self.fields]
        self._insert = Statement(lambda *values: model.insert(dict(zip(names, values))).returning(key), tuples=True)

    def __call__(self, **values) -> peewee.Model:
        return self.insert(*self.bind(**values))

    def bind(self, **values) -> tuple[peewee.Model, list]:
        """The row as ``create`` makes it (without its key), and each of ``fields``' values as stored."""
        row = self.model(**values)
        return row, [field.db_value(getattr(row, getattr(field, "object_id_name", field.name))) for field in self.fields]

    def insert(self, row: peewee.Model, bound: list) -> peewee.Model:
        """Insert what ``bind`` answered; ``row`` gets its new key."""
        ((key,),) = self._insert(*bound)
        setattr(row, self.model._meta.primary_key.name, key)
        return row
