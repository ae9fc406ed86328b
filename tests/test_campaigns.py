"""Campaigns themselves: create, update, deactivate, reactivate, delete (with its cascade), list."""
from __future__ import annotations

import re

from gateway.domain import db, ledger
from gateway.domain.models import Campaign, Customer, Depreciation, Fee, Item, LedgerEntry, Membership, Promo, Reward


def new_campaign(api, campaign_type="points", name="Widget Rewards", **fields) -> str:
    return api.ok("campaign_new", action="campaign", campaign_type=campaign_type, campaign_name=name, **fields)["campaign"]["id"]


def listed(api, call="campaigns_list", **fields) -> dict:
    return {c["id"]: c for c in api.ok(call, **fields)["campaigns"]}


def test_new_campaign_answers_a_16_digit_id_in_every_format(api, fmt):
    doc = api.answer(fmt, "campaign_new", action="campaign", campaign_type="Points", campaign_name="Widget Rewards")
    assert doc["campaign"]["status"] == "new"
    assert re.fullmatch(r"[1-9]\d{15}", doc["campaign"]["id"])
    assert doc["campaign"]["type"] == "points"
    assert listed(api)[doc["campaign"]["id"]]["name"] == "Widget Rewards"


def test_points_ratio_blank_means_100_and_reward_ratio_is_kept(api):
    plain = new_campaign(api, points_ratio="", reward_ratio="")
    rich = new_campaign(api, points_ratio="2,5", reward_ratio="18")
    campaigns = listed(api)
    assert (campaigns[plain]["points_ratio"], campaigns[plain]["reward_ratio"]) == ("100", "")
    assert (campaigns[rich]["points_ratio"], campaigns[rich]["reward_ratio"]) == ("2.5", "18")


def test_new_campaign_errors(api):
    assert api.err("campaign_new", action="campaign", campaign_name="X") == "Missing required field: campaign_type"
    assert api.err("campaign_new", action="campaign", campaign_type="points") == "Missing required field: campaign_name"
    assert api.err("campaign_new", action="campaign", campaign_type="earned", campaign_name="X") == \
        "Missing required field: amount_per_event"
    assert api.err("campaign_new", action="campaign", campaign_type="points", campaign_name="X", points_ratio="0") == \
        "Invalid value for field points_ratio: Must be between 0.000001 and 1000000"
    assert api.ok("campaigns_list")["campaigns"] == []


def test_earned_campaign_takes_amount_per_event(api):
    cid = new_campaign(api, "earned", amount_per_event="4.95")
    assert listed(api)[cid]["earned_per_event"] == "4.95"
    api.ok("campaign_update", action="campaign", campaign_id=cid, new_amount_per_event="5,50")
    assert listed(api)[cid]["earned_per_event"] == "5.50"


def test_update_campaign_settings(api, fmt):
    cid = new_campaign(api, points_ratio="10", reward_ratio="18", description="old")
    doc = api.answer(fmt, "campaign_update", action="campaign", campaign_id=cid, new_campaign_name="Renamed",
                     description="new text", coalition_opt_out="Y")
    assert doc["campaign"] == {"status": "updated", "id": cid, "name": "Renamed", "type": "points"}
    campaign = Campaign.get_by_id(cid)
    assert (campaign.name, campaign.description, campaign.coalition_opt_out) == ("Renamed", "new text", True)
    assert (campaign.points_ratio, campaign.reward_ratio) == ("10", "18")


def test_ratios_on_update_blank_absent_and_given(api):
    cid = new_campaign(api, points_ratio="10", reward_ratio="18")

    def ratios():
        c = listed(api)[cid]
        return c["points_ratio"], c["reward_ratio"]

    # blank new_points_ratio: unchanged; absent new_reward_ratio: unchanged
    api.ok("campaign_update", action="campaign", campaign_id=cid, new_points_ratio="", new_campaign_name="A")
    assert ratios() == ("10", "18")
    api.ok("campaign_update", action="campaign", campaign_id=cid, new_points_ratio="50", new_reward_ratio="20")
    assert ratios() == ("50", "20")
    # blank new_reward_ratio (present, empty): redeeming by currency value is turned off
    api.ok("campaign_update", action="campaign", campaign_id=cid, new_reward_ratio="", new_points_ratio="")
    assert ratios() == ("50", "")
    assert Campaign.get_by_id(cid).reward_ratio is None
    assert api.err("campaign_update", action="campaign", campaign_id=cid, new_reward_ratio="-1") == \
        "Invalid value for field new_reward_ratio: Must be between 0.000001 and 1000000"
    assert ratios() == ("50", "")


def test_settings_of_another_type_are_ignored(api):
    cid = new_campaign(api, "giftcard", points_ratio="5")
    assert "points_ratio" not in listed(api)[cid]
    assert api.err("campaign_update", action="campaign", campaign_id=cid, new_points_ratio="5") == \
        "Nothing to update: give at least one new value"
    assert Campaign.get_by_id(cid).points_ratio is None


def test_update_campaign_errors(api):
    cid = new_campaign(api)
    assert api.err("campaign_update", action="campaign", new_campaign_name="X") == "Missing required field: campaign_id"
    assert api.err("campaign_update", action="campaign", campaign_id="1234567890123456", new_campaign_name="X") == \
        "Campaign not found"
    assert api.err("campaign_update", action="campaign", campaign_id=cid) == "Nothing to update: give at least one new value"
    assert api.err("campaign_update", action="campaign", campaign_id=cid, latitude="91") == \
        "Invalid value for field latitude: Must be between -90 and 90"
    assert Campaign.get_by_id(cid).name == "Widget Rewards"


def test_deactivated_campaign_vanishes_and_returns_with_everything(api, fmt):
    cid = new_campaign(api, reward_ratio="18")
    reward = api.ok("campaign_new", action="reward", campaign_id=cid, reward_level=100, reward_description="Mug")
    assert api.answer(fmt, "campaign_deactivate", campaign_id=cid)["campaign"] == {"id": cid}
    assert cid not in listed(api)
    assert list(listed(api, "campaigns_inactive_list")) == [cid]
    for call, fields in [("campaign_rewards", {}), ("campaign_fees", {}), ("campaign_depreciations", {}),
                         ("campaign_promos", {}), ("campaign_update", {"action": "campaign", "new_campaign_name": "X"}),
                         ("campaign_new", {"action": "reward", "reward_level": 1, "reward_description": "X"})]:
        assert api.err(call, campaign_id=cid, **fields) == "Campaign not found", call
    assert api.err("campaign_delete", action="reward", reward_id=reward["campaign"]["reward"]["id"]) == "Reward not found"
    assert api.err("campaign_deactivate", campaign_id=cid) == "Campaign is already deactivated"

    assert api.answer(fmt, "campaign_reactivate", campaign_id=cid)["campaign"] == {"id": cid}
    assert listed(api)[cid]["reward_ratio"] == "18"
    assert listed(api, "campaigns_inactive_list") == {}
    assert [r["description"] for r in api.ok("campaign_rewards", campaign_id=cid)["rewards"]] == ["Mug"]
    assert api.err("campaign_reactivate", campaign_id=cid) == "Campaign is already active"


def _customer_with_history(campaign_id: str) -> Customer:
    customer = Customer.create(account="shop", code="C1")
    campaign = Campaign.get_by_id(campaign_id)
    with db.write_transaction():
        ledger.post(account_id="shop", campaign=campaign, customer=customer, amount=500, kind="record")
        ledger.post(account_id="shop", campaign=campaign, customer=customer, amount=-100, kind="redeem")
    return customer


def test_delete_campaign_cascades_to_everything_in_it(api):
    doomed = new_campaign(api)
    kept = new_campaign(api, name="Kept")
    for cid in (doomed, kept):
        api.ok("campaign_new", action="reward", campaign_id=cid, reward_level=100, reward_description="Mug")
        api.ok("campaign_new", action="promo", campaign_id=cid, promo_operation="x", promo_amount=2, promo_description="2x")
        api.ok("campaign_fee_new", campaign_id=cid, fee_interval=1, interval_type="years", fee_amount=10, fee_description="Y")
        api.ok("depreciation_new", campaign_id=cid, depreciation_type="per_transaction", depreciation_interval=1,
               depreciation_interval_type="years", depreciation_percentage=50)
    buyx = new_campaign(api, "buyx", name="Coffee card")
    api.ok("campaign_new", action="item", campaign_id=buyx, reward_level=10, item_description="Coffee")
    customer = _customer_with_history(doomed)
    with db.write_transaction():
        ledger.post(account_id="shop", campaign=Campaign.get_by_id(kept), customer=customer, amount=70, kind="record")

    def counts(cid):
        return [m.select().where(m.campaign == cid).count() for m in (Reward, Promo, Item, Fee, Depreciation, Membership, LedgerEntry)]

    assert counts(doomed) == [1, 1, 0, 1, 1, 1, 2]
    root = api.xml("campaign_delete", action="campaign", campaign_id=doomed)
    assert root.find("campaign").get("status") == "deleted" and root.findtext("campaign/id") == doomed
    assert counts(doomed) == [0] * 7
    assert counts(kept) == [1, 1, 0, 1, 1, 1, 1]
    assert Campaign.get_or_none(Campaign.id == doomed) is None
    assert Customer.get_by_id(customer.id).code == "C1"
    assert list(ledger.check()) == []
    # deleted is gone for good, on hold campaigns can be deleted too
    assert api.err("campaign_delete", action="campaign", campaign_id=doomed) == "Campaign not found"
    api.ok("campaign_deactivate", campaign_id=buyx)
    api.ok("campaign_delete", action="campaign", campaign_id=buyx)
    assert Item.select().count() == 0
    assert set(listed(api)) == {kept}


def test_campaigns_list_filters_by_type(api):
    ids = {t: new_campaign(api, t, **({"amount_per_event": "1"} if t == "earned" else {}))
           for t in ("points", "giftcard", "events", "earned", "buyx")}
    assert set(listed(api)) == set(ids.values())
    assert set(listed(api, type_restrict="points, BUYX")) == {ids["points"], ids["buyx"]}
    assert set(listed(api, campaign_type="giftcard")) == {ids["giftcard"]}
    assert api.err("campaigns_list", type_restrict="points,stamps") == \
        "Invalid value for field type_restrict: must be one of points, giftcard, events, earned, buyx"


def test_campaigns_list_shape_in_xml_and_json(api):
    points = new_campaign(api, description="Our points", reward_ratio="18")
    buyx = new_campaign(api, "buyx", name="Coffee card")
    item = api.ok("campaign_new", action="item", campaign_id=buyx, reward_level=10, item_description="Coffee",
                  item_identifier="SKU-1")["campaign"]["item"]["id"]
    root = api.xml("campaigns_list", API="1.5")
    first = root.find(f"campaigns/campaign[id='{points}']")
    assert [e.tag for e in first] == ["id", "name", "description", "type", "points_ratio", "reward_ratio", "currency",
                                       "glyph", "created_stamp"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", first.findtext("created_stamp"))
    assert root.findtext(f"campaigns/campaign[id='{buyx}']/items/item/item_identifier") == "SKU-1"
    assert [e.tag for e in root.find("pagination")] == ["total", "offset", "length"]
    doc = api.ok("campaigns_list")
    assert listed(api)[buyx]["items"] == [{"id": item, "description": "Coffee", "reward_level": "10",
                                             "item_identifier": "SKU-1"}]
    assert doc["pagination"] == {"total": "2", "offset": "0", "length": "2"}


def test_inactive_list_is_for_managers_and_searchable(api):
    london = new_campaign(api, name="London Rewards")
    paris = new_campaign(api, "giftcard", name="Paris Card")
    for cid in (london, paris):
        api.ok("campaign_deactivate", campaign_id=cid)
    assert api.staff().err("campaigns_inactive_list") == "Permission denied: this call needs a manager-level user"
    assert list(listed(api, "campaigns_inactive_list", API="1.5", searchField="campaign_name", searchOper="cn",
                       searchValue="london")) == [london]
    assert list(listed(api, "campaigns_inactive_list", type_restrict="giftcard")) == [paris]
    assert list(listed(api, "campaigns_inactive_list", sortField="campaign_name", sortOrder="DESC")) == [paris, london]
    assert list(listed(api, "campaigns_inactive_list", sortField="campaign_name", sortOrder="asc")) == [london, paris]


def test_api_version_field_is_accepted_and_ignored(api):
    for version in ("1.1", "1.5", "1.6", "bogus"):
        cid = new_campaign(api, API=version)
        assert cid in listed(api, API=version)
    api.auth = "api_key"  # the API 1.5 calls send user_api_key instead of user_password
    assert len(listed(api, "campaigns_inactive_list", API="1.5")) == 0
