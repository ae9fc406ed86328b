"""Who is calling the legacy endpoint: user id, key and account, and what the user may do."""
from __future__ import annotations

from functools import cached_property

from ..domain import users
from ..domain.models import Account, User
from .messages import PERMISSION_DENIED, PERMISSION_DENIED_FLAG, LegacyError


class Caller:
    def __init__(self, user: User):
        self.user = user

    @property
    def account_id(self) -> str:
        return self.user.account_id

    @cached_property
    def account(self) -> Account:
        return users.account_of(self.user)

    @property
    def user_id(self) -> str:
        return self.user.user_id

    @property
    def is_manager(self) -> bool:
        return users.is_manager_level(self.user)

    @cached_property
    def flags(self) -> frozenset[str]:
        return users.flags_of(self.user)

    @cached_property
    def reach(self):
        """None (every campaign) or the frozenset of campaign ids this user may see and act on."""
        return users.reach_of(self.user)


def authenticate(user_id: str, secret: str, account_id: str | None) -> Caller:
    """The caller, or the domain's Forbidden (worded "Authentication failed") whatever was wrong.

    ``account_id`` may be omitted (API 1.5/1.6 clients leave it out); when given it must be the
    user's own account.
    """
    return Caller(users.authenticate(user_id, secret, account_id))


def refusal(permission: str) -> str | None:
    """The error a caller without ``permission`` gets (None: every caller may); /docs shows it."""
    if permission in ("read", "till", "public"):
        return None
    return PERMISSION_DENIED if permission == "manage" else PERMISSION_DENIED_FLAG.format(permission)


def authorize(caller: Caller | None, call, form: dict[str, str] | None = None) -> None:
    """The one check of what a call needs: a manager-level role ("manage") or one flag; a call with
    ``own`` also admits a user naming itself in ``own[0]`` who holds the flag ``own[1]``."""
    permission = call.permission
    if refusal(permission) is None:
        return
    if permission == "manage":
        if not caller.is_manager:
            raise LegacyError(refusal(permission))
        return
    if permission in caller.flags:
        return
    own = getattr(call, "own", None)
    if own and form is not None and form.get(own[0], "").strip() == caller.user_id and own[1] in caller.flags:
        return
    raise LegacyError(refusal(permission))
