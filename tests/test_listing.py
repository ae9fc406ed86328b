"""API 1.5 search, sort and paging (``gateway/listing.py``) through the calls that take them."""
from __future__ import annotations

import pytest

NAMES = ["London Rewards", "london_club", "Paris 100% Club", "Berlin", "Rome"]


@pytest.fixture
def named(api) -> dict:
    """Campaigns by name: London (points), london_club (giftcard), Paris (points), Berlin (events), Rome (buyx)."""
    types = ["points", "giftcard", "points", "events", "buyx"]
    return {name: api.ok("campaign_new", action="campaign", campaign_type=t, campaign_name=name)["campaign"]["id"]
            for name, t in zip(NAMES, types)}


def names(api, call="campaigns_list", **fields) -> list[str]:
    return [c["name"] for c in api.ok(call, **fields)["campaigns"]]


def search(api, oper, value=None, field="campaign_name") -> set[str]:
    return set(names(api, searchField=field, searchOper=oper, searchValue=value))


@pytest.mark.parametrize("oper, value, expected", [
    ("eq", "london rewards", {"London Rewards"}),
    ("ne", "LONDON REWARDS", {"london_club", "Paris 100% Club", "Berlin", "Rome"}),
    ("bw", "lon", {"London Rewards", "london_club"}),
    ("bn", "lon", {"Paris 100% Club", "Berlin", "Rome"}),
    ("ew", "CLUB", {"london_club", "Paris 100% Club"}),
    ("en", "club", {"London Rewards", "Berlin", "Rome"}),
    ("cn", "o", {"London Rewards", "london_club", "Rome"}),
    ("nc", "o", {"Paris 100% Club", "Berlin"}),
    ("in", "berlin, ROME,,", {"Berlin", "Rome"}),
    ("ni", "berlin,rome", {"London Rewards", "london_club", "Paris 100% Club"}),
    # LIKE wildcards in the value are literal characters
    ("cn", "_", {"london_club"}),
    ("cn", "100%", {"Paris 100% Club"}),
    ("cn", "%", {"Paris 100% Club"}),
    ("bw", "!", set()),
])
def test_text_operators(api, named, oper, value, expected):
    assert search(api, oper, value) == expected


def test_null_operators_and_type_search(api, named):
    assert search(api, "nu") == set()
    assert search(api, "nn") == set(NAMES)
    assert search(api, "eq", "Points", field="campaign_type") == {"London Rewards", "Paris 100% Club"}
    assert search(api, "in", "events,buyx", field="campaign_type") == {"Berlin", "Rome"}
    # searchOper defaults to eq; type_restrict and a search combine
    assert set(names(api, searchField="campaign_type", searchValue="points")) == {"London Rewards", "Paris 100% Club"}
    assert names(api, type_restrict="points", searchField="campaign_name", searchOper="bw", searchValue="par") == ["Paris 100% Club"]


def test_sort_offset_length_and_pagination(api, named, fmt):
    assert names(api, sortField="campaign_name") == ["Berlin", "London Rewards", "london_club", "Paris 100% Club", "Rome"]
    assert names(api, sortField="campaign_name", sortOrder="DESC") == ["Rome", "Paris 100% Club", "london_club",
                                                                        "London Rewards", "Berlin"]
    doc = api.answer(fmt, "campaigns_list", API="1.5", sortField="campaign_name", offset=1, length=2)
    page = doc["campaigns"]["campaign"] if fmt == "xml" else doc["campaigns"]
    assert [c["name"] for c in page] == ["London Rewards", "london_club"]
    assert doc["pagination"] == {"total": "5", "offset": "1", "length": "2"}
    doc = api.ok("campaigns_list", sortField="campaign_name", offset=4, length=2)
    assert [c["name"] for c in doc["campaigns"]] == ["Rome"]
    assert doc["pagination"] == {"total": "5", "offset": "4", "length": "1"}
    doc = api.ok("campaigns_list", offset=10)
    assert doc["campaigns"] == [] and doc["pagination"] == {"total": "5", "offset": "10", "length": "0"}
    doc = api.ok("campaigns_list", searchField="campaign_name", searchOper="bw", searchValue="l", length=1)
    assert doc["pagination"] == {"total": "2", "offset": "0", "length": "1"}


def test_paging_walks_every_row_once(api, named):
    seen, offset = [], 0
    while True:
        doc = api.ok("campaigns_list", offset=offset, length=2)
        seen += [c["id"] for c in doc["campaigns"]]
        offset += int(doc["pagination"]["length"])
        if offset >= int(doc["pagination"]["total"]):
            break
    assert sorted(seen) == sorted(named.values())


@pytest.mark.parametrize("fields, message", [
    ({"searchField": "name", "searchValue": "x"}, "Invalid value for field searchField: must be one of campaign_name, campaign_type"),
    ({"searchField": "campaign_name", "searchOper": "like", "searchValue": "x"},
     "Invalid value for field searchOper: must be one of eq, ne, bw, bn, ew, en, cn, nc, nu, nn, in, ni"),
    ({"searchField": "campaign_name", "searchOper": "eq"}, "Missing required field: searchValue"),
    ({"searchValue": "x"}, "Missing required field: searchField"),
    ({"sortField": "created"}, "Invalid value for field sortField: must be one of campaign_name, campaign_type"),
    ({"sortOrder": "UP"}, "Invalid value for field sortOrder: must be one of ASC, DESC"),
    ({"offset": "-1"}, "Invalid value for field offset: Must be greater than or equal to 0 and less than or equal to 1000000000000000"),
    ({"length": "0"}, "Invalid value for field length: Must be greater than or equal to 1 and less than or equal to 1000"),
    ({"length": "ten"}, "Invalid value for field length: Not a valid integer"),
])
def test_bad_options(api, named, fields, message):
    assert api.err("campaigns_list", **fields) == message
    assert api.err("campaigns_inactive_list", **fields) == message


def test_promotions_search_on_description_operation_and_number(api, fmt):
    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="P")["campaign"]["id"]
    for op, amount, desc in [("x", "2", "Double"), ("x", "1.5", "Summer boost"), ("+", "10", "Bonus ten"), ("+", "100", "Bonus")]:
        api.ok("campaign_new", action="promo", campaign_id=cid, promo_operation=op, promo_amount=amount, promo_description=desc)

    def found(**fields):
        return [p["description"] for p in api.ok("campaign_promos", API="1.5", campaign_id=cid, **fields)["promotions"]]

    assert found(searchField="operation", searchOper="eq", searchValue="+") == ["Bonus ten", "Bonus"]
    assert found(searchField="promotion", searchOper="bw", searchValue="bonus") == ["Bonus ten", "Bonus"]
    # multiplier compares as a number for eq/ne/in/ni and sorts numerically
    assert found(searchField="multiplier", searchOper="eq", searchValue="2.00") == ["Double"]
    assert found(searchField="multiplier", searchOper="in", searchValue="1,5") == []
    assert found(searchField="multiplier", searchOper="in", searchValue="1.5, 100") == ["Summer boost", "Bonus"]
    assert found(searchField="multiplier", searchOper="ne", searchValue="2") == ["Summer boost", "Bonus ten", "Bonus"]
    assert found(searchField="multiplier", searchOper="bw", searchValue="1") == ["Summer boost", "Bonus ten", "Bonus"]
    assert found(sortField="multiplier", sortOrder="DESC") == ["Bonus", "Bonus ten", "Double", "Summer boost"]
    assert found(sortField="multiplier") == ["Summer boost", "Double", "Bonus ten", "Bonus"]
    doc = api.answer(fmt, "campaign_promos", campaign_id=cid, searchField="multiplier", searchOper="eq", searchValue="x")
    assert doc["error"] == "Invalid value for field searchValue: this field takes numbers"
    doc = api.answer(fmt, "campaign_promos", campaign_id=cid, sortField="multiplier", length=3, offset=1)
    assert doc["pagination"] == {"total": "4", "offset": "1", "length": "3"}


def test_items_search_on_product_id_and_buy_amount(api):
    cid = api.ok("campaign_new", action="campaign", campaign_type="buyx", campaign_name="B")["campaign"]["id"]
    ids = {}
    for name, level in [("Coffee", 10), ("Iced Coffee", 12), ("Tea", 10)]:
        ids[name] = api.ok("campaign_new", action="item", campaign_id=cid, reward_level=level,
                           item_description=name)["campaign"]["item"]["id"]

    def found(**fields):
        return [i["service_product"] for i in api.ok("buyx_items_list", campaign_id=cid, **fields)["buyx_items"]]

    assert found(searchField="service_product", searchOper="cn", searchValue="coffee") == ["Coffee", "Iced Coffee"]
    assert found(searchField="reward_id", searchOper="eq", searchValue=ids["Tea"]) == ["Tea"]
    assert found(searchField="reward_id", searchOper="ni", searchValue=f"{ids['Tea']},{ids['Coffee']}") == ["Iced Coffee"]
    assert found(searchField="buy_amount", searchOper="eq", searchValue="10") == ["Coffee", "Tea"]
    assert found(searchField="buy_amount", searchOper="nu") == []
    assert found(sortField="buy_amount", sortOrder="DESC") == ["Iced Coffee", "Coffee", "Tea"]
    assert found(sortField="service_product", sortOrder="desc") == ["Tea", "Iced Coffee", "Coffee"]
    assert api.err("buyx_items_list", campaign_id=cid, searchField="multiplier", searchValue="1") == \
        "Invalid value for field searchField: must be one of service_product, reward_id, buy_amount"
