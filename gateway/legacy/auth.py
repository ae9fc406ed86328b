"""Who is calling: user id, API key and account, checked without revealing which part was wrong."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass

from ..domain import db
from ..domain.db import Prepared
from .messages import AUTH_FAILED, PERMISSION_DENIED, LegacyError
from ..domain.models import Account, User

# Compared against when no user matches, so a wrong user id costs the same work as a wrong key.
_DUMMY_HASH = hashlib.sha256(b"rewardgate: no such user").hexdigest()


@dataclass(frozen=True, slots=True)
class Caller:
    account: Account
    user: User

    @property
    def account_id(self) -> str:
        return self.account.id

    @property
    def is_manager(self) -> bool:
        return self.user.role == "manager"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    return secrets.token_hex(16)


# Every request runs one of these: prepared, so peewee does not rebuild the SQL each time.
_BY_USER = Prepared(lambda user_id: User.select(User, Account).join(Account).where(User.user_id == user_id).limit(5))
_BY_USER_AND_ACCOUNT = Prepared(
    lambda user_id, account_id: User.select(User, Account).join(Account)
    .where((User.user_id == user_id) & (User.account == account_id)).limit(5)
)


# Successful authentications, per process, for a few seconds: the lookup is the one query every call
# makes. Trade-off (docs/performance.md): a changed key or role, or a deleted user, takes up to
# AUTH_CACHE_SECONDS to apply in every worker. Failures are never cached.
AUTH_CACHE_SECONDS = 5.0
_AUTH_CACHE_SIZE = 1024
_authenticated: dict[tuple, tuple[float, "Caller"]] = {}


def forget_authentications() -> None:
    """Drop this process's cached authentications (after changing a key here, e.g. ``flask demo``)."""
    _authenticated.clear()


def authenticate(user_id: str, secret: str, account_id: str | None) -> Caller:
    """Return the caller, or raise one generic error whatever was wrong.

    ``account_id`` may be omitted (API 1.5/1.6 clients leave it out); when given it must be the
    user's own account.
    """
    if not user_id or not secret:
        raise LegacyError(AUTH_FAILED)
    offered = hash_key(secret)
    # Keyed by the secret's hash, never the secret: a dict lookup is not constant-time, but its
    # timing can only reveal something about a SHA-256 digest.
    key = (db.generation, user_id, account_id, offered)
    now = time.monotonic()
    cached = _authenticated.get(key)
    if cached is not None and cached[0] > now:
        return cached[1]
    caller = _lookup(user_id, offered.encode("ascii"), account_id)
    if len(_authenticated) >= _AUTH_CACHE_SIZE:
        _authenticated.clear()
    _authenticated[key] = (now + AUTH_CACHE_SECONDS, caller)
    return caller


def _lookup(user_id: str, offered: bytes, account_id: str | None) -> Caller:
    candidates = _BY_USER_AND_ACCOUNT(user_id, account_id) if account_id else _BY_USER(user_id)
    matches = []
    for user in candidates or [None]:
        stored = user.key_hash if user is not None else _DUMMY_HASH
        if hmac.compare_digest(stored.encode("ascii"), offered) and user is not None:
            matches.append(user)
    if len(matches) != 1:
        raise LegacyError(AUTH_FAILED)
    user = matches[0]
    return Caller(user.account, user)


def authorize(caller: Caller, permission: str) -> None:
    if permission == "manage" and not caller.is_manager:
        raise LegacyError(PERMISSION_DENIED)
