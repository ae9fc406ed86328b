"""The database and account commands: init-db, create-account, create-user, check-ledger, demo."""
from __future__ import annotations

import re
import sys

import click

from ..domain import db, ledger, models, participants
from ..domain.models import Account, User
from ..domain.permissions import ALIASES, ROLES
from ..domain.users import hash_key, new_api_key

_ACCOUNT_ID = re.compile(r"[A-Za-z0-9_.@-]{1,64}")


@click.command("init-db")
def init_db() -> None:
    """Create the tables (safe to run again: existing tables and data are kept)."""
    from ..domain import schema  # bring an existing database up to the models: docs/operations.md

    try:
        changes = schema.upgrade()
    except schema.UpgradeError as exc:
        raise click.ClickException(f"{exc} (nothing was changed)") from None
    for change in changes:
        click.echo(change)
    click.echo("database ready")


@click.command("create-account")
@click.argument("account_id")
@click.option("--name", default="", help="The business name.")
def create_account(account_id: str, name: str) -> None:
    """Create an account (a merchant, the "Owner ID" legacy clients send as account_id)."""
    if not _ACCOUNT_ID.fullmatch(account_id):
        raise click.ClickException("account id: 1-64 letters, digits, or . _ - @")
    models.create_tables()
    if Account.get_or_none(Account.id == account_id) is not None:
        raise click.ClickException(f"account {account_id} already exists")
    Account.create(id=account_id, name=name)
    click.echo(f"account {account_id} created")


@click.command("create-user")
@click.argument("account_id")
@click.argument("user_id")
@click.option("--role", type=click.Choice([*ROLES, *ALIASES]), default="manager", show_default=True,
              help="A role letter (docs/users.md); manager and staff are the letters A and K.")
@click.option("--api-key", default=None, help="Keep a key the merchant's clients already send (migration).")
def create_user(account_id: str, user_id: str, role: str, api_key: str | None) -> None:
    """Create an API user and print its key (shown once: only its hash is stored)."""
    models.create_tables()
    if Account.get_or_none(Account.id == account_id) is None:
        raise click.ClickException(f"account {account_id} does not exist")
    if User.get_or_none(User.account == account_id, User.user_id == user_id) is not None:
        raise click.ClickException(f"user {user_id} already exists in account {account_id}")
    if api_key is not None and len(api_key) < 8:
        raise click.ClickException("--api-key must be at least 8 characters")
    key = api_key or new_api_key()
    User.create(account=account_id, user_id=user_id, role=role, key_hash=hash_key(key))
    click.echo(key)


@click.command("check-ledger")
def check_ledger() -> None:
    """Verify that every stored balance equals the sum of its ledger rows, and every campaign's number of
    participants its memberships; exit 1 on any difference."""
    db.ensure_connection()
    bad = 0
    for m in ledger.check():
        bad += 1
        click.echo(
            f"MISMATCH customer={m.customer_id} campaign={m.campaign_id} item={m.item} stored={m.stored} ledger={m.ledger}"
        )
    miscounted = participants.miscounted()
    for campaign_id, stored, counted in miscounted:
        click.echo(f"MISCOUNT campaign={campaign_id} participants stored={stored} counted={counted}")
    if bad:
        click.echo(f"{bad} balance(s) differ from the ledger", err=True)
    if miscounted:
        click.echo(f"{len(miscounted)} campaign(s) miscount their participants", err=True)
    if bad or miscounted:
        sys.exit(1)
    click.echo("ledger consistent")


@click.command("demo")
@click.option("--account", "account_id", default="demo", show_default=True)
@click.option("--user", "user_id", default="demo", show_default=True)
def demo(account_id: str, user_id: str) -> None:
    """Create (or refresh) a demo account and manager, and print a fresh API key for it."""
    models.create_tables()
    Account.get_or_create(id=account_id, defaults={"name": "Demo Shop"})
    key = new_api_key()
    user = User.get_or_none(User.account == account_id, User.user_id == user_id)
    if user is None:
        User.create(account=account_id, user_id=user_id, role="manager", key_hash=hash_key(key))
    else:
        User.update(key_hash=hash_key(key)).where(User.id == user.id).execute()
    click.echo(f"account_id={account_id} user_id={user_id} user_api_key={key}")


COMMANDS = (init_db, create_account, create_user, check_ledger, demo)
