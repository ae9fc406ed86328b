"""Every campaign-management call, one catalogue: success and a documented error in XML, JSON and JSONP,
through urlencoded, multipart and GET; staff permissions; and tenant isolation (ids of another account
behave exactly as ids that do not exist, and change nothing)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import pytest

from gateway.domain.permissions import flags_of
from gateway.legacy.messages import PERMISSION_DENIED, PERMISSION_DENIED_FLAG
from gateway.domain.models import ALL_MODELS, IdempotencyRecord
from gateway.legacy.registry import registry

NOPE_CAMPAIGN = "1999999999999999"
NOPE_ID = "987654321"
NOPE = {"points": NOPE_CAMPAIGN, "events": NOPE_CAMPAIGN, "giftcard": NOPE_CAMPAIGN, "earned": NOPE_CAMPAIGN,
        "buyx": NOPE_CAMPAIGN, "inactive": NOPE_CAMPAIGN,
        "reward": NOPE_ID, "promo": NOPE_ID, "item": NOPE_ID, "fee": NOPE_ID, "depreciation": NOPE_ID}


def build_world(api) -> dict:
    """One account's campaigns of every type, one of each part, and a deactivated campaign."""
    w = {}
    for kind in ("points", "events", "giftcard", "earned", "buyx", "inactive"):
        extra = {"amount_per_event": "4.95"} if kind == "earned" else {}
        doc = api.ok("campaign_new", action="campaign", campaign_type="points" if kind == "inactive" else kind,
                     campaign_name=f"{kind} campaign", **extra)
        w[kind] = doc["campaign"]["id"]
    api.ok("campaign_deactivate", campaign_id=w["inactive"])
    w["reward"] = api.ok("campaign_new", action="reward", campaign_id=w["points"], reward_level=100,
                         reward_description="Free widget")["campaign"]["reward"]["id"]
    w["promo"] = api.ok("campaign_new", action="promo", campaign_id=w["points"], promo_operation="x", promo_amount=2,
                        promo_description="Double points")["campaign"]["promo"]["id"]
    w["item"] = api.ok("campaign_new", action="item", campaign_id=w["buyx"], reward_level=10,
                       item_description="Coffee")["campaign"]["item"]["id"]
    w["fee"] = api.ok("campaign_fee_new", campaign_id=w["points"], fee_interval=1, interval_type="months", fee_amount=5,
                      fee_description="Monthly")["fee"]["id"]
    w["depreciation"] = api.ok("depreciation_new", API="1.1", campaign_id=w["points"], depreciation_type="per_transaction",
                               depreciation_interval=18, depreciation_interval_type="months",
                               depreciation_percentage=50)["depreciation"]["id"]
    return w


@dataclass(frozen=True)
class Case:
    type: str
    action: str | None
    fields: Callable[[dict, dict], dict]  # (world naming campaigns, world naming parts) -> form
    expect: str  # a key of a successful answer
    error: Callable[[dict, dict], dict]
    message: str
    names_part: bool = False  # the form names a reward, promo, item, fee or depreciation
    names_campaign: bool = True
    extra: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.type}-{self.action}" if self.action else self.type

    @property
    def permission(self) -> str:
        return registry.calls[(self.type, self.action)].permission

    def form(self, fields: dict) -> dict:
        return {"action": self.action, **fields} if self.action else fields


CASES = [
    Case("campaign_new", "campaign", lambda c, p: {"campaign_type": "points", "campaign_name": "New"}, "campaign",
         lambda c, p: {"campaign_type": "bogus", "campaign_name": "New"},
         "Invalid value for field campaign_type: must be one of points, giftcard, events, earned, buyx", names_campaign=False),
    Case("campaign_update", "campaign", lambda c, p: {"campaign_id": c["points"], "new_campaign_name": "Renamed"}, "campaign",
         lambda c, p: {"campaign_id": c["points"]}, "Nothing to update: give at least one new value"),
    Case("campaign_delete", "campaign", lambda c, p: {"campaign_id": c["points"]}, "campaign",
         lambda c, p: {}, "Missing required field: campaign_id"),
    Case("campaign_deactivate", None, lambda c, p: {"campaign_id": c["points"]}, "campaign",
         lambda c, p: {"campaign_id": c["inactive"]}, "Campaign is already deactivated"),
    Case("campaign_reactivate", None, lambda c, p: {"campaign_id": c["inactive"]}, "campaign",
         lambda c, p: {"campaign_id": c["points"]}, "Campaign is already active"),
    Case("campaigns_list", None, lambda c, p: {"type_restrict": "points,buyx"}, "campaigns",
         lambda c, p: {"type_restrict": "points,bogus"},
         "Invalid value for field type_restrict: must be one of points, giftcard, events, earned, buyx", names_campaign=False),
    Case("campaigns_inactive_list", None, lambda c, p: {"API": "1.5", "searchField": "campaign_name", "searchOper": "cn",
                                                         "searchValue": "inactive"}, "campaigns",
         lambda c, p: {"searchField": "name", "searchValue": "x"},
         "Invalid value for field searchField: must be one of campaign_name, campaign_type", names_campaign=False),
    Case("campaign_new", "reward", lambda c, p: {"campaign_id": c["points"], "reward_level": 10, "reward_description": "R"},
         "campaign", lambda c, p: {"campaign_id": c["giftcard"], "reward_level": 10, "reward_description": "R"},
         "Rewards are only available for points and events campaigns"),
    Case("campaign_update", "reward", lambda c, p: {"campaign_id": c["points"], "reward_id": p["reward"], "new_reward_level": 5},
         "reward", lambda c, p: {"campaign_id": c["points"], "reward_id": p["reward"]},
         "Nothing to update: give at least one new value", names_part=True),
    Case("campaign_delete", "reward", lambda c, p: {"reward_id": p["reward"]}, "reward",
         lambda c, p: {"reward_id": "abc"}, "Invalid value for field reward_id: Not a valid id", names_part=True,
         names_campaign=False),
    Case("campaign_rewards", None, lambda c, p: {"campaign_id": c["points"]}, "rewards",
         lambda c, p: {"campaign_id": c["buyx"]}, "Rewards are only available for points and events campaigns"),
    Case("campaign_new", "promo", lambda c, p: {"campaign_id": c["points"], "promo_operation": "+", "promo_amount": 50,
                                                 "promo_description": "Bonus"}, "campaign",
         lambda c, p: {"campaign_id": c["points"], "promo_operation": "x", "promo_amount": 0, "promo_description": "Bonus"},
         "Invalid value for field promo_amount: must be greater than 0"),
    Case("campaign_update", "promo", lambda c, p: {"promo_id": p["promo"], "new_promo_amount": 3}, "promo",
         lambda c, p: {"promo_id": p["promo"], "new_promo_custom_id": "X1"},
         "At least one of new_promo_operation, new_promo_amount, new_promo_description is required", names_part=True,
         names_campaign=False),
    Case("campaign_delete", "promo", lambda c, p: {"promo_id": p["promo"]}, "promo",
         lambda c, p: {}, "Missing required field: promo_id", names_part=True, names_campaign=False),
    Case("campaign_promos", None, lambda c, p: {"API": "1.5", "campaign_id": c["points"]}, "promotions",
         lambda c, p: {"campaign_id": c["events"]}, "Promotions are only available for points campaigns"),
    Case("campaign_new", "item", lambda c, p: {"campaign_id": c["buyx"], "reward_level": 10, "item_description": "Tea"},
         "campaign", lambda c, p: {"campaign_id": c["points"], "reward_level": 10, "item_description": "Tea"},
         "Items are only available for buyx campaigns"),
    Case("campaign_update", "item", lambda c, p: {"item_id": p["item"], "new_item_description": "Espresso"}, "item",
         lambda c, p: {"item_id": NOPE_ID, "new_item_description": "Espresso"}, "Item not found", names_part=True,
         names_campaign=False),
    Case("campaign_delete", "item", lambda c, p: {"item_id": p["item"]}, "item",
         lambda c, p: {}, "Missing required field: item_id", names_part=True, names_campaign=False),
    Case("buyx_items_list", None, lambda c, p: {"API": "1.5", "campaign_id": c["buyx"], "searchField": "buy_amount",
                                                 "searchOper": "eq", "searchValue": "10"}, "buyx_items",
         lambda c, p: {"campaign_id": c["buyx"], "searchField": "reward_id", "searchOper": "eq", "searchValue": "abc"},
         "Invalid value for field searchValue: this field takes numbers"),
    Case("campaign_fee_new", None, lambda c, p: {"campaign_id": c["giftcard"], "fee_interval": 1, "interval_type": "years",
                                                  "fee_amount": "2,50", "fee_description": "Yearly"}, "fee",
         lambda c, p: {"campaign_id": c["points"], "fee_interval": 1, "interval_type": "years", "fee_amount": "2.5",
                       "fee_description": "Yearly"},
         "Invalid value for field fee_amount: points campaigns take whole points"),
    Case("campaign_fee_update", None, lambda c, p: {"campaign_id": c["points"], "fee_id": p["fee"], "fee_amount": 20}, "fee",
         lambda c, p: {"campaign_id": c["points"], "fee_id": p["fee"], "interval_type": "weeks"},
         "Invalid value for field interval_type: must be one of days, months, years", names_part=True),
    Case("campaign_fee_delete", None, lambda c, p: {"campaign_id": c["points"], "fee_id": p["fee"]}, "fee",
         lambda c, p: {"campaign_id": c["events"], "fee_id": p["fee"]},
         "Fees are only available for points and giftcard campaigns", names_part=True),
    Case("campaign_fees", None, lambda c, p: {"campaign_id": c["points"]}, "fees",
         lambda c, p: {"campaign_id": c["earned"]}, "Fees are only available for points and giftcard campaigns"),
    Case("depreciation_new", None, lambda c, p: {"API": "1.1", "campaign_id": c["giftcard"], "depreciation_type": "last_transaction",
                                                  "depreciation_interval": 2, "depreciation_interval_type": "years",
                                                  "depreciation_percentage": 100}, "depreciation",
         lambda c, p: {"campaign_id": c["points"], "depreciation_type": "last_transaction", "depreciation_interval": 2,
                       "depreciation_interval_type": "years", "depreciation_percentage": 150},
         "Invalid value for field depreciation_percentage: Must be between 0.01 and 100"),
    Case("depreciation_update", None, lambda c, p: {"API": "1.1", "campaign_id": c["points"], "depreciation_id": p["depreciation"],
                                                     "depreciation_percentage": 100}, "depreciation",
         lambda c, p: {"campaign_id": c["points"], "depreciation_id": p["depreciation"]},
         "Nothing to update: give at least one new value", names_part=True),
    Case("depreciation_delete", None, lambda c, p: {"campaign_id": c["points"], "depreciation_id": p["depreciation"]},
         "depreciation", lambda c, p: {"campaign_id": c["points"]}, "Missing required field: depreciation_id", names_part=True),
    Case("campaign_depreciations", None, lambda c, p: {"campaign_id": c["points"]}, "depreciations",
         lambda c, p: {"campaign_id": c["buyx"]}, "Depreciations are only available for points and giftcard campaigns"),
]
OWNED = ("campaign_new/campaign", "campaign_update/campaign", "campaign_delete/campaign", "campaign_deactivate",
         "campaign_reactivate", "campaigns_list", "campaigns_inactive_list", "campaign_new/reward", "campaign_update/reward",
         "campaign_delete/reward", "campaign_rewards", "campaign_new/promo", "campaign_update/promo", "campaign_delete/promo",
         "campaign_promos", "campaign_new/item", "campaign_update/item", "campaign_delete/item", "buyx_items_list",
         "campaign_fee_new", "campaign_fee_update", "campaign_fee_delete", "campaign_fees", "depreciation_new",
         "depreciation_update", "depreciation_delete", "campaign_depreciations")


def test_the_catalogue_covers_every_campaign_call():
    from gateway.legacy import calls

    calls.load_all()
    assert sorted(f"{c.type}/{c.action}" if c.action else c.type for c in CASES) == sorted(OWNED)
    assert all(registry.calls[(c.type, c.action)] for c in CASES)


def snapshot() -> list:
    """Every stored row of every table but the idempotency store."""
    return [sorted(m.select().tuples()) for m in ALL_MODELS if m is not IdempotencyRecord]


@pytest.fixture
def worlds(api):
    return build_world(api), build_world(api.other())


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_success_and_error_in_every_format(api, worlds, fmt, case):
    mine, _ = worlds
    doc = api.answer(fmt, case.type, **case.form(case.fields(mine, mine)))
    assert doc["status"] == "success", doc
    assert case.expect in doc
    before = snapshot()
    doc = api.answer(fmt, case.type, **case.form(case.error(mine, mine)))
    assert doc == {"status": "error", "error": case.message} if fmt == "xml" else doc["error"] == case.message, doc
    assert snapshot() == before
    # the /docs page lists what each call can answer
    assert case.message in registry.calls[(case.type, case.action)].errors


def test_every_call_through_every_encoding(api, encoding):
    api.encoding = encoding
    for case in CASES:
        mine = build_world(api)
        assert api.ok(case.type, **case.form(case.fields(mine, mine)))[case.expect] is not None
        assert api.err(case.type, **case.form(case.error(mine, mine))) == case.message


def test_staff_may_list_but_not_manage(api):
    mine = build_world(api)
    staff = api.staff()
    for case in CASES:
        before = snapshot()
        if case.permission == "manage" or case.permission not in ("read", "till", *flags_of("staff")):
            refusal = PERMISSION_DENIED if case.permission == "manage" else PERMISSION_DENIED_FLAG.format(case.permission)
            assert staff.err(case.type, **case.form(case.fields(mine, mine))) == refusal, case.id
            assert snapshot() == before, case.id
        else:
            assert case.expect in staff.ok(case.type, **case.form(case.fields(mine, mine))), case.id
    assert [c.id for c in CASES if c.permission == "read"] == [
        "campaigns_list", "campaign_rewards", "campaign_promos", "buyx_items_list", "campaign_fees", "campaign_depreciations"]


@pytest.mark.parametrize("case", [c for c in CASES if c.names_campaign or c.names_part], ids=lambda c: c.id)
def test_another_accounts_ids_are_ids_that_do_not_exist(api, worlds, case):
    mine, theirs = worlds
    # the whole form names the other account's campaign and parts; then my campaign with their part
    pairs = [((theirs, theirs), (NOPE, NOPE))]
    if case.names_part and case.names_campaign:
        pairs.append(((mine, theirs), (mine, NOPE)))
    for foreign, missing in pairs:
        before = snapshot()
        expected = api.err(case.type, **case.form(case.fields(*missing)))
        assert expected.endswith("not found"), expected
        assert api.err(case.type, **case.form(case.fields(*foreign))) == expected
        assert snapshot() == before
    # and the other account still uses its own ids
    assert case.expect in api.other().ok(case.type, **case.form(case.fields(theirs, theirs)))


def test_lists_and_new_campaigns_never_cross_accounts(api, worlds):
    mine, theirs = worlds
    other = api.other()
    new_id = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Mine only")["campaign"]["id"]
    mine_listed = {c["id"] for c in api.ok("campaigns_list")["campaigns"]}
    theirs_listed = {c["id"] for c in other.ok("campaigns_list")["campaigns"]}
    assert new_id in mine_listed and new_id not in theirs_listed
    assert mine_listed.isdisjoint(theirs_listed)
    assert {c["id"] for c in api.ok("campaigns_inactive_list")["campaigns"]} == {mine["inactive"]}
    assert {c["id"] for c in other.ok("campaigns_inactive_list")["campaigns"]} == {theirs["inactive"]}
    assert other.err("campaign_rewards", campaign_id=new_id) == "Campaign not found"


@pytest.mark.parametrize("hostile", ["9223372036854775807", "' OR 1=1 --", "１２３", "0x1F", "%", "\u00e9\u4e2d"])
def test_hostile_ids_are_clean_errors(api, worlds, hostile):
    mine, _ = worlds
    before = snapshot()
    for case in CASES:
        if not (case.names_campaign or case.names_part):
            continue
        hostile_world = {k: hostile for k in NOPE}
        doc = api.json(case.type, **case.form(case.fields(hostile_world, hostile_world)))
        assert doc["status"] == "error", (case.id, doc)
        assert doc["error"].endswith("not found") or doc["error"].startswith("Invalid value for field"), (case.id, doc)
    assert snapshot() == before
