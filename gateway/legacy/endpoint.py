"""The single legacy endpoint: parse the form, authenticate, look up the call, validate, run, render."""
from __future__ import annotations

import json
import logging

import peewee
from flask import Blueprint, Request, Response, current_app, request
from marshmallow import ValidationError
from werkzeug.exceptions import RequestEntityTooLarge

from schemas.legacy.base import messages_of

from ..domain import db, service
from ..domain.errors import DomainError
from . import tokens
from .auth import Caller, authenticate, authorize
from .messages import BODY_TOO_LARGE, BUSY, INTERNAL, NOT_INITIALISED, LegacyError, wording
from .registry import Call, registry
from .render import OutputFormat, render, render_error, rendered
from .transport import fallback_format, output_format, query_form, read_form, refuse_nul
from .tree import Memo, from_plain, to_plain

log = logging.getLogger(__name__)
bp = Blueprint("legacy", __name__)
# Every call module has been imported by the time the endpoint is mounted (create_app loads them first).
bp.record_once(lambda state: registry.freeze())

# Fields that say how to answer or who asks, not what to do: a retry may change them freely.
_NOT_PART_OF_REQUEST = {"output", "callback", "condensed", "_", "user_password", "user_api_key", "idempotency_key",
                        "account_password"}

# Every answer carries these: nosniff so that a browser never runs JSON or XML as a script it was not
# served as, no-store because balances change.
_HEADERS = (("X-Content-Type-Options", "nosniff"), ("Cache-Control", "no-store"))


def _respond(fmt: OutputFormat, body, headers: dict | None = None, status: int = 200) -> Response:
    listed = [*_HEADERS, *headers.items()] if headers else list(_HEADERS)
    return Response(body, status=status, headers=listed, content_type=fmt.content_type)


def error_response(fmt: OutputFormat, messages: list[str], status: int = 200, detail: list | None = None) -> Response:
    # A browser does not run a script served with an error status: JSONP gets 200 even when the server
    # failed, so that the page's callback still sees the error.
    return _respond(fmt, render_error(fmt, messages, detail), status=200 if fmt.kind == "jsonp" else status)


@bp.route("/", methods=["GET", "POST"])
@bp.route("/api.php", methods=["GET", "POST"])
def endpoint() -> Response:
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    try:
        form = read_form(request, limit)
    except RequestEntityTooLarge:
        return error_response(_safe_format(query_form(request)), [BODY_TOO_LARGE.format(limit)])
    except LegacyError as exc:
        return error_response(_safe_format(query_form(request)), exc.messages)
    try:
        fmt = output_format(form)
    except LegacyError as exc:
        return error_response(fallback_format(form), exc.messages)
    call = None
    try:
        refuse_nul(form)
        # user_login checks a password of its own: the only call made without a key.
        caller = None if registry.is_public(form) else _authenticate(request, form)
        call = registry.resolve(form)
        return _dispatch(request, form, call, caller, fmt)
    except LegacyError as exc:
        return error_response(fmt, exc.messages, detail=exc.detail)
    except DomainError as exc:
        return error_response(fmt, [wording(exc, call.fields if call else None)])
    except peewee.DatabaseError as exc:
        failure = db.failure(exc)
        if failure == db.BUSY:
            log.warning("database busy: %s", exc)
            return error_response(fmt, [BUSY], status=503)
        if failure == db.NO_TABLES:
            log.error("database has no tables: run flask --app app init-db")
            return error_response(fmt, [NOT_INITIALISED], status=500)
        log.exception("database error in %s", form.get("type", "")[:64])
        return error_response(fmt, [INTERNAL], status=500)
    except Exception:
        log.exception("unhandled error in %s", form.get("type", "")[:64])
        return error_response(fmt, [INTERNAL], status=500)


def _safe_format(form: dict[str, str]) -> OutputFormat:
    try:
        return output_format(form)
    except LegacyError:
        return fallback_format(form)


def _authenticate(req: Request, form: dict[str, str]) -> Caller:
    # The header wins over the body, as the legacy docs say; user_api_key and user_password hold the
    # same secret under two names.
    secret = req.headers.get("api_access_key") or form.get("user_api_key") or form.get("user_password") or ""
    if tokens.offers_token(form, form.get("user_id", "").strip(), secret):
        return tokens.authenticate(form)  # a widget: account_id and a time token, no user (docs/account.md)
    return authenticate(form.get("user_id", "").strip(), secret, form.get("account_id", "").strip() or None)


def _dispatch(req: Request, form: dict[str, str], call: Call, caller: Caller, fmt: OutputFormat) -> Response:
    if isinstance(caller, tokens.TokenCaller):
        tokens.admit(caller, call, form)
    else:
        authorize(caller, call, form)
    try:
        data = call.schema.load(form)
    except ValidationError as exc:
        raise LegacyError(*messages_of(exc)) from None
    if not call.writes:
        answer = call.handler(data, caller)
        if isinstance(answer, Memo):
            return _respond(fmt, [rendered(fmt, answer.build, answer.args)])
        return _respond(fmt, render(fmt, "success", answer))
    key = (req.headers.get("Idempotency-Key") or form.get("idempotency_key") or "").strip()
    children, replayed = service.run_write(
        lambda: call.handler(data, caller), account_id=caller.account_id, key=key,
        request=lambda: (call.name, sorted((k, v) for k, v in form.items() if k not in _NOT_PART_OF_REQUEST)),
        dump=lambda tree: json.dumps(to_plain(tree)), load=lambda text: from_plain(json.loads(text)))
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return _respond(fmt, render(fmt, "success", children), headers)
