"""``GET /docs``: the call catalogue, generated from the registry and the schemas so it cannot drift."""
from __future__ import annotations

from html import escape

from flask import Blueprint, Response
from marshmallow import fields as mf

from .messages import AUTH_FAILED, BAD_CALLBACK, MISSING_FIELD, PERMISSION_DENIED, UNKNOWN_TYPE
from .registry import registry

bp = Blueprint("docs", __name__)

COMMON_ERRORS = (AUTH_FAILED, MISSING_FIELD.format("type"), UNKNOWN_TYPE.format("foo"), BAD_CALLBACK)
PERMISSION_TEXT = {
    "read": "any user",
    "till": "any user (staff may enrol customers and record and redeem)",
    "manage": "manager-level users only",
}


def _field_type(field: mf.Field) -> str:
    choices = getattr(field, "choices", None)
    if isinstance(choices, dict):
        return "one of " + ", ".join(choices.values())
    return type(field).__name__.lower()


def _call_html(c) -> str:
    rows = []
    for name, field in c.schema.fields.items():
        rows.append(
            f"<tr><td><code>{escape(field.data_key or name)}</code></td><td>{'required' if field.required else 'optional'}</td>"
            f"<td>{escape(_field_type(field))}</td></tr>"
        )
    for target, pattern in getattr(c.schema, "patterns", {}).items():
        rows.append(f"<tr><td><code>{escape(pattern.pattern)}</code></td><td>optional</td><td>text</td></tr>")
    errors = "".join(f"<li><code>{escape(e)}</code></li>" for e in c.errors) or "<li>only the common errors</li>"
    selector = f"<code>{escape(c.selector[0])}={escape(c.action)}</code>" if c.action else ""
    return (
        f'<section id="{escape(c.name)}"><h2><code>type={escape(c.type)}</code> {selector}</h2>'
        f"<p>{escape(c.summary)}</p><p>Who: {PERMISSION_TEXT[c.permission]}."
        f"{' Writes; accepts an idempotency key.' if c.writes else ''}</p>"
        f"<table><tr><th>field</th><th></th><th>type</th></tr>{''.join(rows)}</table>"
        f"<p>Errors:</p><ul>{errors}</ul></section>"
    )


@bp.route("/docs")
def docs() -> Response:
    calls = list(registry)
    index = "".join(f'<li><a href="#{escape(c.name)}">{escape(c.name)}</a></li>' for c in calls)
    common = "".join(f"<li><code>{escape(e)}</code></li>" for e in COMMON_ERRORS + (PERMISSION_DENIED,))
    body = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Rewardgate legacy API calls</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}td,th{padding:2px 8px;text-align:left}"
        "section{border-top:1px solid #ccc}</style></head><body>"
        "<h1>Rewardgate legacy API</h1>"
        "<p>POST (or GET) form fields to <code>/</code> or <code>/api.php</code>. Every call takes "
        "<code>user_id</code>, the key as the <code>api_access_key</code> header or <code>user_api_key</code> or "
        "<code>user_password</code>, <code>account_id</code>, <code>type</code>, and optionally <code>output</code> "
        "(XML or JSON), <code>callback</code> (JSONP) and <code>condensed=yes</code>. Errors answer HTTP 200 with "
        f"<code>status=error</code>.</p><p>Errors every call can give:</p><ul>{common}</ul>"
        f"<h2>{len(calls)} calls</h2><ul>{index}</ul>{''.join(_call_html(c) for c in calls)}</body></html>"
    )
    return Response(body, content_type="text/html; charset=utf-8")
