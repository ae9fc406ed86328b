"""One renderer per output format, all fed the same response tree (``gateway.tree``).

Each renderer yields the body in chunks, so a report of 100,000 rows streams from the database to the
socket without ever being held in memory; a small answer is one chunk.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from lxml import etree

from .tree import E, Items

XML_CONTENT_TYPE = "text/xml; charset=utf-8"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
JSONP_CONTENT_TYPE = "text/javascript; charset=utf-8"

# Everything XML 1.0 cannot hold (engineering-notes B2). Such characters are replaced by U+FFFD in XML
# output, so the document stays well-formed and the reader still sees that something was there.
_NOT_XML_CHAR = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
REPLACEMENT = "\ufffd"

STREAM_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class OutputFormat:
    kind: str  # "xml" | "json" | "jsonp"
    condensed: bool = False
    callback: str | None = None

    @property
    def content_type(self) -> str:
        return {"xml": XML_CONTENT_TYPE, "json": JSON_CONTENT_TYPE, "jsonp": JSONP_CONTENT_TYPE}[self.kind]


XML = OutputFormat("xml")


def render(fmt: OutputFormat, status: str, children: list) -> Iterable[bytes]:
    """The body. A tree without lazy lists is rendered at once, so that any fault shows while the view
    can still answer with an error envelope; a lazy one streams."""
    parts = render_xml(status, children) if fmt.kind == "xml" else render_json(status, children, fmt)
    if not _is_lazy(children):
        return [b"".join(parts)]
    return _chunked(parts)


def render_error(fmt: OutputFormat, messages: list[str]) -> Iterator[bytes]:
    """The error envelope: ``<error>`` in XML; ``error`` (the first) and ``errors`` (all) in JSON."""
    if fmt.kind == "xml":
        return render_xml("error", [E("error", [], messages[0])])
    doc = {"status": "error", "error": messages[0], "errors": list(messages)}
    return iter([_json_envelope(_dumps(doc, fmt), fmt)])


# --- XML ---------------------------------------------------------------------------------------------

def clean_xml_text(text: str) -> str:
    return _NOT_XML_CHAR.sub(REPLACEMENT, text) if _NOT_XML_CHAR.search(text) else text


def _build(node: E, parent=None):
    elem = etree.Element(node.tag) if parent is None else etree.SubElement(parent, node.tag)
    for key, value in node.attrs.items():
        elem.set(key, clean_xml_text(value))
    if node.text:
        elem.text = clean_xml_text(node.text)
    for child in node.children:
        if isinstance(child, Items):
            holder = etree.SubElement(elem, child.plural) if child.wrapped else elem
            for item in child.items:
                _build(item, holder)
        else:
            _build(child, elem)
    return elem


def _xml_node(node: E, level: int) -> bytes:
    elem = _build(node)
    etree.indent(elem, space="  ", level=level)
    return b"  " * level + etree.tostring(elem, encoding="unicode").encode("utf-8") + b"\n"


def render_xml(status: str, children: list) -> Iterator[bytes]:
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<response status="' + status.encode() + b'">\n'
    for child in children:
        if isinstance(child, Items):
            if child.wrapped:
                yield b"  <" + child.plural.encode() + b">\n"
            level = 2 if child.wrapped else 1
            for item in child.items:
                yield _xml_node(item, level)
            if child.wrapped:
                yield b"  </" + child.plural.encode() + b">\n"
        else:
            yield _xml_node(child, 1)
    yield b"</response>\n"


# --- JSON / JSONP --------------------------------------------------------------------------------------

def to_json_value(node: E):
    """An element as JSON: a leaf is its text, an element with children an object in which each
    ``status`` attribute becomes a key and each list an array under its plural key."""
    if not node.children:
        if node.attrs:
            return {**node.attrs, "value": node.text or ""} if node.text else dict(node.attrs)
        return node.text if node.text is not None else ""
    obj: dict = dict(node.attrs)
    for child in node.children:
        if isinstance(child, Items):
            obj[child.plural] = [to_json_value(i) for i in child.items]
        else:
            _put(obj, child.tag, to_json_value(child))
    return obj


def _put(obj: dict, key: str, value) -> None:
    # Two sibling elements of one name are a list even when a handler did not say so.
    if key in obj:
        prev = obj[key]
        obj[key] = prev + [value] if isinstance(prev, list) else [prev, value]
    else:
        obj[key] = value


def _dumps(value, fmt: OutputFormat) -> str:
    # ensure_ascii keeps U+2028/U+2029 escaped, which a JSONP script could not otherwise hold.
    if fmt.condensed:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=True)
    return json.dumps(value, indent=2, ensure_ascii=True)


def _json_envelope(body: str, fmt: OutputFormat) -> bytes:
    if fmt.kind == "jsonp":
        # The fixed /**/ prefix keeps attacker-chosen bytes off the start of the body (Rosetta Flash).
        return f"/**/{fmt.callback}({body});".encode("ascii")
    return (body + ("" if fmt.condensed else "\n")).encode("ascii")


def _is_lazy(children: list) -> bool:
    return any(isinstance(c, Items) and not isinstance(c.items, (list, tuple)) for c in children)


def render_json(status: str, children: list, fmt: OutputFormat) -> Iterator[bytes]:
    if not _is_lazy(children):
        doc = {"status": status}
        doc.update(to_json_value(E("response", children)) if children else {})
        yield _json_envelope(_dumps(doc, fmt), fmt)
        return
    yield from _stream_json(status, children, fmt)


def _stream_json(status: str, children: list, fmt: OutputFormat) -> Iterator[bytes]:
    """Write the top-level object by hand so that a lazy list's items are encoded one at a time."""
    sep, colon, nl, ind = (",", ":", "", "") if fmt.condensed else (",", ": ", "\n", "  ")
    yield (f"/**/{fmt.callback}(" if fmt.kind == "jsonp" else "").encode() + b"{" + nl.encode()
    first = True

    def key(name: str) -> str:
        nonlocal first
        prefix = "" if first else sep + nl
        first = False
        return prefix + ind + json.dumps(name) + colon

    yield key("status").encode() + json.dumps(status).encode()
    for child in children:
        if isinstance(child, Items):
            yield key(child.plural).encode() + b"["
            n = 0
            for item in child.items:
                body = _dumps(to_json_value(item), fmt)
                if not fmt.condensed:
                    body = nl + ind * 2 + body.replace("\n", "\n" + ind * 2)
                yield ((sep if n else "") + body).encode("ascii")
                n += 1
            yield ((nl + ind if n else "") + "]").encode()
        else:
            value = _dumps(to_json_value(child), fmt)
            if not fmt.condensed:
                value = value.replace("\n", "\n" + ind)
            yield (key(child.tag) + value).encode("ascii")
    tail = nl + "}" + (");" if fmt.kind == "jsonp" else nl)
    yield tail.encode()


def _chunked(parts: Iterable[bytes]) -> Iterator[bytes]:
    """Coalesce many small pieces into socket-sized writes."""
    buf: list[bytes] = []
    size = 0
    for part in parts:
        buf.append(part)
        size += len(part)
        if size >= STREAM_CHUNK:
            yield b"".join(buf)
            buf, size = [], 0
    if buf:
        yield b"".join(buf)
