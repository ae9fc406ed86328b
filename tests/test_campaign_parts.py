"""Rewards, promotions and buy-X items: type rules, validation, ids, answers."""
from __future__ import annotations

import pytest
import requests

from gateway.domain import db
from gateway.domain.models import Promo, Reward
from gateway.legacy.render import rendered
from servers import form, fresh_database, running_server

REWARDS_ONLY = "Rewards are only available for points and events campaigns"
PROMOS_ONLY = "Promotions are only available for points campaigns"
ITEMS_ONLY = "Items are only available for buyx campaigns"


def new_campaign(api, campaign_type="points") -> str:
    extra = {"amount_per_event": "1"} if campaign_type == "earned" else {}
    return api.ok("campaign_new", action="campaign", campaign_type=campaign_type, campaign_name=campaign_type, **extra)["campaign"]["id"]


@pytest.fixture
def campaigns(api) -> dict:
    return {t: new_campaign(api, t) for t in ("points", "giftcard", "events", "earned", "buyx")}


def add_reward(api, cid, level=1000, description="Free Widget", **fields) -> str:
    return api.ok("campaign_new", action="reward", campaign_id=cid, reward_level=level, reward_description=description,
                  **fields)["campaign"]["reward"]["id"]


def rewards(api, cid) -> list:
    return api.ok("campaign_rewards", campaign_id=cid)["rewards"]


# --- rewards -----------------------------------------------------------------------------------------

def test_rewards_only_on_points_and_events(api, campaigns):
    for kind in ("points", "events"):
        add_reward(api, campaigns[kind])
        assert len(rewards(api, campaigns[kind])) == 1
    for kind in ("giftcard", "earned", "buyx"):
        assert api.err("campaign_new", action="reward", campaign_id=campaigns[kind], reward_level=1,
                       reward_description="X") == REWARDS_ONLY
        assert api.err("campaign_rewards", campaign_id=campaigns[kind]) == REWARDS_ONLY
    assert Reward.select().count() == 2


def test_new_reward_answer_and_list_shape(api, campaigns, fmt):
    cid = campaigns["points"]
    doc = api.answer(fmt, "campaign_new", action="reward", campaign_id=cid, reward_level=1500,
                     reward_description="Free Service", reward_identifier="156739948736", reward_custom_field_1="7654382",
                     reward_custom_field10="ten", reward_custom_field_2="")
    assert doc["campaign"]["id"] == cid
    assert set(doc["campaign"]) == {"id", "reward"}
    rid = doc["campaign"]["reward"]["id"]
    assert int(rid) > 0
    plain = add_reward(api, cid, level=1000)
    root = api.xml("campaign_rewards", campaign_id=cid)
    assert root.findtext("campaign/id") == cid
    # cheapest first; reward_id and custom fields only when set, custom fields in number order
    assert [[(e.tag, e.text) for e in r] for r in root.findall("rewards/reward")] == [
        [("id", plain), ("level", "1000"), ("description", "Free Widget")],
        [("id", rid), ("level", "1500"), ("description", "Free Service"), ("reward_id", "156739948736"),
         ("reward_custom_field_1", "7654382"), ("reward_custom_field_10", "ten")],
    ]
    listed = api.answer(fmt, "campaign_rewards", campaign_id=cid)["rewards"]
    if fmt != "xml":
        assert listed[1]["reward_id"] == "156739948736" and "reward_id" not in listed[0]


def test_update_reward_by_its_id_never_by_identifier(api, campaigns):
    cid = campaigns["events"]
    rid = add_reward(api, cid, level=15, reward_identifier="77", reward_custom_field_1="a", reward_custom_field_2="b")
    other = add_reward(api, cid, level=20)
    assert api.err("campaign_update", action="reward", campaign_id=cid, reward_id="77", new_reward_level=3) == "Reward not found"
    doc = api.ok("campaign_update", action="reward", campaign_id=cid, reward_id=rid, new_reward_level=12,
                 new_reward_description="Free coffee", reward_custom_field_1="", reward_custom_field_3="c")
    assert doc["reward"] == {"status": "updated", "id": rid}
    first = rewards(api, cid)[0]
    assert first == {"id": rid, "level": "12", "description": "Free coffee", "reward_id": "77",
                     "reward_custom_field_2": "b", "reward_custom_field_3": "c"}
    # a custom field alone is a change; blank identifier/description leave them unchanged
    api.ok("campaign_update", action="reward", campaign_id=cid, reward_id=rid, reward_custom_field_2="B",
           new_reward_identifier="", new_reward_description="")
    assert rewards(api, cid)[0]["reward_custom_field_2"] == "B"
    assert rewards(api, cid)[0]["description"] == "Free coffee"
    assert rewards(api, cid)[1]["id"] == other


def test_reward_errors_change_nothing(api, campaigns):
    cid = campaigns["points"]
    rid = add_reward(api, cid)
    assert api.err("campaign_new", action="reward", campaign_id=cid, reward_description="X") == \
        "Missing required field: reward_level"
    assert api.err("campaign_new", action="reward", campaign_id=cid, reward_level=0, reward_description="X") == \
        "Invalid value for field reward_level: Must be greater than or equal to 1 and less than or equal to 1000000000000000"
    assert api.err("campaign_new", action="reward", reward_level=5, reward_description="X") == "Missing required field: campaign_id"
    assert api.err("campaign_update", action="reward", campaign_id=cid, reward_id=rid) == \
        "Nothing to update: give at least one new value"
    assert api.err("campaign_update", action="reward", campaign_id=campaigns["events"], reward_id=rid, new_reward_level=5) == \
        "Reward not found"
    assert api.err("campaign_update", action="reward", reward_id=rid, new_reward_level=5) == "Missing required field: campaign_id"
    assert api.err("campaign_delete", action="reward", reward_id="-4") == "Invalid value for field reward_id: Not a valid id"
    assert rewards(api, cid) == [{"id": rid, "level": "1000", "description": "Free Widget"}]


def test_delete_reward(api, campaigns, fmt):
    cid = campaigns["points"]
    rid = add_reward(api, cid)
    keep = add_reward(api, cid, level=5)
    # a campaign_id given as well must be the reward's own
    assert api.err("campaign_delete", action="reward", reward_id=rid, campaign_id=campaigns["events"]) == "Reward not found"
    doc = api.answer(fmt, "campaign_delete", action="reward", reward_id=rid)
    assert doc["reward"] == {"status": "deleted", "id": rid}
    assert [r["id"] for r in rewards(api, cid)] == [keep]
    assert api.answer(fmt, "campaign_delete", action="reward", reward_id=rid)["error"] == "Reward not found"


# --- kept reward lists (gateway.legacy.render.rendered) ------------------------------------------------

LIST_FORMATS = [{}, {"output": "json"}, {"output": "json", "condensed": "1"}, {"callback": "jQuery1_2"}]


def test_a_kept_reward_list_is_byte_for_byte_the_list_rendered_afresh(api, campaigns):
    """Each state of the list, in every format: the answer asked again (kept) and the answer rendered
    afresh are the same bytes and headers; a change made by any path, the legacy door or none, shows at once."""
    cid = campaigns["points"]

    def answers() -> list[bytes]:
        bodies = []
        for extra in LIST_FORMATS:
            first = api.call("campaign_rewards", campaign_id=cid, **extra)
            kept = api.call("campaign_rewards", campaign_id=cid, **extra)
            rendered.cache_clear()
            afresh = api.call("campaign_rewards", campaign_id=cid, **extra)
            assert first.data == kept.data == afresh.data
            assert dict(first.headers) == dict(kept.headers) == dict(afresh.headers)
            bodies.append(first.data)
        return bodies

    states = {"none": answers()}
    rid = add_reward(api, cid, level=500, description="Tea")
    states["Tea"] = answers()
    api.ok("campaign_update", action="reward", campaign_id=cid, reward_id=rid, new_reward_description="Cake")
    states["Cake"] = answers()
    Reward.update(description="Pie").where(Reward.id == int(rid)).execute()  # no door: an operator's UPDATE
    states["Pie"] = answers()
    Reward.update(level=5000).where(Reward.id == int(rid)).execute()
    states["Pie at 5000"] = answers()
    api.ok("campaign_delete", action="reward", campaign_id=cid, reward_id=rid)
    states["deleted"] = answers()
    for name, bodies in states.items():
        for body in bodies:
            level_5000 = b">5000<" in body or b'"5000"' in body  # element or JSON string, not the id's digits
            assert (b"Pie" in body) == name.startswith("Pie") and level_5000 == (name == "Pie at 5000")
            assert (b"Tea" in body) == (name == "Tea") and (b"Cake" in body) == (name == "Cake")
    assert states["deleted"] == states["none"]
    assert len({tuple(bodies) for bodies in states.values()}) == len(states) - 1
    assert api.err("campaign_rewards", campaign_id=campaigns["giftcard"]) == REWARDS_ONLY  # errors are never kept


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_every_worker_answers_a_changed_reward_list_at_once(backend, tmp_path):
    """Two gunicorn workers both keep the list; a reward changed outside any request shows in the very
    next answer of each, because what they keep is keyed by the rows each request reads."""
    with fresh_database(backend, tmp_path) as url:
        with running_server(url, workers=2) as server:
            session = requests.Session()

            def ask(type_, **fields) -> dict:
                doc = session.post(server.url, data=form(type_, **fields), timeout=30).json()
                assert doc["status"] == "success", doc
                return doc

            cid = ask("campaign_new", action="campaign", campaign_type="points", campaign_name="P")["campaign"]["id"]
            rid = ask("campaign_new", action="reward", campaign_id=cid, reward_level=100,
                      reward_description="Tea")["campaign"]["reward"]["id"]
            for _ in range(40):  # sync workers close every connection: the requests fall to both
                assert [r["description"] for r in ask("campaign_rewards", campaign_id=cid)["rewards"]] == ["Tea"]
            with db.write_transaction():
                Reward.update(description="Cake").where(Reward.id == int(rid)).execute()
            seen = [[r["description"] for r in ask("campaign_rewards", campaign_id=cid)["rewards"]] for _ in range(40)]
            assert seen == [["Cake"]] * 40


# --- promotions --------------------------------------------------------------------------------------

def add_promo(api, cid, operation="x", amount="2", description="Double points", **fields) -> str:
    return api.ok("campaign_new", action="promo", campaign_id=cid, promo_operation=operation, promo_amount=amount,
                  promo_description=description, **fields)["campaign"]["promo"]["id"]


def test_promos_only_on_points(api, campaigns):
    add_promo(api, campaigns["points"])
    for kind in ("giftcard", "events", "earned", "buyx"):
        assert api.err("campaign_new", action="promo", campaign_id=campaigns[kind], promo_operation="x", promo_amount=2,
                       promo_description="X") == PROMOS_ONLY
        assert api.err("campaign_promos", campaign_id=campaigns[kind]) == PROMOS_ONLY
    assert Promo.select().count() == 1


def test_new_promo_answer_and_list(api, campaigns, fmt):
    cid = campaigns["points"]
    doc = api.answer(fmt, "campaign_new", action="promo", campaign_id=cid, promo_operation="X", promo_amount="1,5",
                     promo_description="Summer", promo_custom_id="XFA-834", promo_start_date="2013-08-01 00:00:00",
                     promo_end_date="2013-08-31")
    pid = doc["campaign"]["promo"]["id"]
    assert doc["campaign"]["id"] == cid
    plus = add_promo(api, cid, "+", "50", "Bonus")
    listing = api.answer(fmt, "campaign_promos", API="1.5", campaign_id=cid)
    expected = [
        {"id": pid, "operand": "x", "value": "1.5", "description": "Summer", "promo_custom_id": "XFA-834",
         "promo_start_date": "2013-08-01 00:00:00", "promo_end_date": "2013-08-31 00:00:00"},
        {"id": plus, "operand": "+", "value": "50", "description": "Bonus", "promo_custom_id": "",
         "promo_start_date": "", "promo_end_date": ""},
    ]
    promotions = listing["promotions"]["promotion"] if fmt == "xml" else listing["promotions"]
    assert promotions == expected
    assert listing["campaign"] == {"id": cid}


def test_promo_validation(api, campaigns):
    cid = campaigns["points"]
    base = dict(action="promo", campaign_id=cid, promo_operation="x", promo_amount="2", promo_description="D")
    for change, message in [
        ({"promo_operation": "-"}, "Invalid value for field promo_operation: must be one of x, +"),
        ({"promo_amount": "0"}, "Invalid value for field promo_amount: must be greater than 0"),
        ({"promo_amount": "-2"}, "Invalid value for field promo_amount: must be greater than 0"),
        ({"promo_amount": "two"}, "Invalid value for field promo_amount: Not a valid number"),
        ({"promo_amount": ""}, "Missing required field: promo_amount"),
        ({"promo_description": ""}, "Missing required field: promo_description"),
        ({"promo_start_date": "2013-08-31", "promo_end_date": "2013-08-01"},
         "Invalid value for field promo_end_date: the end date must be after the start date"),
        ({"promo_start_date": "2013-08-01 10:00:00", "promo_end_date": "2013-08-01 10:00:00"},
         "Invalid value for field promo_end_date: the end date must be after the start date"),
        ({"promo_start_date": "01/08/2013"}, "Invalid value for field promo_start_date: not a date (use YYYY-MM-DD HH:MM:SS)"),
    ]:
        assert api.err("campaign_new", **{**base, **change}) == message, change
    assert Promo.select().count() == 0


def test_update_promo(api, campaigns, fmt):
    cid = campaigns["points"]
    pid = add_promo(api, cid, promo_start_date="2013-08-01", promo_end_date="2013-09-01")
    doc = api.answer(fmt, "campaign_update", action="promo", promo_id=pid, new_promo_operation="+", new_promo_amount="25",
                     new_promo_custom_id="XFA-1", new_promo_end_date="2013-10-01 08:00:00")
    assert doc["promo"] == {"status": "updated", "id": pid}
    promo = Promo.get_by_id(int(pid))
    assert (promo.operation, promo.amount, promo.description, promo.custom_id) == ("+", "25", "Double points", "XFA-1")
    assert str(promo.end_date) == "2013-10-01 08:00:00"
    # dates are checked against what is stored
    assert api.answer(fmt, "campaign_update", action="promo", promo_id=pid, new_promo_description="x",
                      new_promo_start_date="2013-12-01")["error"] == \
        "Invalid value for field promo_end_date: the end date must be after the start date"


def test_update_promo_rules(api, campaigns):
    cid = campaigns["points"]
    pid = add_promo(api, cid)
    for fields, message in [
        ({"new_promo_custom_id": "X"}, "At least one of new_promo_operation, new_promo_amount, new_promo_description is required"),
        ({}, "At least one of new_promo_operation, new_promo_amount, new_promo_description is required"),
        ({"new_promo_amount": ""}, "Invalid value for field new_promo_amount: must not be blank"),
        ({"new_promo_amount": "0"}, "Invalid value for field new_promo_amount: must be greater than 0"),
        ({"new_promo_description": " ", "new_promo_amount": "3"}, "Invalid value for field new_promo_description: must not be blank"),
        ({"new_promo_operation": "/"}, "Invalid value for field new_promo_operation: must be one of x, +"),
    ]:
        assert api.err("campaign_update", action="promo", promo_id=pid, **fields) == message, fields
    assert api.err("campaign_update", action="promo", promo_id="greatwidgets", new_promo_amount=3) == \
        "Invalid value for field promo_id: Not a valid id"
    assert api.err("campaign_update", action="promo", new_promo_amount=3) == "Missing required field: promo_id"
    promo = Promo.get_by_id(int(pid))
    assert (promo.operation, promo.amount, promo.description) == ("x", "2", "Double points")


def test_delete_promo(api, campaigns):
    cid = campaigns["points"]
    pid = add_promo(api, cid)
    root = api.xml("campaign_delete", action="promo", promo_id=pid)
    assert root.find("promo").get("status") == "deleted" and root.findtext("promo/id") == pid
    assert api.ok("campaign_promos", campaign_id=cid)["promotions"] == []
    assert api.err("campaign_delete", action="promo", promo_id=pid) == "Promo not found"


# --- buy-X items -------------------------------------------------------------------------------------

def add_item(api, cid, level=10, description="Coffee", **fields) -> str:
    return api.ok("campaign_new", action="item", campaign_id=cid, reward_level=level, item_description=description,
                  **fields)["campaign"]["item"]["id"]


def test_items_only_on_buyx(api, campaigns):
    add_item(api, campaigns["buyx"])
    for kind in ("points", "giftcard", "events", "earned"):
        assert api.err("campaign_new", action="item", campaign_id=campaigns[kind], reward_level=5,
                       item_description="X") == ITEMS_ONLY
        assert api.err("buyx_items_list", campaign_id=campaigns[kind]) == ITEMS_ONLY


def test_items_new_update_delete_and_list(api, campaigns, fmt):
    cid = campaigns["buyx"]
    doc = api.answer(fmt, "campaign_new", action="item", campaign_id=cid, reward_level=10, item_description="Coffee",
                     item_identifier="SKU-C")
    iid = doc["campaign"]["item"]["id"]
    assert doc["campaign"]["id"] == cid
    tea = add_item(api, cid, 6, "Tea")
    doc = api.answer(fmt, "campaign_update", action="item", item_id=iid, new_reward_level=8, new_item_description="Espresso")
    assert doc["item"] == {"status": "updated", "id": iid}
    listing = api.answer(fmt, "buyx_items_list", API="1.5", campaign_id=cid)
    items = listing["buyx_items"]["buyx_item"] if fmt == "xml" else listing["buyx_items"]
    assert items == [
        {"id": iid, "service_product": "Espresso", "buy_amount": "8", "item_identifier": "SKU-C"},
        {"id": tea, "service_product": "Tea", "buy_amount": "6", "item_identifier": ""},
    ]
    assert api.answer(fmt, "campaign_delete", action="item", item_id=tea)["item"] == {"status": "deleted", "id": tea}
    assert [i["id"] for i in api.ok("buyx_items_list", campaign_id=cid)["buyx_items"]] == [iid]


def test_item_errors(api, campaigns):
    cid = campaigns["buyx"]
    iid = add_item(api, cid)
    assert api.err("campaign_new", action="item", campaign_id=cid, item_description="X") == "Missing required field: reward_level"
    assert api.err("campaign_new", action="item", campaign_id=cid, reward_level=3) == "Missing required field: item_description"
    assert api.err("campaign_update", action="item", item_id=iid) == "Nothing to update: give at least one new value"
    assert api.err("campaign_update", action="item", item_id=iid, campaign_id=campaigns["points"], new_reward_level=3) == \
        ITEMS_ONLY
    assert api.err("campaign_delete", action="item", item_id=str(int(iid) + 1000)) == "Item not found"
    assert api.ok("buyx_items_list", campaign_id=cid)["buyx_items"][0]["buy_amount"] == "10"


def test_new_part_answers_nest_the_part_in_its_campaign(api, campaigns):
    for call_fields, tag in [
        ({"campaign_id": campaigns["points"], "reward_level": 5, "reward_description": "R"}, "reward"),
        ({"campaign_id": campaigns["points"], "promo_operation": "x", "promo_amount": 2, "promo_description": "P"}, "promo"),
        ({"campaign_id": campaigns["buyx"], "reward_level": 5, "item_description": "I"}, "item"),
    ]:
        root = api.xml("campaign_new", action=tag, **call_fields)
        campaign = root.find("campaign")
        assert [e.tag for e in campaign] == ["id", tag]
        assert campaign.get("status") is None
        assert [e.tag for e in campaign.find(tag)] == ["id"]


def test_a_retried_create_with_an_idempotency_key_adds_one_reward(api, campaigns):
    cid = campaigns["points"]
    first = api.ok("campaign_new", action="reward", campaign_id=cid, reward_level=5, reward_description="R", idempotency_key="k1")
    again = api.ok("campaign_new", action="reward", campaign_id=cid, reward_level=5, reward_description="R", idempotency_key="k1")
    assert first == again
    assert len(rewards(api, cid)) == 1
