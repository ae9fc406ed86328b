"""The API 1.5 list options (``searchField``/``searchOper``/``searchValue``, ``sortField``/``sortOrder``,
``offset``/``length``) as a domain ``ListQuery``, and the ``<pagination>`` element that answers them."""
from __future__ import annotations

from ..domain.query import MAX_LENGTH, OPERATORS, SORT_ORDERS, ListQuery, Page
from .messages import INVALID_FIELD, MISSING_FIELD, REASONS
from .tree import E, el


def list_query(data: dict, columns: dict[str, str]) -> ListQuery:
    """The options a schema of ``schemas.legacy.campaigns.paged`` loaded; ``columns`` maps the legacy
    column names to the domain's."""
    search, sort = data.get("searchField"), data.get("sortField")
    return ListQuery(
        search_field=columns[search] if search else None, search_oper=data.get("searchOper") or "eq",
        search_value=data.get("searchValue", ""), sort_field=columns[sort] if sort else None,
        descending=data.get("sortOrder") == "DESC", offset=data.get("offset") or 0, length=data.get("length"))


def pagination_node(page: Page) -> E:
    """``<pagination>``: ``length`` is the number of rows in this page, so the next page starts at
    ``offset + length`` and the last one is reached when that is ``total``."""
    return el("pagination", total=page.total, offset=page.offset, length=len(page.rows))


def errors(names: tuple[str, ...]) -> tuple[str, ...]:
    """What the list options can answer, for a call's ``errors=`` (and so the /docs page)."""
    return (
        MISSING_FIELD.format("searchField"),
        MISSING_FIELD.format("searchValue"),
        INVALID_FIELD.format("searchField", "must be one of " + ", ".join(names)),
        INVALID_FIELD.format("searchOper", "must be one of " + ", ".join(OPERATORS)),
        INVALID_FIELD.format("sortOrder", "must be one of " + ", ".join(SORT_ORDERS)),
        INVALID_FIELD.format("length", f"Must be greater than or equal to 1 and less than or equal to {MAX_LENGTH}"),
        INVALID_FIELD.format("searchValue", REASONS["not_a_number"]),
    )
