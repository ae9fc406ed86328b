"""The mail command: send-mail delivers the outbox through the operator's SMTP server (docs/mail.md)."""
from __future__ import annotations

import sys
import time

import click
from flask import current_app
from flask.cli import with_appcontext

from ..domain import db, mail


@click.command("send-mail")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Send at most this many mails.")
@click.option("--every", type=click.FloatRange(min=1), default=None,
              help="Keep running: look for pending mail every this many seconds (a worker).")
@with_appcontext
def send_mail(limit: int | None, every: float | None) -> None:
    """Send pending customer mail; exit 1 if a mail failed for good in this run."""
    settings = mail.settings_from(current_app.config)
    if settings is None:
        raise click.ClickException("no SMTP server configured: set REWARDGATE_SMTP_HOST (nothing was sent)")
    db.ensure_connection()
    while True:
        try:
            outcome = mail.deliver(settings, limit=limit)
        except mail.ServerUnavailable as exc:
            if every is None:
                raise click.ClickException(f"cannot send: {exc} (the mail stays pending)") from None
            click.echo(f"cannot send: {exc} (the mail stays pending)", err=True)
            time.sleep(every)
            continue
        waiting = mail.counts()
        click.echo(f"sent {outcome.sent}, failed {outcome.failed}, to retry {outcome.retry}; "
                   f"pending {waiting.get(mail.PENDING, 0)}, interrupted {waiting.get(mail.SENDING, 0)}")
        if every is None:
            break
        time.sleep(every)
    if outcome.failed:
        sys.exit(1)


COMMANDS = (send_mail,)
