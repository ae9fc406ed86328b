"""The OpenAPI 3.1 document of /v1, generated from the registry and its marshmallow schemas (apispec),
and a readable reference page made from that document (served by the app itself: no CDN, no script).

Both are built once per process: the registry is frozen when the blueprint is made.
"""
from __future__ import annotations

import decimal
import functools
import html
import json

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Response

from .registry import Route, registry

TITLE = "Rewardgate JSON API"
VERSION = "1"
INTRO = ("The Campaigns API of Rewardgate: campaigns, events, participants, leaderboards and redeemable codes, "
         "over the same campaigns, customers and ledger as the legacy API. Every answer is "
         '{"status": "success", "data": ...} or {"status": "error", "code": ..., "message": ...} with a real HTTP '
         "status. Keys: X-API-Secret (sk_live_/sk_test_) or, where allowed, X-API-Key (pk_live_/pk_test_); the key's "
         "environment (live or test) chooses the data. docs/api.md has the rules.")
ENVELOPE_ERRORS = (
    (401, "missing_api_key", "Missing X-API-Key / X-API-Secret header"),
    (401, "invalid_api_key", "Invalid API key"),
    (403, "api_key_revoked", "API key has been revoked"),
)
BODY_ERRORS = (
    (400, "validation_error", "Invalid request body: <field>: <reason>"),
    (400, "malformed_json", "Request body is not valid JSON"),
    (400, "invalid_content_type", "Content-Type must be application/json"),
    (413, "body_too_large", "Request body is too large"),
)


def _schema_name(schema) -> str:
    cls = schema if isinstance(schema, type) else type(schema)
    # Module-qualified: two concerns may both have an "Event" or a "Rule".
    return f"{cls.__module__.rsplit('.', 1)[-1]}.{cls.__name__}"


@functools.cache
def document() -> dict:
    spec = APISpec(title=TITLE, version=VERSION, openapi_version="3.1.0",
                   plugins=[MarshmallowPlugin(schema_name_resolver=_schema_name)],
                   info={"description": INTRO}, servers=[{"url": "/v1"}])
    spec.components.security_scheme("secretKey", {"type": "apiKey", "in": "header", "name": "X-API-Secret"})
    spec.components.security_scheme("publicKey", {"type": "apiKey", "in": "header", "name": "X-API-Key"})
    spec.components.schema("Error", {
        "type": "object", "required": ["status", "code", "message"],
        "properties": {"status": {"type": "string", "const": "error"},
                       "code": {"type": "string", "description": "a stable machine code"},
                       "message": {"type": "string"},
                       "fields": {"type": "object", "description": "validation errors by field"}},
    })
    for r in registry.ordered():
        spec.path(path=r.path, operations={r.method.lower(): _operation(r)})
    # Validators' bounds may be Decimals: the document is plain JSON.
    return json.loads(json.dumps(spec.to_dict(), default=_number))


def _number(value):
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} in the OpenAPI document")


def _operation(r: Route) -> dict:
    op: dict = {"operationId": r.endpoint, "summary": r.summary, "tags": [r.tag],
                "security": [{"secretKey": []}] + ([{"publicKey": []}] if r.key == "public" else [])}
    if r.description:
        op["description"] = r.description
    parameters = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"}} for name in r.params]
    if r.query is not None:
        parameters.append({"in": "query", "schema": r.query})
    if parameters:
        op["parameters"] = parameters
    if r.body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": r.body}}}
    data = r.response if r.response is not None else {"type": "object"}
    op["responses"] = {str(r.status): {"description": "success", "content": {"application/json": {"schema": {
        "type": "object", "required": ["status", "data"],
        "properties": {"status": {"type": "string", "const": "success"}, "data": data}}}}}}
    errors = [*ENVELOPE_ERRORS, *(BODY_ERRORS if r.body is not None else ()), *((e.status, e.code, e.message) for e in r.errors)]
    if r.key == "secret":
        errors.append((403, "secret_key_required", "This endpoint needs a secret key (X-API-Secret)"))
    by_status: dict[int, list[str]] = {}
    for status, code, message in errors:
        line = f"`{code}`: {message}"
        if line not in by_status.setdefault(status, []):
            by_status[status].append(line)
    for status, lines in sorted(by_status.items()):
        op["responses"][str(status)] = {"description": "; ".join(lines),
                                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    return op


def document_view() -> Response:
    from . import respond

    return respond(document())


# The reference page ---------------------------------------------------------------------------------

_STYLE = """body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
code,pre{font-family:ui-monospace,monospace;font-size:13px}h2{border-bottom:1px solid #ccc;margin-top:2.5rem}
.op{margin:1.5rem 0;padding:.5rem 1rem;border-left:4px solid #468}.m{font-weight:bold;color:#468}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}
nav a{margin-right:1rem}"""


def _resolve(spec: dict, node: dict) -> dict:
    while isinstance(node, dict) and "$ref" in node:
        node = spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _type(spec: dict, prop: dict) -> str:
    prop = _resolve(spec, prop)
    kind = prop.get("type", "object")
    kinds = kind if isinstance(kind, list) else [kind]
    if "array" in kinds:
        items = prop.get("items", {})
        ref = items.get("$ref", "")
        return "array of " + (ref.rsplit("/", 1)[-1] if ref else _type(spec, items))
    out = " or ".join(kinds)
    if prop.get("format"):
        out += f" ({prop['format']})"
    if prop.get("enum"):
        out += ": " + ", ".join(map(str, prop["enum"]))
    return out


def _fields(spec: dict, schema: dict, depth: int = 0) -> str:
    schema = _resolve(spec, schema)
    props = schema.get("properties") or {}
    if not props:
        return ""
    required = set(schema.get("required", []))
    rows = []
    for name, prop in props.items():
        target = _resolve(spec, prop.get("items", prop) if "array" in str(_resolve(spec, prop).get("type")) else prop)
        limits = {k: v for k, v in _resolve(spec, prop).items() if k in ("minimum", "maximum", "minLength", "maxLength", "default")}
        note = _resolve(spec, prop).get("description", "")
        rows.append(f"<tr><td><code>{html.escape(name)}</code></td><td>{html.escape(_type(spec, prop))}</td>"
                    f"<td>{'yes' if name in required else ''}</td><td>{html.escape(note)}"
                    f"{' ' + html.escape(json.dumps(limits)) if limits else ''}</td></tr>")
        if depth < 2 and target is not schema and target.get("properties"):
            rows.append(f"<tr><td></td><td colspan=3>{_fields(spec, target, depth + 1)}</td></tr>")
    return ("<table><tr><th>field</th><th>type</th><th>required</th><th>notes</th></tr>" + "".join(rows) + "</table>")


@functools.cache
def page() -> str:
    spec = document()
    parts = [f"<!doctype html><html lang=en><meta charset=utf-8><title>{TITLE}</title><style>{_STYLE}</style>",
             f"<h1>{TITLE}</h1><p>{html.escape(INTRO)}</p><p>Machine-readable: <a href='openapi.json'>openapi.json</a> "
             "(OpenAPI 3.1).</p>"]
    tags: dict[str, list] = {}
    for path, operations in spec["paths"].items():
        for method, op in operations.items():
            tags.setdefault(op["tags"][0], []).append((path, method, op))
    parts.append("<nav>" + "".join(f"<a href='#{html.escape(t)}'>{html.escape(t)}</a>" for t in tags) + "</nav>")
    for tag, ops in tags.items():
        parts.append(f"<h2 id='{html.escape(tag)}'>{html.escape(tag)}</h2>")
        for path, method, op in ops:
            keys = " or ".join("X-API-Secret" if "secretKey" in s else "X-API-Key" for s in op["security"])
            parts.append(f"<div class=op id='{html.escape(op['operationId'])}'><p><span class=m>{method.upper()}</span> "
                         f"<code>/v1{html.escape(path)}</code> — {html.escape(op['summary'])}</p>")
            if op.get("description"):
                parts.append(f"<p>{html.escape(op['description'])}</p>")
            parts.append(f"<p>Key: {keys}</p>")
            query = [p for p in op.get("parameters", []) if p["in"] == "query"]
            if query:
                parts.append("<p>Query:</p><table><tr><th>parameter</th><th>type</th><th>notes</th></tr>" + "".join(
                    f"<tr><td><code>{html.escape(p['name'])}</code></td><td>{html.escape(_type(spec, p['schema']))}</td>"
                    f"<td>{html.escape(p.get('description', p['schema'].get('description', '')))}</td></tr>" for p in query) + "</table>")
            if "requestBody" in op:
                parts.append("<p>Body (JSON):</p>" + _fields(spec, op["requestBody"]["content"]["application/json"]["schema"]))
            for status, answer in op["responses"].items():
                if status.startswith("2"):
                    data = answer["content"]["application/json"]["schema"]["properties"]["data"]
                    parts.append(f"<p>{status}: <code>data</code></p>" + _fields(spec, data))
                else:
                    parts.append(f"<p>{status}: {html.escape(answer['description'])}</p>")
            parts.append("</div>")
    return "".join(parts) + "</html>"


def page_view() -> Response:
    return Response(page(), content_type="text/html; charset=utf-8",
                    headers=[("X-Content-Type-Options", "nosniff"), ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")])
