"""The persistent domain: accounts, users, campaigns and what hangs from them, customers, the ledger.

Money and points are stored as integers in the campaign's unit (see ``gateway.units``): whole points,
events and purchases, or cents for gift-card and earned campaigns. Integer arithmetic is exact on
SQLite and PostgreSQL alike, and lets balance changes be single conditional UPDATEs.

Every row that a tenant can name carries its account, directly or through its campaign, and every query
in the domain layer filters on it: an id of another account behaves exactly as an id that does not exist.

peewee indexes every foreign key; ``index=False`` marks those whose column already leads a composite
index of the same table, which serves their lookups and ON DELETE CASCADE: one B-tree fewer to write on
every insert (checked with EXPLAIN QUERY PLAN against every statement the test suite runs).
"""
from __future__ import annotations

import datetime as _dt

import peewee as pw

from .db import database, ensure_connection


def utcnow() -> _dt.datetime:
    # Naive UTC everywhere: SQLite has no time zones, and one convention avoids mixing them.
    return _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None, microsecond=0)


class BaseModel(pw.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Account(BaseModel):
    id = pw.CharField(primary_key=True, max_length=64)
    name = pw.CharField(max_length=255, default="")
    currency = pw.CharField(max_length=8, default="USD")
    glyph = pw.CharField(max_length=8, default="$")
    created = pw.DateTimeField(default=utcnow)


class User(BaseModel):
    account = pw.ForeignKeyField(Account, backref="users", on_delete="CASCADE", index=False)
    user_id = pw.CharField(max_length=128)
    name = pw.CharField(max_length=255, default="")
    # SHA-256 hex of the API key: the key has enough entropy that a slow KDF would only add latency.
    key_hash = pw.CharField(max_length=64)
    role = pw.CharField(max_length=16, default="manager")
    created = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("account", "user_id"), True), (("user_id",), False))


class Campaign(BaseModel):
    # A random 16-digit string, as the legacy API hands out; kept as text so no client ever sees it
    # rounded through a float.
    id = pw.CharField(primary_key=True, max_length=32)
    account = pw.ForeignKeyField(Account, backref="campaigns", on_delete="CASCADE", index=False)
    type = pw.CharField(max_length=16)
    name = pw.CharField(max_length=255)
    description = pw.TextField(default="")
    latitude = pw.CharField(max_length=32, default="")
    longitude = pw.CharField(max_length=32, default="")
    # Ratios are kept as canonical decimal text: they are parameters, never summed.
    points_ratio = pw.CharField(max_length=32, null=True)
    reward_ratio = pw.CharField(max_length=32, null=True)
    amount_per_event = pw.BigIntegerField(null=True)  # cents, earned campaigns
    coalition_opt_out = pw.BooleanField(default=False)
    two_tier_opt_out = pw.BooleanField(default=False)
    active = pw.BooleanField(default=True)
    created = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("account", "active", "type"), False),)


class Reward(BaseModel):
    campaign = pw.ForeignKeyField(Campaign, backref="rewards", on_delete="CASCADE")
    level = pw.BigIntegerField()  # points or events needed
    description = pw.TextField()
    identifier = pw.CharField(max_length=255, default="")
    custom_fields = pw.TextField(default="{}")  # JSON object reward_custom_field_N -> text
    created = pw.DateTimeField(default=utcnow)


class Promo(BaseModel):
    campaign = pw.ForeignKeyField(Campaign, backref="promos", on_delete="CASCADE")
    operation = pw.CharField(max_length=1)  # "x" multiplies, "+" adds
    amount = pw.CharField(max_length=32)  # canonical decimal text
    description = pw.TextField()
    custom_id = pw.CharField(max_length=255, default="")
    start_date = pw.DateTimeField(null=True)
    end_date = pw.DateTimeField(null=True)
    created = pw.DateTimeField(default=utcnow)


class Item(BaseModel):
    campaign = pw.ForeignKeyField(Campaign, backref="items", on_delete="CASCADE")
    reward_level = pw.BigIntegerField()  # purchases needed for one free item
    description = pw.TextField()
    identifier = pw.CharField(max_length=255, default="")
    created = pw.DateTimeField(default=utcnow)


class Fee(BaseModel):
    campaign = pw.ForeignKeyField(Campaign, backref="fees", on_delete="CASCADE")
    interval = pw.IntegerField()
    interval_type = pw.CharField(max_length=8)  # days | months | years
    amount = pw.BigIntegerField()  # in the campaign's unit
    description = pw.TextField(default="")
    created = pw.DateTimeField(default=utcnow)


class Depreciation(BaseModel):
    campaign = pw.ForeignKeyField(Campaign, backref="depreciations", on_delete="CASCADE")
    type = pw.CharField(max_length=20)  # per_transaction | last_transaction
    interval = pw.IntegerField()
    interval_type = pw.CharField(max_length=8)
    percentage = pw.CharField(max_length=16)  # canonical decimal text, 0 < p <= 100
    created = pw.DateTimeField(default=utcnow)


class Customer(BaseModel):
    # Keeps its own index although (account, code) starts with the same column: SQLite ends every index
    # with the rowid, so this one hands out an account's customers in id order, which the reports' keyset
    # pages (``id > last ORDER BY id``) read without sorting the whole account for every page.
    account = pw.ForeignKeyField(Account, backref="customers", on_delete="CASCADE")
    code = pw.CharField(max_length=128)
    card_number = pw.CharField(max_length=128, null=True)
    first_name = pw.CharField(max_length=255, default="")
    last_name = pw.CharField(max_length=255, default="")
    phone = pw.CharField(max_length=64, default="")
    email = pw.CharField(max_length=255, default="")
    street1 = pw.CharField(max_length=255, default="")
    street2 = pw.CharField(max_length=255, default="")
    city = pw.CharField(max_length=255, default="")
    state = pw.CharField(max_length=255, default="")
    postal_code = pw.CharField(max_length=64, default="")
    country = pw.CharField(max_length=64, default="")
    custom_date = pw.CharField(max_length=32, default="")
    custom_field = pw.TextField(default="")  # the legacy "custom1"
    custom_fields = pw.TextField(default="{}")  # JSON object custom_field_N -> text
    username = pw.CharField(max_length=255, null=True)
    password_hash = pw.CharField(max_length=255, null=True)
    pin_hash = pw.CharField(max_length=255, null=True)
    registered = pw.BooleanField(default=False)
    created = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("account", "code"), True),
            (("account", "card_number"), True),
            (("account", "username"), False),
            (("account", "last_name"), False),
        )


class Membership(BaseModel):
    """A customer's stake in one campaign: the stored balance, kept equal to the ledger's sum.

    ``item`` is 0 except on buy-X campaigns, where each item keeps its own count of purchases.
    """

    customer = pw.ForeignKeyField(Customer, backref="memberships", on_delete="CASCADE", index=False)
    campaign = pw.ForeignKeyField(Campaign, backref="memberships", on_delete="CASCADE", index=False)
    item = pw.BigIntegerField(default=0)
    balance = pw.BigIntegerField(default=0)
    first_activity = pw.DateTimeField(null=True)
    last_activity = pw.DateTimeField(null=True)
    created = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("customer", "campaign", "item"), True), (("campaign", "customer"), False))


class LedgerEntry(BaseModel):
    """One balance change. Rows are only ever inserted: a deleted transaction gets a reversing row."""

    # The account keeps its own index although (account, created) starts with it: SQLite ends every
    # index with the rowid, so this one is the account's entries in id order, which transactions_all's
    # keyset pages (``id > last ORDER BY id``) read without sorting the account's whole ledger per page.
    account = pw.ForeignKeyField(Account, on_delete="CASCADE")
    campaign = pw.ForeignKeyField(Campaign, backref="entries", on_delete="CASCADE", index=False)
    customer = pw.ForeignKeyField(Customer, backref="entries", on_delete="CASCADE", index=False)
    item = pw.BigIntegerField(default=0)
    kind = pw.CharField(max_length=16)  # record | redeem | reversal | activation
    amount = pw.BigIntegerField()  # signed, in the campaign's unit
    original_amount = pw.CharField(max_length=32, default="")  # what the caller sent, e.g. "9.95"
    promo_id = pw.BigIntegerField(null=True)
    reward_id = pw.BigIntegerField(null=True)
    quantity = pw.IntegerField(null=True)
    authorization = pw.TextField(default="")
    custom_fields = pw.TextField(default="{}")
    user_id = pw.CharField(max_length=128, default="")
    reverses = pw.BigIntegerField(null=True)  # the entry a reversal cancels; one at most (index below)
    created = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            # A customer's history in one campaign, newest first (customer_balance), and its replay in
            # time order (fees, depreciations): SQLite ends the index with the rowid, so this is
            # (customer, campaign, created, id), the exact order those read, with no sort.
            (("customer", "campaign", "created"), False),
            (("account", "created"), False),
            (("campaign", "created"), False),
        )


# At most one reversal per entry. Partial (reversals only): every other row leaves it alone, one B-tree
# fewer for each record and redeem to write; "reverses = ?" and "reverses IS NOT NULL" still use it.
LedgerEntry.add_index(LedgerEntry.index(LedgerEntry.reverses, unique=True, where=LedgerEntry.reverses.is_null(False)))


class IdempotencyRecord(BaseModel):
    """The stored answer to a write call made with an idempotency key, replayed on retries."""

    account = pw.ForeignKeyField(Account, on_delete="CASCADE", index=False)
    key = pw.CharField(max_length=255)
    request_hash = pw.CharField(max_length=64)
    response = pw.TextField()  # the response tree, serialised
    created = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("account", "key"), True),)


ALL_MODELS = [
    Account,
    User,
    Campaign,
    Reward,
    Promo,
    Item,
    Fee,
    Depreciation,
    Customer,
    Membership,
    LedgerEntry,
    IdempotencyRecord,
]


def create_tables() -> None:
    """Create the tables and indexes that do not exist yet (existing ones and their data are kept)."""
    ensure_connection()
    database.create_tables(ALL_MODELS, safe=True)
