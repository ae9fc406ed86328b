"""``type=reports``: transactions and customers of the account, one ``report`` per call.

Rows are repeated ``<transaction>`` or ``<customer>`` elements directly under ``<response>`` (a
``transactions``/``customers`` array in JSON), produced lazily so that the renderers stream them.
Everything a report can refuse is checked before the first row is written.
"""
from __future__ import annotations

import json
from typing import Iterable, Iterator

from schemas.legacy import reports as s

from ...domain import reports as domain
from ...domain.models import Customer, LedgerEntry
from ..messages import INVALID_FIELD, REASONS
from ..registry import call
from ..tree import E, Items, el, leaves
from ...domain.units import BUYX, EARNED, EVENTS, GIFTCARD, POINTS, format_units
from .customers import customer_node

CAMPAIGN_NOT_FOUND = "Campaign not found"
AMOUNT_TYPE = {POINTS: "points", EVENTS: "events", BUYX: "items", GIFTCARD: "$", EARNED: "$"}
RANGE_ERRORS = ("Invalid value for field date_start: not a date (use YYYY-MM-DD)",
                "Invalid value for field date_end: before date_start", CAMPAIGN_NOT_FOUND)
START_REQUIRED = ("Missing required field: date_start",) + RANGE_ERRORS


def report(name: str, schema, errors: tuple[str, ...] = RANGE_ERRORS):
    return call("reports", name, schema=schema, permission="access_reports", errors=errors, selector=("report",))


def full_name(first: str, last: str) -> str:
    return " ".join(part for part in (first, last) if part)


def without_empty(node: E) -> E:
    """A report row keeps only the elements that have a text: portals read "custom1 if present, else
    first_name", which an empty ``<custom1/>`` would defeat (docs/reports.md)."""
    node.children = [c for c in node.children if not (isinstance(c, tuple) and c[1] == "")]
    return node


def transaction_node(row: dict, campaign, names: dict[str, str], glyph: str = "$") -> E:
    # Money is shown with the account's currency glyph (account_update symbol_selector).
    node = el(
        "transaction",
        id=row["id"],
        type=row["kind"],
        date=row["created"].strftime("%Y-%m-%d"),
        record_timestamp=domain.stamp(row["created"]),
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        code=row["code"],
        card_number=row["card_number"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        customer=full_name(row["first_name"], row["last_name"]),
        custom1=row["custom_field"],
        amount_number=format_units(row["amount"], campaign.type),
        amount_type=glyph if AMOUNT_TYPE[campaign.type] == "$" else AMOUNT_TYPE[campaign.type],
        original_amount=row["original_amount"],
        authorization=row["authorization"],
        user_id=row["user_id"],
        user_name=names.get(row["user_id"], row["user_id"]),
    )
    if row["item"]:
        node.children += leaves(item_id=row["item"])
    # custom_field_N in order of N (custom_field_2 before custom_field_10)
    for name, value in sorted(json.loads(row["custom_fields"] or "{}").items(), key=lambda kv: (len(kv[0]), kv[0])):
        node.children.append((name, value))
    return without_empty(node)


def customer_row(c: Customer, **extra) -> E:
    """A customer as customer_info shows it (never a secret), then the full name, the creation time
    and what the report adds."""
    node = customer_node(c)
    node.children += leaves(customer=full_name(c.first_name, c.last_name), created=domain.stamp(c.created), **extra)
    return without_empty(node)


def customers(rows: Iterable[Customer], **extras) -> list:
    """The answer of a customer report; ``extras`` maps a leaf name to a function of the row."""
    def nodes() -> Iterator[E]:
        for c in rows:
            yield customer_row(c, **{name: value(c) for name, value in extras.items()})

    return [Items("customers", nodes(), wrapped=False)]


def scope_of(data: dict, caller) -> domain.Scope:
    return domain.scope(caller.account_id, data["selected_campaigns"], data.get("date_start"), data.get("date_end"),
                        reach=caller.reach)


def last_activity(c: Customer) -> str:
    latest = getattr(c, "latest", None)
    return domain.stamp(LedgerEntry.created.python_value(latest)) if latest else ""


@report("transactions_all", s.TransactionsAll, START_REQUIRED)
def transactions_all(data: dict, caller) -> list:
    """Every live transaction of the selected campaigns between two days (``date_end`` inclusive).

    ``last`` gives only transactions with a greater id, ``restrict_by_user`` only those the user
    recorded, ``show_activations=Yes`` adds "customer activated" rows.
    """
    scope = scope_of(data, caller)
    rows = domain.transactions(scope, last=data["last"], user_id=data.get("restrict_by_user"),
                               activations=data["show_activations"])
    names = domain.user_names(caller.account_id)
    nodes = (transaction_node(row, scope.campaigns[row["campaign"]], names, caller.account.glyph) for row in rows)
    return [Items("transactions", nodes, wrapped=False)]


@report("customers_balances", s.CustomersBalances,
        errors=("Missing required field: campaign_id", CAMPAIGN_NOT_FOUND,
                f"Invalid value for field selected_campaigns: {s.ONE_CAMPAIGN}",
                INVALID_FIELD.format("coalition_balance", "must be one of coalition_points, coalition_storedvalue"),
                INVALID_FIELD.format("coalition_balance", REASONS["not_a_coalition"]),
                INVALID_FIELD.format("coalition_balance", REASONS["not_in_coalition"])))
def customers_balances(data: dict, caller) -> list:
    """The available balance of every member of one campaign, by customer, ``offset``/``limit`` paged;
    with ``coalition_balance``, every member of the coalition's campaigns with the coalition balance."""
    if data.get("coalition_balance"):
        page = domain.coalition_balances(caller.account_id, data["campaign_id"], data["coalition_balance"],
                                         offset=data["offset"], limit=data.get("limit"), reach=caller.reach)
    else:
        page = domain.balances(caller.account_id, data["campaign_id"], offset=data["offset"], limit=data.get("limit"),
                               reach=caller.reach)
    kind = page.campaign.type
    rows = (
        without_empty(el("customer", code=c.code, card_number=c.card_number, first_name=c.first_name,
                         last_name=c.last_name, customer=full_name(c.first_name, c.last_name),
                         balance=format_units(balance, kind)))
        for c, balance in page.rows
    )
    pagination = el("pagination", total=page.total, offset=data["offset"], limit=data.get("limit", ""))
    return [el("campaign", id=page.campaign.id, name=page.campaign.name, type=kind), pagination,
            Items("customers", rows, wrapped=False)]


@report("customers_all", s.CustomersAll)
def customers_all(data: dict, caller) -> list:
    """Every customer (of the selected campaigns), or those created within the range when one is given."""
    return customers(domain.customers_all(scope_of(data, caller)))


@report("customers_new", s.CustomersNew, START_REQUIRED)
def customers_new(data: dict, caller) -> list:
    """Customers created between two days (``date_end`` inclusive, open-ended when absent)."""
    return customers(domain.customers_all(scope_of(data, caller)))


@report("customers_frequent", s.CustomersFrequent,
        errors=RANGE_ERRORS + ("Missing required field: frequency",))
def customers_frequent(data: dict, caller) -> list:
    """Customers with at least ``frequency`` transactions within the range (redeems count with
    ``include_redeemed=Y``)."""
    rows = domain.customers_frequent(scope_of(data, caller), data["frequency"], data["include_redeemed"])
    return customers(rows, transactions=lambda c: c.n, last_activity=last_activity)


@report("customers_Inactive", s.CustomersInactive,
        errors=RANGE_ERRORS + ("Missing required field: Inactive_for",))
def customers_inactive(data: dict, caller) -> list:
    """Customers without a transaction for ``Inactive_for`` days (and customers for at least that long)."""
    rows = domain.customers_inactive(scope_of(data, caller), data["inactive_for"])
    return customers(rows, last_activity=last_activity)


@report("customers_birthday", s.CustomersBirthday)
def customers_birthday(data: dict, caller) -> list:
    """Customers whose custom_date's month and day fall within the range, in any year."""
    return customers(domain.customers_birthday(scope_of(data, caller)))


@report("customers_custom_date", s.CustomersCustomDate)
def customers_custom_date(data: dict, caller) -> list:
    """Customers whose custom_date falls within the range."""
    return customers(domain.customers_custom_date(scope_of(data, caller)))


@report("customers_search", s.CustomersSearch,
        errors=RANGE_ERRORS + ("Missing required field: search_text",))
def customers_search(data: dict, caller) -> list:
    """Customers with ``search_text`` in a name, e-mail, phone, code or card number (any case)."""
    return customers(domain.customers_search(scope_of(data, caller), data["search_text"]))
