"""Database binding: one peewee proxy, bound late to SQLite or PostgreSQL from a URL.

The models are declared against ``database`` (a ``DatabaseProxy``) so that the same code runs on the
embedded SQLite file and on PostgreSQL; ``init_app`` binds it from ``DATABASE_URL``.
"""
from __future__ import annotations

import atexit
import contextlib
import datetime
import fcntl
import mmap
import os
import sqlite3
import threading
from urllib.parse import parse_qsl, quote, unquote, urlparse

import peewee

class _Proxy(peewee.DatabaseProxy):
    """peewee's proxy, whose transactions are the bound database's own.

    A proxy reaches each attribute of the database through a failed lookup (CPython formats an
    ``AttributeError``, then ``__getattr__`` forwards), and peewee's proxy builds ``atomic()`` and
    ``transaction()`` on itself, so every step of every transaction (depth, begin, commit, the
    callbacks) went through one: nine per record_activity (docs/performance.md, sixth pass).
    """

    def atomic(self, *args, **kwargs):
        return self.obj.atomic(*args, **kwargs)

    def transaction(self, *args, **kwargs):
        return self.obj.transaction(*args, **kwargs)

    def transaction_depth(self) -> int:
        return self.obj.transaction_depth()


database = _Proxy()
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

# Seconds between two background checkpoints of a SQLite database (``Checkpointer``); 0 leaves them to
# the commits, as SQLite does by default. App config CHECKPOINT_INTERVAL / REWARDGATE_CHECKPOINT_INTERVAL.
CHECKPOINT_INTERVAL = 0.1
# Bytes of a SQLite file read through mmap rather than read() (PRAGMA mmap_size); App config MMAP_SIZE /
# REWARDGATE_MMAP_SIZE, 0 to turn it off. A page outside SQLite's own cache then costs a memory read
# instead of a system call and a copy: on the 1,000,000-row benchmark, after writes have emptied the
# workers' caches, customer_balance went from 0.59 to 0.63 of the bare route (docs/performance.md).
# The mapping is of the file, shared by every worker through the OS page cache.
MMAP_SIZE = 1 << 30

# With the checkpointer on, a commit still checkpoints once the WAL holds this many pages (SQLite's
# default is 1000): a backstop that bounds the WAL (~40 MB) should the checkpointer fall behind or stop.
BACKSTOP_PAGES = 10000


def open_database(url: str, checkpoint_interval: float = CHECKPOINT_INTERVAL, mmap_size: int = MMAP_SIZE) -> peewee.Database:
    """Build (without connecting) the peewee database a ``sqlite:///path`` or ``postgresql://`` URL names.

    On SQLite, ``checkpoint_interval`` > 0 moves WAL checkpoints off the request path (``Checkpointer``).
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
        pragmas = {**SQLITE_PRAGMAS, "mmap_size": mmap_size}
        if checkpoint_interval > 0:
            pragmas["wal_autocheckpoint"] = BACKSTOP_PAGES
        return SqliteDatabase(path, checkpoint_interval=checkpoint_interval, pragmas=pragmas, timeout=10,
                              check_same_thread=False)
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


class _ConnectionState(peewee._ConnectionLocal):
    unmapped = False  # this thread's connection has its mmap turned off (SqliteDatabase.unmap_for_writes)


class SqliteDatabase(peewee.SqliteDatabase):
    """peewee's SQLite database, with this process's ``Checkpointer`` running while it has a connection open.

    The checkpointer belongs to the database object, so it follows ``bind()``: a new binding is a new
    object, whose first connection starts its own, and ``bind()`` stops the old one. It also stops when
    the process closes its last connection (tests, the CLI, bench/run.py copying the file), so it never
    holds a file nobody else uses. Connections are counted per process: a forked child starts afresh.
    """

    def __init__(self, database, *args, checkpoint_interval: float = 0.0, **kwargs):
        self.checkpoint_interval = checkpoint_interval
        self.map_bytes = int(dict(kwargs.get("pragmas") or {}).get("mmap_size", 0))
        self._checkpointer: Checkpointer | None = None
        self._open_connections = (os.getpid(), 0)
        self._checkpointer_lock = threading.Lock()
        super().__init__(database, *args, **kwargs)
        self._state = _ConnectionState()

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
        self._state.unmapped = False  # the next connection starts with the pragmas' mmap_size
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

    def execute_sql(self, sql, params=None):
        if self._state.unmapped and sql.startswith("SELECT") and not self._state.conn.in_transaction:
            self._set_mmap(self.map_bytes)  # a read on its own: through the map again (unmap_for_writes)
        cursor = super().execute_sql(sql, params)
        topics = written_topics(sql)
        if topics:
            if self._state.conn is not None and self._state.conn.in_transaction:
                # marked when the transaction commits
                self._state.changed = getattr(self._state, "changed", frozenset()) | topics
            else:
                self.changes.mark(topics)
        return cursor

    def unmap_for_writes(self) -> None:
        """Read this connection's pages with read() until its next read outside a write transaction.

        Why: SQLite throws away a connection's whole mapping of the file (munmap, then mmap and a page
        fault per page touched) whenever it starts a transaction after another connection has written,
        which, with several workers writing, is every write. That cost more than the map saves a writer
        (record_activity, 1,000,000 rows: docs/performance.md). Reads keep the map, whose gain is on
        reads; a worker that alternates reads and writes switches at most once per change of kind, and
        each switch costs what the remap it replaces did.
        """
        if self.map_bytes and not self._state.unmapped:
            self.connection()  # connects if needed, applying the pragmas
            self._set_mmap(0)

    def _set_mmap(self, size: int) -> None:
        self._state.conn.execute(f"PRAGMA mmap_size={int(size)}").fetchall()
        self._state.unmapped = size == 0

    def commit(self):
        super().commit()
        changed = getattr(self._state, "changed", None)
        if changed:
            self._state.changed = frozenset()
            self.changes.mark(changed)

    def rollback(self):
        self._state.changed = frozenset()
        super().rollback()

    @property
    def changes(self) -> "ChangeMarker":
        marker = self.__dict__.get("_changes")
        if marker is None:
            marker = self.__dict__["_changes"] = ChangeMarker(self.database + "-changes")
        return marker

    def stop_checkpointer(self) -> None:
        with self._checkpointer_lock:
            running, self._checkpointer = self._checkpointer, None
        if running is not None and running.pid == os.getpid():
            running.stop()


# What a write changes, for answers kept until it does (gateway.answers): the campaigns and what hangs
# from them (set up by managers, read by every shop page), or customers and their activity (every sale).
CAMPAIGNS, ACTIVITY = "campaigns", "activity"
TOPICS = (CAMPAIGNS, ACTIVITY)
_TABLE_TOPICS = {
    **{t: frozenset({CAMPAIGNS}) for t in ("campaign", "reward", "promo", "item", "fee", "depreciation", "user")},
    **{t: frozenset({ACTIVITY}) for t in ("customer", "membership", "ledger_entry", "idempotency_record")},
}
# Deleting one of these cascades into both topics (a campaign's memberships and ledger rows).
_CASCADES_EVERYWHERE = {"campaign", "account"}
_EVERYTHING = frozenset(TOPICS)
_READS = ("SELECT", "PRAGMA", "BEGIN", "SAVEPOINT", "RELEASE", "EXPLAIN", "ROLLBACK")


def written_topics(sql: str) -> frozenset:
    """What a statement may change: nothing for a read; for an INSERT, UPDATE or DELETE of a known
    table, that table's topic; for anything else (a delete that cascades from account, campaign or
    customer, DDL, SQL of another shape) everything."""
    head = sql.lstrip()[:10].upper()
    if head.startswith(_READS):
        return frozenset()
    if head.startswith(("INSERT", "UPDATE", "DELETE")):
        parts = sql.split('"', 2)
        if len(parts) == 3 and parts[1] in _TABLE_TOPICS:
            if head.startswith("DELETE") and parts[1] in _CASCADES_EVERYWHERE:
                return _EVERYTHING
            return _TABLE_TOPICS[parts[1]]
    return _EVERYTHING


class ChangeMarker:
    """Eight bytes per topic in a file beside the database, shared by every process through ``mmap``;
    every committed change overwrites its topics' bytes with new random ones (``SqliteDatabase`` marks
    after each write outside a transaction and after each COMMIT of a transaction that wrote).

    A process that read ``token(topics)`` before computing something from the database may reuse the
    result while the token is unchanged (``gateway.answers``). Random bytes rather than a counter: two
    processes marking at once cannot lose a change (no read-modify-write), and a torn read only gives a
    token that matches nothing. Covers every write made through this module on this machine, which on
    SQLite is every write there can be, except one made with another tool (the sqlite3 shell): kept
    answers also expire after a few seconds for that (``gateway.answers.TTL``).
    """

    SIZE = 8 * len(TOPICS)

    def __init__(self, path: str):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < self.SIZE:
                os.ftruncate(fd, self.SIZE)
            self._map = mmap.mmap(fd, self.SIZE)
        finally:
            os.close(fd)

    _AT = {topic: 8 * n for n, topic in enumerate(TOPICS)}

    def token(self, topics: tuple[str, ...] = TOPICS) -> bytes:
        at = self._AT
        return b"".join([self._map[at[t]:at[t] + 8] for t in topics])

    def mark(self, topics=TOPICS) -> None:
        for topic in topics:
            at = self._AT[topic]
            self._map[at:at + 8] = os.urandom(8)


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
        database.obj.unmap_for_writes()
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


def bind(url: str, checkpoint_interval: float = CHECKPOINT_INTERVAL, mmap_size: int = MMAP_SIZE) -> None:
    global generation
    generation += 1
    old = database.obj
    if old is not None and not old.is_closed():
        old.close()
    if isinstance(old, SqliteDatabase):
        # Connections of other threads may still be open: the old binding's checkpointer stops anyway.
        old.stop_checkpointer()
    database.initialize(open_database(url, checkpoint_interval, mmap_size))


def change_token(topics: tuple[str, ...] = TOPICS) -> bytes | None:
    """What ``ChangeMarker.token`` says of ``topics`` for the bound database; None where there is none
    (PostgreSQL: other hosts may write, so nothing may be reused across requests)."""
    obj = database.obj
    return obj.changes.token(topics) if isinstance(obj, SqliteDatabase) else None


def ensure_connection() -> None:
    # Connections are kept per worker thread and reused across requests: opening a SQLite file and
    # setting its pragmas on every request would cost more than most calls themselves. A PostgreSQL
    # connection the server dropped (restart, idle timeout) is replaced rather than failing every
    # later request of this worker.
    bound = database.obj  # the proxy forwards every attribute through a failed lookup
    if not bound.is_closed() and not bound.is_connection_usable():
        bound.close()
    bound.connect(reuse_if_open=True)


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
        bound = database.obj  # the proxy forwards every attribute through a failed lookup
        kind = type(bound)
        compiled = self._compiled.get(kind)
        if compiled is None:
            compiled = self._compiled[kind] = self._compile(len(args))
        query, sql, slots = compiled
        cursor = bound.execute_sql(sql, [args[n] if n is not None else constant for n, constant in slots])
        if isinstance(query, peewee._WriteQuery) and not query._returning:
            return []
        make = self._wrappers.get(kind)
        if make is not None:
            return [make(row) for row in cursor.fetchall()]
        wrapper = query._get_cursor_wrapper(cursor)
        rows = list(wrapper)
        if wrapper.initialized:
            wrapper.row_cache = []
            self._wrappers[kind] = _row_maker(wrapper)
        return rows

    def _compile(self, count: int) -> tuple:
        markers = [f"\x00prepared-argument-{n}\x00" for n in range(count)]
        query = self.build(*markers)
        sql, params = query.sql()
        slots = [(markers.index(p), None) if isinstance(p, str) and p in markers else (None, p) for p in params]
        if {n for n, _ in slots if n is not None} != set(range(count)):
            raise ValueError("every argument of a prepared query must be bound, unchanged")
        return query, sql, slots


def _fast_datetime(value):
    # What DateTimeField.python_value returns for the text SQLite stores ("2026-11-21 10:00:00.123456"),
    # at a fifth of the cost of its strptime loop; anything else takes peewee's own path.
    if value.__class__ is str:
        try:
            return datetime.datetime.fromisoformat(value)
        except ValueError:
            return _DATETIME.python_value(value)
    return value


_DATETIME = peewee.DateTimeField()


def _converter(field, converter):
    """The cheapest function that turns a column value into what ``converter`` would (None: as is)."""
    if converter is None:
        return None
    plain = _plain_type(field)
    # Both drivers return Python ints for integer columns, str for text ones: int() or str() on them
    # would be a wasted call per value.
    if plain is int:
        return _int_or_none
    if plain is str:
        return None
    if type(field) is peewee.DateTimeField:
        return _fast_datetime
    return converter


def _int_or_none(value):
    return value if value is None or value.__class__ is int else int(value)


def as_model(model: type[peewee.Model], data: dict, related: dict | None = None, **extra) -> peewee.Model:
    """A model object holding ``data`` (field name -> value, as read from the database), as peewee
    builds one for a selected row: nothing dirty, ``related`` (field name -> object) as its cache of
    related objects, ``extra`` as plain attributes (aliased columns)."""
    row = model.__new__(model)
    row.__data__, row._dirty, row.__rel__ = data, set(), related if related is not None else {}
    if extra:
        row.__dict__.update(extra)
    return row


def _row_maker(wrapper: peewee.CursorWrapper):
    """A function turning one fetched row into what ``wrapper.process_row`` returns, faster.

    Hydrating a model object (``Customer`` has 21 columns) through peewee costs a descriptor call per
    column and a converter call per value; for the rows every request reads (campaign, customer) that
    was a third of a balance call's handler (bench/wsgi_micro.py). The object built here is the one
    peewee builds: the same ``__data__``, an empty dirty set and relation cache, and any non-field
    column (an alias) as a plain attribute. Other wrappers keep peewee's own ``process_row``.
    """
    fields = getattr(wrapper, "fields", None)
    converters = getattr(wrapper, "converters", None)
    if fields is None or converters is None:
        return wrapper.process_row
    plan = [(i, _converter(fields[i], converters[i])) for i in range(wrapper.ncols)]
    if type(wrapper) is peewee.ModelTupleCursorWrapper:
        def tuple_row(row):
            return tuple([conv(row[i]) if conv is not None else row[i] for i, conv in plan])
        return tuple_row
    if type(wrapper) is not peewee.ModelObjectCursorWrapper or not wrapper.is_model:
        return wrapper.process_row
    model = wrapper.constructor
    names = wrapper.unique_columns
    known = model._meta.fields
    if len(set(names)) != len(names) or any(n.startswith("_") for n in names):
        return wrapper.process_row
    into_data = [(i, names[i], conv) for i, conv in plan if names[i] in known]
    into_attrs = [(i, names[i], conv) for i, conv in plan if names[i] not in known]

    def object_row(row):
        return as_model(model, {name: conv(row[i]) if conv is not None else row[i] for i, name, conv in into_data},
                        **{name: conv(row[i]) if conv is not None else row[i] for i, name, conv in into_attrs})
    return object_row


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
        self._names = set(self.fields)
        self._key = meta.primary_key.name
        self._plan = [(name, f, _plain_type(f), isinstance(f, peewee.ForeignKeyField)) for name, f in self.fields.items()]

    def __call__(self, **given) -> peewee.Model:
        if not given.keys() <= self._names:
            raise TypeError(f"{self.model.__name__} has no fields {sorted(given.keys() - self._names)}")
        data: dict = {}
        rel: dict = {}
        params = []
        for name, field, plain, related in self._plan:
            value = given[name] if name in given else field.default() if callable(field.default) else field.default
            if related and isinstance(value, field.rel_model):
                rel[name] = value  # cached, as peewee's foreign-key accessor does
                value = getattr(value, field.rel_field.name)
            data[name] = value
            # A str for a text column or an int for an integer one is bound as it is: db_value would
            # only call str() or int() on it. Anything else is converted by its field.
            if value is None or value.__class__ is plain:
                params.append(value)
            else:
                params.append(field.db_value(value))
        ((key,),) = self._insert(*params)
        data[self._key] = key
        return as_model(self.model, data, rel)  # what peewee's create() answers


def _plain_type(field: peewee.Field):
    """The Python type a field binds unchanged (str or int; a foreign key: its target's), else None."""
    if isinstance(field, peewee.ForeignKeyField):
        field = field.rel_field
    if type(field) in (peewee.CharField, peewee.TextField):
        return str
    if type(field) in (peewee.IntegerField, peewee.BigIntegerField, peewee.AutoField, peewee.BigAutoField):
        return int
    return None
