"""API 1.5 list options: ``searchField``/``searchOper``/``searchValue``, ``sortField``/``sortOrder``,
``offset``/``length``, and the ``<pagination>`` element that answers them.

A call names its searchable columns (``Column``); the public names are the legacy ones
(``campaign_name``, ``multiplier``...) and never reach SQL: only the mapped column does, and the
search value is always a bound parameter. Text compares without regard to case on both databases;
numeric columns compare as numbers for ``eq ne in ni`` and as their text for the pattern operators.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import peewee as pw

from ..legacy.messages import INVALID_FIELD, MISSING_FIELD, LegacyError
from ..legacy.tree import E, el

OPERATORS = ("eq", "ne", "bw", "bn", "ew", "en", "cn", "nc", "nu", "nn", "in", "ni")
VALUELESS = ("nu", "nn")
SORT_ORDERS = ("ASC", "DESC")
MAX_LENGTH = 1000
NOT_A_NUMBER = INVALID_FIELD.format("searchValue", "this field takes numbers")

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
        raise LegacyError(NOT_A_NUMBER)
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


def errors(names: tuple[str, ...]) -> tuple[str, ...]:
    """What the list options can answer, for a call's ``errors=`` (and so the /docs page)."""
    return (
        MISSING_FIELD.format("searchField"),
        MISSING_FIELD.format("searchValue"),
        INVALID_FIELD.format("searchField", "must be one of " + ", ".join(names)),
        INVALID_FIELD.format("searchOper", "must be one of " + ", ".join(OPERATORS)),
        INVALID_FIELD.format("sortOrder", "must be one of " + ", ".join(SORT_ORDERS)),
        INVALID_FIELD.format("length", f"Must be greater than or equal to 1 and less than or equal to {MAX_LENGTH}"),
        NOT_A_NUMBER,
    )


@dataclass(slots=True)
class Page:
    rows: list
    total: int
    offset: int

    def node(self) -> E:
        """``<pagination>``: ``length`` is the number of rows in this page, so the next page starts at
        ``offset + length`` and the last one is reached when that is ``total``."""
        return el("pagination", total=self.total, offset=self.offset, length=len(self.rows))


def paginate(query: pw.Select, data: dict, columns: dict[str, Column], order: tuple) -> Page:
    """Apply the list options in ``data`` (as loaded by a schema from ``schemas.campaigns.paged``) to
    ``query``. ``order`` is the default order; it also breaks ties of a ``sortField``."""
    field = data.get("searchField")
    if field:
        query = query.where(condition(columns[field], data.get("searchOper") or "eq", data.get("searchValue", "")))
    sort = data.get("sortField")
    descending = data.get("sortOrder") == "DESC"
    if sort:
        key = columns[sort].sort_key
        query = query.order_by(key.desc() if descending else key.asc(), *order)
    else:
        query = query.order_by(*[o.desc() for o in order] if descending else order)
    total = query.count()
    offset = data.get("offset") or 0
    query = query.offset(offset)
    if data.get("length"):
        query = query.limit(data["length"])
    return Page(list(query), total, offset)


__all__ = ["Column", "MAX_LENGTH", "OPERATORS", "Page", "SORT_ORDERS", "condition", "errors", "paginate"]
