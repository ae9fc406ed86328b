"""JSON API keys: per account, per environment (live | test), secret or public; only SHA-256 hashes are
kept, and a key is looked up on every request (no cache), so a revoke applies at once in every worker.

Environments are tenants: the live environment is the account itself, the test environment a companion
account ``<account>~test`` created with the first test key. Every tenant rule of the domain (an id of
another account behaves as one that does not exist) therefore keeps live and test data apart.
"""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from .db import Statement
from .errors import Forbidden, InvalidValue, NotFound
from .models import Account, ApiKey, utcnow
from .users import hash_key

LIVE, TEST = "live", "test"
SECRET, PUBLIC = "secret", "public"
TEST_SUFFIX = "~test"  # "~" is never part of an account id (create-account), so no clash is possible
_PREFIXES = {("secret", "live"): "sk_live_", ("secret", "test"): "sk_test_",
             ("public", "live"): "pk_live_", ("public", "test"): "pk_test_"}
_MAX_ACCOUNT = 64 - len(TEST_SUFFIX)


@dataclass(frozen=True, slots=True)
class KeyHolder:
    """Who a key speaks for: ``tenant_id`` is the account id the domain sees (the test tenant for a
    test key)."""

    account_id: str
    tenant_id: str
    environment: str
    kind: str
    key_id: int


def tenant_of(account_id: str, environment: str) -> str:
    return account_id + TEST_SUFFIX if environment == TEST else account_id


def environment_of(key: str) -> tuple[str, str] | None:
    """(kind, environment) a key's prefix announces, or None."""
    for (kind, environment), prefix in _PREFIXES.items():
        if key.startswith(prefix):
            return kind, environment
    return None


def create_key(account_id: str, environment: str, kind: str = SECRET) -> str:
    """A new key for ``account_id`` (printed once by the CLI; only its hash is stored). The first test
    key creates the test tenant."""
    if environment not in (LIVE, TEST):
        raise InvalidValue("environment", "unknown", value=environment)
    if kind not in (SECRET, PUBLIC):
        raise InvalidValue("kind", "unknown", value=kind)
    account = Account.get_or_none(Account.id == account_id)
    if account is None:
        raise NotFound("account")
    if environment == TEST:
        if len(account_id) > _MAX_ACCOUNT:
            raise InvalidValue("account", "too_long_for_test_tenant", maximum=_MAX_ACCOUNT)
        Account.insert(id=tenant_of(account_id, TEST), name=account.name, currency=account.currency,
                       glyph=account.glyph).on_conflict_ignore().execute()
    key = _PREFIXES[(kind, environment)] + secrets.token_urlsafe(24)
    ApiKey.create(account=account_id, environment=environment, kind=kind, key_hash=hash_key(key),
                  hint=f"{key[:8]}…{key[-4:]}")
    return key


def revoke_key(key: str) -> ApiKey:
    """Revoke a key (given whole); NotFound when no key matches, Conflict-free when already revoked."""
    row = ApiKey.get_or_none(ApiKey.key_hash == hash_key(key))
    if row is None:
        raise NotFound("api_key")
    if row.revoked_at is None:
        ApiKey.update(revoked_at=utcnow()).where(ApiKey.id == row.id).execute()
        row.revoked_at = utcnow()
    return row


_BY_HASH = Statement(lambda key_hash: ApiKey.select().where(ApiKey.key_hash == key_hash).limit(1))


def authenticate(key: str) -> KeyHolder:
    """The holder of ``key``; Forbidden("invalid_api_key") or Forbidden("api_key_revoked")."""
    announced = environment_of(key)
    offered = hash_key(key)
    rows = _BY_HASH(offered) if announced else []
    row = rows[0] if rows else None
    if row is None or not hmac.compare_digest(row.key_hash, offered):
        raise Forbidden("invalid_api_key")
    if row.revoked_at is not None:
        raise Forbidden("api_key_revoked")
    return KeyHolder(row.account_id, tenant_of(row.account_id, row.environment), row.environment, row.kind, row.id)
