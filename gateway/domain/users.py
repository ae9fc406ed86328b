"""Accounts' API users: their keys, passwords, role letters and flags, the campaigns they may see.

Secrets are stored only as hashes: API keys (random) as SHA-256, passwords and PINs (chosen by people,
low-entropy) with scrypt and a per-user salt. A user's reach is ``None`` (every campaign) or the
frozenset of campaign ids it may see and act on; the doors pass it to the domain's campaign lookups.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass, field

import peewee as pw

from . import db, permissions, throttle
from .db import Statement
from .errors import Conflict, Forbidden, InvalidValue, NotFound
from .models import Account, Campaign, User, UserSession, utcnow

MANAGER, STAFF = "manager", "staff"  # the roles of earlier versions: read as the letters A and K
SESSION_SECONDS = 12 * 3600  # how long a key from user_login works
# Compared against when no user matches, so a wrong user id costs the same work as a wrong key.
_DUMMY_HASH = hashlib.sha256(b"rewardgate: no such user").hexdigest()
_SCRYPT = (2**14, 8, 1)  # n, r, p: about 16 MiB and tens of milliseconds per check
_DUMMY_PASSWORD: str | None = None


def hash_key(key: str) -> str:
    # SHA-256, unkeyed: keys are issued at random (ours carry 128 bits or more), so a slow KDF would add only
    # latency. A key kept from a legacy server by create-user --api-key was issued at random there too.
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def new_api_key() -> str:
    return secrets.token_hex(16)


def hash_password(password: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (hex), with a fresh 16-byte salt."""
    n, r, p = _SCRYPT
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=64 * 2**20, dklen=32)
    return f"scrypt${n}${r}${p}${salt.hex()}${digest.hex()}"


def password_matches(stored: str | None, offered: str) -> bool:
    """Constant-time; a user without a password costs the same work as a wrong one."""
    global _DUMMY_PASSWORD
    if not stored:
        _DUMMY_PASSWORD = _DUMMY_PASSWORD or hash_password(secrets.token_hex(16))
        password_matches(_DUMMY_PASSWORD, offered)
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        mine = hashlib.scrypt(offered.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                              maxmem=64 * 2**20, dklen=len(digest) // 2)
    except ValueError:
        return False
    return hmac.compare_digest(mine.hex().encode("ascii"), digest.encode("ascii"))


# --- authentication -------------------------------------------------------------------------------------

def _users(offered, *where):
    # The account's name, currency, glyph and receipt contacts come along: receipts and campaign lists
    # show them. A user_login session with the offered key's hash joins in the same statement.
    return (User.select(User, Account.name.alias("account_name"), Account.currency.alias("account_currency"),
                        Account.glyph.alias("account_glyph"), Account.agency.alias("account_agency"),
                        Account.client_email.alias("account_client_email"),
                        Account.contact_email.alias("account_contact_email"),
                        UserSession.expires.alias("session_expires"))
            .join(Account).switch(User)
            .join(UserSession, pw.JOIN.LEFT_OUTER, on=((UserSession.user == User.id) & (UserSession.key_hash == offered)))
            .where(*where).limit(5).objects())


# Every request of a door authenticates: these run as statements (gateway.domain.db.Statement).
_USERS = Statement(lambda user_id, offered: _users(offered, User.user_id == user_id))
_USERS_IN = Statement(lambda user_id, account_id, offered: _users(offered, User.user_id == user_id,
                                                                  User.account == account_id))


def _key_matches(user: User | None, offered: bytes, now: dt.datetime) -> bool:
    stored = user.key_hash if user is not None else _DUMMY_HASH
    ok = hmac.compare_digest(stored.encode("ascii"), offered) and user is not None
    if user is None or ok:
        return ok
    if user.previous_key_hash and user.previous_key_until and user.previous_key_until > now:
        if hmac.compare_digest(user.previous_key_hash.encode("ascii"), offered):
            return True
    expires = UserSession.expires.python_value(user.session_expires)
    return expires is not None and expires > now


def authenticate(user_id: str, secret: str, account_id: str | None) -> User:
    """The user whose id and key these are (in ``account_id`` when given), with its account
    (``account_of``). Forbidden("authentication_failed") whatever was wrong, Forbidden("throttled")
    while the user is locked after too many wrong keys (gateway.domain.throttle)."""
    if not user_id or not secret:
        raise Forbidden("authentication_failed")
    digest = hash_key(secret)
    offered = digest.encode("ascii")
    candidates = _USERS_IN(user_id, account_id, digest) if account_id else _USERS(user_id, digest)
    now = utcnow()
    matches = [user for user in candidates or [None] if _key_matches(user, offered, now)]
    if len(matches) == 1:
        throttle.check(matches[0])
        throttle.succeeded(User, matches[0])
        return matches[0]
    for user in candidates:
        throttle.check(user)
    throttle.failed(User, [user.id for user in candidates], throttle.KEY)
    raise Forbidden("authentication_failed")


def account_of(user: User) -> Account:
    """The account of a user ``authenticate`` answered, as it was read with the user."""
    return Account(id=user.account_id, name=user.account_name, currency=user.account_currency,
                   glyph=user.account_glyph, agency=user.account_agency, client_email=user.account_client_email,
                   contact_email=user.account_contact_email)


def login(user_id: str, password: str, *, seconds: int = SESSION_SECONDS) -> tuple[User, str]:
    """``user_login``: the user with this id and password, and a fresh key for the session.

    Keys are kept only as hashes, so the user's own key cannot be handed back: each login issues a new
    random key (its SHA-256 stored in UserSession) that works like the user's key for ``seconds``.
    Several sessions may live at once (tills sharing a login); expired ones are dropped at the next login.
    """
    if not user_id or not password:
        raise Forbidden("authentication_failed")
    candidates = list(User.select().where(User.user_id == user_id).limit(5))
    with_password = [u for u in candidates if u.password_hash]
    matches = [u for u in with_password or [None] if password_matches(u.password_hash if u else None, password)]
    if len(matches) != 1:
        for user in with_password:
            throttle.check(user)
        throttle.failed(User, [u.id for u in with_password])
        raise Forbidden("authentication_failed")
    user = matches[0]
    throttle.check(user)
    key = new_api_key()
    now = utcnow()
    with db.write_transaction():
        UserSession.delete().where((UserSession.user == user.id) & (UserSession.expires <= now)).execute()
        UserSession.create(user=user.id, key_hash=hash_key(key), expires=now + dt.timedelta(seconds=seconds))
        if user.failures or user.failed_since is not None:
            User.update(failures=0, failed_since=None).where(User.id == user.id).execute()
    return user, key


# --- what a user may do and see ---------------------------------------------------------------------------

def overrides_of(user: User) -> dict[str, bool]:
    return json.loads(user.flags) if user.flags else {}


def flags_of(user: User) -> frozenset[str]:
    return permissions.flags_of(user.role, overrides_of(user))


def is_manager_level(user: User) -> bool:
    return permissions.role_letter(user.role) in permissions.MANAGER_LEVEL


def reach_of(user: User):
    """None (every campaign) or the frozenset of campaign ids the user may see and act on."""
    if user.campaigns is None:
        return None
    return frozenset(c for c in user.campaigns.split(",") if c)


# --- managing users ---------------------------------------------------------------------------------------

ALL = "all"


@dataclass
class UserChanges:
    """What user_new / user_update set; None leaves a value as it is (user_new: its default)."""

    password: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    custom1: str | None = None
    pin: str | None = None
    language: str | None = None
    timezone: str | None = None
    role: str | None = None  # a role letter (or "manager"/"staff")
    flags: dict[str, bool] = field(default_factory=dict)
    campaigns: list[str] | str | None = None  # ALL, or ids ([] for none)


def get_user(account_id: str, user_name: str) -> User:
    user = User.get_or_none((User.account == account_id) & (User.user_id == user_name))
    if user is None:
        raise NotFound("user")
    return user


def list_users(account_id: str) -> list[User]:
    return list(User.select().where(User.account == account_id).order_by(User.user_id))


def _campaign_list(account_id: str, ids: list[str]) -> str:
    """The stored comma list of ``ids``, each a campaign of the account (else "Campaign not found")."""
    wanted = list(dict.fromkeys(ids))
    if wanted:
        found = {c for (c,) in Campaign.select(Campaign.id).where(
            (Campaign.account == account_id) & Campaign.id.in_(wanted)).tuples()}
        if len(found) != len(wanted):
            raise NotFound("campaign")
    return ",".join(wanted)


def _apply(user: User, changes: UserChanges, account_id: str) -> None:
    for name in ("first_name", "last_name", "custom1", "language", "timezone"):
        value = getattr(changes, name)
        if value is not None:
            setattr(user, name, value)
    if changes.password is not None:
        user.password_hash = hash_password(changes.password)
    if changes.pin is not None:
        user.pin_hash = hash_password(changes.pin)
    flags = overrides_of(user)
    if changes.role is not None:
        if changes.role not in permissions.ROLES and changes.role not in permissions.ALIASES:
            raise InvalidValue("role", "unknown_role")
        if permissions.role_letter(changes.role) != permissions.role_letter(user.role or ""):
            flags = {}  # a new role starts from its own preset
        user.role = permissions.ALIASES.get(changes.role, changes.role)
    flags.update(changes.flags)
    user.flags = json.dumps(flags, sort_keys=True) if flags else None
    if changes.campaigns is not None:
        user.campaigns = None if changes.campaigns == ALL else _campaign_list(account_id, changes.campaigns)


def create_user(account_id: str, user_name: str, changes: UserChanges) -> User:
    """A new user of the account; Conflict("user_name_taken") when the account has one by that name
    (two concurrent creations: the unique index lets one through)."""
    if changes.role is None:
        raise InvalidValue("role", "missing")
    user = User(account=account_id, user_id=user_name, role="", key_hash=hash_key(new_api_key()))
    _apply(user, changes, account_id)
    try:
        with db.database.atomic():
            user.save(force_insert=True)
    except pw.IntegrityError:
        raise Conflict("user_name_taken") from None
    return user


def update_user(account_id: str, user_name: str, changes: UserChanges) -> User:
    user = get_user(account_id, user_name)
    old_password = user.password_hash
    _apply(user, changes, account_id)
    user.save()
    if changes.password is not None and old_password is not None:
        # A new password ends the sessions the old one opened.
        UserSession.delete().where(UserSession.user == user.id).execute()
    return user


def delete_user(account_id: str, user_name: str) -> None:
    """Delete a user and its sessions; the account's last administrator (role A) stays."""
    user = get_user(account_id, user_name)
    if permissions.role_letter(user.role) == "A":
        admins = User.select(User.id, User.role).where(User.account == account_id)
        if not db.is_sqlite():  # two deletes at once must not take the last two (SQLite's writes are serial)
            admins = admins.order_by(User.id).for_update()
        if sum(permissions.role_letter(a.role) == "A" for a in admins) <= 1:
            raise Conflict("last_administrator")
    UserSession.delete().where(UserSession.user == user.id).execute()
    user.delete_instance()


def attach_campaigns(account_id: str, user_names: list[str], campaign_ids: list[str], attach: bool) -> list[User]:
    """Add ``campaign_ids`` to (or remove them from) what each user may see. A user with every campaign
    keeps every campaign on ``add``; on ``remove`` it is limited to all the others."""
    users = [get_user(account_id, name) for name in dict.fromkeys(user_names)]
    _campaign_list(account_id, campaign_ids)
    for user in users:
        current = reach_of(user)
        if current is None and attach:
            continue
        if current is None:
            current = frozenset(c for (c,) in Campaign.select(Campaign.id).where(Campaign.account == account_id).tuples())
        kept = [c for c in sorted(current) if c not in campaign_ids]
        wanted = kept + [c for c in dict.fromkeys(campaign_ids)] if attach else kept
        User.update(campaigns=",".join(dict.fromkeys(wanted))).where(User.id == user.id).execute()
    return users


def rotate_key(account_id: str, user_name: str, grace_seconds: int) -> str:
    """A new key for the user; the old one keeps working for ``grace_seconds`` (0: stops at once)."""
    user = get_user(account_id, user_name)
    key = new_api_key()
    until = utcnow() + dt.timedelta(seconds=grace_seconds) if grace_seconds > 0 else None
    with db.write_transaction():
        User.update(key_hash=hash_key(key), previous_key_hash=user.key_hash if until else None,
                    previous_key_until=until).where(User.id == user.id).execute()
    return key


def check_grant(user: User, granter: User) -> None:
    """Forbidden("grant_beyond_own") when ``user`` would hold a flag, a campaign or a manager-level role
    that ``granter`` (the user changing it) does not: call inside the write's transaction, so that the
    refusal rolls the change back."""
    reach, theirs = reach_of(user), reach_of(granter)
    if (not flags_of(user) <= flags_of(granter)
            or (theirs is not None and (reach is None or not reach <= theirs))
            or (is_manager_level(user) and not is_manager_level(granter))):
        raise Forbidden("grant_beyond_own")
