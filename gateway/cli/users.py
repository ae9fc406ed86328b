"""The user commands: rotate-key, delete-user, list-users."""
from __future__ import annotations

import click

from ..domain import db, permissions, users
from ..domain.errors import NotFound


@click.command("rotate-key")
@click.argument("account_id")
@click.argument("user_id")
@click.option("--grace", default=0, type=click.IntRange(min=0), show_default=True,
              help="Seconds the old key keeps working (0: it stops at once).")
def rotate_key(account_id: str, user_id: str, grace: int) -> None:
    """Give a user a new API key and print it (shown once: only its hash is stored)."""
    db.ensure_connection()
    try:
        click.echo(users.rotate_key(account_id, user_id, grace))
    except NotFound:
        raise click.ClickException(f"user {user_id} does not exist in account {account_id}") from None


@click.command("delete-user")
@click.argument("account_id")
@click.argument("user_id")
def delete_user(account_id: str, user_id: str) -> None:
    """Delete a user: its key and sessions stop working at the next request."""
    db.ensure_connection()
    try:
        with db.write_transaction():
            users.delete_user(account_id, user_id)
    except NotFound:
        raise click.ClickException(f"user {user_id} does not exist in account {account_id}") from None
    click.echo(f"user {user_id} deleted")


@click.command("list-users")
@click.argument("account_id")
def list_users(account_id: str) -> None:
    """The account's users: name, role letter, campaigns (all, none or their ids)."""
    db.ensure_connection()
    for user in users.list_users(account_id):
        reach = users.reach_of(user)
        seen = "all" if reach is None else ",".join(sorted(reach)) or "none"
        click.echo(f"{user.user_id}\t{permissions.role_letter(user.role)}\t{seen}")


COMMANDS = (rotate_key, delete_user, list_users)
