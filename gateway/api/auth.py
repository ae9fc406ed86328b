"""Who calls the JSON API: the key of ``X-API-Secret`` (sk_live_ / sk_test_) or ``X-API-Key``
(pk_live_ / pk_test_), looked up on every request (a revoke applies at once, in every worker)."""
from __future__ import annotations

from flask import Request

from ..domain import api_keys
from ..domain.errors import Forbidden
from .errors import INVALID_KEY, MISSING_KEY, REVOKED_KEY, SECRET_KEY_NEEDED

MAX_KEY = 128
Caller = api_keys.KeyHolder  # .tenant_id (what the domain sees), .environment, .kind, .account_id


def authenticate(req: Request, key_kind: str) -> Caller:
    """The caller, for a route that takes ``key_kind`` ("secret" or "public" (public or secret))."""
    secret = req.headers.get("X-API-Secret", "").strip()
    public = req.headers.get("X-API-Key", "").strip()
    offered = secret or public
    if not offered:
        raise MISSING_KEY
    if len(offered) > MAX_KEY:
        raise INVALID_KEY
    # A header holds its own kind of key only: a public key in X-API-Secret is no secret key.
    if secret and not secret.startswith("sk_"):
        raise INVALID_KEY
    if not secret and not public.startswith("pk_"):
        raise INVALID_KEY
    try:
        caller = api_keys.authenticate(offered)
    except Forbidden as exc:
        raise REVOKED_KEY if exc.code == "api_key_revoked" else INVALID_KEY from None
    if key_kind == "secret" and caller.kind != "secret":
        raise SECRET_KEY_NEEDED
    return caller
