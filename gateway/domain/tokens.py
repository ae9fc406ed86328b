"""Time tokens: short-lived random tokens an account's user issues, optionally bound to one customer
(and one campaign), so that a browser widget can read that customer's standing without an API key.

A token is 36 random capital letters (as the legacy server handed out, about 169 bits); only its
SHA-256 is stored, and it is looked up by that hash. Tokens are not used up: one opens what it is bound
to again and again until it expires. Expired tokens are kept a day, so that a late use is told
"expired" rather than "not valid", and are removed when the account issues its next token.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import math
import secrets
import string
from dataclasses import dataclass

import peewee as pw

from . import customers
from .errors import Forbidden, InvalidValue, NotFound
from .models import Campaign, Customer, TimeToken

ALPHABET = string.ascii_uppercase
LENGTH = 36
DEFAULT_INTERVAL = 60  # seconds, as the legacy docs say
MAX_INTERVAL = 24 * 60 * 60  # a day: a widget page is reloaded long before; a longer-lived secret is a key
KEEP_EXPIRED = dt.timedelta(days=1)


@dataclass(frozen=True)
class Issued:
    token: str  # the only time the token itself exists outside the caller's hands
    expires: dt.datetime


@dataclass(frozen=True)
class Grant:
    """What a valid token opens: its account, and the customer and campaign it is bound to (or None)."""

    account_id: str
    expires: dt.datetime
    customer_code: str | None = None
    customer_card: str | None = None
    campaign_id: str | None = None
    user_pk: int | None = None  # who issued it

    def seconds_left(self, now: dt.datetime | None = None) -> int:
        """Whole seconds left, rounded up: a token issued for 60 s says 60 until a full second passed."""
        return max(0, math.ceil((self.expires - (now or _now())).total_seconds()))


def _now() -> dt.datetime:
    # To the microsecond (models.utcnow drops them): a token lives its interval exactly, not up to a
    # second less.
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def issue(account_id: str, user_pk: int | None, *, interval: int = DEFAULT_INTERVAL, code: str | None = None,
          card_number: str | None = None, campaign_id: str | None = None) -> Issued:
    """A new token valid for ``interval`` seconds, bound to the customer ``code`` (or ``card_number``)
    and the campaign when given. Runs inside the caller's write transaction."""
    if not 1 <= interval <= MAX_INTERVAL:
        raise InvalidValue("interval", "out_of_range", minimum=1, maximum=MAX_INTERVAL)
    customer = customers.get(account_id, code=code, card_number=card_number) if (code or card_number) else None
    if campaign_id is not None:
        if customer is None:
            raise InvalidValue("code", "missing")
        if not Campaign.select().where(Campaign.id == campaign_id, Campaign.account == account_id).exists():
            raise NotFound("campaign")
    now = _now()
    TimeToken.delete().where(TimeToken.account == account_id, TimeToken.expires < now - KEEP_EXPIRED).execute()
    token = new_token()
    expires = now + dt.timedelta(seconds=interval)
    TimeToken.create(account=account_id, token_hash=hash_token(token), user=user_pk,
                     customer=customer.id if customer else None, campaign=campaign_id, expires=expires)
    return Issued(token, expires)


def check(token: str, account_id: str) -> Grant:
    """What ``token`` opens in ``account_id``, else Forbidden: ``token_not_valid`` (unknown),
    ``token_other_account`` or ``token_expired``."""
    text = token.strip().upper()
    if len(text) != LENGTH or not all(c in ALPHABET for c in text):
        raise Forbidden("token_not_valid")
    # The hash of a random token is looked up by its index: the lookup's timing tells nothing about any
    # other token, since nobody can choose which stored hashes a guess's hash lands near.
    row = (TimeToken.select(TimeToken, Customer.code.alias("customer_code"), Customer.card_number.alias("customer_card"))
           .join(Customer, pw.JOIN.LEFT_OUTER, on=(TimeToken.customer == Customer.id))
           .where(TimeToken.token_hash == hash_token(text)).objects().first())
    if row is None:
        raise Forbidden("token_not_valid")
    if row.account_id != account_id:
        raise Forbidden("token_other_account")
    if row.expires <= _now():
        raise Forbidden("token_expired")
    return Grant(account_id, row.expires, row.customer_code, row.customer_card, row.campaign_id, row.user_id)


def admit(grant: Grant, *, code: str | None, card_number: str | None,
          campaign_id: str | None) -> tuple[str, str | None]:
    """The customer code and campaign a bound token's request may name: those the token is bound to.

    The request may leave them out (they are filled in) or name the same ones; naming another customer
    or campaign is Forbidden (``token_other_customer``, ``token_other_campaign``), and so is a token
    bound to no customer. A token bound to no campaign leaves the campaign to the request."""
    if grant.customer_code is None:
        raise Forbidden("token_not_bound")
    if (code is not None and code != grant.customer_code) or (
            card_number is not None and card_number != grant.customer_card):
        raise Forbidden("token_other_customer")
    if grant.campaign_id is not None:
        if campaign_id is not None and campaign_id != grant.campaign_id:
            raise Forbidden("token_other_campaign")
        campaign_id = grant.campaign_id
    return grant.customer_code, campaign_id
