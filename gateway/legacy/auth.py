"""Who is calling the legacy endpoint: user id, key and account, and what the user may do."""
from __future__ import annotations

from functools import cached_property

from ..domain import users
from ..domain.models import Account, User
from .messages import PERMISSION_DENIED, LegacyError


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
        return self.user.role == users.MANAGER


def authenticate(user_id: str, secret: str, account_id: str | None) -> Caller:
    """The caller, or the domain's Forbidden (worded "Authentication failed") whatever was wrong.

    ``account_id`` may be omitted (API 1.5/1.6 clients leave it out); when given it must be the
    user's own account.
    """
    return Caller(users.authenticate(user_id, secret, account_id))


def authorize(caller: Caller, permission: str) -> None:
    if permission not in ("read", "till") and not caller.is_manager:
        raise LegacyError(PERMISSION_DENIED)
