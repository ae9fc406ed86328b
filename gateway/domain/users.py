"""Accounts' API users: their keys (stored as SHA-256 hashes) and who a key belongs to."""
from __future__ import annotations

import hashlib
import hmac
import secrets

from .db import Statement
from .errors import Forbidden
from .models import Account, User

MANAGER, STAFF = "manager", "staff"
# Compared against when no user matches, so a wrong user id costs the same work as a wrong key.
_DUMMY_HASH = hashlib.sha256(b"rewardgate: no such user").hexdigest()


def hash_key(key: str) -> str:
    # SHA-256: an API key has enough entropy that a slow KDF would only add latency.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    return secrets.token_hex(16)


def _users(*where):
    # The account's name, currency and glyph come along: receipts and campaign lists show them.
    return (User.select(User, Account.name.alias("account_name"), Account.currency.alias("account_currency"),
                        Account.glyph.alias("account_glyph"))
            .join(Account).where(*where).limit(5).objects())


# Every request of a door authenticates: these run as statements (gateway.domain.db.Statement).
_USERS = Statement(lambda user_id: _users(User.user_id == user_id))
_USERS_IN = Statement(lambda user_id, account_id: _users(User.user_id == user_id, User.account == account_id))


def authenticate(user_id: str, secret: str, account_id: str | None) -> User:
    """The user whose id and key these are (in ``account_id`` when given), with its account
    (``account_of``), else Forbidden("authentication_failed") whatever was wrong."""
    if not user_id or not secret:
        raise Forbidden("authentication_failed")
    offered = hash_key(secret).encode("ascii")
    candidates = _USERS_IN(user_id, account_id) if account_id else _USERS(user_id)
    matches = []
    for user in candidates or [None]:
        stored = user.key_hash if user is not None else _DUMMY_HASH
        if hmac.compare_digest(stored.encode("ascii"), offered) and user is not None:
            matches.append(user)
    if len(matches) != 1:
        raise Forbidden("authentication_failed")
    return matches[0]


def account_of(user: User) -> Account:
    """The account of a user ``authenticate`` answered, as it was read with the user."""
    return Account(id=user.account_id, name=user.account_name, currency=user.account_currency,
                   glyph=user.account_glyph)
