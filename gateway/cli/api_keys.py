"""JSON API keys: create-api-key, revoke-api-key (docs/api.md)."""
from __future__ import annotations

import click

from ..domain import api_keys, models
from ..domain.errors import InvalidValue, NotFound


@click.command("create-api-key")
@click.argument("account_id")
@click.option("--env", "environment", type=click.Choice(["live", "test"]), required=True,
              help="live: the account's data; test: its separate sandbox.")
@click.option("--public", is_flag=True, help="A public key (pk_..., header X-API-Key) instead of a secret one.")
def create_api_key(account_id: str, environment: str, public: bool) -> None:
    """Create a JSON API key and print it (shown once: only its hash is stored)."""
    models.create_tables()
    try:
        key = api_keys.create_key(account_id, environment, api_keys.PUBLIC if public else api_keys.SECRET)
    except NotFound:
        raise click.ClickException(f"account {account_id} does not exist") from None
    except InvalidValue as exc:
        raise click.ClickException(f"cannot create the key: {exc.field} {exc.reason.replace('_', ' ')}") from None
    click.echo(key)


@click.command("revoke-api-key")
@click.argument("key")
def revoke_api_key(key: str) -> None:
    """Revoke a JSON API key (the whole key); it is refused from the next request on."""
    models.create_tables()
    try:
        row = api_keys.revoke_key(key.strip())
    except NotFound:
        raise click.ClickException("no such key") from None
    click.echo(f"key {row.hint} of account {row.account_id} ({row.environment}) revoked")


COMMANDS = [create_api_key, revoke_api_key]
