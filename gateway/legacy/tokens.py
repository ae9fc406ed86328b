"""The widget's caller: a request with ``account_id`` and ``token`` and no user or key.

A merchant's server asks generate_time_token with ``code`` (and ``campaign_id``); the page it serves
hands the token to a widget, which may then read that customer's standing, and nothing else, until
the token expires (docs/account.md). The endpoint asks ``offers_token`` before authenticating a user,
and ``admit`` instead of the role check.
"""
from __future__ import annotations

from functools import cached_property

from ..domain import accounts, tokens, users
from ..domain.models import Account, User
from .messages import MISSING_FIELD, LegacyError
from .registry import Call

# What a token opens: a customer's balances, rewards and history (the alias "balance" resolves to
# customer_balance).
WIDGET_CALLS = ("customer_balance", "customer_info")
ONLY_WIDGET_CALLS = "A token opens only customer_balance and customer_info"


class TokenCaller:
    """Stands where a user's Caller does, for the two calls a token opens."""

    user = None
    user_id = ""
    is_manager = False
    flags: frozenset[str] = frozenset()

    def __init__(self, grant: tokens.Grant):
        self.grant = grant

    @property
    def account_id(self) -> str:
        return self.grant.account_id

    @cached_property
    def account(self) -> Account:
        return accounts.get(self.grant.account_id)

    @cached_property
    def reach(self):
        """The campaigns the token may show: the one it is bound to, else those its issuer may see."""
        if self.grant.campaign_id is not None:
            return frozenset({self.grant.campaign_id})
        issuer = User.get_or_none(User.id == self.grant.user_pk) if self.grant.user_pk else None
        return users.reach_of(issuer) if issuer is not None else None


def offers_token(form: dict[str, str], user_id: str, secret: str) -> bool:
    """A token and neither a user nor a key: a widget's request. With a user or a key, the token is an
    ordinary field and the user is authenticated as always."""
    return not user_id and not secret and bool(form.get("token", "").strip())


def authenticate(form: dict[str, str]) -> TokenCaller:
    account_id = form.get("account_id", "").strip()
    if not account_id:
        raise LegacyError(MISSING_FIELD.format("account_id"))
    return TokenCaller(tokens.check(form["token"], account_id))


def admit(caller: TokenCaller, call: Call, form: dict[str, str]) -> None:
    """Refuse every call but the widget's, and any customer or campaign the token is not bound to; fill
    in the bound customer (and campaign) where the request leaves them out."""
    if call.type not in WIDGET_CALLS:
        raise LegacyError(ONLY_WIDGET_CALLS)
    code, campaign_id = tokens.admit(
        caller.grant, code=form.get("code", "").strip() or None, card_number=form.get("card_number", "").strip() or None,
        campaign_id=form.get("campaign_id", "").strip() or None)
    form.pop("card_number", None)
    form["code"] = code
    if campaign_id is not None:
        form["campaign_id"] = campaign_id
