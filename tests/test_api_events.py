"""E1 events, E2 participant progress, E3 the leaderboard (Flask test client, SQLite and PostgreSQL)."""
from __future__ import annotations

import datetime as dt

import pytest

from api_support import JsonApi, campaign, keys, live, open_campaign, test_env  # noqa: F401
from gateway.domain.models import CampaignEvent, Customer, LedgerEntry, Membership


def event(api, user="u1", type_="visit", slug="summer-promo", status=200, **fields) -> dict:
    return api.post(f"/campaigns/{slug}/events", {"userId": user, "eventType": type_, **fields}, status=status)


def test_an_event_credits_its_rule_and_creates_the_participant(live, campaign):
    doc = event(live, "user_12345", "purchase", metadata={"amount": 49.99, "product": "premium"}, displayName="Alice")
    assert doc == {"pointsEarned": 49, "totalPoints": 49, "message": "Event recorded successfully"}
    assert event(live, "user_12345", "visit")["totalPoints"] == 59
    assert event(live, "user_12345", "purchase", metadata={"amount": "7.5"})["pointsEarned"] == 7
    customer = Customer.get(Customer.code == "user_12345")
    assert (customer.account_id, customer.display_name) == ("shop", "Alice")
    entries = list(LedgerEntry.select().order_by(LedgerEntry.id))
    assert [(e.kind, e.amount, e.authorization) for e in entries] == [
        ("record", 49, "purchase"), ("record", 10, "visit"), ("record", 7, "purchase")]
    stored = CampaignEvent.select().order_by(CampaignEvent.id).first()
    assert stored.metadata == '{"amount": 49.99, "product": "premium"}' and stored.points == 49
    progress = live.get("/campaigns/summer-promo/participants/user_12345")
    assert progress["totalPoints"] == 66 and progress["eventsCount"] == 3 and progress["rank"] == 1
    assert progress["displayName"] == "Alice" and progress["joinedAt"].endswith("Z")


def test_an_unknown_event_type_earns_nothing_but_counts(live, campaign):
    assert event(live, "u1", "dance")["pointsEarned"] == 0
    assert LedgerEntry.select().count() == 0
    progress = live.get("/campaigns/summer-promo/participants/u1")
    assert (progress["totalPoints"], progress["eventsCount"], progress["rank"]) == (0, 1, 1)


def test_proportional_rules_round_down_and_need_a_number(live, campaign):
    assert event(live, "u1", "purchase", metadata={"amount": 0.99})["pointsEarned"] == 0
    assert event(live, "u1", "purchase", metadata={"amount": -5})["pointsEarned"] == 0
    for bad in ({}, {"amount": "lots"}, {"amount": True}, {"amount": None}, {"amount": [1]}):
        doc = live.err("POST", "/campaigns/summer-promo/events", {"userId": "u1", "eventType": "purchase", "metadata": bad},
                       status=400)
        assert doc["message"] == "Invalid metadata.amount: must be a number"
    assert CampaignEvent.select().count() == 2 and LedgerEntry.select().count() == 0


def test_max_per_user_per_day(live, campaign):
    assert event(live, "u1", "signup")["pointsEarned"] == 50
    doc = live.err("POST", "/campaigns/summer-promo/events", {"userId": "u1", "eventType": "signup"}, status=409)
    assert doc["code"] == "max_per_day_reached"
    assert event(live, "u2", "signup")["pointsEarned"] == 50  # per user
    assert event(live, "u1", "visit")["pointsEarned"] == 10  # per event type
    assert CampaignEvent.select().count() == 3
    # Yesterday's events do not count.
    for row in CampaignEvent.select():
        CampaignEvent.update(created=row.created - dt.timedelta(days=1)).where(CampaignEvent.id == row.id).execute()
    assert event(live, "u1", "signup")["pointsEarned"] == 50


def test_the_same_reference_answers_the_first_answer_and_adds_nothing(live, client, campaign):
    first = client.post("/v1/campaigns/summer-promo/events", headers={"X-API-Secret": live.key},
                        json={"userId": "u1", "eventType": "visit", "reference": "order-1"})
    again = client.post("/v1/campaigns/summer-promo/events", headers={"X-API-Secret": live.key},
                        json={"reference": "order-1", "eventType": "visit", "userId": "u1"})
    assert first.get_json() == again.get_json() and again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert LedgerEntry.select().count() == 1 and CampaignEvent.select().count() == 1
    doc = live.err("POST", "/campaigns/summer-promo/events",
                   {"userId": "u1", "eventType": "visit", "reference": "order-1", "metadata": {"x": 1}}, status=409)
    assert doc == {"status": "error", "code": "reference_reused",
                   "message": "This reference was already used with a different request"}
    # Another reference, or none, is another event.
    assert event(live, "u1", reference="order-2")["totalPoints"] == 20
    assert event(live, "u1")["totalPoints"] == 30
    # A reference belongs to its campaign.
    open_campaign(live, "other-camp")
    assert event(live, "u1", slug="other-camp", reference="order-1")["totalPoints"] == 10


@pytest.mark.parametrize("state", ["draft", "paused", "ended", "past-end", "not-started", "unknown"])
def test_events_need_an_active_campaign(live, state):
    dates = {"past-end": {"endsAt": "2020-01-01T00:00:00Z"}, "not-started": {"startsAt": "2099-01-01T00:00:00Z"}}
    steps = {"draft": [], "paused": ["activate", "pause"], "ended": ["activate", "end"], "past-end": [],
             "not-started": ["activate"]}
    if state != "unknown":
        live.post("/campaigns", {"name": "S", "slug": "summer-promo", "rules": [{"eventType": "visit", "points": 1}],
                                 **dates.get(state, {})}, status=201)
        for step in steps[state]:
            live.post(f"/campaigns/summer-promo/{step}")
    doc = live.err("POST", "/campaigns/summer-promo/events", {"userId": "u1", "eventType": "visit"}, status=404)
    assert doc == {"status": "error", "code": "campaign_not_found", "message": "Campaign not found or not active"}
    assert CampaignEvent.select().count() == 0 and Customer.select().count() == 0


def test_participant_not_found(live, campaign):
    for path in ("/campaigns/summer-promo/participants/nobody", "/campaigns/nope-nope/participants/u1"):
        doc = live.err("GET", path, status=404)
        assert doc["message"] == "Campaign or participant not found"
    # A customer of the account who never took part is no participant.
    Customer.create(account="shop", code="legacy-only")
    live.err("GET", "/campaigns/summer-promo/participants/legacy-only", status=404)


def test_leaderboard_ranks_by_points_then_by_who_reached_the_total_first(live, campaign):
    event(live, "late", "signup", displayName="Late")  # 50
    event(live, "bob", "visit")  # 10
    event(live, "alice", "visit")  # 10 after bob
    event(live, "alice", "visit")  # 20
    event(live, "bob", "visit")  # 20: reached after alice
    event(live, "zero", "dance")  # 0
    board = live.get("/campaigns/summer-promo/leaderboard")
    assert board["totalParticipants"] == 4
    assert [(e["rank"], e["userId"], e["totalPoints"], e["eventsCount"]) for e in board["entries"]] == [
        (1, "late", 50, 1), (2, "alice", 20, 2), (3, "bob", 20, 2), (4, "zero", 0, 1)]
    assert board["entries"][0]["displayName"] == "Late"
    for rank, user in ((1, "late"), (2, "alice"), (3, "bob"), (4, "zero")):
        assert live.get(f"/campaigns/summer-promo/participants/{user}")["rank"] == rank
    assert [e["userId"] for e in live.get("/campaigns/summer-promo/leaderboard", query={"limit": 2})["entries"]] == \
        ["late", "alice"]


def test_leaderboard_limit_defaults_to_20_and_is_clamped_to_100(live, campaign):
    # 105 participants, written directly: the leaderboard reads memberships whoever wrote them.
    from gateway.domain import participants, programs
    from gateway.domain.db import write_transaction

    row = programs.campaign_by_slug("shop", "summer-promo")
    with write_transaction():
        for n in range(105):
            participants.credit("shop", row, participants.join("shop", row, f"u{n:03}"), n + 1)
    assert len(live.get("/campaigns/summer-promo/leaderboard")["entries"]) == 20
    board = live.get("/campaigns/summer-promo/leaderboard", query={"limit": 1000})
    assert len(board["entries"]) == 100 and board["totalParticipants"] == 105
    assert board["entries"][0] == {"rank": 1, "userId": "u104", "displayName": "", "totalPoints": 105, "eventsCount": 0}
    for bad in ("0", "-1", "abc", "1.5"):
        doc = live.err("GET", "/campaigns/summer-promo/leaderboard", query={"limit": bad}, status=400)
        assert "limit" in doc["message"]
    assert live.err("GET", "/campaigns/nope-nope/leaderboard", status=404)["message"] == "Campaign not found"


def test_a_public_key_reads_progress_and_leaderboard_but_writes_nothing(client, keys, live, campaign):
    public = JsonApi(client, keys[("live", "public")], header="X-API-Key")
    event(live, "u1")
    assert public.get("/campaigns/summer-promo/participants/u1")["totalPoints"] == 10
    assert public.get("/campaigns/summer-promo/leaderboard")["totalParticipants"] == 1
    doc = public.err("POST", "/campaigns/summer-promo/events", {"userId": "u1", "eventType": "visit"}, status=403)
    assert doc["code"] == "secret_key_required"
    for method, path in (("GET", "/campaigns"), ("POST", "/campaigns/summer-promo/pause")):
        public.err(method, path, status=403)
    assert Membership.select().get().balance == 10
