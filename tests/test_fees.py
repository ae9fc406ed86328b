"""Fees and depreciations: points and gift-card campaigns only; amounts in the campaign's unit."""
from __future__ import annotations

import pytest

from gateway.domain.models import Depreciation, Fee

FEES_ONLY = "Fees are only available for points and giftcard campaigns"
DEPRECIATIONS_ONLY = "Depreciations are only available for points and giftcard campaigns"


@pytest.fixture
def campaigns(api) -> dict:
    ids = {}
    for kind in ("points", "giftcard", "events", "earned", "buyx"):
        extra = {"amount_per_event": "1"} if kind == "earned" else {}
        ids[kind] = api.ok("campaign_new", action="campaign", campaign_type=kind, campaign_name=kind, **extra)["campaign"]["id"]
    return ids


def add_fee(api, cid, amount="10", interval=1, interval_type="years", description="Yearly account fee") -> dict:
    return api.ok("campaign_fee_new", campaign_id=cid, fee_interval=interval, interval_type=interval_type,
                  fee_amount=amount, fee_description=description)["fee"]


def add_depreciation(api, cid, **fields) -> dict:
    form = dict(API="1.1", campaign_id=cid, depreciation_type="per_transaction", depreciation_interval=18,
                depreciation_interval_type="months", depreciation_percentage=50)
    return api.ok("depreciation_new", **{**form, **fields})["depreciation"]


# --- fees --------------------------------------------------------------------------------------------

def test_fee_answers_in_points_and_money(api, campaigns, fmt):
    doc = api.answer(fmt, "campaign_fee_new", campaign_id=campaigns["points"], fee_interval=18, interval_type="Months",
                     fee_amount="100", fee_description="100")
    fid = doc["fee"]["id"]
    assert doc["fee"] == {"status": "new", "id": fid, "interval": "18", "interval_type": "months", "amount": "100",
                          "description": "100"}
    gift = api.answer(fmt, "campaign_fee_new", campaign_id=campaigns["giftcard"], fee_interval=1, interval_type="years",
                      fee_amount="2,5", fee_description="Card fee")["fee"]
    assert gift["amount"] == "2.50"
    assert Fee.get_by_id(int(gift["id"])).amount == 250
    root = api.xml("campaign_fee_new", campaign_id=campaigns["points"], fee_interval=1, interval_type="days",
                   fee_amount=1, fee_description="d")
    assert [e.tag for e in root.find("fee")] == ["id", "interval", "interval_type", "amount", "description"]


def test_fees_only_on_points_and_giftcard(api, campaigns):
    add_fee(api, campaigns["giftcard"])
    for kind in ("events", "earned", "buyx"):
        assert api.err("campaign_fee_new", campaign_id=campaigns[kind], fee_interval=1, interval_type="years",
                       fee_amount=1, fee_description="x") == FEES_ONLY
        assert api.err("campaign_fees", campaign_id=campaigns[kind]) == FEES_ONLY
    assert Fee.select().count() == 1


def test_fee_validation(api, campaigns):
    cid = campaigns["points"]
    base = dict(campaign_id=cid, fee_interval=1, interval_type="years", fee_amount="10", fee_description="x")
    for change, message in [
        ({"fee_amount": "2.5"}, "Invalid value for field fee_amount: points campaigns take whole points"),
        ({"fee_amount": "0"}, "Invalid value for field fee_amount: Must be between 0.01 and 1000000000"),
        ({"fee_amount": "1.005"}, "Invalid value for field fee_amount: At most 2 decimal places"),
        ({"interval_type": "weeks"}, "Invalid value for field interval_type: must be one of days, months, years"),
        ({"fee_interval": "0"}, "Invalid value for field fee_interval: Must be greater than or equal to 1 and less than or equal to 1000"),
        ({"fee_description": ""}, "Missing required field: fee_description"),
        ({"campaign_id": ""}, "Missing required field: campaign_id"),
    ]:
        assert api.err("campaign_fee_new", **{**base, **change}) == message, change
    assert Fee.select().count() == 0


def test_fee_list_update_delete(api, campaigns, fmt):
    cid = campaigns["giftcard"]
    first = add_fee(api, cid, "10", 1, "years", "Yearly account fee")
    second = add_fee(api, cid, "0.99", 1, "months", "Monthly")
    listing = api.answer(fmt, "campaign_fees", campaign_id=cid)
    fees = listing["fees"]["fee"] if fmt == "xml" else listing["fees"]
    assert fees == [
        {"id": first["id"], "interval": "1", "interval_type": "years", "amount": "10.00", "description": "Yearly account fee"},
        {"id": second["id"], "interval": "1", "interval_type": "months", "amount": "0.99", "description": "Monthly"},
    ]
    assert listing["campaign"] == {"id": cid}
    doc = api.answer(fmt, "campaign_fee_update", campaign_id=cid, fee_id=second["id"], fee_amount="1.49", interval_type="days")
    assert doc["fee"] == {"status": "updated", "id": second["id"], "interval": "1", "interval_type": "days",
                          "amount": "1.49", "description": "Monthly"}
    assert api.answer(fmt, "campaign_fee_delete", campaign_id=cid, fee_id=first["id"])["fee"] == \
        {"status": "deleted", "id": first["id"]}
    assert [f["id"] for f in api.ok("campaign_fees", campaign_id=cid)["fees"]] == [second["id"]]
    assert api.answer(fmt, "campaign_fee_delete", campaign_id=cid, fee_id=first["id"])["error"] == "Fee not found"


def test_fee_update_errors(api, campaigns):
    fee = add_fee(api, campaigns["points"])
    cid = campaigns["points"]
    assert api.err("campaign_fee_update", campaign_id=cid, fee_id=fee["id"]) == "Nothing to update: give at least one new value"
    assert api.err("campaign_fee_update", campaign_id=cid, fee_id=fee["id"], fee_amount="0.5") == \
        "Invalid value for field fee_amount: points campaigns take whole points"
    assert api.err("campaign_fee_update", campaign_id=campaigns["giftcard"], fee_id=fee["id"], fee_amount=1) == "Fee not found"
    assert api.err("campaign_fee_update", fee_id=fee["id"], fee_amount=1) == "Missing required field: campaign_id"
    assert api.err("campaign_fee_delete", campaign_id=cid) == "Missing required field: fee_id"
    assert Fee.get_by_id(int(fee["id"])).amount == 10


# --- depreciations -----------------------------------------------------------------------------------

def test_depreciation_new_and_update_answers(api, campaigns, fmt):
    cid = campaigns["points"]
    doc = api.answer(fmt, "depreciation_new", API="1.1", campaign_id=cid, depreciation_type="per_transaction",
                     depreciation_interval=18, depreciation_interval_type="months", depreciation_percentage="50")
    did = doc["depreciation"]["id"]
    assert doc["depreciation"] == {"status": "new", "id": did, "type": "per_transaction", "interval": "18",
                                   "interval_type": "months", "percentage": "50"}
    doc = api.answer(fmt, "depreciation_update", API="1.1", campaign_id=cid, depreciation_id=did,
                     depreciation_type="last_transaction", depreciation_percentage="100")
    assert doc["depreciation"] == {"status": "updated", "id": did, "type": "last_transaction", "interval": "18",
                                   "interval_type": "months", "percentage": "100"}
    root = api.xml("depreciation_update", campaign_id=cid, depreciation_id=did, depreciation_percentage="12.5")
    assert [e.tag for e in root.find("depreciation")] == ["id", "type", "interval", "interval_type", "percentage"]
    assert root.findtext("depreciation/percentage") == "12.5"


def test_depreciations_only_on_points_and_giftcard(api, campaigns):
    add_depreciation(api, campaigns["giftcard"])
    for kind in ("events", "earned", "buyx"):
        assert api.err("depreciation_new", campaign_id=campaigns[kind], depreciation_type="per_transaction",
                       depreciation_interval=1, depreciation_interval_type="years",
                       depreciation_percentage=10) == DEPRECIATIONS_ONLY
        assert api.err("campaign_depreciations", campaign_id=campaigns[kind]) == DEPRECIATIONS_ONLY
    assert Depreciation.select().count() == 1


def test_depreciation_validation(api, campaigns):
    cid = campaigns["points"]
    base = dict(campaign_id=cid, depreciation_type="per_transaction", depreciation_interval=1,
                depreciation_interval_type="years", depreciation_percentage=10)
    for change, message in [
        ({"depreciation_type": "monthly"}, "Invalid value for field depreciation_type: must be one of per_transaction, last_transaction"),
        ({"depreciation_percentage": "0"}, "Invalid value for field depreciation_percentage: Must be between 0.01 and 100"),
        ({"depreciation_percentage": "100.5"}, "Invalid value for field depreciation_percentage: Must be between 0.01 and 100"),
        ({"depreciation_interval_type": "hours"}, "Invalid value for field depreciation_interval_type: must be one of days, months, years"),
        ({"depreciation_interval": ""}, "Missing required field: depreciation_interval"),
    ]:
        assert api.err("depreciation_new", **{**base, **change}) == message, change
    assert Depreciation.select().count() == 0


def test_depreciation_list_and_delete(api, campaigns, fmt):
    cid = campaigns["giftcard"]
    first = add_depreciation(api, cid)
    second = add_depreciation(api, cid, depreciation_type="last_transaction", depreciation_interval=2,
                              depreciation_interval_type="years", depreciation_percentage=100)
    listing = api.answer(fmt, "campaign_depreciations", campaign_id=cid)
    items = listing["depreciations"]["depreciation"] if fmt == "xml" else listing["depreciations"]
    assert items == [
        {"id": first["id"], "depreciation_interval": "18", "depreciation_interval_type": "months",
         "depreciation_percentage": "50", "depreciation_type": "per_transaction"},
        {"id": second["id"], "depreciation_interval": "2", "depreciation_interval_type": "years",
         "depreciation_percentage": "100", "depreciation_type": "last_transaction"},
    ]
    doc = api.answer(fmt, "depreciation_delete", campaign_id=cid, depreciation_id=first["id"])
    assert doc["depreciation"] == {"status": "deleted", "id": first["id"]}
    # the legacy page's example sends the id as fee_id
    assert api.ok("depreciation_delete", campaign_id=cid, fee_id=second["id"])["depreciation"]["id"] == second["id"]
    assert api.ok("campaign_depreciations", campaign_id=cid)["depreciations"] == []
    assert api.answer(fmt, "depreciation_delete", campaign_id=cid, depreciation_id=first["id"])["error"] == \
        "Depreciation not found"


def test_depreciation_update_and_delete_errors(api, campaigns):
    dep = add_depreciation(api, campaigns["points"])
    cid = campaigns["points"]
    assert api.err("depreciation_update", campaign_id=cid, depreciation_id=dep["id"]) == \
        "Nothing to update: give at least one new value"
    assert api.err("depreciation_update", campaign_id=campaigns["giftcard"], depreciation_id=dep["id"],
                   depreciation_percentage=5) == "Depreciation not found"
    assert api.err("depreciation_update", campaign_id=cid, depreciation_percentage=5) == "Missing required field: depreciation_id"
    assert api.err("depreciation_delete", campaign_id=cid) == "Missing required field: depreciation_id"
    assert api.err("depreciation_delete", depreciation_id=dep["id"]) == "Missing required field: campaign_id"
    assert Depreciation.get_by_id(int(dep["id"])).percentage == "50"
