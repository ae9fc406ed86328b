"""The JSON API door, mounted at /v1: keys in headers, JSON bodies, ``{"status", "data"}`` answers.

Each request: authenticate the key (gateway.api.auth) -> read and validate the JSON body or the query
with the route's marshmallow schema -> run the handler (a write inside domain.service.run_write: one
transaction, at most once per reference) -> the envelope. Every failure is an error envelope with a
real HTTP status (gateway.api.errors); nothing is half-written (the write's transaction rolls back).
"""
from __future__ import annotations

import json
import logging

import peewee
from flask import Blueprint, Response, current_app, request
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..domain import db, service
from ..domain.errors import DomainError
from . import errors as E
from .auth import authenticate
from .registry import Route, registry, route  # noqa: F401  (route: the decorator routes' modules use)

log = logging.getLogger(__name__)
PREFIX = "/v1"
_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store"))
_bp: Blueprint | None = None


def respond(payload, status: int = 200, headers: dict | None = None) -> Response:
    listed = [*_HEADERS, *headers.items()] if headers else list(_HEADERS)
    return Response(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), status=status, headers=listed,
                    content_type="application/json")


def error_response(error: E.ApiError, extra: dict | None = None) -> Response:
    body = error.body()
    if extra:
        body.update(extra)
    return respond(body, error.status)


def blueprint() -> Blueprint:
    """The /v1 blueprint with every route of gateway/api/routes (built once, then the registry is frozen)."""
    global _bp
    if _bp is None:
        from . import docs, routes

        routes.load_all()
        bp = Blueprint("api", __name__, url_prefix=PREFIX)
        for r in registry.ordered():
            bp.add_url_rule(r.flask_rule, r.endpoint, _view(r), methods=[r.method])
        docs.register(bp)
        bp.app_errorhandler(404)(_routing_error)
        bp.app_errorhandler(405)(_routing_error)
        registry.freeze()
        _bp = bp
    return _bp


def _routing_error(exc: HTTPException):
    # Only this door's paths answer in JSON; every other path keeps Flask's answer.
    if not (request.path == PREFIX or request.path.startswith(PREFIX + "/")):
        return exc
    return error_response(E.METHOD_NOT_ALLOWED if exc.code == 405 else E.NOT_FOUND)


def _view(r: Route):
    def view(**params) -> Response:
        return dispatch(r, params)

    view.__name__ = r.endpoint
    return view


def _read_body(r: Route) -> tuple[dict, str]:
    """The JSON object of the body and its canonical text (the write's fingerprint)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if request.content_length is not None and request.content_length > limit:
        raise E.TOO_LARGE
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise E.TOO_LARGE from None
    if len(raw) > limit:
        raise E.TOO_LARGE
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise E.NOT_JSON
    try:
        parsed = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise E.MALFORMED_JSON from None
    if not isinstance(parsed, dict):
        raise E.NOT_AN_OBJECT
    return parsed, json.dumps(parsed, sort_keys=True, ensure_ascii=False)


def _nul_at(node, where: str = "") -> str | None:
    """Where a NUL character is in a parsed body (a dotted path), else None: no database stores one
    (PostgreSQL refuses it), so such a request is refused before anything reads it."""
    if isinstance(node, str):
        return where or "body" if "\x00" in node else None
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = ((str(i), v) for i, v in enumerate(node))
    else:
        return None
    for key, value in items:
        path = f"{where}.{key}" if where else str(key)
        if "\x00" in key:
            return path
        found = _nul_at(value, path)
        if found:
            return found
    return None


def _refuse_nul(params: dict, body) -> None:
    found = _nul_at(params) or _nul_at(request.args.to_dict(flat=False)) or _nul_at(body)
    if found:
        raise E.ApiError(400, "validation_error", f"Invalid request: {found}: text may not contain NUL characters")


def _no_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _validation_error(exc: ValidationError) -> tuple[E.ApiError, dict]:
    messages = exc.normalized_messages()
    parts = []

    def walk(prefix: str, node) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        elif isinstance(node, list) and node and all(isinstance(m, str) for m in node):
            parts.append(f"{prefix}: {' '.join(node)}" if prefix else " ".join(node))
        elif isinstance(node, list):
            for value in node:
                walk(prefix, value)
        else:
            parts.append(f"{prefix}: {node}")

    walk("", messages)
    text = "Invalid request body: " + "; ".join(parts) if parts else "Invalid request body"
    return E.ApiError(400, "validation_error", text), {"fields": messages}


def dispatch(r: Route, params: dict) -> Response:
    try:
        caller = authenticate(request, r.key)
        canonical = ""
        _refuse_nul(params, None)
        if r.body is not None:
            raw, canonical = _read_body(r)
            _refuse_nul({}, raw)
            data = r.body.load(raw)
        elif r.query is not None:
            data = r.query.load(request.args.to_dict(flat=True))
        else:
            data = {}
        if not r.writes:
            return respond({"status": "success", "data": r.handler(caller, data, **params)}, r.status)
        reference = r.reference(data) if r.reference else request.headers.get("Idempotency-Key", "").strip()
        key = f"v1 {r.method} {r.path} {json.dumps(params, sort_keys=True)} {reference}" if reference else ""
        answer, replayed = service.run_write(
            lambda: r.handler(caller, data, **params), account_id=caller.tenant_id, key=key,
            request=lambda: (r.method, r.path, params, canonical))
        headers = {"Idempotent-Replayed": "true"} if replayed else None
        return respond({"status": "success", "data": answer}, r.status, headers)
    except E.ApiError as exc:
        return error_response(exc)
    except ValidationError as exc:
        error, extra = _validation_error(exc)
        return error_response(error, extra)
    except DomainError as exc:
        return error_response(E.from_domain(exc))
    except peewee.DatabaseError as exc:
        failure = db.failure(exc)
        if failure == db.BUSY:
            log.warning("database busy: %s", exc)
            return error_response(E.BUSY)
        if failure == db.NO_TABLES:
            log.error("database has no tables: run flask --app app init-db")
            return error_response(E.NOT_INITIALISED)
        log.exception("database error in %s %s", r.method, r.path)
        return error_response(E.INTERNAL)
    except Exception:
        log.exception("unhandled error in %s %s", r.method, r.path)
        return error_response(E.INTERNAL)
