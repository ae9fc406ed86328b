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
from dataclasses import dataclass
from typing import Iterator

import peewee as pw
from werkzeug.security import check_password_hash, generate_password_hash

from . import db
from .balances import holdings, member_campaign_ids
from .campaigns import get_campaign, list_campaigns
from .db import Prepared, database
from ..legacy.messages import INVALID_FIELD, LegacyError, NotFound
from .ledger import enroll
from .models import Campaign, Customer, Reward
from .units import EVENTS, POINTS

REWARD_TYPES = (POINTS, EVENTS)  # campaigns whose rewards have a level

CUSTOMER = "Customer"
CODE_IN_USE = "Customer code already in use"
CARD_IN_USE = "Card number already in use"
USERNAME_IN_USE = "Customer username already in use"
ALREADY_REGISTERED = "Customer already registered"
BAD_CREDENTIALS = "Customer credentials do not match"
AMBIGUOUS = "More than one customer matches: give previous_code or previous_card"
NO_FREE_CARD = "Could not find an unused card number: use more digits"
MIN_RANDOM_DIGITS = 4
TOO_FEW_DIGITS = f"must leave at least {MIN_RANDOM_DIGITS} random digits besides the prefix and suffix"

# scrypt N=2^14, r=8, p=1 (16 MiB, ~70 ms here): the interactive-login setting of the scrypt paper and
# Django's scrypt default. Every hash records its parameters, so raising them later needs no migration.
PASSWORD_METHOD = "scrypt:16384:8:1"

# Form name -> column, for the plain profile fields every customer call reads and shows.
PROFILE = {
    "first_name": "first_name", "last_name": "last_name", "phone": "phone", "email": "email",
    "street1": "street1", "street2": "street2", "city": "city", "state": "state",
    "postal_code": "postal_code", "country": "country", "custom_date": "custom_date",
    "custom_field": "custom_field", "customer_username": "username",
}
# What customer_find looks through, besides the custom_field_N values.
FIND_COLUMNS = ("code", "card_number", *PROFILE.values())


# --- lookups ------------------------------------------------------------------------------------------

def _in_account(account_id: str):
    return Customer.select().where(Customer.account == account_id)


# Every transaction and balance call looks its customer up: prepared, so the SQL is built once.
_BY_CODE = Prepared(lambda account_id, code: _in_account(account_id).where(Customer.code == code))
_BY_CARD = Prepared(lambda account_id, card_number: _in_account(account_id).where(Customer.card_number == card_number))


def find(account_id: str, *, code: str | None = None, card_number: str | None = None) -> Customer | None:
    """The customer with this code, else with this card number, or None."""
    if code:
        rows = _BY_CODE(account_id, code)
    elif card_number:
        rows = _BY_CARD(account_id, card_number)
    else:
        return None
    return rows[0] if rows else None


def get(account_id: str, *, code: str | None = None, card_number: str | None = None) -> Customer:
    customer = find(account_id, code=code, card_number=card_number)
    if customer is None:
        raise NotFound(CUSTOMER)
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
    raise LegacyError("Could not allocate a customer code, please retry")


def generate_card_number(account_id: str, digits: int, prefix: str = "", suffix: str = "", *, field: str) -> str:
    """An unused card number of ``digits`` digits in all, prefix and suffix included.

    It is unused both as a card number and as a code, so that it may become the customer's code.
    """
    random_part = digits - len(prefix) - len(suffix)
    if random_part < MIN_RANDOM_DIGITS:
        raise LegacyError(INVALID_FIELD.format(field, TOO_FEW_DIGITS))
    for _ in range(20):
        number = prefix + _random_digits(random_part, leading_zero=bool(prefix)) + suffix
        if not _taken(account_id, Customer.card_number, number) and not _taken(account_id, Customer.code, number):
            return number
    raise LegacyError(NO_FREE_CARD)


def _card_from(account_id: str, data: dict) -> str | None:
    if data.get("card_number_generate"):
        return generate_card_number(
            account_id, data["card_number_generate"], data.get("card_number_prefix", ""),
            data.get("card_number_suffix", ""), field="card_number_generate",
        )
    return data.get("card_number")


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


def credentials_match(customer: Customer | None, data: dict) -> bool:
    """Whether the password and PIN in ``data`` (those given) match. Every hash is checked, always."""
    ok = customer is not None
    for key, column in (("customer_password", "password_hash"), ("customer_pin", "pin_hash")):
        if data.get(key) is not None:
            ok = _secret_matches(getattr(customer, column, None), data[key]) and ok
    return ok


IDENTIFIERS = (("code", Customer.code), ("card_number", Customer.card_number), ("customer_username", Customer.username))


def validate_credentials(account_id: str, data: dict) -> None:
    """Succeed only when the identifiers given all name one customer and every credential matches."""
    query = _in_account(account_id)
    for key, column in IDENTIFIERS:
        if data.get(key) is not None:
            query = query.where(column == data[key])
    found = list(query.limit(2))
    customer = found[0] if len(found) == 1 else None
    ok = credentials_match(customer, data)
    if data.get("phone") is not None:
        ok = ok and _digits(customer.phone) == _digits(data["phone"]) != ""
    if not ok:
        raise LegacyError(BAD_CREDENTIALS)


# --- writes -------------------------------------------------------------------------------------------

def _apply(customer: Customer, data: dict) -> None:
    """Copy the profile, custom fields and credentials in ``data`` onto ``customer`` (blank = unchanged)."""
    for key, column in PROFILE.items():
        if data.get(key) is not None:
            setattr(customer, column, data[key])
    if data.get("custom_fields"):
        fields = json.loads(customer.custom_fields or "{}")
        fields.update(data["custom_fields"])
        customer.custom_fields = json.dumps(fields, ensure_ascii=False, sort_keys=True)
    if data.get("customer_password") is not None:
        customer.password_hash = hash_secret(data["customer_password"])
    if data.get("customer_pin") is not None:
        customer.pin_hash = hash_secret(data["customer_pin"])


def _save(account_id: str, customer: Customer) -> None:
    """Save after checking that code, card and username are free; the unique indexes catch a race."""
    if _taken(account_id, Customer.code, customer.code, but=customer):
        raise LegacyError(CODE_IN_USE)
    if customer.card_number and _taken(account_id, Customer.card_number, customer.card_number, but=customer):
        raise LegacyError(CARD_IN_USE)
    if customer.username and _taken(account_id, Customer.username, customer.username, but=customer):
        raise LegacyError(USERNAME_IN_USE)
    try:
        with database.atomic():
            customer.save()
    except pw.IntegrityError:
        raise LegacyError("Customer code or card number already in use") from None


def _existing(account_id: str, data: dict) -> Customer | None:
    """Whom an edit or a registration is about: the code; else the card number, as a card then as a code."""
    if data.get("code"):
        return find(account_id, code=data["code"])
    if data.get("card_number"):
        return find(account_id, card_number=data["card_number"]) or find(account_id, code=data["card_number"])
    return None


def record(account_id: str, action: str, data: dict) -> tuple[Customer, str]:
    """``record_customer``: create (new), update or create (edit), or register. Returns (customer, status).

    Call inside a write transaction: a failure anywhere leaves nothing behind.
    """
    campaigns = [get_campaign(account_id, cid) for cid in data.get("campaign_id", [])]
    customer = None if action == "new" else _existing(account_id, data)
    if customer is not None and action == "register" and customer.registered:
        raise LegacyError(ALREADY_REGISTERED)
    status = "updated" if customer is not None else "new"
    card = _card_from(account_id, data)
    if customer is None:
        code = data.get("code") or (None if data.get("new_code") else card) or new_code(account_id)
        customer = Customer(account=account_id, code=code)
    if card:
        customer.card_number = card
    _apply(customer, data)
    if action == "register":
        customer.registered = True
    _save(account_id, customer)
    for campaign in campaigns:
        enroll(campaign, customer)
    return customer, status


def replace_card(account_id: str, data: dict) -> Customer:
    """``card_replace``: give the matched customer a new code and/or card number."""
    if data.get("previous_code"):
        customer = get(account_id, code=data["previous_code"])
    elif data.get("previous_card"):
        customer = get(account_id, card_number=data["previous_card"])
    else:
        customer = _match_profile(account_id, data)
    if not credentials_match(customer, data):
        raise NotFound(CUSTOMER)
    if data.get("new_code"):
        customer.code = data["new_code"]
    card = data.get("new_card_number") or _card_from(account_id, data)
    if card:
        customer.card_number = card
    _save(account_id, customer)
    return customer


def _match_profile(account_id: str, data: dict) -> Customer:
    criteria = {k: v for k, v in data.items() if k in PROFILE and v is not None}
    if not criteria:
        raise LegacyError("Missing required field: previous_code, previous_card or a profile field to match")
    query = _in_account(account_id)
    for key, value in criteria.items():
        query = query.where(text_match(getattr(Customer, PROFILE[key]), value, "insensitive"))
    found = list(query.limit(2))
    if not found:
        raise NotFound(CUSTOMER)
    if len(found) > 1:
        raise LegacyError(AMBIGUOUS)
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


def search(account_id: str, criteria: dict, custom: dict, exact: str | None) -> Iterator[Customer]:
    """Customers matching every criterion given (all of them when none is)."""
    query = _in_account(account_id)
    for key, value in criteria.items():
        query = query.where(text_match(getattr(Customer, PROFILE.get(key, key)), value, exact))
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
        raise LegacyError("Missing required field: find_customer")
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
                  only_member: bool = False) -> list[Campaign]:
    """The active campaigns whose balances a customer call shows."""
    campaigns = [get_campaign(account_id, campaign_id)] if campaign_id else list(list_campaigns(account_id))
    if only_member and customer is not None:
        member = member_campaign_ids(customer)
        campaigns = [c for c in campaigns if c.id in member]
    return campaigns


def balances(customer: Customer, campaigns: list[Campaign], *, with_rewards: bool = False) -> list[Balance]:
    held = holdings(customer, campaigns)
    result = [Balance(c, held[c.id].available, []) for c in campaigns]
    reward_ids = [b.campaign.id for b in result if b.campaign.type in REWARD_TYPES]
    if with_rewards and reward_ids:
        by_campaign = {b.campaign.id: b for b in result}
        rewards = Reward.select().where(Reward.campaign.in_(reward_ids)).order_by(Reward.level, Reward.id)
        for reward in rewards:
            owner = by_campaign[reward.campaign_id]
            if reward.level <= owner.available:
                owner.rewards.append(reward)
    return result


def custom_fields_of(customer: Customer) -> list[tuple[str, str]]:
    """``custom_field_N`` values in order of N."""
    fields = json.loads(customer.custom_fields or "{}")
    return sorted(fields.items(), key=lambda kv: int(kv[0].rsplit("_", 1)[1]))

