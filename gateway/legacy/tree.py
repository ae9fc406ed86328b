"""The response tree: what handlers return, and what each renderer turns into XML, JSON or JSONP.

A tree is a list of children of ``<response>``. Each child is an ``E`` (an element: a tag, attributes,
and either text or children), a leaf (a plain ``(tag, text)`` tuple: an element with text only, by
far the most common node, so the cheapest to build and to write), a ``Row`` (an element whose
children are all leaves, their names shared by every row of a list) or an ``Items`` (an explicit list).
Lists are explicit so that XML can keep the legacy shape (``<rewards><reward>…`` wrapped, or
``<customer>`` repeated bare under ``<response>``) while JSON always gets an array under the plural
key, for zero, one or many items.

Handlers never format for a wire: they build these nodes, and the renderers do the rest.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Iterable, NamedTuple


@dataclass(slots=True)
class E:
    tag: str
    children: list = field(default_factory=list)
    text: str | None = None
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Items:
    """A list. ``plural`` names the JSON key and, when ``wrapped``, the XML wrapper element.

    ``items`` may be a lazy iterable (a report streaming rows from the database); renderers consume
    it once, item by item.
    """

    plural: str
    items: Iterable[E]
    wrapped: bool = True


class Row(NamedTuple):
    """``<tag>`` holding one leaf per name: ``names[i]`` with ``texts[i]`` (a str; "" is an empty element).

    The same as ``E(tag, list(zip(names, texts)))`` in every format, for the records answered by the
    dozen or by the thousand (a history, a report's rows): a list of them shares one ``names`` tuple,
    and renderers write each row in one step instead of one per value. Names must be distinct.
    """

    tag: str
    names: tuple[str, ...]
    texts: tuple[str, ...]


#: ``new_row((tag, names, texts))`` is ``Row(tag, names, texts)`` built without a Python-level call,
#: for code that builds rows by the thousand.
new_row = functools.partial(tuple.__new__, Row)


def el(tag: str, *children: Any, status: str | None = None, **fields: Any) -> E:
    """Build an element from child nodes and ``name=value`` leaves, in order.

    ``el("fee", status="new", id=7, amount="1.00")`` is ``<fee status="new"><id>7</id><amount>1.00</amount></fee>``.
    Values are turned into text here, once: ids stay strings in JSON, ``None`` becomes an empty element.
    """
    kids: list = list(children)
    # leaf() inlined for the common str and int values: this runs for nearly every value answered.
    kids += [(name, value) if value.__class__ is str else (name, str(value)) if value.__class__ is int
             else leaf(name, value) for name, value in fields.items()]
    return E(tag, kids, None, {"status": status} if status else NO_ATTRS)


def leaves(**fields: Any) -> list[Leaf]:
    """``name=value`` leaves in order, to extend an element's children."""
    return [(name, value) if value.__class__ is str else leaf(name, value) for name, value in fields.items()]


# Shared by every element without attributes: nothing mutates a node's attrs after building it.
NO_ATTRS: dict[str, str] = {}

Leaf = tuple  # (tag, text): an element holding only text, ``<tag>text</tag>``


def leaf(tag: str, value: Any) -> Leaf:
    if value is None:
        return (tag, "")
    if value is True or value is False:
        return (tag, "Y" if value else "N")
    return (tag, value if value.__class__ is str else str(value))


def to_plain(nodes: list) -> list:
    """Serialise a tree to JSON-able lists (for the idempotency store); ``from_plain`` reverses it."""
    out = []
    for node in nodes:
        if node.__class__ is tuple:
            out.append(["T", node[0], node[1]])
        elif node.__class__ is Row:
            out.append(["R", node.tag, list(node.names), list(node.texts)])
        elif isinstance(node, Items):
            out.append(["L", node.plural, node.wrapped, to_plain(list(node.items))])
        else:
            out.append(["E", node.tag, node.text, node.attrs, to_plain(node.children)])
    return out


def from_plain(data: list) -> list:
    out = []
    for node in data:
        if node[0] == "T":
            out.append((node[1], node[2]))
        elif node[0] == "R":
            out.append(Row(node[1], tuple(node[2]), tuple(node[3])))
        elif node[0] == "L":
            out.append(Items(node[1], from_plain(node[3]), node[2]))
        else:
            out.append(E(node[1], from_plain(node[4]), node[2], node[3]))
    return out
