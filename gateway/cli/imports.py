"""Batch imports for the operator: import-customers and import-transactions (docs/batches.md).

A file is read and checked as customers_batch and batch_transactions read their CSV (the same
columns, the same per-row errors), without their row limit, and imported in one transaction: all of
it or, when any row is refused, none of it.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

import click

from ..domain import batches, db, service
from ..domain.errors import DomainError
from ..domain.models import Account
from ..legacy.calls import batches as csv_rows
from ..legacy.messages import LegacyError, wording
from ..legacy.transport import decode_pairs


def _text(path: str) -> str:
    """The file's text: UTF-8 when all of it is, else Windows-1252, as the endpoint reads a body."""
    raw = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    return decode_pairs([(b"", raw)])[0][1]


def _import(account_id: str, path: str, read: Callable, work: Callable, fields: dict[str, str]) -> batches.Outcome:
    db.ensure_connection()
    if Account.get_or_none(Account.id == account_id) is None:
        raise click.ClickException(f"account {account_id} does not exist")
    text = _text(path)
    name = "-" if path == "-" else Path(path).name
    try:
        with click.progressbar(length=max(1, text.count("\n")), label="Reading  ", file=sys.stderr) as bar:
            rows = read(text, name, progress=bar.update)
    except LegacyError as exc:
        raise click.ClickException(f"{exc.message} (nothing was imported)") from None
    try:
        with click.progressbar(length=max(1, len(rows.loaded)), label="Importing", file=sys.stderr) as bar:
            outcome, _ = service.run_write(lambda: csv_rows.run(rows, lambda: work(rows, bar.update), fields),
                                           account_id=account_id)
    except csv_rows.RowsRefused as exc:
        for number, message in exc.errors:
            click.echo(f"row {number}: {message}", err=True)
        refused = len({number for number, _ in exc.errors})
        click.echo(f"{refused} of {rows.count} rows refused: nothing was imported", err=True)
        sys.exit(1)
    except DomainError as exc:
        raise click.ClickException(f"{wording(exc, fields)} (nothing was imported)") from None
    return outcome


def _taken(rows: csv_rows.Rows, changes: list) -> list:
    """``changes`` made from the loaded rows, which are let go: a large file's memory is then held once."""
    rows.loaded.clear()
    return changes


@click.command("import-customers")
@click.argument("account_id")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
def import_customers(account_id: str, file: str) -> None:
    """Create or update the customers of a CSV FILE (``-``: standard input) in ACCOUNT_ID, as
    customers_batch does; all rows or none."""
    outcome = _import(account_id, file, csv_rows.customer_rows,
                      lambda rows, progress: batches.import_customers(
                          account_id, _taken(rows, csv_rows.customer_changes(rows)), progress=progress),
                      csv_rows.RECORD_FIELDS)
    click.echo(f"imported {outcome.customers} customers: {outcome.new_customers} new, "
               f"{outcome.customers - outcome.new_customers} updated")


@click.command("import-transactions")
@click.argument("account_id")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--user", "user_id", default="import", show_default=True,
              help="Who the transactions are recorded by (their user_name in histories).")
def import_transactions(account_id: str, file: str, user_id: str) -> None:
    """Record the activities of a CSV FILE (``-``: standard input) in ACCOUNT_ID, as
    batch_transactions does; all rows or none."""
    outcome = _import(account_id, file, csv_rows.transaction_rows,
                      lambda rows, progress: batches.import_transactions(
                          account_id, _taken(rows, csv_rows.transaction_changes(rows, user_id)), progress=progress),
                      csv_rows.TRANSACTION_FIELDS)
    click.echo(f"imported {outcome.transactions} transactions for {outcome.customers} customers")


COMMANDS = (import_customers, import_transactions)
