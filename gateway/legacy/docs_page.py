"""``GET /docs``: the call catalogue, generated from the registry and the schemas so it cannot drift.

Calls are grouped by family: the module of ``gateway/legacy/calls/`` that registers them (``Call.family``),
introduced by that module docstring's first paragraph. Each call shows its summary, who may make it, its
fields (a field marked ``metadata={"ignored": "why"}`` is shown as accepted and ignored), its errors, and
an example request and answers from ``examples.json``, which tests/test_docs_examples.py records from real
requests and checks on every run, so an example cannot drift from the code either.
"""
from __future__ import annotations

import json
import re
import sys
from html import escape
from pathlib import Path

from flask import Blueprint, Response
from marshmallow import fields as mf

from .auth import refusal
from .messages import AUTH_FAILED, BAD_CALLBACK, MISSING_FIELD, UNKNOWN_TYPE
from .registry import registry

bp = Blueprint("docs", __name__)

EXAMPLES = Path(__file__).with_name("examples.json")
COMMON_ERRORS = (AUTH_FAILED, MISSING_FIELD.format("type"), UNKNOWN_TYPE.format("foo"), BAD_CALLBACK)
PERMISSION_TEXT = {
    "read": "any user",
    "till": "any user (staff may enrol customers and record and redeem)",
    "manage": "manager-level users only",
    "public": "anyone: no key is needed, the call checks the credentials it is given",
}
IGNORED = "accepted, ignored: "
# Families in the order a reader meets them: set up campaigns, enrol customers, move balances, report,
# then run the account. A module not named here follows, under its own name.
FAMILIES = {
    "campaigns": "Campaigns",
    "campaign_parts": "Campaign parts: rewards, promotions, buy-X items",
    "fees": "Fees and depreciations",
    "customers": "Customers",
    "transactions": "Transactions",
    "reports": "Reports",
    "users": "Users",
    "fields": "Custom fields",
    "account": "Account",
    "tokens": "Time tokens",
    "batches": "Batches",
}
_CODE = re.compile(r"``(.+?)``", re.S)


def text_html(text: str) -> str:
    """Docstring text as HTML: ``double backticks`` become <code>, everything else is escaped."""
    parts = _CODE.split(text)
    return "".join(f"<code>{escape(p)}</code>" if i % 2 else escape(p) for i, p in enumerate(parts))


def permission_text(permission: str, own: tuple[str, str] | None = None) -> str:
    """Who may make a call, as HTML: the levels in words, a portal permission flag by its name, and who
    may make it on themselves (``Call.own``: the form field naming the user, the flag that needs)."""
    if permission in PERMISSION_TEXT:
        text = escape(PERMISSION_TEXT[permission])
    else:
        text = f"users holding the <code>{escape(permission)}</code> permission flag"
    if own:
        text += (f", or a user naming itself in <code>{escape(own[0])}</code> who holds the "
                 f"<code>{escape(own[1])}</code> permission flag")
    return text


def family_title(family: str) -> str:
    return FAMILIES.get(family) or family.replace("_", " ").capitalize()


def family_intro(calls: list) -> str:
    """The first paragraph of the registering module's docstring, white space folded."""
    module = sys.modules.get(calls[0].handler.__module__)
    doc = (getattr(module, "__doc__", None) or "").strip()
    return " ".join(doc.split("\n\n")[0].split())


def grouped() -> list[tuple[str, list]]:
    """(family, its calls in registry order), families in the order of FAMILIES, then by name."""
    groups: dict[str, list] = {}
    for c in registry:
        groups.setdefault(c.family, []).append(c)
    order = list(FAMILIES)
    return sorted(groups.items(), key=lambda g: (order.index(g[0]) if g[0] in order else len(order), g[0]))


def load_examples() -> dict:
    """The recorded examples: call name -> {"request": {field: value}, "xml": answer, "json": answer}."""
    try:
        return json.loads(EXAMPLES.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def _field_type(field: mf.Field) -> str:
    if isinstance(field, mf.Raw):  # schemas.legacy.base.Ignored: any value is accepted
        return "any"
    choices = getattr(field, "choices", None)
    if isinstance(choices, dict):
        return "one of " + ", ".join(choices.values())
    return type(field).__name__.lower()


def _example_html(example: dict | None) -> str:
    if not example:
        return "<p>No example recorded yet.</p>"
    request = "\n".join(f"{name}={value}" for name, value in example["request"].items())
    out = ('<div class="example"><p>Example request (form fields; the key goes in the <code>api_access_key</code> '
           f'header, <code>user_api_key</code> or <code>user_password</code>):</p><pre class="request">{escape(request)}</pre>')
    if "xml" in example:
        out += f'<p>Answer (XML):</p><pre class="xml">{escape(example["xml"])}</pre>'
    if "json" in example:
        out += f'<p>Answer with <code>output=json</code>:</p><pre class="json">{escape(example["json"])}</pre>'
    return out + "</div>"


def _call_html(c, example: dict | None) -> str:
    rows = []
    for name, field in c.schema.fields.items():
        why = field.metadata.get("ignored")
        note = f'<span class="ignored">{IGNORED}{text_html(why)}</span>' if why else ""
        rows.append(
            f"<tr><td><code>{escape(field.data_key or name)}</code></td><td>{'required' if field.required else 'optional'}</td>"
            f"<td>{escape(_field_type(field))}</td><td>{note}</td></tr>"
        )
    for target, pattern in getattr(c.schema, "patterns", {}).items():
        rows.append(f"<tr><td><code>{escape(pattern.pattern)}</code></td><td>optional</td><td>text</td><td></td></tr>")
    errors = "".join(f"<li><code>{escape(e)}</code></li>" for e in c.errors) or "<li>only the common errors</li>"
    selector = f"<code>{escape(c.selector[0])}={escape(c.action)}</code>" if c.action else ""
    aliases = [a for a, target in registry.aliases.items() if target == c.type.lower()]
    also = "".join(f" Also named <code>type={escape(a)}</code>." for a in sorted(aliases))
    refused = refusal(c.permission)
    refused = f" Anyone else is refused with <code>{escape(refused)}</code>." if refused else ""
    return (
        f'<section id="{escape(c.name)}"><h3><code>type={escape(c.type)}</code> {selector}</h3>'
        f'<p class="summary">{text_html(c.summary)}</p><p>Who: {permission_text(c.permission, getattr(c, "own", None))}.{refused}'
        f"{' Writes; accepts an idempotency key.' if c.writes else ''}{also}</p>"
        f"<table><tr><th>field</th><th></th><th>type</th><th>notes</th></tr>{''.join(rows)}</table>"
        f'<p>Errors:</p><ul class="errors">{errors}</ul>{_example_html(example)}</section>'
    )


@bp.route("/docs")
def docs() -> Response:
    groups = grouped()
    examples = load_examples()
    count = sum(len(calls) for _, calls in groups)
    index = "".join(
        f'<li><a href="#family-{escape(family)}">{escape(family_title(family))}</a><ul>'
        + "".join(f'<li><a href="#{escape(c.name)}">{escape(c.name)}</a></li>' for c in calls) + "</ul></li>"
        for family, calls in groups
    )
    body = "".join(
        f'<div class="family" id="family-{escape(family)}"><h2>{escape(family_title(family))}</h2>'
        f"<p>{text_html(family_intro(calls))}</p>"
        + "".join(_call_html(c, examples.get(c.name)) for c in calls) + "</div>"
        for family, calls in groups
    )
    common = "".join(f"<li><code>{escape(e)}</code></li>" for e in COMMON_ERRORS)
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>Rewardgate legacy API calls</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:auto}td,th{padding:2px 8px;text-align:left}"
        "section{border-top:1px solid #ccc}pre{background:#f6f6f6;padding:4px 8px;overflow-x:auto}"
        ".ignored{color:#666}</style></head><body>"
        "<h1>Rewardgate legacy API</h1>"
        "<p>POST (or GET) form fields to <code>/</code> or <code>/api.php</code>. Every call takes "
        "<code>user_id</code>, the key as the <code>api_access_key</code> header or <code>user_api_key</code> or "
        "<code>user_password</code>, <code>account_id</code>, <code>type</code>, and optionally <code>output</code> "
        "(XML or JSON), <code>callback</code> (JSONP) and <code>condensed=yes</code>. The <code>API</code> version "
        "field (1.1, 1.5, 1.6) is accepted and ignored on every call. Errors answer HTTP 200 with "
        f"<code>status=error</code>.</p><p>Errors every call can give:</p><ul>{common}</ul>"
        "<p>The examples come from real requests that the test suite sends and compares on every run; ids, codes "
        "and dates that differ from run to run are shown as stand-ins (<code>1000000000000001</code>, "
        "<code>2025-01-15 12:00:00</code>).</p>"
        f'<h2>{count} calls</h2><ul class="index">{index}</ul>{body}</body></html>'
    )
    return Response(page, content_type="text/html; charset=utf-8")
