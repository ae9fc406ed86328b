"""The response tree: what handlers return, and what each renderer turns into XML, JSON or JSONP.

A tree is a list of children of ``<response>``. Each child is an ``E`` (an element: a tag, attributes,
and either text or children) or an ``Items`` (an explicit list). Lists are explicit so that XML can keep
the legacy shape (``<rewards><reward>…`` wrapped, or ``<customer>`` repeated bare under ``<response>``)
while JSON always gets an array under the plural key, for zero, one or many items.

Handlers never format for a wire: they build these nodes, and the renderers do the rest.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable


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


def el(tag: str, *children: Any, status: str | None = None, **fields: Any) -> E:
    """Build an element from child nodes and ``name=value`` leaves, in order.

    ``el("fee", status="new", id=7, amount="1.00")`` is ``<fee status="new"><id>7</id><amount>1.00</amount></fee>``.
    Values are turned into text here, once: ids stay strings in JSON, ``None`` becomes an empty element.
    """
    kids: list = list(children)
    kids += [leaf(name, value) for name, value in fields.items()]
    return E(tag, kids, None, {"status": status} if status else _NO_ATTRS)


def leaves(**fields: Any) -> list[E]:
    """``name=value`` leaves in order, to extend an element's children."""
    return [leaf(name, value) for name, value in fields.items()]


# Shared by every element without attributes (most of them): nothing mutates a node's attrs after
# building it, and a fresh dict per leaf was a measurable share of building a response.
_NO_ATTRS: dict[str, str] = {}


def leaf(tag: str, value: Any) -> E:
    if value is None:
        return E(tag, [], "", _NO_ATTRS)
    if value is True or value is False:
        return E(tag, [], "Y" if value else "N", _NO_ATTRS)
    return E(tag, [], str(value), _NO_ATTRS)


def to_plain(nodes: list) -> list:
    """Serialise a tree to JSON-able lists (for the idempotency store); ``from_plain`` reverses it."""
    out = []
    for node in nodes:
        if isinstance(node, Items):
            out.append(["L", node.plural, node.wrapped, [to_plain([i])[0] for i in node.items]])
        else:
            out.append(["E", node.tag, node.text, node.attrs, to_plain(node.children)])
    return out


def from_plain(data: list) -> list:
    out = []
    for node in data:
        if node[0] == "L":
            out.append(Items(node[1], from_plain(node[3]), node[2]))
        else:
            out.append(E(node[1], from_plain(node[4]), node[2], node[3]))
    return out
