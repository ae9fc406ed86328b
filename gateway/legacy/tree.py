"""The response tree: what handlers return, and what each renderer turns into XML, JSON or JSONP.

A tree is a list of children of ``<response>``. Each child is an ``E`` (an element: a tag, attributes,
and either text or children), a leaf (a plain ``(tag, text)`` tuple: an element with text only), a
``Row`` (an element whose children are all leaves) or an ``Items`` (an explicit list).
Lists are explicit so that XML can keep the legacy shape (``<rewards><reward>…`` wrapped, or
``<customer>`` repeated bare under ``<response>``) while JSON always gets an array under the plural
key, for zero, one or many items.

Handlers never format for a wire: they build these nodes, and the renderers do the rest.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, NamedTuple


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

    The same as ``E(tag, list(zip(names, texts)))`` in every format: a compact record for long lists
    (a history). Names must be distinct, as JSON keys are.
    """

    tag: str
    names: tuple[str, ...]
    texts: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Memo:
    """What a read handler may return instead of a tree when its answer is a pure function of ``args``:
    ``build(*args)`` is the tree. The endpoint renders each (format, ``build``, ``args``) once per worker
    and answers the kept bytes while they are asked again (``render.rendered``).

    ``args`` are what the handler read (rows of str, int and None): values that are equal only when
    they print alike, unlike floats or Decimals (``1 == 1.0``). Not a tuple, so that it is never taken
    for a leaf; only the endpoint's read path accepts it.
    """

    build: Callable[..., list]
    args: tuple


def el(tag: str, *children: Any, status: str | None = None, **fields: Any) -> E:
    """Build an element from child nodes and ``name=value`` leaves, in order.

    ``el("fee", status="new", id=7, amount="1.00")`` is ``<fee status="new"><id>7</id><amount>1.00</amount></fee>``.
    Values are turned into text here, once: ids stay strings in JSON, ``None`` becomes an empty element.
    """
    kids = [*children, *leaves(**fields)]
    return E(tag, kids, None, {"status": status} if status else {})


def leaves(**fields: Any) -> list[Leaf]:
    """``name=value`` leaves in order, to extend an element's children."""
    return [leaf(name, value) for name, value in fields.items()]


Leaf = tuple  # (tag, text): an element holding only text, ``<tag>text</tag>``


def leaf(tag: str, value: Any) -> Leaf:
    """``(tag, text)``: None is an empty text, a bool ``Y`` or ``N``, anything else its ``str``."""
    if value is None:
        return (tag, "")
    if isinstance(value, bool):
        return (tag, "Y" if value else "N")
    return (tag, str(value))


def stamp(when: dt.datetime | None) -> str | None:
    """A stored (naive UTC) date and time as legacy answers print it, ``2026-12-02 12:07:37``; None stays None."""
    return when.isoformat(" ", "seconds") if when else None


def to_plain(nodes: list) -> list:
    """Serialise a tree to JSON-able lists (for the idempotency store); ``from_plain`` reverses it."""
    out = []
    for node in nodes:
        if isinstance(node, Row):
            out.append(["R", node.tag, list(node.names), list(node.texts)])
        elif isinstance(node, tuple):
            out.append(["T", node[0], node[1]])
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
