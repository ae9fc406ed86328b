"""Coalition accounts: pooled balances (customer_info, customer_balance), across_campaigns, the
coalition_balance report, and the opt-out flags (docs/decisions.md, Coalitions)."""
from __future__ import annotations

import pytest


def campaign(api, type_, name, **fields):
    return api.ok("campaign_new", action="campaign", campaign_type=type_, campaign_name=name, **fields)["campaign"]["id"]


@pytest.fixture
def shop(api):
    """Points campaigns P1 and P2 (pooled) and P3 (opted out); gift cards G1 and G2; events E.
    C1 holds 100 in P1, 50 in P2, 30 in P3, 10.00 on G1 and 5.00 on G2; C2 holds 40 in P2."""
    ids = {
        "P1": campaign(api, "points", "P1", points_ratio="1"),
        "P2": campaign(api, "points", "P2", points_ratio="1", two_tier_opt_out="Y"),
        "P3": campaign(api, "points", "P3", points_ratio="1", coalition_opt_out="Y"),
        "G1": campaign(api, "giftcard", "G1"),
        "G2": campaign(api, "giftcard", "G2"),
        "E": campaign(api, "events", "E"),
    }
    for code in ("C1", "C2"):
        api.ok("record_customer", customer_action="new", code=code)
    for name, amount in (("P1", "100"), ("P2", "50"), ("P3", "30"), ("G1", "10"), ("G2", "5"), ("E", None)):
        api.ok("record_activity", campaign_id=ids[name], code="C1", amount=amount, authorization=f"in {name}")
    api.ok("record_activity", campaign_id=ids["P2"], code="C2", amount="40")
    return ids


@pytest.fixture
def coalition(shop, runner):
    result = runner.invoke(args=["coalition", "shop", "on"])
    assert result.exit_code == 0 and "account shop: coalition on" in result.output
    return shop


def balance_of(api, fmt, campaign_id, code="C1", **fields):
    return api.answer(fmt, "customer_balance", campaign_id=campaign_id, code=code, **fields)["campaign"]["customer"]


def history(customer: dict, fmt: str) -> list[dict]:
    rows = customer["transactions"]
    if fmt == "xml":
        rows = rows.get("transaction", []) if rows else []
        return rows if isinstance(rows, list) else [rows]
    return rows


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_an_ordinary_account_keeps_each_balance_apart(api, shop, fmt):
    mine = balance_of(api, fmt, shop["P1"], across_campaigns="Yes")
    assert mine["balance"] == "100"
    assert [t["authorization"] for t in history(mine, fmt)] == ["in P1"]
    assert "campaign_id" not in history(mine, fmt)[0]
    assert api.err("reports", report="customers_balances", campaign_id=shop["P1"], coalition_balance="coalition_points") \
        == "Invalid value for field coalition_balance: this account is not a coalition account"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_pooled_campaigns_show_the_coalition_balance(api, coalition, fmt):
    ids = coalition
    expected = {"P1": "150", "P2": "150", "P3": "30", "G1": "15.00", "G2": "15.00", "E": "1"}
    for name, value in expected.items():
        assert balance_of(api, fmt, ids[name])["balance"] == value, name
    # Only this campaign's transactions, unless across_campaigns.
    assert [t["authorization"] for t in history(balance_of(api, fmt, ids["P1"]), fmt)] == ["in P1"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_customer_info_shows_the_coalition_balance_and_the_rewards_a_redeem_can_take(api, coalition, fmt):
    ids = coalition
    api.ok("campaign_new", action="reward", campaign_id=ids["P1"], reward_level="120", reward_description="Bag")
    api.ok("campaign_new", action="reward", campaign_id=ids["P1"], reward_level="90", reward_description="Mug")
    info = api.answer(fmt, "customer_info", code="C1")
    campaigns = info["campaigns"]["campaign"] if fmt == "xml" else info["campaigns"]
    by_name = {c["name"]: c for c in campaigns}
    assert {n: by_name[n]["balance"] for n in ids} == \
        {"P1": "150", "P2": "150", "P3": "30", "G1": "15.00", "G2": "15.00", "E": "1"}
    # P1's own 100 points buy the Mug (90), not the Bag (120): a redeem spends the campaign's own balance.
    rewards = by_name["P1"]["rewards"]
    assert (rewards["reward"]["description"] if fmt == "xml" else [r["description"] for r in rewards]) == \
        ("Mug" if fmt == "xml" else ["Mug"])
    one = api.answer(fmt, "customer_info", code="C1", campaign_id=ids["P2"])
    only = one["campaigns"]["campaign"] if fmt == "xml" else one["campaigns"][0]
    assert only["balance"] == "150"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_across_campaigns_lists_every_pooled_campaigns_transactions(api, coalition, fmt):
    ids = coalition
    rows = history(balance_of(api, fmt, ids["P2"], across_campaigns="Yes"), fmt)
    assert [(t["authorization"], t["campaign_id"]) for t in rows] == [("in P2", ids["P2"]), ("in P1", ids["P1"])]
    newest = history(balance_of(api, fmt, ids["P1"], across_campaigns="Y", transactions_number="1"), fmt)
    assert [t["authorization"] for t in newest] == ["in P2"]
    assert history(balance_of(api, fmt, ids["P1"], across_campaigns="Y", transactions_number="0"), fmt) == []
    # An opted-out campaign shares nothing: its own transactions only.
    alone = history(balance_of(api, fmt, ids["P3"], across_campaigns="Yes"), fmt)
    assert [t["authorization"] for t in alone] == ["in P3"] and "campaign_id" not in alone[0]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_the_balances_report_with_coalition_balance(api, coalition, fmt):
    ids = coalition
    doc = api.answer(fmt, "reports", report="customers_balances", campaign_id=ids["P1"],
                     coalition_balance="coalition_points")
    rows = doc["customer"] if fmt == "xml" else doc["customers"]
    assert [(r["code"], r["balance"]) for r in rows] == [("C1", "150"), ("C2", "40")]
    assert doc["pagination"]["total"] == "2"
    plain = api.answer(fmt, "reports", report="customers_balances", campaign_id=ids["P1"])
    single = plain["customer"] if fmt == "xml" else plain["customers"][0]
    assert (single["code"], single["balance"]) == ("C1", "100")  # without the option: the campaign's own
    gift = api.answer(fmt, "reports", report="customers_balances", campaign_id=ids["G2"],
                      coalition_balance="coalition_storedvalue")
    row = gift["customer"] if fmt == "xml" else gift["customers"][0]
    assert row["balance"] == "15.00"


def test_coalition_balance_errors(api, coalition):
    ids = coalition
    wrong = "Invalid value for field coalition_balance: the campaign does not share that coalition balance " \
            "(another type, deactivated, or opted out)"
    report = dict(report="customers_balances")
    assert api.err("reports", campaign_id=ids["P3"], coalition_balance="coalition_points", **report) == wrong
    assert api.err("reports", campaign_id=ids["G1"], coalition_balance="coalition_points", **report) == wrong
    assert api.err("reports", campaign_id=ids["P1"], coalition_balance="points", **report) == \
        "Invalid value for field coalition_balance: must be one of coalition_points, coalition_storedvalue"


def test_opting_out_and_deactivating_take_a_campaign_out_of_the_pool(api, coalition):
    ids = coalition
    api.ok("campaign_update", action="campaign", campaign_id=ids["P2"], coalition_opt_out="Y")
    assert api.ok("customer_balance", campaign_id=ids["P1"], code="C1")["campaign"]["customer"]["balance"] == "100"
    assert api.ok("customer_balance", campaign_id=ids["P2"], code="C1")["campaign"]["customer"]["balance"] == "50"
    api.ok("campaign_update", action="campaign", campaign_id=ids["P2"], coalition_opt_out="N")
    assert api.ok("customer_balance", campaign_id=ids["P1"], code="C1")["campaign"]["customer"]["balance"] == "150"
    api.ok("campaign_deactivate", campaign_id=ids["G2"])
    assert api.ok("customer_balance", campaign_id=ids["G1"], code="C1")["campaign"]["customer"]["balance"] == "10.00"


def test_two_tier_opt_out_changes_nothing(api, coalition):
    # P2 was created with two_tier_opt_out=Y and still shares the coalition points.
    assert api.ok("customer_balance", campaign_id=coalition["P2"], code="C1")["campaign"]["customer"]["balance"] == "150"


def test_a_redeem_spends_the_campaigns_own_balance(api, coalition, runner):
    ids = coalition
    assert api.err("redeem", campaign_id=ids["P1"], code="C1", custom_points_redeem="120") == \
        "Insufficient balance: 100 available, 120 needed"
    receipt = api.ok("redeem", campaign_id=ids["P1"], code="C1", custom_points_redeem="60")["receipt"]
    assert receipt["balance"] == "40"  # the receipt shows the campaign's own balance
    assert api.ok("customer_balance", campaign_id=ids["P2"], code="C1")["campaign"]["customer"]["balance"] == "90"
    assert runner.invoke(args=["check-ledger"]).exit_code == 0


def test_turning_the_coalition_off_and_unknown_accounts(api, coalition, runner):
    assert runner.invoke(args=["coalition", "shop", "off"]).exit_code == 0
    assert api.ok("customer_balance", campaign_id=coalition["P1"], code="C1")["campaign"]["customer"]["balance"] == "100"
    missing = runner.invoke(args=["coalition", "nowhere", "on"])
    assert missing.exit_code == 1 and "account nowhere does not exist" in missing.output


def test_another_accounts_coalition_is_its_own(api, coalition):
    other = api.other()
    theirs = campaign(other, "points", "Theirs", points_ratio="1")
    other.ok("record_customer", customer_action="new", code="C1")
    other.ok("record_activity", campaign_id=theirs, code="C1", amount="7")
    assert other.ok("customer_balance", campaign_id=theirs, code="C1")["campaign"]["customer"]["balance"] == "7"
    assert api.ok("customer_balance", campaign_id=coalition["P1"], code="C1")["campaign"]["customer"]["balance"] == "150"
