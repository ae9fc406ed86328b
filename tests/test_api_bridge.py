"""One domain, two doors: what a customer earns at a legacy till shows through the JSON API, and the
reverse, on the same campaign and the same ledger."""
from __future__ import annotations

from api_support import campaign, keys, live, test_env  # noqa: F401
from gateway.domain import ledger


def test_legacy_record_activity_shows_in_participant_progress(api, live, campaign):
    cid = campaign["legacyCampaignId"]
    api.ok("record_customer", customer_action="new", code="u1", first_name="Ann", last_name="Lee")
    receipt = api.ok("record_activity", campaign_id=cid, code="u1", amount="2.50")  # 250 at the default ratio
    earned = int(receipt["receipt"]["amount"])
    progress = live.get("/campaigns/summer-promo/participants/u1")
    assert progress["totalPoints"] == earned and earned > 0
    assert progress["displayName"] == "Ann Lee" and progress["eventsCount"] == 0 and progress["rank"] == 1
    after = live.post("/campaigns/summer-promo/events", {"userId": "u1", "eventType": "visit"})
    assert after["totalPoints"] == earned + 10
    assert list(ledger.check()) == []


def test_json_events_show_in_legacy_customer_balance(api, live, campaign):
    cid = campaign["legacyCampaignId"]
    live.post("/campaigns/summer-promo/events", {"userId": "u2", "eventType": "visit"})
    live.post("/campaigns/summer-promo/events", {"userId": "u2", "eventType": "purchase", "metadata": {"amount": 30}})
    customer = api.ok("customer_balance", campaign_id=cid, code="u2")["campaign"]["customer"]
    assert customer["balance"] == "40"
    history = customer["transactions"]
    amounts = sorted(t["amount"] for t in history)
    assert amounts == ["10", "30"]
    assert sorted(t["authorization"] for t in history) == ["purchase", "visit"]
    # A legacy redeem spends points earned by events; the JSON total follows.
    api.ok("redeem", campaign_id=cid, code="u2", custom_points_redeem="15")
    assert live.get("/campaigns/summer-promo/participants/u2")["totalPoints"] == 25
    assert list(ledger.check()) == []
