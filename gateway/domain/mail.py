"""E-mail to customers: an outbox in the database, and its delivery through the operator's SMTP server.

Rules kept here and nowhere else (docs/mail.md):
- a mail is queued (one ``OutboxMail`` row) inside the transaction of the write that causes it, so a
  write that rolls back queues nothing, and a replayed idempotent request (which runs nothing) queues
  nothing again;
- nothing is queued when no SMTP host is configured (``settings_from`` gives None): an outbox that no
  one will ever send would only grow;
- delivery claims each row with a conditional UPDATE (``pending`` -> ``sending``) before talking to
  the server, so two senders running at once never send one mail twice; a sender that dies after the
  claim leaves the row ``sending``, and it is never retried (it may have gone out);
- a failure puts the row back to ``pending`` until ``max_attempts`` attempts, then ``failed``; a
  permanent refusal (5xx) fails it at once.
"""
from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Mapping

import peewee as pw

from . import db
from .models import Account, Customer, Item, OutboxMail, Reward, utcnow
from .units import BUYX, EARNED, EVENTS, GIFTCARD, POINTS, format_units

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
MAX_SUBJECT = 255


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """The operator's SMTP server (``REWARDGATE_SMTP_*``); see ``settings_from``."""

    host: str
    port: int = 25
    user: str = ""
    password: str = ""
    sender: str = ""  # REWARDGATE_SMTP_FROM: the envelope sender, and From when an account has no e-mail
    starttls: bool = False
    timeout: float = 30.0
    max_attempts: int = 5


def _flag(value, default: bool) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "y", "yes", "true", "on")


def settings_from(config: Mapping) -> SmtpSettings | None:
    """The SMTP settings in an app's configuration (keys ``SMTP_HOST``... as Flask reads the
    ``REWARDGATE_SMTP_*`` environment), or None when no host is configured: then no mail is queued."""
    host = str(config.get("SMTP_HOST") or "").strip()
    if not host:
        return None
    user = str(config.get("SMTP_USER") or "")
    return SmtpSettings(
        host=host,
        port=int(config.get("SMTP_PORT") or 25),
        user=user,
        password=str(config.get("SMTP_PASSWORD") or ""),
        sender=str(config.get("SMTP_FROM") or "").strip(),
        # A password never crosses the network in clear unless the operator says so explicitly.
        starttls=_flag(config.get("SMTP_STARTTLS"), default=bool(user)),
        timeout=float(config.get("SMTP_TIMEOUT") or 30),
        max_attempts=max(1, int(config.get("SMTP_MAX_ATTEMPTS") or 5)),
    )


# --- queuing ------------------------------------------------------------------------------------------

def queue(account_id: str, recipient: str, subject: str, body: str) -> OutboxMail:
    """Queue one mail. Call inside the write transaction of what causes it."""
    return OutboxMail.create(account=account_id, recipient=recipient, subject=" ".join(subject.split())[:MAX_SUBJECT],
                             body=body)


def _business(account: Account) -> str:
    return account.name or account.id


def _hello(customer: Customer) -> str:
    return f"Hello {customer.first_name}," if customer.first_name else "Hello,"


def _quantity(units: int, campaign, glyph: str, item: Item | None = None) -> str:
    """``120 points``, ``1 event``, ``$12.50``, ``3 purchases of Coffee``."""
    text = format_units(units, campaign.type)
    if campaign.type in (GIFTCARD, EARNED):
        return f"{glyph}{text}"
    word = {POINTS: "point", EVENTS: "event", BUYX: "purchase"}[campaign.type]
    quantity = f"{text} {word}" + ("" if text == "1" else "s")
    return f"{quantity} of {item.description}" if item is not None else quantity


def _card(customer: Customer) -> str:
    return customer.card_number or customer.code


def transaction_mail(account_id: str, receipt) -> OutboxMail | None:
    """Queue the mail of a recorded or redeemed transaction (``send_transaction_email=Y``): what moved
    and the new balance. None when the customer has no e-mail address."""
    customer = Customer.get_by_id(receipt.customer.id)
    if not customer.email:
        return None
    account = Account.get_by_id(account_id)
    entry, campaign = receipt.entry, receipt.campaign
    amount = _quantity(abs(entry.amount), campaign, account.glyph, receipt.item)
    balance = _quantity(receipt.balance, campaign, account.glyph, receipt.item)
    if entry.amount < 0:
        reward = Reward.get_or_none(Reward.id == entry.reward_id) if entry.reward_id else None
        what = f"redeemed {amount}" + (f" for {reward.description}" if reward is not None else "")
        subject = f"{_business(account)}: {amount} redeemed from your {campaign.name} balance"
    else:
        what = f"recorded {amount}"
        subject = f"{_business(account)}: {amount} added to your {campaign.name} balance"
    lines = [
        _hello(customer),
        "",
        f"{_business(account)} has {what} on your {campaign.name} account (card {_card(customer)}).",
        f"Your balance is now {balance}.",
    ]
    if entry.authorization:
        lines.append(f"Note: {entry.authorization}")
    lines += ["", f"Transaction {entry.id}, {entry.created:%Y-%m-%d %H:%M} UTC."]
    return queue(account_id, customer.email, subject, "\n".join(lines) + "\n")


def customer_mail(account_id: str, customer: Customer, *, created: bool, registered: bool) -> OutboxMail | None:
    """Queue the mail of ``record_customer``: a welcome to a new customer, a confirmation to one who
    registers. None when there is nothing to say or no address to say it to."""
    if not customer.email or not (created or registered):
        return None
    account = Account.get_by_id(account_id)
    business = _business(account)
    lines = [_hello(customer), ""]
    if created:
        subject = f"Welcome to {business}"
        lines.append(f"Welcome to the rewards programme of {business}.")
    else:
        subject = f"{business}: your account is registered"
        lines.append(f"Your account with {business} is now registered.")
    lines.append(f"Your customer number is {customer.code}.")
    if customer.card_number and customer.card_number != customer.code:
        lines.append(f"Your card number is {customer.card_number}.")
    return queue(account_id, customer.email, subject, "\n".join(lines) + "\n")


# --- delivery -----------------------------------------------------------------------------------------

@dataclass(slots=True)
class Delivery:
    """What one ``deliver`` run did."""

    sent: int = 0
    retry: int = 0  # failed this time, will be tried again
    failed: int = 0  # failed for good


def sender_of(account: Account, settings: SmtpSettings) -> tuple[str, str]:
    """(From header, envelope sender). From is the account's client e-mail (else its contact e-mail),
    named after the business, so replies reach the merchant; else the configured FROM. The envelope
    sender is the configured FROM when there is one, so that bounces reach the operator."""
    own = (getattr(account, "client_email", "") or getattr(account, "contact_email", "") or "").strip()
    address = own or settings.sender
    header = formataddr((_business(account), address)) if address else ""
    return header, settings.sender or address


def message_of(row: OutboxMail, account: Account, settings: SmtpSettings) -> tuple[EmailMessage, str]:
    header, envelope = sender_of(account, settings)
    if not header:
        raise _Permanent("no sender address: set REWARDGATE_SMTP_FROM or the account's e-mail")
    msg = EmailMessage()
    msg["From"] = header
    msg["To"] = row.recipient
    msg["Subject"] = row.subject
    msg["Message-ID"] = make_msgid(idstring=f"rewardgate.{row.id}")
    msg.set_content(row.body)
    return msg, envelope


class _Permanent(Exception):
    """A refusal that another attempt cannot change."""


def _connect(settings: SmtpSettings) -> smtplib.SMTP:
    server = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
    try:
        if settings.starttls:
            server.starttls(context=ssl.create_default_context())
        if settings.user:
            server.login(settings.user, settings.password)
    except BaseException:
        server.close()
        raise
    return server


def _claim(row_id: int) -> bool:
    """Take one pending mail for this sender: a conditional UPDATE that only one sender can win."""
    return OutboxMail.update(status=SENDING, attempts=OutboxMail.attempts + 1).where(
        (OutboxMail.id == row_id) & (OutboxMail.status == PENDING)).execute() == 1


def _permanent(error: Exception) -> bool:
    """A 5xx answer (or no sender at all): another attempt would get the same; a 4xx is worth a retry."""
    if isinstance(error, _Permanent):
        return True
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(500 <= code < 600 for code, _ in error.recipients.values())
    return isinstance(error, smtplib.SMTPResponseException) and 500 <= error.smtp_code < 600


def _finish(row: OutboxMail, settings: SmtpSettings, error: Exception | None, outcome: Delivery) -> None:
    if error is None:
        OutboxMail.update(status=SENT, sent=utcnow(), last_error="").where(OutboxMail.id == row.id).execute()
        outcome.sent += 1
        return
    permanent = _permanent(error)
    final = permanent or row.attempts >= settings.max_attempts  # the claim counted this attempt
    OutboxMail.update(status=FAILED if final else PENDING, last_error=str(error)[:1000]).where(
        OutboxMail.id == row.id).execute()
    if final:
        outcome.failed += 1
    else:
        outcome.retry += 1


class ServerUnavailable(Exception):
    """The SMTP server could not be reached or refused the login: no mail was claimed or counted."""


def deliver(settings: SmtpSettings, *, limit: int | None = None) -> Delivery:
    """Send the pending mail, oldest first, each at most once, over one SMTP connection.

    The connection is made before a mail is claimed, so an unreachable server or a refused login
    (``ServerUnavailable``) costs no mail an attempt. Every claim and outcome is committed on its own,
    so a crash loses at most the mail being sent, which then stays ``sending``.
    """
    outcome = Delivery()
    query = OutboxMail.select(OutboxMail.id).where(OutboxMail.status == PENDING).order_by(OutboxMail.id)
    ids = [row_id for (row_id,) in (query.limit(limit) if limit else query).tuples()]
    server: smtplib.SMTP | None = None
    accounts: dict[str, Account] = {}
    try:
        for row_id in ids:
            if server is None:
                try:
                    server = _connect(settings)
                except (smtplib.SMTPException, OSError) as exc:
                    raise ServerUnavailable(f"{settings.host}:{settings.port}: {exc}") from None
            with db.write_transaction():
                claimed = _claim(row_id)
            if not claimed:
                continue  # another sender took it
            row = OutboxMail.get_by_id(row_id)
            if row.account_id not in accounts:
                accounts[row.account_id] = Account.get_by_id(row.account_id)
            error = None
            try:
                msg, envelope = message_of(row, accounts[row.account_id], settings)
                server.send_message(msg, from_addr=envelope, to_addrs=[row.recipient])
            except (smtplib.SMTPException, OSError, _Permanent) as exc:
                error = exc
                if isinstance(exc, (smtplib.SMTPServerDisconnected, OSError)):
                    server.close()
                    server = None  # reconnect for the next one
            with db.write_transaction():
                _finish(row, settings, error, outcome)
    finally:
        if server is not None:
            try:
                server.quit()
            except (smtplib.SMTPException, OSError):
                server.close()
    return outcome


def counts() -> dict[str, int]:
    """Mail in the outbox by status."""
    return {status: n for status, n in OutboxMail.select(OutboxMail.status, pw.fn.COUNT(OutboxMail.id))
            .group_by(OutboxMail.status).tuples()}
