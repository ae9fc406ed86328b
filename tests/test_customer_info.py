"""customer_info: the record, the balances of active campaigns and the rewards within reach."""
from __future__ import annotations

import pytest

from gateway.domain.models import Campaign, Reward

from test_customers import give, new_campaign, new_customer

PROFILE = dict(
    code="89898989898989", card_number="1212121212", first_name="John", last_name="Doe", phone="555-5555",
    email="john@email.com", street1="123 Main St.", street2="Apt 3G", city="Anytown", state="ONT",
    postal_code="55555", country="NZ", custom_date="1970-07-14", custom_field="He Likes Cheese",
    customer_username="jdoe1970",
)
FIELD_ORDER = ["code", "card_number", "first_name", "last_name", "phone", "email", "street1", "street2", "city",
               "state", "postal_code", "country", "custom_date", "custom_field", "customer_username", "registered"]


@pytest.fixture
def john(api):
    new_customer(api, **PROFILE, custom_field_2="Married", customer_password="pw", customer_PIN="1234")
    return api


@pytest.fixture
def club(john):
    """A points campaign with three rewards, an events campaign and a gift card; John holds 1200 points,
    3 events and 12.50."""
    points = new_campaign(john, "points", "Points")
    events = new_campaign(john, "events", "Visits")
    gift = new_campaign(john, "giftcard", "Gift")
    for level, text in ((1000, "Free Widget"), (1500, "Free Service"), (500, "Free Coffee")):
        Reward.create(campaign=points, level=level, description=text, identifier="SKU-1" if level == 500 else "")
    Reward.create(campaign=events, level=5, description="Free Visit")
    give("shop", points, PROFILE["code"], 1200)
    give("shop", events, PROFILE["code"], 3)
    give("shop", gift, PROFILE["code"], 1250)
    return {"points": points, "events": events, "gift": gift}


def test_customer_info_in_every_format_and_encoding(club, api, fmt, encoding):
    api.encoding = encoding
    doc = api.answer(fmt, "customer_info", code=PROFILE["code"])
    assert doc["status"] == "success"
    assert doc["customer"]["first_name"] == "John" and doc["customer"]["registered"] == "N"
    campaigns = doc["campaigns"] if fmt != "xml" else doc["campaigns"]["campaign"]
    assert {c["id"]: c["balance"] for c in campaigns} == {club["points"]: "1200", club["events"]: "3", club["gift"]: "12.50"}
    doc = api.answer(fmt, "customer_info", code="nobody")
    assert (doc["status"], doc["error"]) == ("error", "Customer not found")


def test_the_customer_element_holds_the_documented_fields_in_order(john):
    customer = john.xml("customer_info", code=PROFILE["code"]).find("customer")
    # customer_info adds profile_uid (the internal id card_replace accepts) after card_number.
    assert [e.tag for e in customer] == [*FIELD_ORDER[:2], "profile_uid", *FIELD_ORDER[2:], "custom_field_2"]
    values = {e.tag: e.text or "" for e in customer}
    assert values == {**PROFILE, "registered": "N", "custom_field_2": "Married", "profile_uid": values["profile_uid"]}
    assert values["profile_uid"].isdigit()


def test_json_has_customer_and_top_level_campaigns(club, api):
    doc = api.ok("customer_info", card_number=PROFILE["card_number"])
    assert set(doc) == {"status", "customer", "campaigns"}
    by_id = {c["id"]: c for c in doc["campaigns"]}
    ids = {r.description: str(r.id) for r in Reward.select()}
    assert by_id[club["points"]] == {
        "id": club["points"], "name": "Points", "type": "points", "balance": "1200",
        "rewards": [
            {"id": ids["Free Coffee"], "level": "500", "description": "Free Coffee", "reward_id": "SKU-1"},
            {"id": ids["Free Widget"], "level": "1000", "description": "Free Widget"},
        ],
    }
    assert by_id[club["events"]]["rewards"] == []  # 3 visits, the reward needs 5
    assert "rewards" not in by_id[club["gift"]]  # gift cards have no rewards


def test_xml_lists_rewards_within_each_campaign(club, api):
    root = api.xml("customer_info", code=PROFILE["code"])
    points = root.find(f"campaigns/campaign[id='{club['points']}']")
    assert [r.findtext("description") for r in points.findall("rewards/reward")] == ["Free Coffee", "Free Widget"]
    assert sorted(c.findtext("type") for c in root.findall("campaigns/campaign")) == ["events", "giftcard", "points"]


def test_include_balances_n_gives_the_customer_only(club, api):
    doc = api.ok("customer_info", code=PROFILE["code"], include_balances="N")
    assert set(doc) == {"status", "customer"}
    assert [e.tag for e in api.xml("customer_info", code=PROFILE["code"], include_balances="N")] == ["customer"]


def test_campaign_id_limits_to_that_campaign(club, api):
    doc = api.ok("customer_info", code=PROFILE["code"], campaign_id=club["gift"])
    assert [(c["id"], c["balance"]) for c in doc["campaigns"]] == [(club["gift"], "12.50")]
    assert api.err("customer_info", code=PROFILE["code"], campaign_id="1234567890123456") == "Campaign not found"
    foreign = new_campaign(api.other())
    assert api.err("customer_info", code=PROFILE["code"], campaign_id=foreign) == "Campaign not found"


def test_hide_custom_field(john):
    shown = john.ok("customer_info", code=PROFILE["code"], hide_custom_field="Y")["customer"]
    assert "custom_field" not in shown and shown["custom_field_2"] == "Married"
    assert john.ok("customer_info", code=PROFILE["code"], hide_custom_field="N")["customer"]["custom_field"] == "He Likes Cheese"


def test_show_only_belong_to_keeps_the_campaigns_the_customer_is_in(john):
    joined = new_campaign(john, "points", "Joined")
    used = new_campaign(john, "events", "Used")
    new_campaign(john, "giftcard", "Untouched")
    john.ok("record_customer", customer_action="edit", code=PROFILE["code"], campaign_id=joined)
    give("shop", used, PROFILE["code"], 2)
    everything = john.ok("customer_info", code=PROFILE["code"])["campaigns"]
    assert sorted(c["name"] for c in everything) == ["Joined", "Untouched", "Used"]
    mine = john.ok("customer_info", code=PROFILE["code"], show_only_belong_to="Y")["campaigns"]
    assert sorted((c["name"], c["balance"]) for c in mine) == [("Joined", "0"), ("Used", "2")]


def test_inactive_campaigns_are_not_shown(club, api):
    Campaign.update(active=False).where(Campaign.id == club["events"]).execute()
    assert sorted(c["id"] for c in api.ok("customer_info", code=PROFILE["code"])["campaigns"]) == sorted([club["points"], club["gift"]])
    assert api.err("customer_info", code=PROFILE["code"], campaign_id=club["events"]) == "Campaign not found"


def test_code_wins_over_card_number_and_one_of_them_is_needed(john):
    new_customer(john, code="OTHER", card_number="999", first_name="Other")
    assert john.ok("customer_info", code="OTHER", card_number=PROFILE["card_number"])["customer"]["first_name"] == "Other"
    assert john.err("customer_info") == "Missing required field: code or card_number"
    assert john.err("customer_info", card_number="nope") == "Customer not found"
    assert john.err("customer_info", include_balances="maybe", code="OTHER") == "Invalid value for field include_balances: must be Y or N"


def test_staff_may_read_and_other_accounts_may_not(john):
    assert john.staff().ok("customer_info", code=PROFILE["code"])["customer"]["code"] == PROFILE["code"]
    assert john.other().err("customer_info", code=PROFILE["code"]) == "Customer not found"
    assert john.other().err("customer_info", card_number=PROFILE["card_number"]) == "Customer not found"


def test_no_campaigns_gives_an_empty_list(john):
    doc = john.ok("customer_info", code=PROFILE["code"])
    assert doc["campaigns"] == []
