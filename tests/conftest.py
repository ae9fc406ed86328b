"""Fixtures: a real app on a real database (a SQLite file, and PostgreSQL), two tenants, and a client
that speaks the legacy API the way real clients do (urlencoded, multipart or GET; XML, JSON or JSONP).

Every test that takes ``app`` (directly or through ``api``) runs once on SQLite and once on PostgreSQL.
PostgreSQL is the server at ``TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/postgres``);
where none answers the PostgreSQL runs skip, except under ``CI=true``, where they fail.
"""
from __future__ import annotations

import json
import os
import re
import uuid

import pytest
from lxml import etree

from gateway import create_app
from gateway.domain import db, models
from gateway.domain.users import hash_key
from gateway.domain.models import ALL_MODELS, Account, User

PG_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
IN_CI = os.environ.get("CI", "").lower() == "true"

MANAGER_KEY = "manager-key-0001"
STAFF_KEY = "staff-key-0002"
OTHER_KEY = "other-key-0003"


def _pg_admin():
    import psycopg2

    conn = psycopg2.connect(PG_URL, connect_timeout=3)
    conn.autocommit = True
    return conn


def pg_url_for(name: str) -> str:
    base = PG_URL.rsplit("/", 1)[0]
    return f"{base}/{name}"


def create_pg_database(prefix: str = "rg_test") -> str:
    """Create a fresh PostgreSQL database and return its URL (for tests that start their own servers)."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    conn = _pg_admin()
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return pg_url_for(name)


def drop_pg_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    conn = _pg_admin()
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        _pg_admin().close()
        return None
    except Exception as exc:  # any connection failure means "not here"
        return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def require_postgres() -> None:
    reason = postgres_available()
    if reason is not None:
        if IN_CI:
            pytest.fail(f"CI=true but PostgreSQL at {PG_URL} does not answer: {reason}")
        pytest.skip(f"PostgreSQL at {PG_URL} does not answer ({reason}); CI runs these")


@pytest.fixture(scope="session")
def pg_database():
    require_postgres()
    url = create_pg_database()
    yield url
    db.database.obj and db.database.close()
    drop_pg_database(url)


def seed_tenants() -> None:
    Account.create(id="shop", name="Great Widgets")
    Account.create(id="other", name="Other Shop")
    User.create(account="shop", user_id="mgr", role="manager", key_hash=hash_key(MANAGER_KEY))
    User.create(account="shop", user_id="clerk", role="staff", key_hash=hash_key(STAFF_KEY))
    User.create(account="other", user_id="omgr", role="manager", key_hash=hash_key(OTHER_KEY))


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> str:
    return request.param


@pytest.fixture
def database_url(backend, tmp_path, request) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'rewardgate.db'}"
    return request.getfixturevalue("pg_database")


def _empty_pg_tables() -> None:
    # DELETE is ~30x faster than TRUNCATE on tables this small, and the suite does it once per test.
    with db.database.atomic():
        for model in reversed(ALL_MODELS):
            table = model._meta.table_name
            db.database.execute_sql(f'DELETE FROM "{table}"')
            if model._meta.primary_key.field_type == "AUTO":
                db.database.execute_sql(f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), 1, false)")


@pytest.fixture
def app(database_url, backend):
    application = create_app({"TESTING": True, "DATABASE_URL": database_url})
    models.create_tables()
    if backend == "postgresql":
        _empty_pg_tables()
    seed_tenants()
    yield application
    db.database.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Api:
    """A legacy client. ``call`` returns the Flask response; ``json``/``xml``/``jsonp`` parse it;
    ``ok`` asserts success and ``err`` asserts an error and returns its message."""

    def __init__(self, client, *, user_id="mgr", key=MANAGER_KEY, account_id="shop", encoding="form", auth="password"):
        self.client = client
        self.user_id, self.key, self.account_id = user_id, key, account_id
        self.encoding = encoding
        self.auth = auth  # "password" | "api_key" | "header"

    def as_user(self, user_id, key, account_id, **kw) -> "Api":
        return Api(self.client, user_id=user_id, key=key, account_id=account_id, encoding=kw.get("encoding", self.encoding),
                   auth=kw.get("auth", self.auth))

    def staff(self) -> "Api":
        return self.as_user("clerk", STAFF_KEY, "shop")

    def other(self) -> "Api":
        return self.as_user("omgr", OTHER_KEY, "other")

    def fields(self, type_, fields) -> tuple[dict, dict]:
        data = {"user_id": self.user_id, "account_id": self.account_id, "type": type_}
        headers = {}
        if self.auth == "header":
            headers["api_access_key"] = self.key
        elif self.auth == "api_key":
            data["user_api_key"] = self.key
        else:
            data["user_password"] = self.key
        data.update({k: str(v) for k, v in fields.items() if v is not None})
        return data, headers

    def send(self, data: dict, headers: dict | None = None, path: str = "/"):
        headers = headers or {}
        if self.encoding == "get":
            return self.client.get(path, query_string=data, headers=headers)
        if self.encoding == "multipart":
            return self.client.post(path, data=data, headers=headers, content_type="multipart/form-data")
        return self.client.post(path, data=data, headers=headers)

    def call(self, type_, **fields):
        data, headers = self.fields(type_, fields)
        return self.send(data, headers)

    def json(self, type_, **fields) -> dict:
        response = self.call(type_, output="json", **fields)
        assert response.status_code == 200, response.data
        assert response.content_type.startswith("application/json")
        return json.loads(response.data)

    def xml(self, type_, **fields):
        response = self.call(type_, **fields)
        assert response.status_code == 200, response.data
        assert response.content_type.startswith("text/xml")
        return etree.fromstring(response.data)

    def jsonp(self, type_, callback="cb", **fields) -> dict:
        response = self.call(type_, callback=callback, **fields)
        assert response.status_code == 200, response.data
        assert response.content_type == "text/javascript; charset=utf-8"
        return parse_jsonp(response.data, callback)

    def ok(self, type_, **fields) -> dict:
        doc = self.json(type_, **fields)
        assert doc["status"] == "success", doc
        return doc

    def err(self, type_, **fields) -> str:
        doc = self.json(type_, **fields)
        assert doc["status"] == "error", doc
        assert doc["errors"][0] == doc["error"]
        return doc["error"]

    def answer(self, fmt: str, type_, **fields) -> dict:
        """The answer in ``fmt`` ("xml", "json" or "jsonp"), normalised to JSON's shape for comparison."""
        if fmt == "json":
            return self.json(type_, **fields)
        if fmt == "jsonp":
            return self.jsonp(type_, **fields)
        root = self.xml(type_, **fields)
        return xml_to_dict(root)


def parse_jsonp(body: bytes, callback: str) -> dict:
    text = body.decode("ascii")
    match = re.fullmatch(r"/\*\*/" + re.escape(callback) + r"\((.*)\);", text, re.S)
    assert match, text[:200]
    return json.loads(match.group(1))


def xml_to_dict(root) -> dict:
    """A generic reading of the legacy XML (attributes as keys, repeated children as lists), for
    tests that check the same facts in every format."""

    def conv(e):
        kids = list(e)
        if not kids:
            return dict(e.attrib) if e.attrib else (e.text or "")
        out = dict(e.attrib)
        for k in kids:
            v = conv(k)
            if k.tag in out:
                out[k.tag] = out[k.tag] if isinstance(out[k.tag], list) else [out[k.tag]]
                out[k.tag].append(v)
            else:
                out[k.tag] = v
        return out

    return conv(root)


@pytest.fixture
def api(client) -> Api:
    return Api(client)


@pytest.fixture(params=["form", "multipart", "get"])
def encoding(request) -> str:
    return request.param


@pytest.fixture(params=["xml", "json", "jsonp"])
def fmt(request) -> str:
    return request.param
