"""Customers: identity (code, card number, username), profile, credentials, search.

Rules kept here and nowhere else:
- every lookup is scoped to the caller's account: another account's code or card is "not found";
- a code is the caller's ``code``, else the card number, else a random unused 16-digit number; codes
  are unique per account, and so are card numbers and usernames;
- passwords and PINs are stored only as salted scrypt hashes and checked in constant time;
- text search escapes ``%`` and ``_`` (peewee's ``contains``), so they match literally.
"""
from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Iterator

import peewee as pw
from werkzeug.security import check_password_hash, generate_password_hash

from . import db, fields, throttle
from .balances import holdings, member_campaign_ids
from .campaigns import get_campaign, list_campaigns
from .db import Statement, database
from .errors import Conflict, Forbidden, InvalidValue, NotFound, Unavailable
from . import coalition, ledger
from .ledger import enroll
from .models import Campaign, Customer, Reward
from .units import EVENTS, POINTS

REWARD_TYPES = (POINTS, EVENTS)  # campaigns whose rewards have a level
MIN_RANDOM_DIGITS = 4

# scrypt N=2^14, r=8, p=1 (16 MiB, ~70 ms here): the interactive-login setting of the scrypt paper and
# Django's scrypt default. Every hash records its parameters, so raising them later needs no migration.
PASSWORD_METHOD = "scrypt:16384:8:1"

# The plain profile columns, in the order customer answers show them.
PROFILE = ("first_name", "last_name", "phone", "email", "street1", "street2", "city", "state",
           "postal_code", "country", "custom_date", "custom_field", "username")
# What customer_find looks through, besides the custom_field_N values.
FIND_COLUMNS = ("code", "card_number", *PROFILE)


@dataclass(frozen=True, slots=True)
class CardRequest:
    """A card number to generate: ``digits`` in all, the prefix and suffix included."""

    digits: int
    prefix: str = ""
    suffix: str = ""


@dataclass(slots=True)
class CustomerChanges:
    """What a write says of a customer; None (or empty) leaves a value as it is."""

    code: str | None = None
    card_number: str | None = None
    generate_card: CardRequest | None = None
    random_code: bool = False  # a new customer gets a random code even when given a card number
    profile: dict[str, str] = field(default_factory=dict)  # PROFILE column -> text
    custom_fields: dict[str, str] = field(default_factory=dict)  # custom_field_N -> text
    password: str | None = None
    pin: str | None = None
    campaign_ids: list[str] = field(default_factory=list)  # campaigns to enrol in


# --- lookups ------------------------------------------------------------------------------------------

def _in_account(account_id: str):
    return Customer.select().where(Customer.account == account_id)


# Every transaction and balance looks its customer up.
_BY_CODE = Statement(lambda account_id, code: _in_account(account_id).where(Customer.code == code))
_BY_CARD = Statement(lambda account_id, card: _in_account(account_id).where(Customer.card_number == card))


def find(account_id: str, *, code: str | None = None, card_number: str | None = None) -> Customer | None:
    """The customer with this code, else with this card number, or None."""
    if code:
        found = _BY_CODE(account_id, code)
    elif card_number:
        found = _BY_CARD(account_id, card_number)
    else:
        return None
    return found[0] if found else None


def get(account_id: str, *, code: str | None = None, card_number: str | None = None) -> Customer:
    customer = find(account_id, code=code, card_number=card_number)
    if customer is None:
        raise NotFound("customer")
    return customer


def _taken(account_id: str, column: pw.Field, value: str, but: Customer | None = None) -> bool:
    query = _in_account(account_id).where(column == value)
    if but is not None and but.id is not None:
        query = query.where(Customer.id != but.id)
    return query.exists()


# --- codes and card numbers ---------------------------------------------------------------------------

def _random_digits(n: int, leading_zero: bool) -> str:
    first = str(secrets.randbelow(10) if leading_zero else secrets.randbelow(9) + 1)
    return first + "".join(str(secrets.randbelow(10)) for _ in range(n - 1))


def new_code(account_id: str) -> str:
    """An unused random 16-digit code, never with a leading zero (clients may keep it as a number)."""
    for _ in range(10):
        code = _random_digits(16, leading_zero=False)
        if not _taken(account_id, Customer.code, code):
            return code
    raise Unavailable("no_free_customer_code")


def generate_card_number(account_id: str, request: CardRequest) -> str:
    """An unused card number as ``request`` asks, unused both as a card number and as a code, so that
    it may become the customer's code."""
    random_part = request.digits - len(request.prefix) - len(request.suffix)
    if random_part < MIN_RANDOM_DIGITS:
        raise InvalidValue("digits", "too_few_random_digits", minimum=MIN_RANDOM_DIGITS)
    for _ in range(20):
        number = request.prefix + _random_digits(random_part, leading_zero=bool(request.prefix)) + request.suffix
        if not _taken(account_id, Customer.card_number, number) and not _taken(account_id, Customer.code, number):
            return number
    raise Unavailable("no_free_card_number")


# --- credentials --------------------------------------------------------------------------------------

_DUMMY_HASH: str | None = None


def hash_secret(secret: str) -> str:
    return generate_password_hash(secret, method=PASSWORD_METHOD)


def _secret_matches(stored: str | None, offered: str) -> bool:
    """Constant-time check; a customer without a stored secret costs the same work as a wrong one."""
    global _DUMMY_HASH
    if stored is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_secret(secrets.token_hex(16))
        check_password_hash(_DUMMY_HASH, offered)
        return False
    return check_password_hash(stored, offered)


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def credentials_match(customer: Customer | None, password: str | None, pin: str | None) -> bool:
    """Whether the password and PIN given (not None) match. Every hash is checked, always."""
    ok = customer is not None
    for offered, column in ((password, "password_hash"), (pin, "pin_hash")):
        if offered is not None:
            ok = _secret_matches(getattr(customer, column, None), offered) and ok
    return ok


def validate_credentials(account_id: str, *, code: str | None = None, card_number: str | None = None,
                         username: str | None = None, password: str | None = None, pin: str | None = None,
                         phone: str | None = None) -> None:
    """Succeed only when the identifiers given all name one customer and every credential matches."""
    query = _in_account(account_id)
    for value, column in ((code, Customer.code), (card_number, Customer.card_number), (username, Customer.username)):
        if value is not None:
            query = query.where(column == value)
    found = list(query.limit(2))
    customer = found[0] if len(found) == 1 else None
    throttle.check(customer)  # a locked customer is refused before any secret is tried
    ok = credentials_match(customer, password, pin)
    if phone is not None:
        ok = ok and customer is not None and _digits(customer.phone) == _digits(phone) != ""
    if not ok:
        if customer is not None:
            throttle.failed(Customer, [customer.id])
        raise Forbidden("bad_customer_credentials")
    throttle.succeeded(Customer, customer)


# --- writes -------------------------------------------------------------------------------------------

def _apply(customer: Customer, changes: CustomerChanges) -> None:
    """Copy the profile, custom fields and credentials of ``changes`` onto ``customer``."""
    for column, value in changes.profile.items():
        if column not in PROFILE:
            raise ValueError(f"not a profile column: {column}")
        setattr(customer, column, value)
    if changes.custom_fields:
        fields = json.loads(customer.custom_fields or "{}")
        fields.update(changes.custom_fields)
        customer.custom_fields = json.dumps(fields, ensure_ascii=False, sort_keys=True)
    if changes.password is not None:
        customer.password_hash = hash_secret(changes.password)
    if changes.pin is not None:
        customer.pin_hash = hash_secret(changes.pin)


def _save(account_id: str, customer: Customer) -> None:
    """Save after checking that code, card and username are free; the unique indexes catch a race."""
    if _taken(account_id, Customer.code, customer.code, but=customer):
        raise Conflict("customer_code_taken")
    if customer.card_number and _taken(account_id, Customer.card_number, customer.card_number, but=customer):
        raise Conflict("card_number_taken")
    if customer.username and _taken(account_id, Customer.username, customer.username, but=customer):
        raise Conflict("customer_username_taken")
    try:
        with database.atomic():
            customer.save()
    except pw.IntegrityError:
        raise Conflict("customer_identity_taken") from None


def _existing(account_id: str, code: str | None, card_number: str | None) -> Customer | None:
    """Whom an edit or a registration is about: the code; else the card number, as a card then as a code."""
    if code:
        return find(account_id, code=code)
    if card_number:
        return find(account_id, card_number=card_number) or find(account_id, code=card_number)
    return None


NEW, EDIT, REGISTER = "new", "edit", "register"


def record(account_id: str, mode: str, changes: CustomerChanges, *,
           reach: frozenset[str] | None = None) -> tuple[Customer, str]:
    """Create (``new``), update or create (``edit``), or register a customer; returns it and
    ``"new"`` or ``"updated"``. Call inside a write transaction: a failure leaves nothing behind."""
    campaigns = [get_campaign(account_id, cid, reach=reach) for cid in changes.campaign_ids]
    customer = None if mode == NEW else _existing(account_id, changes.code, changes.card_number)
    if customer is not None and mode == REGISTER and customer.registered:
        raise Conflict("customer_already_registered")
    status = "updated" if customer is not None else "new"
    card = generate_card_number(account_id, changes.generate_card) if changes.generate_card else changes.card_number
    if customer is None:
        code = changes.code or (None if changes.random_code else card) or new_code(account_id)
        customer = Customer(account=account_id, code=code)
    if card:
        customer.card_number = card
    known = fields.defined(account_id, fields.CUSTOMER)
    changes.custom_fields = fields.check_values(account_id, fields.CUSTOMER, changes.custom_fields, known=known)
    _apply(customer, changes)
    fields.check_values(account_id, fields.CUSTOMER, {}, complete=field_values(customer), known=known)
    if mode == REGISTER:
        customer.registered = True
    _save(account_id, customer)
    fields.claim_unique(account_id, fields.CUSTOMER, customer.id, changes.custom_fields, known)
    for campaign in campaigns:
        enroll(campaign, customer)
    return customer, status


def field_values(customer: Customer) -> dict[str, str]:
    """What the customer holds under the customer fields' names (gateway.domain.fields): the defaults'
    columns (a secret as "set" or blank, never itself) and the custom_field_N values."""
    values = {name: getattr(customer, column) or "" for name, column in _FIELD_COLUMNS.items()}
    values["customer_password"] = "set" if customer.password_hash else ""
    values["customer_PIN"] = "set" if customer.pin_hash else ""
    values.update(json.loads(customer.custom_fields or "{}"))
    return values


# The default customer fields' names (fields.DEFAULTS) -> the columns holding them, secrets aside.
_FIELD_COLUMNS = {"card_number": "card_number", **{c: c for c in PROFILE if c not in ("postal_code", "username", "custom_field")},
                  "zip": "postal_code", "customer_username": "username", "custom_field_1": "custom_field"}


@dataclass(slots=True)
class CustomerMatch:
    """Whom ``replace_card`` is about: a previous code, else a previous card, else the internal id
    (``uid``, the legacy ``profile_uid``), else a profile match (PROFILE column -> text,
    case-insensitive); the password and PIN, when given, must match."""

    previous_code: str | None = None
    previous_card: str | None = None
    uid: int | None = None
    profile: dict[str, str] = field(default_factory=dict)
    password: str | None = None
    pin: str | None = None


MATCHED, DUPLICATE = "matched", "duplicate"


def replace_card(account_id: str, match: CustomerMatch, *, new_code: str | None = None,
                 new_card_number: str | None = None, generate_card: CardRequest | None = None,
                 merge: str | None = None) -> Customer:
    """Give the matched customer a new code and/or card number.

    When the new code or card is another customer's (the duplicate), that is refused, unless ``merge``
    says which of the two to keep (``matched`` or ``duplicate``): the other's transactions and balances
    move to it (``ledger.move_customer``) and the other is deleted. The kept customer keeps its own
    profile and credentials. Call inside a write transaction.
    """
    if match.previous_code:
        customer = get(account_id, code=match.previous_code)
    elif match.previous_card:
        customer = get(account_id, card_number=match.previous_card)
    elif match.uid is not None:
        customer = _in_account(account_id).where(Customer.id == match.uid).first()
        if customer is None:
            raise NotFound("customer")
    else:
        customer = _match_profile(account_id, match.profile)
    if not credentials_match(customer, match.password, match.pin):
        raise NotFound("customer")
    card = new_card_number or (generate_card_number(account_id, generate_card) if generate_card else None)
    if merge:
        customer = _merge_duplicate(account_id, customer, new_code, card, keep=merge)
    if new_code:
        customer.code = new_code
    if card:
        customer.card_number = card
    _save(account_id, customer)
    return customer


def _merge_duplicate(account_id: str, matched: Customer, new_code: str | None, card: str | None, *, keep: str) -> Customer:
    """Merge the customer who holds ``new_code`` or ``card`` (if any) with ``matched``; the one kept."""
    holders = [find(account_id, code=new_code) if new_code else None, find(account_id, card_number=card) if card else None]
    duplicates = {c.id: c for c in holders if c is not None and c.id != matched.id}
    if not duplicates:
        return matched
    if len(duplicates) > 1:
        raise Conflict("duplicates_differ")
    duplicate = next(iter(duplicates.values()))
    kept, gone = (matched, duplicate) if keep == MATCHED else (duplicate, matched)
    ledger.move_customer(gone, kept)
    gone.delete_instance()
    return kept


def _match_profile(account_id: str, profile: dict[str, str]) -> Customer:
    if not profile:
        raise InvalidValue("match", "missing")
    query = _in_account(account_id)
    for column, value in profile.items():
        query = query.where(text_match(getattr(Customer, column), value, "insensitive"))
    found = list(query.limit(2))
    if not found:
        raise NotFound("customer")
    if len(found) > 1:
        raise Conflict("customer_ambiguous")
    return found[0]


def delete(account_id: str, code: str) -> None:
    """Remove the customer; memberships and ledger rows go with it (ON DELETE CASCADE)."""
    get(account_id, code=code).delete_instance()


# --- search -------------------------------------------------------------------------------------------

def _fold(column):
    """``column`` lower-cased by the database, the way Python's ``str.lower`` does it.

    SQLite's own LOWER knows only ASCII; a Python function registered on this thread's connection
    folds ``É`` too. PostgreSQL's LOWER follows the database's (UTF-8) locale.
    """
    if db.is_sqlite():
        database.obj.register_function(_lower, "rg_lower", 1, deterministic=True)
        return pw.fn.rg_lower(column)
    return pw.fn.LOWER(column)


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def text_match(column, text: str, exact: str | None):
    """Partial and case-insensitive by default; ``exact`` is ``sensitive`` or ``insensitive``."""
    if exact == "sensitive":
        return column == text
    if exact == "insensitive":
        return _fold(column) == text.lower()
    return _fold(column).contains(text.lower())


def _custom_value(key: str):
    """The text of one custom field, read from the JSON column on either database."""
    if db.is_sqlite():
        return pw.fn.json_extract(Customer.custom_fields, f"$.{key}")  # key is custom_field_N, checked
    return pw.Expression(Customer.custom_fields.cast("json"), "->>", key)


def search(account_id: str, criteria: dict[str, str], custom: dict[str, str], exact: str | None) -> Iterator[Customer]:
    """Customers matching every criterion given (column -> text; all customers when none is).
    A custom field defined as not searchable is refused (gateway.domain.fields); undefined ones are searched."""
    known = fields.custom_defined(account_id, fields.CUSTOMER)
    for key in custom:
        if key in known and not known[key].searchable and not known[key].default:
            raise InvalidValue(key, "not_searchable")
    query = _in_account(account_id)
    for column, value in criteria.items():
        query = query.where(text_match(getattr(Customer, column), value, exact))
    for key, value in custom.items():
        column = Customer.custom_field if key == "custom_field_1" else _custom_value(key)
        query = query.where(text_match(column, value, exact))
    return query.order_by(Customer.id).iterator()


def parse_phrase(phrase: str) -> list[list[str]]:
    """``Amy Acker, 1234 Main St`` -> ``[["amy", "acker"], ["1234", "main", "st"]]``: OR of ANDs."""
    groups = [[t.lower() for t in group.split()] for group in phrase.split(",")]
    return [g for g in groups if g]


def _json_fragment(term: str) -> str:
    # How the term looks inside the stored JSON text (escaping is per character, so a value that
    # contains the term contains this): the SQL filter may then over-match, never under-match.
    return json.dumps(term, ensure_ascii=False)[1:-1]


def _term_sql(term: str):
    cond = _fold(Customer.custom_fields).contains(_json_fragment(term))
    for name in FIND_COLUMNS:
        cond = cond | _fold(getattr(Customer, name)).contains(term)
    return cond


def _texts(customer: Customer) -> list[str]:
    values = [getattr(customer, name) or "" for name in FIND_COLUMNS]
    values += [str(v) for v in json.loads(customer.custom_fields or "{}").values()]
    return [v.lower() for v in values]


def find_phrase(account_id: str, phrase: str) -> Iterator[Customer]:
    """``customer_find``: space = AND, comma = OR (ANDs bind tighter), each term a partial,
    case-insensitive match on any field. SQL narrows; the exact rule is then checked per row, since
    the SQL filter sees custom fields as JSON text (keys included)."""
    groups = parse_phrase(phrase)
    if not groups:
        raise InvalidValue("phrase", "missing")
    where = None
    for group in groups:
        conj = None
        for term in group:
            conj = _term_sql(term) if conj is None else conj & _term_sql(term)
        where = conj if where is None else where | conj
    candidates = _in_account(account_id).where(where).order_by(Customer.id).iterator()
    return (c for c in candidates if _matches(_texts(c), groups))


def _matches(texts: list[str], groups: list[list[str]]) -> bool:
    return any(all(any(term in t for t in texts) for term in group) for group in groups)


# --- what a customer holds ----------------------------------------------------------------------------

@dataclass(slots=True)
class Balance:
    campaign: Campaign
    available: int
    rewards: list[Reward]


def campaigns_for(account_id: str, customer: Customer | None = None, *, campaign_id: str | None = None,
                  only_member: bool = False, reach: frozenset[str] | None = None) -> list[Campaign]:
    """The active campaigns (within the user's ``reach``) whose balances a customer call shows."""
    campaigns = ([get_campaign(account_id, campaign_id, reach=reach)] if campaign_id
                 else list(list_campaigns(account_id, reach=reach)))
    if only_member and customer is not None:
        member = member_campaign_ids(customer)
        campaigns = [c for c in campaigns if c.id in member]
    return campaigns


def balances(customer: Customer, campaigns: list[Campaign], *, with_rewards: bool = False) -> list[Balance]:
    held = holdings(customer, campaigns)
    # In a coalition account a pooled campaign shows the coalition balance (gateway.domain.coalition).
    available = coalition.pooled_balances(customer.account_id, customer, campaigns,
                                          {c.id: held[c.id].available for c in campaigns})
    result = [Balance(c, available[c.id], []) for c in campaigns]
    reward_ids = [b.campaign.id for b in result if b.campaign.type in REWARD_TYPES]
    if with_rewards and reward_ids:
        by_campaign = {b.campaign.id: b for b in result}
        rewards = Reward.select().where(Reward.campaign.in_(reward_ids)).order_by(Reward.level, Reward.id)
        for reward in rewards:
            owner = by_campaign[reward.campaign_id]
            # What a redeem there can spend: the campaign's own balance, also in a coalition.
            if reward.level <= held[reward.campaign_id].available:
                owner.rewards.append(reward)
    return result


def custom_fields_of(customer: Customer) -> list[tuple[str, str]]:
    """``custom_field_N`` values in order of N."""
    fields = json.loads(customer.custom_fields or "{}")
    return sorted(fields.items(), key=lambda kv: int(kv[0].rsplit("_", 1)[1]))

