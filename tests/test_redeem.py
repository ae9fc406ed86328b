"""redeem for every campaign type: what it costs, and that a refused redeem changes nothing."""
from __future__ import annotations

import pytest

from gateway.domain.models import Campaign, Customer, Item, LedgerEntry, Membership, Reward


def campaign(api, type_, **fields) -> str:
    return api.ok("campaign_new", action="campaign", campaign_type=type_, campaign_name=f"{type_} club", **fields)["campaign"]["id"]


@pytest.fixture
def customer(app):
    return Customer.create(account="shop", code="C1", card_number="777")


def earn(api, cid, times=1, **fields) -> None:
    for _ in range(times):
        api.ok("record_activity", campaign_id=cid, code="C1", **fields)


def redeem(api, cid, **fields) -> dict:
    return api.ok("redeem", campaign_id=cid, code="C1", **fields)["receipt"]


def refused(api, cid, **fields) -> str:
    """The error of a redeem that must change nothing."""
    before = (LedgerEntry.select().count(), [m.balance for m in Membership.select().order_by(Membership.id)])
    message = api.err("redeem", campaign_id=cid, code="C1", **fields)
    assert (LedgerEntry.select().count(), [m.balance for m in Membership.select().order_by(Membership.id)]) == before
    return message


def test_points_reward_custom_points_and_dollars(api, customer, fmt):
    cid = campaign(api, "points", reward_ratio="2.5")
    earn(api, cid, amount="20")  # 2000 points
    widget = Reward.create(campaign=cid, level=1000, description="Free Widget")
    doc = api.answer(fmt, "redeem", campaign_id=cid, code="C1", reward_to_redeem=widget.id)
    receipt = doc["receipt"]
    assert (receipt["amount"], receipt["balance"], receipt["agency"]["name"]) == ("1000", "1000", "Great Widgets")
    assert LedgerEntry.get_by_id(int(receipt["transaction_id"])).reward_id == widget.id
    assert redeem(api, cid, custom_points_redeem="100")["balance"] == "900"
    # 3.33 currency units x 2.5 = 8.325 points, rounded up so the customer never pays less than the value
    receipt = redeem(api, cid, custom_dollars_redeem="3,33")
    assert (receipt["amount"], receipt["balance"]) == ("9", "891")


def test_points_redeem_field_rules(api, customer):
    cid = campaign(api, "points")
    earn(api, cid, amount="5")
    reward = Reward.create(campaign=cid, level=10, description="Sticker")
    assert refused(api, cid, custom_dollars_redeem="1") == "This campaign does not redeem by currency value (it has no reward_ratio)"
    assert refused(api, cid) == "Missing required field: reward_to_redeem"
    assert refused(api, cid, reward_to_redeem=reward.id, custom_points_redeem="5") == (
        "Give only one of reward_to_redeem, custom_points_redeem, custom_dollars_redeem")
    assert refused(api, cid, custom_points_redeem="0").startswith("Invalid value for field custom_points_redeem")
    assert refused(api, cid, custom_points_redeem="2.5").startswith("Invalid value for field custom_points_redeem")
    assert refused(api, cid, reward_to_redeem="x1") == "Reward not found"


def test_reward_of_another_campaign_is_refused(api, customer):
    cid, other = campaign(api, "points"), campaign(api, "events")
    earn(api, cid, amount="100")
    theirs = Reward.create(campaign=other, level=1, description="Not here")
    assert refused(api, cid, reward_to_redeem=theirs.id) == "Reward not found"


def test_insufficient_balance_changes_nothing(api, customer):
    cid = campaign(api, "points")
    earn(api, cid, amount="2.5")  # 250
    big = Reward.create(campaign=cid, level=1000, description="TV")
    assert refused(api, cid, reward_to_redeem=big.id) == "Insufficient balance: 250 available, 1000 needed"
    assert refused(api, cid, custom_points_redeem="251") == "Insufficient balance: 250 available, 251 needed"
    assert redeem(api, cid, custom_points_redeem="250")["balance"] == "0"
    assert refused(api, cid, custom_points_redeem="1") == "Insufficient balance: 0 available, 1 needed"


def test_redeem_before_any_activity_is_insufficient(api, customer):
    cid = campaign(api, "giftcard")
    assert refused(api, cid, reward_to_redeem="1") == "Insufficient balance: 0.00 available, 1.00 needed"
    assert Membership.select().count() == 0


def test_giftcard_spends_money(api, customer, encoding):
    api.encoding = encoding
    cid = campaign(api, "giftcard")
    earn(api, cid, amount="50")
    assert redeem(api, cid, reward_to_redeem="12,35")["balance"] == "37.65"
    assert refused(api, cid, reward_to_redeem="37.66") == "Insufficient balance: 37.65 available, 37.66 needed"
    assert refused(api, cid, reward_to_redeem="0") == "Invalid value for field reward_to_redeem: must be greater than 0"
    assert refused(api, cid, reward_to_redeem="1.234") == "Invalid value for field reward_to_redeem: Not a valid amount"
    assert refused(api, cid, reward_to_redeem="ten") == "Invalid value for field reward_to_redeem: Not a valid amount"
    assert refused(api, cid, reward_to_redeem="NaN") == "Invalid value for field reward_to_redeem: Not a valid amount"
    assert redeem(api, cid, reward_to_redeem="37.65")["balance"] == "0.00"


def test_events_redeem_a_reward_level(api, customer):
    cid = campaign(api, "events")
    earn(api, cid, times=3)
    coffee = Reward.create(campaign=cid, level=3, description="Free coffee")
    assert redeem(api, cid, reward_to_redeem=coffee.id)["balance"] == "0"
    assert refused(api, cid, reward_to_redeem=coffee.id) == "Insufficient balance: 0 available, 3 needed"


def test_earned_redeems_an_amount(api, customer):
    cid = campaign(api, "earned", amount_per_event="2.50")
    earn(api, cid, times=2)
    assert redeem(api, cid, reward_to_redeem="4")["balance"] == "1.00"
    assert refused(api, cid, reward_to_redeem="1.01").startswith("Insufficient balance")


def test_buyx_takes_one_free_item(api, customer, fmt):
    cid = campaign(api, "buyx")
    coffee = Item.create(campaign=cid, reward_level=3, description="Coffee", identifier="COF")
    tea = Item.create(campaign=cid, reward_level=2, description="Tea")
    earn(api, cid, service_product=coffee.id, buyx_quantity=4)
    earn(api, cid, service_product=tea.id)
    receipt = api.answer(fmt, "redeem", campaign_id=cid, code="C1", reward_to_redeem="[COF]")["receipt"]
    assert (receipt["amount"], receipt["balance"], receipt["item"]["free_items"]) == ("3", "1", "0")
    assert refused(api, cid, reward_to_redeem=coffee.id) == "Insufficient balance: 1 available, 3 needed"
    assert refused(api, cid, reward_to_redeem=tea.id) == "Insufficient balance: 1 available, 2 needed"
    other = Item.create(campaign=campaign(api, "buyx"), reward_level=1, description="Theirs")
    assert refused(api, cid, reward_to_redeem=other.id) == "Item not found"
    assert {m.item: m.balance for m in Membership.select()} == {coffee.id: 1, tea.id: 1}


def test_staff_may_redeem_but_not_on_a_deactivated_campaign(api, customer):
    cid = campaign(api, "events")
    earn(api, cid, times=2)
    reward = Reward.create(campaign=cid, level=1, description="Cookie")
    assert api.staff().ok("redeem", campaign_id=cid, code="C1", reward_to_redeem=reward.id)["receipt"]["balance"] == "1"
    Campaign.update(active=False).where(Campaign.id == cid).execute()
    assert refused(api, cid, reward_to_redeem=reward.id) == "Campaign is deactivated"


def test_redeem_receipt_xml_has_agency(api, customer):
    cid = campaign(api, "giftcard")
    earn(api, cid, amount="5")
    root = api.xml("redeem", campaign_id=cid, card_number="777", reward_to_redeem="5")
    assert root.get("status") == "success"
    assert root.findtext("receipt/agency/name") == "Great Widgets"
    assert root.find("receipt/agency/email") is not None
    assert root.findtext("receipt/balance") == "0.00"
