"""The coalition command: make an account a coalition account, or not (docs/decisions.md, Coalitions)."""
from __future__ import annotations

import click

from ..domain import coalition, db


@click.command("coalition")
@click.argument("account_id")
@click.argument("state", type=click.Choice(["on", "off"]))
def set_coalition(account_id: str, state: str) -> None:
    """Turn ACCOUNT's coalition on (its points campaigns share one balance, and so do its gift-card
    campaigns, except those that opted out) or off."""
    db.ensure_connection()
    with db.write_transaction():
        found = coalition.set_coalition(account_id, state == "on")
    if not found:
        raise click.ClickException(f"account {account_id} does not exist")
    click.echo(f"account {account_id}: coalition {state}")


COMMANDS = (set_coalition,)
