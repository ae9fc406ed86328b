"""The single legacy endpoint: parse the form, authenticate, look up the call, validate, run, render."""
from __future__ import annotations

import functools
import hashlib
import json
import logging

import peewee
from flask import Blueprint, Request, Response, current_app, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from schemas.legacy.base import messages_of

from . import answers
from ..domain import db
from .auth import authenticate, authorize
from .messages import BODY_TOO_LARGE, INTERNAL, LegacyError
from ..domain.models import IdempotencyRecord
from .registry import Call, registry
from .render import OutputFormat, render, render_error
from .transport import fallback_format, output_format, query_form, read_form, refuse_nul
from .tree import from_plain, to_plain

log = logging.getLogger(__name__)
bp = Blueprint("legacy", __name__)
# Every call module has been imported by the time the endpoint is mounted (create_app loads them first).
bp.record_once(lambda state: registry.freeze())

IDEMPOTENCY_MISMATCH = "Idempotency key already used with different fields"
BUSY = "The server is busy: nothing was changed, please retry"
# Fields that say how to answer or who asks, not what to do: a retry may change them freely.
_NOT_PART_OF_REQUEST = {"output", "callback", "condensed", "_", "user_password", "user_api_key", "idempotency_key"}


# Every answer carries these: nosniff so that a browser never runs JSON or XML as a script it was not
# served as, no-store because balances change.
_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store"))


def _respond(fmt: OutputFormat, body, headers: dict | None = None, status: int = 200) -> Response:
    listed = [*_HEADERS, *headers.items()] if headers else list(_HEADERS)
    return Response(body, status=status, headers=listed, content_type=fmt.content_type)


def error_response(fmt: OutputFormat, messages: list[str], status: int = 200) -> Response:
    # A browser does not run a script served with an error status: JSONP gets 200 even when the server
    # failed, so that the page's callback still sees the error.
    return _respond(fmt, render_error(fmt, messages), status=200 if fmt.kind == "jsonp" else status)


@bp.route("/", methods=["GET", "POST"])
@bp.route("/api.php", methods=["GET", "POST"])
def endpoint() -> Response:
    # The request itself rather than its proxy, which reaches each attribute through a failed lookup.
    req = request._get_current_object()
    limit = current_app._get_current_object().config["MAX_CONTENT_LENGTH"]
    try:
        form = read_form(req, limit)
    except RequestEntityTooLarge:
        return error_response(_safe_format(query_form(req)), [BODY_TOO_LARGE.format(limit)])
    except LegacyError as exc:
        return error_response(_safe_format(query_form(req)), exc.messages)
    try:
        fmt = output_format(form)
    except LegacyError as exc:
        return error_response(fallback_format(form), exc.messages)
    try:
        refuse_nul(form)
        return _dispatch(req, form, fmt)
    except LegacyError as exc:
        return error_response(fmt, exc.messages)
    except peewee.OperationalError:
        log.exception("database unavailable or locked")
        return error_response(fmt, [BUSY], status=503)
    except Exception:
        log.exception("unhandled error in %s", form.get("type", "")[:64])
        return error_response(fmt, [INTERNAL], status=500)


def _safe_format(form: dict[str, str]) -> OutputFormat:
    try:
        return output_format(form)
    except LegacyError:
        return fallback_format(form)


@functools.cache
def _schema(schema_class: type) -> Schema:
    # Instantiating a schema deep-copies its declared fields (0.05-0.15 ms, bench/breakdown.py); a
    # schema keeps no state between loads, so one instance per call serves every request.
    return schema_class()


def _dispatch(req: Request, form: dict[str, str], fmt: OutputFormat) -> Response:
    # The header wins over the body, as the legacy docs say; user_api_key and user_password hold the
    # same secret under two names.
    secret = req.headers.get("api_access_key") or form.get("user_api_key") or form.get("user_password") or ""
    caller = authenticate(form.get("user_id", "").strip(), secret, form.get("account_id", "").strip() or None)
    call = registry.resolve(form)
    authorize(caller, call.permission)
    try:
        data = _schema(call.schema).load_form(form)
    except ValidationError as exc:
        raise LegacyError(*messages_of(exc)) from None
    if not call.writes:
        token = db.change_token(call.cache) if call.cache else None
        if token is None:
            return _respond(fmt, render(fmt, "success", call.handler(data, caller)))
        key = (db.generation, call.name, caller.account_id, fmt, repr(sorted(data.items())))
        body = answers.get(key, token)
        if body is None:
            body = render(fmt, "success", call.handler(data, caller))
            if isinstance(body, list):  # rendered at once; a streamed answer is never kept
                answers.put(key, token, body)
        return _respond(fmt, body)
    key = (req.headers.get("Idempotency-Key") or form.get("idempotency_key") or "").strip()
    children, replayed = _run_write(call, data, caller, form, key)
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return _respond(fmt, render(fmt, "success", children), headers)


def _request_hash(call: Call, form: dict[str, str]) -> str:
    fields = sorted((k, v) for k, v in form.items() if k not in _NOT_PART_OF_REQUEST)
    return hashlib.sha256(json.dumps([call.name, fields]).encode()).hexdigest()


def _run_write(call: Call, data: dict, caller, form: dict[str, str], key: str) -> tuple[list, bool]:
    """Run a write call in one transaction; with an idempotency key, at most once.

    The key's row is inserted before the handler runs and in the same transaction as its writes: a
    concurrent retry waits on the key's unique index and then replays the committed answer, and a
    crash or an error leaves neither the key nor any write behind.
    """
    if len(key) > 255:
        raise LegacyError("Idempotency key too long: at most 255 characters")
    with db.write_transaction():
        if not key:
            return call.handler(data, caller), False
        wanted = _request_hash(call, form)
        record = IdempotencyRecord.get_or_none(account=caller.account_id, key=key)
        if record is None:
            try:
                with db.database.atomic():
                    record = IdempotencyRecord.create(account=caller.account_id, key=key, request_hash=wanted, response="")
            except peewee.IntegrityError:
                record = IdempotencyRecord.get(account=caller.account_id, key=key)
            else:
                children = call.handler(data, caller)
                plain = to_plain(children)
                record.response = json.dumps(plain)
                record.save()
                return from_plain(plain), False
        if record.request_hash != wanted:
            raise LegacyError(IDEMPOTENCY_MISMATCH)
        return from_plain(json.loads(record.response)), True
