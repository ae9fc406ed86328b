"""Customer mail: queued in the database with the write that causes it, delivered by ``send-mail`` to a
real SMTP server (aiosmtpd, started here on a free port), at most once, with retries up to a limit."""
from __future__ import annotations

import email
import os
import re
import socket
import subprocess
import sys
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from gateway.domain import mail, service
from gateway.domain.errors import Conflict
from gateway.domain.models import Account, OutboxMail

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Sink:
    """An SMTP server's message handler: keeps what it accepts; refuses recipients by their local part."""

    def __init__(self):
        self.received = []  # (mail_from, rcpt_tos, parsed message)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("busy@"):
            return "451 4.3.0 try again later"
        if address.startswith("nobody@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, sink
    controller.stop()


@pytest.fixture
def mailing(app, smtp):
    """The app with an SMTP server configured (as REWARDGATE_SMTP_* would), and the server's sink."""
    port, sink = smtp
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port, SMTP_FROM="loyalty@rewardgate.test")
    return sink


def send_mail(runner, *args):
    return runner.invoke(args=["send-mail", *args])


def points_campaign(api) -> str:
    return api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Coffee Club",
                  points_ratio="10")["campaign"]["id"]


def customer(api, code="C1", email_="amy@example.test", **fields):
    return api.ok("record_customer", customer_action="new", code=code, first_name="Amy", email=email_,
                  send_no_email="true", **fields)


def outbox():
    return list(OutboxMail.select().order_by(OutboxMail.id))


# --- what is queued -----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_recorded_transaction_is_mailed_with_the_new_balance(api, mailing, runner, fmt):
    campaign = points_campaign(api)
    customer(api, card_number="777")
    answer = api.answer(fmt, "record_activity", campaign_id=campaign, code="C1", amount="12.50",
                        send_transaction_email="Y")
    assert answer["status"] == "success" and answer["receipt"]["balance"] == "125"
    result = send_mail(runner)
    assert result.exit_code == 0, result.output
    assert "sent 1, failed 0" in result.output
    [(mail_from, rcpt, message)] = mailing.received
    assert rcpt == ["amy@example.test"] and message["To"] == "amy@example.test"
    assert mail_from == "loyalty@rewardgate.test"
    assert message["From"] == "Great Widgets <loyalty@rewardgate.test>"
    assert message["Subject"] == "Great Widgets: 125 points added to your Coffee Club balance"
    body = message.get_content()
    assert "Hello Amy," in body
    assert "Great Widgets has recorded 125 points on your Coffee Club account (card 777)." in body
    assert "Your balance is now 125 points." in body
    assert [m.status for m in outbox()] == ["sent"]


def test_a_redeem_is_mailed_with_the_reward_and_the_balance_left(api, mailing, runner):
    campaign = points_campaign(api)
    reward = api.ok("campaign_new", action="reward", campaign_id=campaign, reward_level="100",
                    reward_description="Free Latte")["campaign"]["reward"]["id"]
    customer(api)
    api.ok("record_activity", campaign_id=campaign, code="C1", amount="30")  # no mail: not asked for
    doc = api.ok("redeem", campaign_id=campaign, code="C1", reward_to_redeem=reward, send_transaction_email="Yes")
    assert doc["receipt"]["balance"] == "200"
    assert send_mail(runner).exit_code == 0
    [(_, _, message)] = mailing.received
    assert message["Subject"] == "Great Widgets: 100 points redeemed from your Coffee Club balance"
    body = message.get_content()
    assert "Great Widgets has redeemed 100 points for Free Latte on your Coffee Club account (card C1)." in body
    assert "Your balance is now 200 points." in body


def test_gift_card_amounts_carry_the_currency_glyph(api, mailing, runner):
    campaign = api.ok("campaign_new", action="campaign", campaign_type="giftcard", campaign_name="Gift")["campaign"]["id"]
    customer(api)
    api.ok("record_activity", campaign_id=campaign, code="C1", amount="25,50", send_transaction_email="Y")
    assert send_mail(runner).exit_code == 0
    [(_, _, message)] = mailing.received
    assert "Great Widgets has recorded $25.50 on your Gift account" in message.get_content()
    assert "Your balance is now $25.50." in message.get_content()


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_a_new_customer_is_welcomed_unless_send_no_email(api, mailing, runner, fmt):
    assert api.answer(fmt, "record_customer", customer_action="new", code="N1", card_number="4242",
                      first_name="Bo", email="bo@example.test")["status"] == "success"
    api.ok("record_customer", customer_action="new", code="N2", email="quiet@example.test", send_no_email="true")
    api.ok("record_customer", customer_action="edit", code="N1", last_name="Smith")  # an update: no mail
    api.ok("record_customer", customer_action="new", code="N3")  # no address: no mail
    assert [m.recipient for m in outbox()] == ["bo@example.test"]
    assert send_mail(runner).exit_code == 0
    [(_, rcpt, message)] = mailing.received
    assert rcpt == ["bo@example.test"]
    assert message["Subject"] == "Welcome to Great Widgets"
    body = message.get_content()
    assert "Hello Bo," in body and "Your customer number is N1." in body and "Your card number is 4242." in body


def test_registering_an_existing_customer_is_confirmed(api, mailing, runner):
    api.ok("record_customer", customer_action="new", code="R1", email="reg@example.test", send_no_email="Y")
    api.ok("record_customer", customer_action="register", code="R1", customer_password="s3cret-pass")
    assert send_mail(runner).exit_code == 0
    [(_, _, message)] = mailing.received
    assert message["Subject"] == "Great Widgets: your account is registered"
    assert "s3cret-pass" not in message.as_string()


def test_the_account_e_mail_is_the_sender_and_bounces_go_to_the_operator(api, mailing, runner):
    Account.update(client_email="hello@widgets.test").where(Account.id == "shop").execute()
    campaign = points_campaign(api)
    customer(api)
    api.ok("record_activity", campaign_id=campaign, code="C1", amount="1", send_transaction_email="Y")
    assert send_mail(runner).exit_code == 0
    [(mail_from, _, message)] = mailing.received
    assert message["From"] == "Great Widgets <hello@widgets.test>"
    assert mail_from == "loyalty@rewardgate.test"


def test_without_an_smtp_host_nothing_is_queued_and_the_answer_is_the_same(api, app, smtp):
    campaign = points_campaign(api)
    customer(api, code="A1")
    customer(api, code="B1")
    fields = dict(campaign_id=campaign, amount="5", send_transaction_email="Y", authorization="till 1")
    quiet = api.call("record_activity", code="A1", **fields).data
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp[0])
    loud = api.call("record_activity", code="B1", **fields).data
    assert len(outbox()) == 1  # only the second, with a host configured

    def normal(body: bytes, code: str) -> bytes:
        body = re.sub(rb"<transaction_id>\d+</transaction_id>", b"<transaction_id/>", body)
        body = re.sub(rb"<date>[^<]*</date>", b"<date/>", body)
        return body.replace(f"<code>{code}</code>".encode(), b"<code/>")

    assert normal(quiet, "A1") == normal(loud, "B1")


def test_send_mail_without_an_smtp_host_refuses_and_sends_nothing(app, runner):
    result = send_mail(runner)
    assert result.exit_code == 1
    assert "no SMTP server configured: set REWARDGATE_SMTP_HOST" in result.output


def test_a_write_that_fails_queues_nothing(api, mailing):
    campaign = points_campaign(api)
    customer(api)
    assert api.err("redeem", campaign_id=campaign, code="C1", custom_points_redeem="10", send_transaction_email="Y") \
        == "Insufficient balance: 0 available, 10 needed"
    assert api.err("record_customer", customer_action="new", code="C1", email="x@example.test") \
        == "Customer code already in use"
    assert outbox() == []


def test_mail_queued_by_a_write_that_then_fails_is_rolled_back_with_it(app, mailing):
    def work():
        mail.queue("shop", "late@example.test", "queued", "then the write fails")
        raise Conflict("customer_code_taken")

    with pytest.raises(Conflict):
        service.run_write(work, account_id="shop")
    assert outbox() == []


def test_an_idempotent_retry_queues_no_second_mail(api, mailing, runner):
    campaign = points_campaign(api)
    customer(api)
    for _ in range(2):
        api.ok("record_activity", campaign_id=campaign, code="C1", amount="3", send_transaction_email="Y",
               idempotency_key="till-1-0001")
    assert len(outbox()) == 1
    assert send_mail(runner).exit_code == 0
    assert send_mail(runner).exit_code == 0  # nothing left: nothing sent again
    assert len(mailing.received) == 1


# --- delivery: failures, retries, at most once ------------------------------------------------------

def test_a_temporary_refusal_is_retried_up_to_the_limit_then_failed(api, app, mailing, runner):
    app.config["SMTP_MAX_ATTEMPTS"] = 2
    api.ok("record_customer", customer_action="new", code="T1", email="busy@example.test")
    api.ok("record_customer", customer_action="new", code="T2", email="ok@example.test")
    first = send_mail(runner)
    assert first.exit_code == 0 and "sent 1, failed 0, to retry 1" in first.output
    [row] = [m for m in outbox() if m.recipient == "busy@example.test"]
    assert (row.status, row.attempts) == ("pending", 1) and "451" in row.last_error
    second = send_mail(runner)
    assert second.exit_code == 1 and "sent 0, failed 1, to retry 0" in second.output
    assert OutboxMail.get_by_id(row.id).status == "failed"
    assert send_mail(runner).output.startswith("sent 0, failed 0, to retry 0")  # failed mail is left alone
    assert [rcpt for _, rcpt, _ in mailing.received] == [["ok@example.test"]]


def test_a_permanent_refusal_fails_at_once(api, mailing, runner):
    api.ok("record_customer", customer_action="new", code="P1", email="nobody@example.test")
    result = send_mail(runner)
    assert result.exit_code == 1 and "failed 1" in result.output
    [row] = outbox()
    assert (row.status, row.attempts) == ("failed", 1) and "550" in row.last_error


def test_an_unreachable_server_costs_no_attempt(api, app, mailing, runner):
    api.ok("record_customer", customer_action="new", code="U1", email="u@example.test")
    app.config["SMTP_PORT"] = free_port()  # nothing listens there
    result = send_mail(runner)
    assert result.exit_code == 1 and "cannot send" in result.output and "the mail stays pending" in result.output
    [row] = outbox()
    assert (row.status, row.attempts) == ("pending", 0)


def test_a_claimed_mail_is_never_sent_again(api, mailing, runner):
    # A sender that died after claiming a mail leaves it "sending": it may have gone out, so it stays.
    api.ok("record_customer", customer_action="new", code="S1", email="s@example.test")
    OutboxMail.update(status="sending", attempts=1).execute()
    result = send_mail(runner)
    assert result.exit_code == 0 and "interrupted 1" in result.output
    assert mailing.received == []


def test_smtp_login(api, app, runner):
    def check(server, session, envelope, mechanism, auth_data):
        return AuthResult(success=auth_data.login == b"shop" and auth_data.password == b"pw-123", handled=False)

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), authenticator=check,
                            auth_require_tls=False)
    controller.start()
    try:
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_FROM="l@rewardgate.test",
                          SMTP_USER="shop", SMTP_PASSWORD="wrong", SMTP_STARTTLS="N")
        api.ok("record_customer", customer_action="new", code="L1", email="l1@example.test")
        refused = send_mail(runner)
        assert refused.exit_code == 1 and "cannot send" in refused.output
        assert outbox()[0].attempts == 0
        app.config["SMTP_PASSWORD"] = "pw-123"
        assert send_mail(runner).exit_code == 0
        assert [rcpt for _, rcpt, _ in sink.received] == [["l1@example.test"]]
    finally:
        controller.stop()


def test_settings_read_the_operators_configuration():
    assert mail.settings_from({}) is None
    assert mail.settings_from({"SMTP_HOST": " "}) is None
    plain = mail.settings_from({"SMTP_HOST": "mx", "SMTP_PORT": "2525"})
    assert (plain.host, plain.port, plain.starttls, plain.max_attempts) == ("mx", 2525, False, 5)
    # With a login, STARTTLS is on unless the operator turns it off.
    assert mail.settings_from({"SMTP_HOST": "mx", "SMTP_USER": "u"}).starttls is True
    assert mail.settings_from({"SMTP_HOST": "mx", "SMTP_USER": "u", "SMTP_STARTTLS": False}).starttls is False


@pytest.mark.slow
def test_two_senders_at_once_send_each_mail_once(api, app, database_url, mailing):
    for n in range(30):
        api.ok("record_customer", customer_action="new", code=f"M{n}", email=f"m{n}@example.test")
    env = {**os.environ, "DATABASE_URL": database_url, "REWARDGATE_SMTP_HOST": "127.0.0.1",
           "REWARDGATE_SMTP_PORT": str(app.config["SMTP_PORT"]), "REWARDGATE_SMTP_FROM": "l@rewardgate.test"}
    flask = [sys.executable, "-m", "flask", "--app", "app", "send-mail"]
    senders = [subprocess.Popen(flask, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(2)]
    outputs = [p.communicate(timeout=120) for p in senders]
    assert all(p.returncode == 0 for p in senders), outputs
    recipients = sorted(rcpt[0] for _, rcpt, _ in mailing.received)
    assert recipients == sorted(f"m{n}@example.test" for n in range(30))
    assert {m.status for m in outbox()} == {"sent"}
