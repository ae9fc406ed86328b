"""Accounts' API users: their keys (stored as SHA-256 hashes) and who a key belongs to."""
from __future__ import annotations

import hashlib
import hmac
import secrets

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


def authenticate(user_id: str, secret: str, account_id: str | None) -> User:
    """The user whose id and key these are (in ``account_id`` when given; the user's account is
    loaded with it), else Forbidden("authentication_failed") whatever was wrong."""
    if not user_id or not secret:
        raise Forbidden("authentication_failed")
    offered = hash_key(secret).encode("ascii")
    query = User.select(User, Account).join(Account).where(User.user_id == user_id)
    if account_id:
        query = query.where(User.account == account_id)
    matches = []
    for user in list(query.limit(5)) or [None]:
        stored = user.key_hash if user is not None else _DUMMY_HASH
        if hmac.compare_digest(stored.encode("ascii"), offered) and user is not None:
            matches.append(user)
    if len(matches) != 1:
        raise Forbidden("authentication_failed")
    return matches[0]
