"""Helpers for the JSON API tests (tests/test_api_*.py): keys for the conftest tenants, a client that
speaks JSON with a key, and a ready campaign. Import the fixtures into a test module to use them."""
from __future__ import annotations

import json

import pytest
from marshmallow import RAISE

from gateway.api.registry import registry as ROUTES


class JsonApi:
    """A JSON API client over Flask's test client (or ``requests`` against ``base``) with one key."""

    def __init__(self, client, key: str | None, header: str = "X-API-Secret"):
        self.client, self.key, self.header = client, key, header

    def headers(self, extra=None) -> dict:
        out = {self.header: self.key} if self.key else {}
        out.update(extra or {})
        return out

    def request(self, method: str, path: str, body=None, *, query=None, headers=None, raw: bytes | str | None = None,
                content_type: str = "application/json"):
        kwargs = {"headers": self.headers(headers), "query_string": query}
        if raw is not None:
            kwargs.update(data=raw, content_type=content_type)
        elif body is not None:
            kwargs.update(data=json.dumps(body), content_type=content_type)
        response = self.client.open("/v1" + path, method=method, **kwargs)
        assert response.content_type == "application/json", (response.status_code, response.data[:300])
        doc = json.loads(response.data)
        return response.status_code, doc

    def ok(self, method: str, path: str, body=None, *, status: int | None = None, **kw) -> dict:
        code, doc = self.request(method, path, body, **kw)
        assert doc["status"] == "success" and (code == status if status else code in (200, 201)), (code, doc)
        check_answer(method, path, doc["data"])
        return doc["data"]

    def err(self, method: str, path: str, body=None, *, status: int, **kw) -> dict:
        code, doc = self.request(method, path, body, **kw)
        assert code == status and doc["status"] == "error", (code, doc)
        assert set(doc) >= {"status", "code", "message"} and isinstance(doc["code"], str) and doc["message"]
        return doc

    def get(self, path, **kw):
        return self.ok("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.ok("POST", path, body, **kw)


def check_answer(method: str, path: str, data) -> None:
    """The answer's data loads through the route's response schema: the OpenAPI document tells the truth."""
    for r in ROUTES.routes.values():
        if r.method == method and _matches(r.path, path.split("?")[0]) and r.response is not None:
            r.response.load(data, unknown=RAISE)
            return


def _matches(template: str, path: str) -> bool:
    a, b = template.strip("/").split("/"), path.strip("/").split("/")
    return len(a) == len(b) and all(x == y or x.startswith("{") for x, y in zip(a, b))


def make_keys(account: str = "shop") -> dict:
    from gateway.domain import api_keys

    return {(env, kind): api_keys.create_key(account, env, kind) for env in ("live", "test") for kind in ("secret", "public")}


@pytest.fixture
def keys(app) -> dict:
    return make_keys()


@pytest.fixture
def live(client, keys) -> JsonApi:
    return JsonApi(client, keys[("live", "secret")])


@pytest.fixture
def test_env(client, keys) -> JsonApi:
    return JsonApi(client, keys[("test", "secret")])


RULES = [{"eventType": "purchase", "pointsPer": 1, "metadataField": "amount"},
         {"eventType": "signup", "points": 50, "maxPerUserPerDay": 1},
         {"eventType": "visit", "points": 10}]


def open_campaign(api: JsonApi, slug: str = "summer-promo", **fields) -> dict:
    body = {"name": "Summer", "slug": slug, "rules": RULES, **fields}
    api.post("/campaigns", body, status=201)
    return api.post(f"/campaigns/{slug}/activate")["campaign"]


@pytest.fixture
def campaign(live) -> dict:
    return open_campaign(live)
