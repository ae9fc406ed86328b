"""Batch imports: many customers (``customers_batch``) or transactions (``batch_transactions``) in one
call, as CSV text, all or nothing (docs/batches.md)."""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Callable

from marshmallow import Schema, ValidationError

from schemas.legacy import batches as s
from schemas.legacy.base import messages_of
from schemas.legacy.customers import CUSTOM_FIELD

from ...domain import batches as domain
from ...domain.transactions import Activity, Details
from ..messages import INVALID_FIELD, MESSAGES, MISSING_FIELD, LegacyError, wording
from ..registry import call
from ..tree import Items, el
from .customers import RECORD_FIELDS, _changes

MAX_ROWS = 10_000  # data rows per call; more go through several calls or flask --app app import-customers
MAX_SECRET_ROWS = 200  # rows with a password or PIN per call: each is a deliberately slow hash
MAX_LISTED_ERRORS = 100  # refused rows listed in one answer; the count covers them all
ROW = "Row {}: {}"
MORE = "... and {} more refused rows"
_TRANSACTION_CUSTOM = re.compile(r"custom_field_\d{1,4}")


@dataclass
class Rows:
    """A CSV read and each data row loaded by its schema: ``loaded`` holds ``(row number, data)`` of
    the rows that loaded, ``errors`` ``(row number, message)`` of those that did not."""

    loaded: list[tuple[int, dict]] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    count: int = 0  # data rows (blank lines aside)


def read_rows(text: str, name: str, schema: Schema, allowed: Callable[[str], bool],
              max_rows: int | None = None, progress: Callable[[int], None] = lambda done: None) -> Rows:
    """Read ``text`` (CSV: a header row, then one row per record); ``name`` is the field or file it
    came from, for the messages. Rows are numbered as a spreadsheet shows them: the header is row 1.
    Raises LegacyError when the CSV as a whole is unusable (no header, an unknown column, too many rows)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""), strict=True)
    try:
        header = [h.strip() for h in next(reader, [])]
        if not any(header):
            raise LegacyError(INVALID_FIELD.format(name, "the first row must name the columns"))
        for column in header:
            if not column or not allowed(column):
                raise LegacyError(INVALID_FIELD.format(name, f"unknown column {column[:64]!r}"))
        if len(set(header)) != len(header):
            raise LegacyError(INVALID_FIELD.format(name, "a column is named twice"))
        rows = Rows()
        for number, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):  # a blank line, or a spreadsheet's empty row ",,,"
                continue
            rows.count += 1
            progress(1)
            if max_rows is not None and rows.count > max_rows:
                raise LegacyError(INVALID_FIELD.format(name, f"at most {max_rows} rows per call"))
            if len(cells) != len(header):
                rows.errors.append((number, f"{len(header)} values expected, {len(cells)} found"))
                continue
            try:
                # A blank cell is an absent field, as a blank form field is.
                rows.loaded.append((number, schema.load({h: v for h, v in zip(header, cells) if v.strip()})))
            except ValidationError as exc:
                rows.errors += [(number, message) for message in messages_of(exc)]
    except csv.Error as exc:
        raise LegacyError(INVALID_FIELD.format(name, f"not CSV ({exc})")) from None
    if not rows.count:
        raise LegacyError(INVALID_FIELD.format(name, "no rows after the header"))
    return rows


def customer_rows(text: str, name: str = "customers", **kw) -> Rows:
    return read_rows(text, name, s.CustomerRow(), lambda c: c in s.CUSTOMER_COLUMNS or bool(CUSTOM_FIELD.fullmatch(c)),
                     **kw)


def transaction_rows(text: str, name: str = "transactions", **kw) -> Rows:
    return read_rows(text, name, s.TransactionRow(),
                     lambda c: c in s.TRANSACTION_COLUMNS or bool(_TRANSACTION_CUSTOM.fullmatch(c)), **kw)


def customer_changes(rows: Rows):
    return [(number, _changes(data)) for number, data in rows.loaded]


def transaction_changes(rows: Rows, user_id: str):
    """As record_activity reads its form (gateway/legacy/calls/transactions.py)."""
    return [(number, domain.TransactionRow(
        data["campaign_id"], data.get("code"), data.get("card_number"),
        Activity(amount=data.get("amount"), promo_id=data.get("promo_id"), item=data.get("service_product"),
                 quantity=data["buyx_quantity"]),
        Details(user_id, data.get("authorization", ""), data.get("custom_fields") or {})))
        for number, data in rows.loaded]


def refused_rows(rows: Rows, refused: domain.BatchRefused | None, fields: dict[str, str]) -> list[tuple[int, str]]:
    """Every refused row's messages, in row order: the schema's, then the domain's (worded)."""
    found = list(rows.errors)
    if refused is not None:
        found += [(e.row, wording(e.error, fields)) for e in refused.errors]
    return sorted(found, key=lambda pair: pair[0])


class RowsRefused(Exception):
    """Rows were refused: raised inside the write, it rolls every row back."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(f"{len(errors)} errors")
        self.errors = errors


def run(rows: Rows, work: Callable[[], domain.Outcome], fields: dict[str, str]) -> domain.Outcome:
    """Apply the rows that loaded; raise RowsRefused when any row was refused, by its schema or by the
    domain (each row is still checked, so that every refused row is reported)."""
    refused = None
    try:
        outcome = work()
    except domain.BatchRefused as exc:
        refused = exc
    errors = refused_rows(rows, refused, fields)
    if errors:
        raise RowsRefused(errors)
    return outcome


def _answer(rows: Rows, work: Callable[[], domain.Outcome], fields: dict[str, str]) -> list:
    try:
        outcome = run(rows, work, fields)
    except RowsRefused as exc:
        raise refusal(rows, exc.errors) from None
    return [el("batch", status="success", new_customers=outcome.new_customers, customers=outcome.customers,
               transactions=outcome.transactions, rows=rows.count)]


def refusal(rows: Rows, errors: list[tuple[int, str]]) -> LegacyError:
    messages = [ROW.format(number, message) for number, message in errors[:MAX_LISTED_ERRORS]]
    if len(errors) > MAX_LISTED_ERRORS:
        messages.append(MORE.format(len(errors) - MAX_LISTED_ERRORS))
    node = el("batch", status="error", new_customers=0, customers=0, transactions=0, rows=rows.count,
              refused_rows=len({number for number, _ in errors}))
    node.children.append(Items("errors", [el("error", row=n, message=m) for n, m in errors[:MAX_LISTED_ERRORS]]))
    return LegacyError(*messages, detail=[node])


# --- the calls ------------------------------------------------------------------------------------------

CSV_ERRORS = ("Invalid value for field {}: the first row must name the columns",
              "Invalid value for field {}: unknown column 'colour'",
              "Invalid value for field {}: a column is named twice",
              "Invalid value for field {}: no rows after the header")
SECRETS_LIMIT = INVALID_FIELD.format("customers", f"at most {MAX_SECRET_ROWS} rows with customer_password or "
                                                  "customer_PIN per call")


@call("customers_batch", schema=s.CustomersBatch, permission="import_customers", writes=True, fields=RECORD_FIELDS,
      errors=(MISSING_FIELD.format("customers"), *(e.format("customers") for e in CSV_ERRORS),
              INVALID_FIELD.format("customers", f"at most {MAX_ROWS} rows per call"),
              ROW.format(2, MESSAGES["card_number_taken"]), ROW.format(2, MESSAGES["customer_username_taken"]),
              ROW.format(2, "Campaign not found"), ROW.format(2, "Invalid value for field email: at most 255 characters"),
              ROW.format(3, "2 values expected, 1 found"), SECRETS_LIMIT))
def customers_batch(data: dict, caller) -> list:
    """Create or update many customers from CSV (``customers``: a header row naming record_customer's
    fields, then one customer per row); all or nothing, refused rows listed by number."""
    rows = customer_rows(data["customers"], max_rows=MAX_ROWS)
    secrets = sum(1 for _, row in rows.loaded if row.get("customer_password") or row.get("customer_pin"))
    if secrets > MAX_SECRET_ROWS:
        raise LegacyError(SECRETS_LIMIT)
    return _answer(rows, lambda: domain.import_customers(caller.account_id, customer_changes(rows), reach=caller.reach),
                   RECORD_FIELDS)


TRANSACTION_FIELDS = {"item": "service_product"}


@call("batch_transactions", schema=s.BatchTransactions, permission="import_transactions", writes=True,
      fields=TRANSACTION_FIELDS,
      errors=(MISSING_FIELD.format("transactions"), *(e.format("transactions") for e in CSV_ERRORS),
              INVALID_FIELD.format("transactions", f"at most {MAX_ROWS} rows per call"),
              ROW.format(2, "Missing required field: campaign_id"), ROW.format(2, "Missing required field: code"),
              ROW.format(2, "Campaign not found"), ROW.format(2, "Campaign is deactivated"),
              ROW.format(2, "Customer not found"), ROW.format(2, "Promo not found"),
              ROW.format(2, "Item not found"), ROW.format(2, MISSING_FIELD.format("amount")),
              ROW.format(2, "Invalid value for field amount: Not a valid number")))
def batch_transactions(data: dict, caller) -> list:
    """Record many activities from CSV (``transactions``: a header row naming record_activity's
    fields, then one activity per row); all or nothing, refused rows listed by number."""
    rows = transaction_rows(data["transactions"], max_rows=MAX_ROWS)
    return _answer(rows, lambda: domain.import_transactions(caller.account_id, transaction_changes(rows, caller.user_id),
                                                          reach=caller.reach),
                   TRANSACTION_FIELDS)
