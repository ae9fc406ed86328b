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

from .db import database, ensure_connection, is_sqlite, write_transaction


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
    # Business and contact data (account_info / account_update, gateway.domain.accounts); ``name`` is
    # the business name (biz_name). contact_email reaches the merchant's contact person; client_email
    # is the address customers see (receipts, mail); agency is the reseller above the account.
    agency = pw.CharField(max_length=255, default="")
    contact_first_name = pw.CharField(max_length=255, default="")
    contact_last_name = pw.CharField(max_length=255, default="")
    contact_email = pw.CharField(max_length=255, default="")
    contact_phone = pw.CharField(max_length=64, default="")
    client_email = pw.CharField(max_length=255, default="")
    biz_address1 = pw.CharField(max_length=255, default="")
    biz_address2 = pw.CharField(max_length=255, default="")
    biz_city = pw.CharField(max_length=255, default="")
    biz_state = pw.CharField(max_length=255, default="")
    biz_zip = pw.CharField(max_length=64, default="")
    biz_country = pw.CharField(max_length=64, default="")
    biz_locations = pw.IntegerField(null=True)
    biz_online = pw.BooleanField(default=False)
    biz_employees = pw.IntegerField(null=True)
    industry = pw.CharField(max_length=255, default="")
    language = pw.CharField(max_length=8, default="EN")
    timezone = pw.IntegerField(null=True)  # the portal's numeric time zone selector
    referrer_name = pw.CharField(max_length=255, default="")
    password_hash = pw.CharField(max_length=255, null=True)  # account_password: a salted scrypt hash
    # A coalition account's campaigns of one kind share one balance (gateway.domain.coalition).
    coalition = pw.BooleanField(default=False)


class User(BaseModel):
    account = pw.ForeignKeyField(Account, backref="users", on_delete="CASCADE", index=False)
    user_id = pw.CharField(max_length=128)
    name = pw.CharField(max_length=255, default="")
    # SHA-256 hex of the API key: the key has enough entropy that a slow KDF would only add latency.
    key_hash = pw.CharField(max_length=64)
    role = pw.CharField(max_length=16, default="manager")  # a role letter; "manager"/"staff" read as A/K
    created = pw.DateTimeField(default=utcnow)
    # The portal's profile of a user (docs/users.md).
    first_name = pw.CharField(max_length=255, default="")
    last_name = pw.CharField(max_length=255, default="")
    custom1 = pw.CharField(max_length=255, default="")
    language = pw.CharField(max_length=8, default="EN")
    timezone = pw.CharField(max_length=16, default="")
    password_hash = pw.CharField(max_length=255, null=True)  # scrypt, for user_login
    pin_hash = pw.CharField(max_length=255, null=True)
    flags = pw.TextField(null=True)  # JSON {flag: true|false}: this user's changes to its role's preset
    campaigns = pw.TextField(null=True)  # NULL: every campaign; else the comma list it may see ("" none)
    # rotate-key: the replaced key keeps working until previous_key_until.
    previous_key_hash = pw.CharField(max_length=64, null=True)
    previous_key_until = pw.DateTimeField(null=True)
    # Throttling of key and password guesses (gateway.domain.throttle): read with the user, no extra query.
    failures = pw.IntegerField(null=True)  # NULL is 0: rows inserted by hand or by older versions
    failed_since = pw.DateTimeField(null=True)
    locked_until = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("account", "user_id"), True), (("user_id",), False))


class UserSession(BaseModel):
    """A key ``user_login`` handed out: stored as its SHA-256, valid until ``expires``."""

    user = pw.ForeignKeyField(User, on_delete="CASCADE", index=False)
    key_hash = pw.CharField(max_length=64)
    expires = pw.DateTimeField()
    created = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "key_hash"), True),)


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
    # The JSON API's view of a points campaign (gateway.domain.programs): a slug unique in its tenant,
    # a status (draft | active | paused | ended; null on campaigns the JSON API never saw), its dates
    # and its earning rules (JSON text).
    slug = pw.CharField(max_length=64, null=True)
    status = pw.CharField(max_length=16, null=True)
    starts_at = pw.DateTimeField(null=True)
    ends_at = pw.DateTimeField(null=True)
    rules = pw.TextField(null=True)

    class Meta:
        indexes = ((("account", "active", "type"), False), (("account", "slug"), True))


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
    display_name = pw.CharField(max_length=255, null=True)  # the JSON API's displayName of a participant
    # Throttling of password and PIN guesses (gateway.domain.throttle).
    failures = pw.IntegerField(null=True)  # NULL is 0: rows inserted by hand or by older versions
    failed_since = pw.DateTimeField(null=True)
    locked_until = pw.DateTimeField(null=True)

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
    # When the balance last changed, as minus nanoseconds (ledger.post): the leaderboard breaks ties by
    # who reached the total first, and (campaign, item, balance, reached) read backwards is that order.
    reached = pw.BigIntegerField(default=0)

    class Meta:
        indexes = ((("customer", "campaign", "item"), True), (("campaign", "customer"), False),
                   (("campaign", "item", "balance", "reached", "id"), False))


class ParticipantCount(BaseModel):
    """How many members a campaign has (memberships with ``item`` 0): the leaderboard's
    ``totalParticipants``. Kept by triggers on ``membership`` (``PARTICIPANT_TRIGGERS``), in the
    transaction of every insert and delete, whichever code or cascade makes it. Counting the
    memberships instead costs a visit per member on every request (docs/performance.md)."""

    campaign = pw.ForeignKeyField(Campaign, primary_key=True, on_delete="CASCADE")
    participants = pw.BigIntegerField(default=0)


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


class TimeToken(BaseModel):
    """A short-lived token (generate_time_token), optionally bound to a customer and a campaign.

    Only the SHA-256 of the token is kept: tokens are random (36 letters), so a slow KDF adds nothing.
    """

    account = pw.ForeignKeyField(Account, on_delete="CASCADE", index=False)
    token_hash = pw.CharField(max_length=64, unique=True)
    user = pw.ForeignKeyField(User, on_delete="CASCADE", null=True)  # who issued it
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", null=True)
    campaign = pw.ForeignKeyField(Campaign, on_delete="CASCADE", null=True)
    expires = pw.DateTimeField()
    created = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("account", "expires"), False),)  # the sweep of an account's expired tokens


class ApiKey(BaseModel):
    """A JSON API key (gateway.domain.api_keys): only its SHA-256 is kept. ``account`` is the owner
    (the live account); a test key's data lives in the owner's test tenant (``<account>~test``)."""

    account = pw.ForeignKeyField(Account, on_delete="CASCADE")
    environment = pw.CharField(max_length=8)  # live | test
    kind = pw.CharField(max_length=8)  # secret | public
    key_hash = pw.CharField(max_length=64, unique=True)
    hint = pw.CharField(max_length=16, default="")  # prefix and last 4 characters, for listings
    revoked_at = pw.DateTimeField(null=True)
    created = pw.DateTimeField(default=utcnow)


class CampaignEvent(BaseModel):
    """One event of the JSON API (POST /v1/campaigns/{slug}/events): its type and metadata beside the
    ledger entry that credited its points (``entry``; none when it earned nothing)."""

    account = pw.ForeignKeyField(Account, on_delete="CASCADE")
    campaign = pw.ForeignKeyField(Campaign, on_delete="CASCADE")
    customer = pw.ForeignKeyField(Customer, on_delete="CASCADE", index=False)
    event_type = pw.CharField(max_length=64)
    points = pw.BigIntegerField(default=0)
    entry = pw.BigIntegerField(null=True)
    metadata = pw.TextField(default="{}")
    reference = pw.CharField(max_length=255, default="")
    created = pw.DateTimeField(default=utcnow)

    class Meta:
        # maxPerUserPerDay counts one user's events of one type since midnight; eventsCount all of them.
        indexes = ((("customer", "campaign", "event_type", "created"), False),)


class OutboxMail(BaseModel):
    """An e-mail to send, written in the transaction of the write that causes it (a rolled-back write
    leaves none); ``flask --app app send-mail`` delivers it (gateway/domain/mail.py, docs/mail.md)."""

    account = pw.ForeignKeyField(Account, on_delete="CASCADE")
    recipient = pw.CharField(max_length=255)
    subject = pw.CharField(max_length=255)
    body = pw.TextField()
    status = pw.CharField(max_length=16, default="pending")  # pending | sending | sent | failed
    attempts = pw.IntegerField(default=0)
    last_error = pw.TextField(default="")
    created = pw.DateTimeField(default=utcnow)
    sent = pw.DateTimeField(null=True)

    class Meta:
        indexes = ((("status", "id"), False),)


class FieldDefinition(BaseModel):
    """A custom field of an account: ``family`` is customer, transaction or reward.

    The default customer fields (card_number, first_name, ...) have a row only once a merchant changed
    one (gateway.domain.fields). One row per (account, family, name): two concurrent adds of one name
    make one field.
    """

    account = pw.ForeignKeyField(Account, on_delete="CASCADE", index=False)
    family = pw.CharField(max_length=16)
    name = pw.CharField(max_length=64)
    label = pw.CharField(max_length=255, default="")
    show = pw.BooleanField(default=False)
    type = pw.CharField(max_length=16, default="Text")
    choices = pw.TextField(default="[]")  # JSON list of texts (Pick, List)
    searchable = pw.BooleanField(default=False)
    unique = pw.BooleanField(default=False)
    required = pw.BooleanField(default=False)
    activity_type = pw.CharField(max_length=8, default="all")  # transaction fields: record | redeem | all
    created = pw.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("account", "family", "name"), True),)


class UniqueFieldValue(BaseModel):
    """A value of a unique custom field, held by one customer, transaction or reward (``owner``, its id).

    The unique index makes two concurrent writes of one value refuse the second; a row whose owner no
    longer holds the value (deleted, changed) is taken over (gateway.domain.fields.claim_unique).
    """

    account = pw.ForeignKeyField(Account, on_delete="CASCADE", index=False)
    family = pw.CharField(max_length=16)
    name = pw.CharField(max_length=64)
    value = pw.CharField(max_length=255)
    owner = pw.BigIntegerField()

    class Meta:
        indexes = ((("account", "family", "name", "value"), True),)


class CodeBatch(BaseModel):
    """A batch of redeemable codes (the JSON API's E4). Only the codes' keyed hashes are kept (``Code``)."""

    id = pw.CharField(primary_key=True, max_length=36)  # a UUID, as the reference shows
    account = pw.ForeignKeyField(Account, on_delete="CASCADE")
    campaign = pw.ForeignKeyField(Campaign, on_delete="CASCADE", index=False)
    batch_size = pw.IntegerField()
    points_value = pw.BigIntegerField()
    label = pw.CharField(max_length=255, default="")
    expires_at = pw.DateTimeField(null=True)  # naive UTC; a code past it reads as EXPIRED (never stored)
    # With microseconds (unlike utcnow): batches list newest first, and two in one second keep their order.
    created = pw.DateTimeField(default=lambda: _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None))

    class Meta:
        indexes = ((("campaign", "created"), False),)


class Code(BaseModel):
    """One redeemable code: its keyed SHA-256 (gateway.domain.codes), never the code itself.

    ``status`` is ACTIVE, REDEEMED or REVOKED; EXPIRED is read from the batch's ``expires_at``.
    """

    batch = pw.ForeignKeyField(CodeBatch, on_delete="CASCADE", index=False)
    account = pw.ForeignKeyField(Account, on_delete="CASCADE", index=False)
    code_hash = pw.CharField(max_length=64)
    status = pw.CharField(max_length=8, default="ACTIVE")
    redeemed_by = pw.ForeignKeyField(Customer, null=True, on_delete="SET NULL", index=False)
    redeemed_at = pw.DateTimeField(null=True)

    class Meta:
        # A code is found by its hash within the tenant; a batch's codes by status (stats, revoke).
        indexes = ((("account", "code_hash"), True), (("batch", "status"), False))


# Partial: only redeemed codes have a customer; serves ON DELETE SET NULL without a B-tree entry per code.
Code.add_index(Code.index(Code.redeemed_by, where=Code.redeemed_by.is_null(False)))


ALL_MODELS = [
    Account,
    ApiKey,
    User,
    UserSession,
    Campaign,
    Reward,
    Promo,
    Item,
    Fee,
    Depreciation,
    Customer,
    Membership,
    ParticipantCount,
    LedgerEntry,
    IdempotencyRecord,
    FieldDefinition,
    UniqueFieldValue,
    OutboxMail,
    CampaignEvent,
    TimeToken,
    CodeBatch,
    Code,
]


# The triggers that keep ``ParticipantCount``, per kind of database: (name, DDL). A change of
# campaign or item counts as leaving one campaign and joining another. PostgreSQL counts inserts and
# deletes once per statement (transition tables): a row trigger there would update the same count row
# once per inserted row, each update slower than the last within one transaction (a bulk import).
_COUNT_UP = ("INSERT INTO participant_count (campaign_id, participants) {} ON CONFLICT (campaign_id)"
             " DO UPDATE SET participants = participant_count.participants + EXCLUDED.participants")
_COUNT_DOWN = "UPDATE participant_count SET participants = participants - 1 WHERE campaign_id = OLD.campaign_id"


def _pg_trigger(name: str, body: str, timing: str, declare: str = "") -> str:
    return (f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            + (f"DECLARE\n    {declare}\n" if declare else "")
            + f"BEGIN\n    {body};\n    RETURN NULL;\nEND $$;\n"
            f"CREATE TRIGGER {name} {timing} EXECUTE FUNCTION {name}()")


PARTICIPANT_TRIGGERS = {
    "sqlite": [
        ("membership_joins", "CREATE TRIGGER membership_joins AFTER INSERT ON membership WHEN NEW.item = 0 BEGIN "
                             + _COUNT_UP.format("VALUES (NEW.campaign_id, 1)") + "; END"),
        ("membership_leaves", "CREATE TRIGGER membership_leaves AFTER DELETE ON membership WHEN OLD.item = 0 BEGIN "
                              + _COUNT_DOWN + "; END"),
        ("membership_moves", "CREATE TRIGGER membership_moves AFTER UPDATE OF campaign_id, item ON membership BEGIN "
                             + _COUNT_DOWN + " AND OLD.item = 0; "
                             + _COUNT_UP.format("SELECT NEW.campaign_id, 1 WHERE NEW.item = 0") + "; END"),
    ],
    "postgresql": [
        # Count rows are locked in campaign order, so that two statements touching several campaigns
        # cannot each hold one the other waits for.
        ("membership_joins", _pg_trigger(
            "membership_joins",
            _COUNT_UP.format("SELECT campaign_id, COUNT(*) FROM joined WHERE item = 0 GROUP BY campaign_id"
                             " ORDER BY campaign_id"),
            "AFTER INSERT ON membership REFERENCING NEW TABLE AS joined FOR EACH STATEMENT")),
        ("membership_leaves", _pg_trigger(
            "membership_leaves",
            "FOR left_campaign IN SELECT campaign_id, COUNT(*) AS members FROM gone WHERE item = 0"
            " GROUP BY campaign_id ORDER BY campaign_id LOOP\n"
            "        UPDATE participant_count SET participants = participants - left_campaign.members"
            " WHERE campaign_id = left_campaign.campaign_id;\n    END LOOP",
            "AFTER DELETE ON membership REFERENCING OLD TABLE AS gone FOR EACH STATEMENT",
            declare="left_campaign record;")),
        ("membership_moves", _pg_trigger(
            "membership_moves",
            f"IF OLD.item = 0 THEN {_COUNT_DOWN}; END IF;\n"
            f"    IF NEW.item = 0 THEN {_COUNT_UP.format('VALUES (NEW.campaign_id, 1)')}; END IF",
            "AFTER UPDATE OF campaign_id, item ON membership FOR EACH ROW")),
    ],
}


def install_participant_triggers() -> list[str]:
    """Create the missing ``PARTICIPANT_TRIGGERS`` and count every campaign's members afresh; an empty
    list when all were there. The changes made, as ``schema.upgrade`` reports them. Call inside a
    write transaction, so that no membership changes between the count and the triggers."""
    bound = database.obj
    kind = "sqlite" if is_sqlite() else "postgresql"
    if kind == "sqlite":
        present = {row[0] for row in bound.execute_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'membership'")}
    else:
        present = {row[0] for row in bound.execute_sql(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'membership'::regclass AND NOT tgisinternal")}
    missing = [(name, ddl) for name, ddl in PARTICIPANT_TRIGGERS[kind] if name not in present]
    if not missing:
        return []
    for name, ddl in missing:
        bound.execute_sql(ddl)
    ParticipantCount.delete().execute()
    members = (Membership.select(Membership.campaign, pw.fn.COUNT(Membership.id))
               .where(Membership.item == 0).group_by(Membership.campaign))
    ParticipantCount.insert_from(members, [ParticipantCount.campaign, ParticipantCount.participants]).execute()
    return [f"created trigger {name}" for name, _ in missing] + ["counted the participants of every campaign"]


def create_tables() -> None:
    """Create the tables, indexes and triggers that do not exist yet (existing ones and their data are kept)."""
    ensure_connection()
    database.create_tables(ALL_MODELS, safe=True)
    with write_transaction():
        install_participant_triggers()
