"""Schemas of the batch calls: customers_batch and batch_transactions (docs/batches.md).

The call's own field is the CSV text; each row of it is loaded by the schema of the single-row call it
stands for (``CustomerRow`` is record_customer's, ``TransactionRow`` record_activity's), so a row is
refused with the very message that call would give.
"""
from __future__ import annotations

from .base import LegacySchema, Text
from .customers import RecordCustomer
from .transactions import RecordActivity

# The CSV must fit in the request body (REWARDGATE_MAX_BODY_BYTES), which bounds it long before this.
MAX_CSV = 1 << 30


class CustomersBatch(LegacySchema):
    customers = Text(required=True, max_length=MAX_CSV)


class BatchTransactions(LegacySchema):
    transactions = Text(required=True, max_length=MAX_CSV)


class CustomerRow(RecordCustomer):
    """A customers_batch row: record_customer's fields, without card number generation."""


class TransactionRow(RecordActivity):
    """A batch_transactions row: record_activity's fields."""


# The columns a header may name (record_customer's and record_activity's form fields, custom_field_N
# besides), as the row schemas read them.
CUSTOMER_COLUMNS = tuple(sorted(
    (f.data_key or name) for name, f in CustomerRow().fields.items()
    if name not in ("card_number_generate", "card_number_prefix", "card_number_suffix")))
TRANSACTION_COLUMNS = tuple(sorted((f.data_key or name) for name, f in TransactionRow().fields.items()))
