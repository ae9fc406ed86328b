"""One renderer per output format, all fed the same response tree (``gateway.legacy.tree``).

XML is written by lxml, one top-level node at a time; JSON by ``json.dumps``, one top-level key at a
time. So a lazy list (a report's rows) streams from the database to the socket, never held whole.
"""
from __future__ import annotations

import functools
import itertools
import json
import logging
import re
from dataclasses import dataclass
from typing import Iterable, Iterator

from lxml import etree

from .tree import E, Items, Row

log = logging.getLogger(__name__)

XML_CONTENT_TYPE = "text/xml; charset=utf-8"
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
JSONP_CONTENT_TYPE = "text/javascript; charset=utf-8"

# Everything XML 1.0 cannot hold (engineering-notes B2). Such characters are replaced by U+FFFD in XML
# output, so the document stays well-formed and the reader still sees that something was there.
_NOT_XML_CHAR = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

STREAM_CHUNK = 64 * 1024  # a streamed answer is sent in pieces of about this size


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
    can still answer with an error envelope; a lazy one streams (``_stream``)."""
    if fmt.kind == "xml":
        parts = _xml(status, children)
    else:
        parts = _json({"status": status, **_json_object(children, {}, top=True)}, fmt)
    if not any(_is_lazy(child) for child in children):
        return [b"".join(parts)]
    stream = _stream(parts)
    # The first piece is rendered before the view returns: a fault there still gets an error envelope.
    return itertools.chain([next(stream)], stream)


@functools.lru_cache(maxsize=256)
def rendered(fmt: OutputFormat, build, args: tuple) -> bytes:
    """``render(fmt, "success", build(*args))`` as one body, kept for the last 256 answers asked
    (a ``tree.Memo``; docs/performance.md, "Kept speed shortcuts")."""
    return b"".join(render(fmt, "success", build(*args)))


def render_error(fmt: OutputFormat, messages: list[str], detail: list | None = None) -> Iterator[bytes]:
    """The error envelope: ``<error>`` in XML; ``error`` (the first) and ``errors`` (all) in JSON.

    An iterator rather than a list, so that the response carries no Content-Length: error answers
    never had one (tests/golden/legacy_answers.txt).
    """
    if fmt.kind == "xml":
        parts = _xml("error", [("error", messages[0]), *(detail or [])])
    else:
        parts = _json({"status": "error", "error": messages[0], "errors": list(messages),
                       **_json_object(detail or [], {})}, fmt)
    return iter([b"".join(parts)])


def _is_lazy(child) -> bool:
    return isinstance(child, Items) and not isinstance(child.items, (list, tuple))


def _stream(parts: Iterator[bytes]) -> Iterator[bytes]:
    """``parts`` gathered into pieces of about ``STREAM_CHUNK`` bytes.

    A fault after the first piece was sent cuts the answer off (docs/compatibility.md, "A streamed
    answer that fails"): the closing tags or brackets are never written, so no XML or JSON parser
    takes the rows sent for a whole answer, and the error, re-raised, makes the server drop the
    connection instead of ending the body normally.
    """
    pending: list[bytes] = []
    size = sent = 0
    try:
        for part in parts:
            pending.append(part)
            size += len(part)
            if size >= STREAM_CHUNK:
                yield b"".join(pending)
                sent += size
                pending, size = [], 0
    except Exception:
        if sent:  # before that, render() raises and the view answers with the error envelope
            log.exception("streamed answer failed after %d bytes: cut off before its end", sent)
        raise
    if pending:
        yield b"".join(pending)


# --- XML ---------------------------------------------------------------------------------------------

def clean_xml_text(text: str) -> str:
    # Printable ASCII, most texts, is all XML characters: only other texts need the search.
    if text.isascii() and text.isprintable():
        return text
    return _NOT_XML_CHAR.sub("\ufffd", text)


def _xml(status: str, children: list) -> Iterator[bytes]:
    """The document, each child of ``<response>`` built and indented by lxml as it comes.

    ``<response>`` and a top-level list's wrapper are written here: they keep open and close tags
    even when empty, as the legacy answers always had them.
    """
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<response status="' + status.encode() + b'">\n'
    for child in children:
        if isinstance(child, Items) and child.wrapped:
            yield b"  <" + child.plural.encode() + b">\n"
            for item in child.items:
                yield _xml_node(item, 2)
            yield b"  </" + child.plural.encode() + b">\n"
        elif isinstance(child, Items):
            for item in child.items:
                yield _xml_node(item, 1)
        else:
            yield _xml_node(child, 1)
    yield b"</response>\n"


def _xml_node(node, level: int) -> bytes:
    element = _element(node)
    etree.indent(element, space="  ", level=level)
    return b"  " * level + etree.tostring(element, encoding="utf-8") + b"\n"


def _element(node, parent=None) -> etree._Element:
    """``node`` as an lxml element (a child of ``parent`` when given)."""
    if isinstance(node, Row):
        if len(set(node.names)) != len(node.names):  # JSON would keep only one of them
            raise ValueError(f"a Row's names must be distinct: {node.names}")
        node = E(node.tag, list(zip(node.names, node.texts)))
    elif isinstance(node, tuple):  # a leaf: most nodes, so made without an E
        element = etree.Element(node[0]) if parent is None else etree.SubElement(parent, node[0])
        if node[1]:
            element.text = clean_xml_text(node[1])
        return element
    element = etree.Element(node.tag) if parent is None else etree.SubElement(parent, node.tag)
    for key, value in node.attrs.items():
        element.set(key, clean_xml_text(value))
    if node.text:
        element.text = clean_xml_text(node.text)
    for child in node.children:
        if type(child) is tuple:  # a leaf, the commonest child: no call of its own
            sub = etree.SubElement(element, child[0])
            if child[1]:
                sub.text = clean_xml_text(child[1])
        elif isinstance(child, Items):
            holder = etree.SubElement(element, child.plural) if child.wrapped else element
            for item in child.items:
                _element(item, holder)
        else:
            _element(child, element)
    return element


# --- JSON / JSONP --------------------------------------------------------------------------------------

def _json_value(node):
    """A node as JSON: a leaf is its text, an element with children an object in which each
    ``status`` attribute becomes a key and each list an array under its plural key."""
    if isinstance(node, Row):
        return dict(zip(node.names, node.texts))
    if isinstance(node, tuple):
        return node[1]
    if not node.children:
        if node.attrs:
            return {**node.attrs, "value": node.text} if node.text else dict(node.attrs)
        return node.text or ""
    return _json_object(node.children, dict(node.attrs))


def _json_object(children: list, obj: dict, top: bool = False) -> dict:
    """``children`` added to ``obj``; with ``top``, a lazy list stays as it is, for ``_json`` to stream."""
    for child in children:
        if isinstance(child, Items):
            obj[child.plural] = child if top and _is_lazy(child) else [_json_value(i) for i in child.items]
            continue
        key = child[0] if isinstance(child, tuple) else child.tag  # a leaf's or a Row's first field
        value = _json_value(child)
        if key in obj:  # two sibling elements of one name are a list even when a handler did not say so
            previous = obj[key]
            value = previous + [value] if isinstance(previous, list) else [previous, value]
        obj[key] = value
    return obj


def _json(doc: dict, fmt: OutputFormat) -> Iterator[bytes]:
    """``json.dumps(doc)`` (indented by two spaces, or condensed), written key by key so that a lazy
    list's items are encoded one at a time; ASCII only, which keeps U+2028/U+2029 escaped for JSONP.

    JSONP is ``/**/callback(json);``: the fixed prefix keeps caller-chosen bytes off the start of the
    body (Rosetta Flash).
    """
    indent, separators = (None, (",", ":")) if fmt.condensed else (2, (",", ": "))

    def new_line(level: int) -> str:
        return "\n" + "  " * level if indent else ""

    def dumps(value, level: int) -> str:
        return json.dumps(value, indent=indent, separators=separators).replace("\n", new_line(level))

    yield (f"/**/{fmt.callback}({{" if fmt.kind == "jsonp" else "{").encode()
    for n, (key, value) in enumerate(doc.items()):
        start = ("," if n else "") + new_line(1) + json.dumps(key) + separators[1]
        if not isinstance(value, Items):
            yield (start + dumps(value, 1)).encode()
            continue
        yield (start + "[").encode()
        count = 0
        for count, item in enumerate(value.items, 1):
            yield (("," if count > 1 else "") + new_line(2) + dumps(_json_value(item), 2)).encode()
        yield ((new_line(1) if count else "") + "]").encode()
    yield (new_line(0) + "}" + (");" if fmt.kind == "jsonp" else new_line(0))).encode()
