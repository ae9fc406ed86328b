"""Lists searched, sorted and paged: one search condition, one sort column, an offset and a length.

A list names its searchable columns (``Column``) by domain names; a name never reaches SQL, only the
mapped column does, and the search value is always a bound parameter. Text compares without regard to
case on both databases; numeric columns compare as numbers for ``eq ne in ni`` and as their text for
the pattern operators.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import peewee as pw

from .errors import InvalidValue

OPERATORS = ("eq", "ne", "bw", "bn", "ew", "en", "cn", "nc", "nu", "nn", "in", "ni")
VALUELESS = ("nu", "nn")
SORT_ORDERS = ("ASC", "DESC")
MAX_LENGTH = 1000

# LIKE's escape character: "!" needs no quoting in SQLite or PostgreSQL string literals (a backslash would
# depend on standard_conforming_strings).
_ESC = "!"


@dataclass(frozen=True, slots=True)
class Column:
    expr: pw.Node
    numeric: bool = False

    @property
    def text(self) -> pw.Node:
        # COALESCE keeps the negative operators true for NULL, as a reader of the list would expect.
        base = pw.Cast(self.expr, "TEXT") if self.numeric else self.expr
        return pw.fn.LOWER(pw.fn.COALESCE(base, ""))

    @property
    def sort_key(self) -> pw.Node:
        return pw.Cast(self.expr, "NUMERIC") if self.numeric else pw.fn.LOWER(self.expr)


def _like(column: Column, pattern: str, negate: bool) -> pw.Node:
    return pw.NodeList((column.text, pw.SQL("NOT LIKE" if negate else "LIKE"), pw.Value(pattern), pw.SQL(f"ESCAPE '{_ESC}'")))


def _escape(value: str) -> str:
    return value.replace(_ESC, _ESC * 2).replace("%", _ESC + "%").replace("_", _ESC + "_")


def _number(value: str) -> Decimal:
    try:
        number = Decimal(value.replace(",", ".") if value.count(",") == 1 and "." not in value else value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise InvalidValue("search_value", "not_a_number")
    return number


def condition(column: Column, oper: str, value: str) -> pw.Node:
    """The WHERE clause of one search."""
    if oper in VALUELESS:
        empty = column.text == ""
        return empty if oper == "nu" else ~empty
    if oper in ("eq", "ne", "in", "ni"):
        values = [v.strip() for v in value.split(",") if v.strip()] if oper in ("in", "ni") else [value]
        if column.numeric:
            lhs, wanted = pw.Cast(column.expr, "NUMERIC"), [_number(v) for v in values]
        else:
            lhs, wanted = column.text, [v.lower() for v in values]
        if oper == "eq":
            return lhs == wanted[0]
        if oper == "ne":
            return lhs != wanted[0]
        if not wanted:
            # "is in" nothing matches nothing; "is not in" nothing matches everything.
            return pw.SQL("1 = 0") if oper == "in" else pw.SQL("1 = 1")
        return lhs.in_(wanted) if oper == "in" else lhs.not_in(wanted)
    text = _escape(value.lower())
    pattern = {"bw": f"{text}%", "bn": f"{text}%", "ew": f"%{text}", "en": f"%{text}", "cn": f"%{text}%", "nc": f"%{text}%"}[oper]
    return _like(column, pattern, negate=oper in ("bn", "en", "nc"))


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What part of a list to answer: rows where ``search_field`` ``search_oper`` ``search_value``,
    ordered by ``sort_field`` (else the list's own order), ``length`` rows from ``offset``."""

    search_field: str | None = None
    search_oper: str = "eq"
    search_value: str = ""
    sort_field: str | None = None
    descending: bool = False
    offset: int = 0
    length: int | None = None


@dataclass(slots=True)
class Page:
    rows: list
    total: int  # rows matching, whatever the page
    offset: int


def paginate(query: pw.Select, listing: ListQuery, columns: dict[str, Column], order: tuple) -> Page:
    """Apply ``listing`` to ``query``. ``order`` is the default order; it also breaks ties of a sort."""
    if listing.search_field:
        query = query.where(condition(columns[listing.search_field], listing.search_oper, listing.search_value))
    if listing.sort_field:
        key = columns[listing.sort_field].sort_key
        query = query.order_by(key.desc() if listing.descending else key.asc(), *order)
    else:
        query = query.order_by(*[o.desc() for o in order] if listing.descending else order)
    total = query.count()
    query = query.offset(listing.offset)
    if listing.length:
        query = query.limit(listing.length)
    return Page(list(query), total, listing.offset)


__all__ = ["Column", "ListQuery", "MAX_LENGTH", "OPERATORS", "Page", "SORT_ORDERS", "condition", "paginate"]
