"""Legacy calls that manage an account's users (role letters, permission flags, campaigns) and log them in.

Field names and answers are those a merchant admin portal sends and reads (legacy-clients.md §5);
docs/users.md has the role letters and their flags.
"""
from __future__ import annotations

from schemas.legacy import users as s

from ...domain import permissions, users as domain
from ...domain.errors import Conflict
from ...domain.models import User
from ..messages import MESSAGES, PERMISSION_DENIED_FLAG, LegacyError
from ..registry import call
from ..tree import E, Items, el, leaf

NOT_FOUND = "User not found"
CAMPAIGN_NOT_FOUND = "Campaign not found"
NEED_NAME = "Missing required field: user_name"
NAME = "Invalid value for field user_name: 1-128 letters, digits, or . _ - @"
ROLES = "Invalid value for field user_role: must be one of " + ", ".join(s.ROLE_CHOICES)
CAMPAIGNS = "Invalid value for field allowed_campaigns: must be all, none or a comma list of campaign ids"
FLAG = "Invalid value for field add_campaign: must be Y or N"
GRANT = MESSAGES["grant_beyond_own"]


def user_node(user: User, status: str | None = None) -> E:
    """A user as ``user_info`` answers it: profile, role letter, one Yes/No per flag, its campaigns."""
    held = domain.flags_of(user)
    reach = domain.reach_of(user)
    return el("user",
              el("user_permissions", *[leaf(f, "Yes" if f in held else "No") for f in permissions.FLAGS]),
              status=status, user_id=user.user_id, user_first_name=user.first_name, user_last_name=user.last_name,
              user_level=permissions.role_letter(user.role), user_language=user.language,
              user_timezone=user.timezone,
              allowed_campaigns="all" if reach is None else ",".join(sorted(reach)) or "none")


def _changes(data: dict) -> domain.UserChanges:
    return domain.UserChanges(
        password=data.get("user_new_password"), first_name=data.get("user_first_name"),
        last_name=data.get("user_last_name"), custom1=data.get("user_custom1"), pin=data.get("user_PIN"),
        language=data.get("language_selector"), timezone=data.get("timezone_selector"), role=data.get("user_role"),
        flags=data.get("flags") or {}, campaigns=data.get("allowed_campaigns"))


def _granting(data: dict) -> bool:
    return "user_role" in data or bool(data.get("flags")) or "allowed_campaigns" in data


@call("user_new", schema=s.UserNew, permission="add_user", writes=True, fields={"role": "user_role"},
      errors=(NEED_NAME, "Missing required field: user_role", NAME, ROLES, CAMPAIGNS, FLAG, CAMPAIGN_NOT_FOUND,
              MESSAGES["user_name_taken"] + ": amy", GRANT))
def user_new(data: dict, caller) -> list:
    """Create a user of the account: ``user_role`` (a role letter), optionally a password, profile,
    per-flag changes (``<flag>=Yes|No``) and ``allowed_campaigns``; answers the user as ``user_info``."""
    try:
        user = domain.create_user(caller.account_id, data["user_name"], _changes(data))
    except Conflict as exc:  # the portal shows which name is taken
        raise LegacyError(f"{MESSAGES[exc.code]}: {data['user_name']}") from None
    domain.check_grant(user, caller.user)
    return [leaf("message", "User added"), user_node(user, "new")]


@call("user_update", schema=s.UserUpdate, permission="add_user", writes=True, fields={"role": "user_role"},
      own=("user_name", "edit_my_info"),
      errors=(NEED_NAME, ROLES, CAMPAIGNS, FLAG, NOT_FOUND, CAMPAIGN_NOT_FOUND, GRANT,
              PERMISSION_DENIED_FLAG.format("add_user")))
def user_update(data: dict, caller) -> list:
    """Change a user; a user holding ``edit_my_info`` may change its own profile and password (not its
    role, flags or campaigns). A new password ends the user's ``user_login`` sessions."""
    if "add_user" not in caller.flags and _granting(data):
        raise LegacyError(PERMISSION_DENIED_FLAG.format("add_user"))
    user = domain.update_user(caller.account_id, data["user_name"], _changes(data))
    domain.check_grant(user, caller.user)
    return [leaf("message", "User updated"), user_node(user, "updated")]


@call("user_info", schema=s.UserName, permission="view_user", own=("user_name", "edit_my_info"),
      errors=(NEED_NAME, NOT_FOUND))
def user_info(data: dict, caller) -> list:
    """A user's profile, role letter (``user_level``) and ``user_permissions``, one Yes/No per flag."""
    return [user_node(domain.get_user(caller.account_id, data["user_name"]))]


@call("users_list", schema=s.UsersList, permission="view_user")
def users_list(data: dict, caller) -> list:
    """The account's users with their role letters, by name."""
    return [Items("users", [el("user", user_id=u.user_id, user_role=permissions.role_letter(u.role))
                            for u in domain.list_users(caller.account_id)])]


@call("user_delete", schema=s.UserName, permission="add_user", writes=True,
      errors=(NEED_NAME, NOT_FOUND, MESSAGES["last_administrator"]))
def user_delete(data: dict, caller) -> list:
    """Delete a user: its key, sessions and campaigns go with it, at once."""
    domain.delete_user(caller.account_id, data["user_name"])
    return [leaf("message", "User deleted"), el("user", status="deleted", user_id=data["user_name"])]


def _campaign_users(data: dict, caller, attach: bool) -> list:
    changed = domain.attach_campaigns(caller.account_id, data["user_name"], data["campaign_id"], attach)
    for user in changed:
        domain.check_grant(User.get_by_id(user.id), caller.user)
    verb = "added" if attach else "removed"
    return [leaf("message", f"Campaigns {verb}"),
            Items(f"users_{verb}", [el("user", user_id=u.user_id) for u in changed]),
            Items(f"campaigns_{verb}", [el("campaign", id=c) for c in dict.fromkeys(data["campaign_id"])])]


CAMPAIGN_USERS_ERRORS = (NEED_NAME, "Missing required field: campaign_id", NOT_FOUND, CAMPAIGN_NOT_FOUND)


@call("campaign_users", "add", schema=s.CampaignUsers, permission="add_user", writes=True,
      errors=CAMPAIGN_USERS_ERRORS + (GRANT,))
def campaign_users_add(data: dict, caller) -> list:
    """Let users (``user_name``, one or a comma list) see campaigns (``campaign_id``, one or a comma
    list); a user who sees every campaign already keeps seeing them all."""
    return _campaign_users(data, caller, True)


@call("campaign_users", "remove", schema=s.CampaignUsers, permission="add_user", writes=True,
      errors=CAMPAIGN_USERS_ERRORS)
def campaign_users_remove(data: dict, caller) -> list:
    """Take campaigns away from users; a user who saw every campaign then sees all the others."""
    return _campaign_users(data, caller, False)


@call("user_login", schema=s.UserLogin, permission="public",
      errors=("Missing required field: user_password", MESSAGES["authentication_failed"], MESSAGES["throttled"]))
def user_login(data: dict, caller) -> list:
    """Log a user in with its own password (no key, no account_id): answers a fresh key for the session
    (``user_api_key``, valid 12 hours) and the user's account."""
    user, key = domain.login(data["user_id"], data["user_password"])
    return [el("account", user_id=user.user_id, user_api_key=key, account_id=user.account_id)]
