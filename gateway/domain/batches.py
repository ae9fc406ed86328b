"""Batch imports: many customers or transactions in one write, all or nothing.

Rules kept here and nowhere else:
- a batch is applied row by row in order, each row by the same rules as its single-row write
  (``customers.record`` in edit mode, ``transactions.record``), so that a batch leaves exactly what
  the same rows sent one by one would have left;
- a batch with any refused row writes nothing: every row is still checked, and ``BatchRefused``
  carries each refused row's number and error, so that one answer lists them all;
- call inside a write transaction (``service.run_write``): the refusal rolls it back.

Customers are checked against an in-memory index of the account's customers the batch can meet
(read up front, a few hundred codes per query) and written with multi-row INSERTs, so 100,000 rows
take seconds rather than the minutes of 100,000 single-row writes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Iterable

import peewee as pw

from . import customers, fields, transactions
from .campaigns import get_campaign
from .db import database
from .errors import Conflict, DomainError, InvalidValue, Unavailable
from .models import Campaign, Customer, Membership, UniqueFieldValue

CHUNK = 500  # rows per multi-row INSERT and values per IN (): far below every database's variable limit


@dataclass(frozen=True, slots=True)
class RowError:
    row: int  # the row's number as the caller counts it
    error: DomainError


class BatchRefused(DomainError):
    """Some rows were refused, so nothing was written; ``errors`` are in row order."""

    code = "batch_refused"

    def __init__(self, errors: list[RowError]):
        super().__init__(rows=len(errors))
        self.errors = errors


@dataclass(slots=True)
class Outcome:
    new_customers: int = 0  # customers created
    customers: int = 0  # customers created or changed (customers) / customers credited (transactions)
    transactions: int = 0  # transactions recorded


Progress = Callable[[int], None]


def _no_progress(done: int) -> None:
    pass


# --- customers ----------------------------------------------------------------------------------------

class _Index:
    """The customers a batch can meet, by code, card number and username: those stored that a row
    names, and those the batch has made or changed so far (the same objects)."""

    def __init__(self, account_id: str, rows: list[tuple[int, customers.CustomerChanges]]):
        self.by_code: dict[str, Customer] = {}
        self.by_card: dict[str, Customer] = {}
        self.by_username: dict[str, list[Customer]] = {}
        self.by_id: dict[int, Customer] = {}  # the stored customers read
        codes, cards, usernames = set(), set(), set()
        for _, changes in rows:
            for value in (changes.code, changes.card_number):
                if value:
                    codes.add(value)  # a card number may become a code, or name a customer as a code
            if changes.card_number:
                cards.add(changes.card_number)
            if changes.profile.get("username"):
                usernames.add(changes.profile["username"])
        for column, values in ((Customer.code, codes), (Customer.card_number, cards), (Customer.username, usernames)):
            for chunk in pw.chunked(sorted(values), CHUNK):
                query = Customer.select().where((Customer.account == account_id) & column.in_(chunk))
                for customer in query:
                    if customer.id not in self.by_id:
                        self.by_id[customer.id] = customer
                        self.add(customer)

    def add(self, customer: Customer) -> None:
        self.by_code[customer.code] = customer
        if customer.card_number:
            self.by_card[customer.card_number] = customer
        if customer.username:
            self.by_username.setdefault(customer.username, []).append(customer)

    def remove(self, keys: tuple[str, str | None, str | None], customer: Customer) -> None:
        code, card, username = keys
        if self.by_code.get(code) is customer:
            del self.by_code[code]
        if card and self.by_card.get(card) is customer:
            del self.by_card[card]
        if username:
            self.by_username[username] = [c for c in self.by_username.get(username, []) if c is not customer]

    def existing(self, code: str | None, card_number: str | None) -> Customer | None:
        """As ``customers._existing``: the code; else the card number, as a card then as a code."""
        if code:
            return self.by_code.get(code)
        if card_number:
            return self.by_card.get(card_number) or self.by_code.get(card_number)
        return None

    def check(self, customer: Customer) -> None:
        """As ``customers._save``: the code, card number and username must be no one else's."""
        if self.by_code.get(customer.code, customer) is not customer:
            raise Conflict("customer_code_taken")
        if customer.card_number and self.by_card.get(customer.card_number, customer) is not customer:
            raise Conflict("card_number_taken")
        if customer.username and any(c is not customer for c in self.by_username.get(customer.username, [])):
            raise Conflict("customer_username_taken")

    def new_code(self, account_id: str) -> str:
        for _ in range(10):
            code = customers.new_code(account_id)
            if code not in self.by_code:
                return code
        raise Unavailable("no_free_customer_code")


def _keys(customer: Customer) -> tuple[str, str | None, str | None]:
    return customer.code, customer.card_number, customer.username


def import_customers(account_id: str, rows: Iterable[tuple[int, customers.CustomerChanges]], *,
                     reach: frozenset[str] | None = None, progress: Progress = _no_progress) -> Outcome:
    """Create or update each row's customer as ``record_customer`` ``edit`` does (the code; else the
    card number, as a card then as a code; no match creates one; custom field values checked) and
    enrol it in the row's campaigns (within ``reach``). Rows are ``(number, changes)``; a generated
    card number is not available in a batch."""
    rows = list(rows)
    index = _Index(account_id, rows)
    known = fields.defined(account_id, fields.CUSTOMER)
    unique = _UniqueValues(account_id, known, index)
    found_campaigns: dict[str, Campaign] = {}
    errors: list[RowError] = []
    new: list[Customer] = []
    changed: dict[int, Customer] = {}
    joins: list[tuple[Customer, str]] = []
    claims: list[tuple[int, Customer, dict[str, str]]] = []
    for number, changes in rows:
        if changes.generate_card is not None:
            raise ValueError("a batch row cannot generate a card number")
        try:
            campaigns = [_campaign(account_id, cid, found_campaigns, reach) for cid in changes.campaign_ids]
            customer = index.existing(changes.code, changes.card_number)
            keys = _keys(customer) if customer is not None else None
            before = dict(customer.__data__) if customer is not None else None
            if customer is None:
                card = changes.card_number
                code = changes.code or (None if changes.random_code else card) or index.new_code(account_id)
                customer = Customer(account=account_id, code=code)
            try:
                if changes.card_number:
                    customer.card_number = changes.card_number
                changes.custom_fields = fields.check_values(account_id, fields.CUSTOMER, changes.custom_fields,
                                                            known=known)
                customers._apply(customer, changes)
                fields.check_values(account_id, fields.CUSTOMER, {}, complete=customers.field_values(customer),
                                    known=known)
                index.check(customer)
                unique.check(customer, changes.custom_fields)
            except DomainError:
                if before is not None:
                    customer.__data__ = before  # a refused row changes nothing
                raise
        except DomainError as exc:
            errors.append(RowError(number, exc))
        else:
            if keys is None:
                new.append(customer)
            else:
                index.remove(keys, customer)
                if customer.id is not None:
                    changed[customer.id] = customer
            index.add(customer)
            unique.take(customer, changes.custom_fields)
            joins += [(customer, c.id) for c in campaigns]
            claims.append((number, customer, changes.custom_fields))
        progress(1)
    if errors:
        raise BatchRefused(errors)
    _write_customers(account_id, new, changed, joins)
    # Unique custom field values, claimed in row order as the rows one by one would: a value another
    # customer of the account holds is refused with the row that claims it.
    for number, customer, values in claims:
        try:
            fields.claim_unique(account_id, fields.CUSTOMER, customer.id, values, known)
        except InvalidValue as exc:
            errors.append(RowError(number, exc))
    if errors:
        raise BatchRefused(errors)
    return Outcome(new_customers=len(new), customers=len(new) + len(changed))


class _UniqueValues:
    """Who holds each value of a unique custom field as the rows are checked in order: a customer of
    the batch (in memory), else the stored claim's owner if it still holds the value (its state in
    the batch when the batch has changed it), as ``fields.claim_unique`` would find one by one."""

    def __init__(self, account_id: str, known: dict, index: _Index):
        self.account_id = account_id
        self.known = known
        self.index = index
        self.holders: dict[tuple[str, str], Customer] = {}
        self.held: dict[int, dict[str, str]] = {}  # id() of a customer -> the values it holds

    def check(self, customer: Customer, values: dict[str, str]) -> None:
        for name, value in fields.unique_values(self.known, values).items():
            holder = self.holders.get((name, value))
            if holder is None:
                holder = self._stored_holder(name, value)
            if holder is not None and holder is not customer and (holder.id is None or holder.id != customer.id):
                raise InvalidValue(name, "taken")

    def _stored_holder(self, name: str, value: str) -> Customer | None:
        owner = UniqueFieldValue.select(UniqueFieldValue.owner).where(
            (UniqueFieldValue.account == self.account_id) & (UniqueFieldValue.family == fields.CUSTOMER)
            & (UniqueFieldValue.name == name) & (UniqueFieldValue.value == value)).scalar()
        if owner is None:
            return None
        holder = self.index.by_id.get(owner) or Customer.get_or_none(
            (Customer.id == owner) & (Customer.account == self.account_id))
        holds = holder is not None and json.loads(holder.custom_fields or "{}").get(name) == value
        return holder if holds else None

    def take(self, customer: Customer, values: dict[str, str]) -> None:
        for name, value in fields.unique_values(self.known, values).items():
            held = self.held.setdefault(id(customer), {})
            if name in held:  # the value it held before is free again
                self.holders.pop((name, held[name]), None)
            held[name] = value
            self.holders[(name, value)] = customer


def _campaign(account_id: str, campaign_id: str, found: dict[str, Campaign], reach: frozenset[str] | None) -> Campaign:
    if campaign_id not in found:
        found[campaign_id] = get_campaign(account_id, campaign_id, reach=reach)
    return found[campaign_id]


def _write_customers(account_id: str, new: list[Customer], changed: dict[int, Customer],
                     joins: list[tuple[Customer, str]]) -> None:
    try:
        with database.atomic():
            # Changes first: a new customer may take a card number an existing one has just given up.
            for customer in changed.values():
                customer.save()
            by_code = {c.code: c for c in new}
            for key, code in _insert(Customer, new, returning=(Customer.id, Customer.code)):
                by_code[code].id = key
            pairs = sorted({(c.id, campaign_id) for c, campaign_id in joins})
            _insert(Membership, [Membership(customer=cid, campaign=camp, item=0, balance=0) for cid, camp in pairs],
                    ignore=True)  # as ledger.enroll: a membership that exists stays as it is
    except pw.IntegrityError:
        # Another writer took a code, card or username between our reads and these writes.
        raise Conflict("customer_identity_taken") from None


_SQL: dict[tuple, str] = {}


def _insert(model: type[pw.Model], objects: list[pw.Model], *, returning: tuple = (), ignore: bool = False) -> list[tuple]:
    """INSERT ``objects`` (every field but the key, defaults included), ``CHUNK`` rows per statement;
    answers the ``returning`` columns of every row. peewee's ``insert_many`` builds each chunk's SQL,
    once per chunk size and kind of database: building it anew for every chunk cost more than the
    database's own work."""
    fields = [f for f in model._meta.sorted_fields if f is not model._meta.primary_key]
    found: list[tuple] = []
    for chunk in pw.chunked(objects, CHUNK):
        params = [f.db_value(o.__data__.get(f.name)) for o in chunk for f in fields]
        key = (model, type(database.obj), len(chunk), returning, ignore)
        sql = _SQL.get(key)
        if sql is None:
            query = model.insert_many([[o.__data__.get(f.name) for f in fields] for o in chunk], fields=fields)
            query = query.on_conflict_ignore() if ignore else query
            sql, built = (query.returning(*returning) if returning else query).sql()
            if built != params:
                raise RuntimeError(f"{model.__name__}: the INSERT binds other values than those given")
            _SQL[key] = sql
        cursor = database.execute_sql(sql, params)
        if returning:
            found += cursor.fetchall()
    return found


# --- transactions -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class TransactionRow:
    """One activity to record, as ``record_activity`` takes it."""

    campaign_id: str
    code: str | None
    card_number: str | None
    activity: transactions.Activity
    details: transactions.Details = field(default_factory=lambda: transactions.Details(""))


def import_transactions(account_id: str, rows: Iterable[tuple[int, TransactionRow]], *,
                        reach: frozenset[str] | None = None, progress: Progress = _no_progress) -> Outcome:
    """Record each row as ``record_activity`` does (the same checks, custom field values included, the
    same ledger rows; campaigns within ``reach``). The rows are posted as they are checked: a refusal
    rolls every one of them back with the transaction."""
    errors: list[RowError] = []
    credited: set[int] = set()
    recorded = 0
    for number, row in rows:
        try:
            campaign, customer = transactions.subjects(account_id, row.campaign_id, row.code, row.card_number,
                                                       reach=reach)
            transactions.record(account_id, campaign, customer, row.activity, row.details)
        except DomainError as exc:
            errors.append(RowError(number, exc))
        else:
            credited.add(customer.id)
            recorded += 1
        progress(1)
    if errors:
        raise BatchRefused(errors)
    return Outcome(customers=len(credited), transactions=recorded)
