"""Reused answers (gateway/answers.py): a cached read is never served across a committed change, from
any worker, on SQLite; nothing is cached on PostgreSQL."""
from __future__ import annotations

import sqlite3
import time

import pytest
import requests

from gateway.domain import db
from gateway.legacy import answers
from gateway.domain.models import Reward
from gateway.legacy.registry import Registry
from schemas.legacy.base import EmptySchema
from servers import form, fresh_database, running_server


def new_points(api, name="Cached") -> str:
    return api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name=name)["campaign"]["id"]


def levels(api, cid, **extra) -> list[str]:
    return [r["level"] for r in api.ok("campaign_rewards", campaign_id=cid, **extra)["rewards"]]


@pytest.fixture(autouse=True)
def empty_cache():
    answers.forget()
    yield
    answers.forget()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_reward_list_is_reused_until_a_change_and_then_read_again(api, backend):
    cid = new_points(api)
    api.ok("campaign_new", action="reward", campaign_id=cid, reward_level="100", reward_description="Tea")
    assert levels(api, cid) == ["100"]
    assert len(answers._answers) == 1
    token = db.change_token()
    assert levels(api, cid) == ["100"] and db.change_token() == token  # reused: nothing changed
    api.ok("campaign_new", action="reward", campaign_id=cid, reward_level="50", reward_description="Cake")
    assert db.change_token() != token
    assert levels(api, cid) == ["50", "100"]
    api.ok("campaign_update", action="reward", campaign_id=cid, reward_id=api.ok(
        "campaign_rewards", campaign_id=cid)["rewards"][0]["id"], new_reward_level="75")
    assert levels(api, cid) == ["75", "100"]
    api.ok("campaign_deactivate", campaign_id=cid)
    assert api.err("campaign_rewards", campaign_id=cid) == "Campaign not found"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_write_made_outside_the_api_through_the_models_is_seen_at_once(api, backend):
    cid = new_points(api)
    assert levels(api, cid) == []
    Reward.create(campaign=cid, level=300, description="Direct")  # autocommit: marked at once
    assert levels(api, cid) == ["300"]
    with db.database.atomic():
        Reward.create(campaign=cid, level=200, description="In a transaction")
    assert levels(api, cid) == ["200", "300"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_formats_and_accounts_have_answers_of_their_own(api, backend):
    cid = new_points(api)
    api.ok("campaign_new", action="reward", campaign_id=cid, reward_level="100", reward_description="Tea")
    xml = api.xml("campaign_rewards", campaign_id=cid)
    assert xml.find("rewards/reward/level").text == "100"
    assert levels(api, cid) == ["100"]
    assert len(answers._answers) == 2
    # Another account asking for this campaign's id is not served the cached answer.
    assert api.other().err("campaign_rewards", campaign_id=cid) == "Campaign not found"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_write_with_another_tool_is_seen_once_the_answer_expires(api, backend, monkeypatch):
    monkeypatch.setattr(answers, "TTL", 0.3)
    cid = new_points(api)
    assert levels(api, cid) == []
    with sqlite3.connect(db.database.database) as other_tool:
        other_tool.execute("INSERT INTO reward (campaign_id, level, description, identifier, custom_fields, created) "
                           "VALUES (?, 10, 'Shell', '', '{}', '2026-01-01 00:00:00')", (cid,))
    time.sleep(0.35)
    assert levels(api, cid) == ["10"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_nothing_is_reused_on_postgresql(api, backend):
    cid = new_points(api)
    assert db.change_token() is None
    levels(api, cid)
    assert answers._answers == {}


def test_a_call_that_writes_cannot_be_cached():
    with pytest.raises(ValueError):
        Registry().call("x", schema=EmptySchema, writes=True, cache=(db.CAMPAIGNS,))
    with pytest.raises(ValueError):
        Registry().call("x", schema=EmptySchema, cache=("weather",))


@pytest.mark.parametrize("sql, topics", [
    ("SELECT 1", set()),
    ("  select 1", set()),
    ('SAVEPOINT "s1"', set()),
    ('RELEASE SAVEPOINT "s1"', set()),
    ("BEGIN IMMEDIATE", set()),
    ("PRAGMA wal_checkpoint(PASSIVE)", set()),
    ('INSERT INTO "reward" ("campaign_id") VALUES (?)', {db.CAMPAIGNS}),
    ('UPDATE "campaign" SET "active" = ?', {db.CAMPAIGNS}),
    ('INSERT INTO "ledger_entry" ("amount") VALUES (?)', {db.ACTIVITY}),
    ('INSERT INTO "membership" ("balance") VALUES (?) ON CONFLICT DO UPDATE SET "balance" = ?', {db.ACTIVITY}),
    ('DELETE FROM "customer" WHERE "id" = ?', {db.ACTIVITY}),
    # a campaign's or an account's delete cascades into memberships and ledger rows too
    ('DELETE FROM "campaign" WHERE "id" = ?', {db.CAMPAIGNS, db.ACTIVITY}),
    ('DELETE FROM "account" WHERE "id" = ?', {db.CAMPAIGNS, db.ACTIVITY}),
    ('UPDATE "account" SET "name" = ?', {db.CAMPAIGNS, db.ACTIVITY}),
    ("CREATE TABLE x (y)", {db.CAMPAIGNS, db.ACTIVITY}),
    ("INSERT INTO reward VALUES (1)", {db.CAMPAIGNS, db.ACTIVITY}),  # not peewee's shape: everything
])
def test_what_a_statement_changes(sql, topics):
    assert db.written_topics(sql) == topics


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sales_and_enrolments_keep_reward_lists_and_campaign_changes_drop_them(api, backend):
    cid = new_points(api)
    api.ok("campaign_new", action="reward", campaign_id=cid, reward_level="100", reward_description="Tea")
    levels(api, cid)
    kept = db.change_token((db.CAMPAIGNS,))
    api.ok("record_customer", customer_action="new", code="K1")
    api.ok("record_activity", campaign_id=cid, code="K1", amount="5", idempotency_key="sale-1")
    api.ok("redeem", campaign_id=cid, code="K1", reward_to_redeem=api.ok(
        "campaign_rewards", campaign_id=cid)["rewards"][0]["id"])
    assert db.change_token((db.CAMPAIGNS,)) == kept  # activity only
    api.ok("campaign_update", action="campaign", campaign_id=cid, new_campaign_name="Renamed")
    assert db.change_token((db.CAMPAIGNS,)) != kept


@pytest.mark.slow
def test_no_worker_serves_a_reward_list_older_than_an_answered_change(tmp_path):
    # Two workers, each keeping its own answers: after every change answered by one worker, every read,
    # whichever worker takes it, shows the change.
    with fresh_database("sqlite", tmp_path) as url:
        with running_server(url, workers=2) as server:
            session = requests.Session()
            cid = session.post(server.url, data=form("campaign_new", action="campaign", campaign_type="points",
                                                     campaign_name="Shared")).json()["campaign"]["id"]
            for n in range(1, 16):
                done = session.post(server.url, data=form("campaign_new", action="reward", campaign_id=cid,
                                                          reward_level=n, reward_description=f"R{n}")).json()
                assert done["status"] == "success", done
                for _ in range(6):  # new connections: sync workers take them in turn
                    got = requests.post(server.url, data=form("campaign_rewards", campaign_id=cid)).json()
                    assert len(got["rewards"]) == n, (n, got)
