"""One renderer per output format, all fed the same response tree (``gateway.tree``).

Each renderer yields the body in chunks, so a report of 100,000 rows streams from the database to the
socket without ever being held in memory; a small answer is one chunk.
"""
from __future__ import annotations

import json
import re
from itertools import repeat
from dataclasses import dataclass
from typing import Iterable, Iterator

from lxml import etree

from .tree import E, Items, Row

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


def _build(node, parent=None):
    if node.__class__ is tuple:  # a leaf
        node = E(node[0], [], node[1])
    elif node.__class__ is Row:
        node = E(node.tag, list(zip(node.names, node.texts)))
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
    if not _is_lazy(children):
        yield _xml_document(status, children)
        return
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


def _xml_document(status: str, children: list) -> bytes:
    """The document the streaming path writes, as one string: the same bytes as building the lxml tree
    and indenting it (tests/test_performance.py compares them), at a fraction of the cost of creating
    an lxml element per value (bench/breakdown.py).

    Nearly every answer's texts need no escaping, and one search over all of them is much cheaper than
    a search per value: the document is written with its texts as they are, and written again with
    each escaped only when that search finds something. (Only top-level lists are lazy, and this is
    not used for those, so a second pass sees the same nodes.)
    """
    texts: list[str] = []
    document = _compose(status, children, texts)
    if texts and _text_needs_work("".join(texts)):
        document = _compose(status, children, None)
    return document.encode("utf-8")


def _compose(status: str, children: list, texts: list | None) -> str:
    out = ['<?xml version="1.0" encoding="UTF-8"?>\n<response status="', _escape_attr(status), '">']
    for child in _expanded(children):
        out.append("\n  ")
        if isinstance(child, Items):
            # The streaming path writes a top-level list's wrapper as open and close tags, even empty.
            _check_name(child.plural)
            out.append(f"<{child.plural}>")
            for item in child.items:
                out.append("\n    ")
                _write_xml(item, 2, out, texts)
            out.append(f"\n  </{child.plural}>")
        else:
            _write_xml(child, 1, out, texts)
    out.append("\n</response>\n")
    return "".join(out)


def _expanded(children: list):
    """Children in document order, a bare list's items in place; a wrapped list stays one node."""
    for child in children:
        if isinstance(child, Items) and not child.wrapped:
            yield from child.items
        else:
            yield child


def _write_xml(node, level: int, out: list, texts: list | None = None) -> None:
    """``node`` as ``etree.indent(space="  ")`` lays it out, its first line's indentation excluded.

    With ``texts`` a list, element texts are written as they are and collected there for the caller
    to check (``_xml_document``); with None, each is escaped.
    """
    if node.__class__ is Row:
        _write_rows((node,), level, out, texts)
        return
    if node.__class__ is tuple:  # a leaf
        tag, text = node
        tag = tag if tag in _NAMES else _check_name(tag)
        if texts is None:
            text = _escape_text(text)
        else:
            texts.append(text)
        out.append(f"<{tag}>{text}</{tag}>" if text else f"<{tag}/>")
        return
    if isinstance(node, Items):  # a wrapped list inside an element: its wrapper element
        items = list(node.items)
        if items and items[0].__class__ is Row and _same_shape(items):
            plural = node.plural if node.plural in _NAMES else _check_name(node.plural)
            out.append(f"<{plural}>\n{'  ' * (level + 1)}")
            _write_rows(items, level + 1, out, texts)
            out.append(f"\n{'  ' * level}</{plural}>")
            return
        node = E(node.plural, items)
    tag = node.tag if node.tag in _NAMES else _check_name(node.tag)
    attrs = "".join(f' {_check_name(k)}="{_escape_attr(v)}"' for k, v in node.attrs.items()) if node.attrs else ""
    raw = text = node.text
    if text:
        if texts is None:
            text = _escape_text(text)
        else:
            texts.append(text)
    kids = node.children
    if kids:
        inner = "\n" + "  " * (level + 1)
        start = len(out)
        # indent() keeps an element's text when it is more than whitespace, and replaces it otherwise.
        out.append(f"<{tag}{attrs}>{text if raw and raw.strip() else inner}")
        first = True
        for kid in kids:
            kind = kid.__class__
            if kind is Items and not kid.wrapped:  # a bare list: its items in place
                for item in kid.items:
                    if not first:
                        out.append(inner)
                    first = False
                    _write_xml(item, level + 1, out, texts)
                continue
            if not first:
                out.append(inner)
            first = False
            # Most nodes are leaves: written here rather than through a call per value.
            if kind is tuple and kid[0] in _NAMES:
                name, value = kid
                if not value:
                    out.append(f"<{name}/>")
                    continue
                if texts is None:
                    value = _escape_text(value)
                else:
                    texts.append(value)
                out.append(f"<{name}>{value}</{name}>")
            elif kind is Row:
                _write_rows((kid,), level + 1, out, texts)
            else:
                _write_xml(kid, level + 1, out, texts)
        if not first:
            out.append(f"\n{'  ' * level}</{tag}>")
            return
        del out[start:]  # only empty bare lists: the element is written as childless
    out.append(f"<{tag}{attrs}>{text}</{tag}>" if text else f"<{tag}{attrs}/>")


def _same_shape(rows: list) -> bool:
    """Whether every item is a Row of the first one's tag and names (the same tuple)."""
    first = rows[0]
    names, tag = first.names, first.tag
    for row in rows:
        if row.__class__ is not Row or row.names is not names or row.tag != tag:
            return False
    return True


# Rows written by one %-formatting at most: bounds the templates kept per shape (one per count).
_ROWS_AT_ONCE = 32


def _write_rows(rows, level: int, out: list, texts: list | None) -> None:
    """Rows of one shape (``_same_shape``) as ``_write_xml`` writes their equivalent elements, one per
    line at ``level`` (the first line's indentation excluded), up to ``_ROWS_AT_ONCE`` in one
    %-formatting of a template instead of a step per value: a history's rows by the dozen, a lone Row
    as a list of one.

    Keyed by the names' identity (a list's rows share one tuple) rather than their hash, which a tuple
    does not keep; the entry holds the names, so their id cannot be reused while it is kept. The
    template has a ``%s`` for every text, empty or not (names cannot hold "%"); an empty one is then
    turned from ``<name></name>`` into ``<name/>`` for its column. No text can hold that tag: escaped,
    a text has no "<"; unescaped (``texts`` a list), a text holding "<" makes ``_xml_document`` write
    the whole document again, escaped.
    """
    first = rows[0]
    names, tag, width = first.names, first.tag, len(first.names)
    between = "\n" + "  " * level
    for start in range(0, len(rows), _ROWS_AT_ONCE):
        chunk = rows[start:start + _ROWS_AT_ONCE]
        values = [value for row in chunk for value in row.texts]
        if texts is None:
            values = [_escape_text(value) for value in values]
        else:
            texts += values
        key = (tag, id(names), level, len(chunk))
        entry = _ROWS_TEMPLATES.get(key)
        if entry is None or entry[0] is not names:
            if len(_ROWS_TEMPLATES) >= 4096:
                _ROWS_TEMPLATES.clear()
            one = _row_template(tag, names, level)
            empties = tuple((f"<{name}></{name}>", f"<{name}/>") for name in names)
            entry = _ROWS_TEMPLATES[key] = (names, between.join([one] * len(chunk)), empties)
        if start:
            out.append(between)
        written = entry[1] % tuple(values)
        if "" in values:
            for column, (full, empty) in enumerate(entry[2]):
                if "" in values[column::width]:
                    written = written.replace(full, empty)
        out.append(written)


_ROWS_TEMPLATES: dict[tuple, tuple[tuple[str, ...], str, tuple[tuple[str, str], ...]]] = {}


def _row_template(tag: str, names: tuple[str, ...], level: int) -> str:
    """The %-template a Row of these names is written with at ``level``, a ``%s`` for each text;
    names are checked once per shape."""
    for name in (tag, *names):
        _check_name(name)
    if len(set(names)) != len(names):
        raise ValueError(f"a Row's names must be distinct: {names}")
    if not names:
        return f"<{tag}/>"
    inner = "\n" + "  " * (level + 1)
    leaves = "".join(f"{inner}<{name}>%s</{name}>" for name in names)
    return f"<{tag}>{leaves}\n{'  ' * level}</{tag}>"


_NAMES: set[str] = set()


def _check_name(name: str) -> str:
    """Refuse what lxml refuses as an element or attribute name (checked once per name)."""
    if name not in _NAMES:
        etree.Element(name)  # raises ValueError, as building the tree would
        _NAMES.add(name)
    return name


_TEXT_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"}
_ATTR_ESCAPES = {**_TEXT_ESCAPES, '"': "&quot;", "\n": "&#10;", "\t": "&#9;"}
_TEXT_SPECIAL = re.compile("[&<>\r]")
_ATTR_SPECIAL = re.compile('[&<>\r"\n\t]')
# Most values need neither escaping nor cleaning: one search tells.
_TEXT_WORK = re.compile(f"{_TEXT_SPECIAL.pattern}|{_NOT_XML_CHAR.pattern}")
_ATTR_WORK = re.compile(f"{_ATTR_SPECIAL.pattern}|{_NOT_XML_CHAR.pattern}")
# The ASCII characters a text holds as they are (tab, newline, and printable but & < >).
_PLAIN_ASCII = bytes([9, 10, *(c for c in range(0x20, 0x80) if chr(c) not in "&<>")])


def _text_needs_work(text: str) -> bool:
    """Whether ``_escape_text`` would change ``text``. For ASCII (nearly every answer), deleting the
    plain characters takes 0.26 µs where the search takes 3.7 µs, for a balance's 300 characters."""
    if text.isascii():
        return bool(text.encode("ascii").translate(None, _PLAIN_ASCII))
    return _TEXT_WORK.search(text) is not None


def _escape_text(text: str) -> str:
    if not _TEXT_WORK.search(text):
        return text
    return _TEXT_SPECIAL.sub(lambda m: _TEXT_ESCAPES[m.group()], clean_xml_text(text))


def _escape_attr(value: str) -> str:
    if not _ATTR_WORK.search(value):
        return value
    return _ATTR_SPECIAL.sub(lambda m: _ATTR_ESCAPES[m.group()], clean_xml_text(value))


# --- JSON / JSONP --------------------------------------------------------------------------------------

def to_json_value(node):
    """An element as JSON: a leaf is its text, an element with children an object in which each
    ``status`` attribute becomes a key and each list an array under its plural key."""
    if node.__class__ is tuple:
        return node[1]
    if node.__class__ is Row:
        return dict(zip(node.names, node.texts))
    if not node.children:
        if node.attrs:
            return {**node.attrs, "value": node.text or ""} if node.text else dict(node.attrs)
        return node.text if node.text is not None else ""
    obj: dict = dict(node.attrs)
    for child in node.children:
        if child.__class__ is tuple:
            key, value = child
            if key in obj:
                _put(obj, key, value)
            else:
                obj[key] = value
        elif isinstance(child, Items):
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
    out: list[str] = []
    try:
        _write_indented(value, "\n", out)
    except _NotPlain:
        return json.dumps(value, indent=2, ensure_ascii=True)
    return "".join(out)


class _NotPlain(Exception):
    """A value other than str, dict (str keys) or list: left to json.dumps."""


_ENCODE = json.encoder.encode_basestring_ascii  # what json.dumps(ensure_ascii=True) encodes strings with


def _write_indented(value, newline: str, out: list) -> None:
    """``json.dumps(value, indent=2, ensure_ascii=True)`` for the str, dict and list values the
    renderers build, byte for byte: json.dumps takes its pure-Python encoder as soon as ``indent`` is
    set, which made a balance's JSON cost twice what it does with this (docs/performance.md).
    ``newline`` is the line break and indentation of ``value``'s own level."""
    kind = value.__class__
    if kind is str:
        out.append(_ENCODE(value))
    elif kind is dict or kind is list:
        is_object = kind is dict
        if not value:
            out.append("{}" if is_object else "[]")
            return
        inner = newline + "  "
        separator = ("{" if is_object else "[") + inner
        for key, item in value.items() if is_object else zip(repeat(None), value):
            out.append(separator)
            if is_object:
                if key.__class__ is not str:
                    raise _NotPlain
                out.append(_ENCODE(key) + ": ")
            if item.__class__ is str:
                out.append(_ENCODE(item))
            else:
                _write_indented(item, inner, out)
            separator = "," + inner
        out.append(newline + ("}" if is_object else "]"))
    else:
        raise _NotPlain


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
            yield (key(child[0] if child.__class__ is tuple else child.tag) + value).encode("ascii")
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
