"""record_activity for every campaign type, customer_balance (and its ``balance`` alias), and
transaction_delete, through HTTP on SQLite and PostgreSQL."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from gateway.domain import balances
from gateway.domain.models import Campaign, Customer, Fee, Item, LedgerEntry, Membership, Promo, utcnow
from gateway.domain.units import format_units


def campaign(api, type_, **fields) -> str:
    return api.ok("campaign_new", action="campaign", campaign_type=type_, campaign_name=f"{type_} club", **fields)["campaign"]["id"]


@pytest.fixture
def customer(app):
    return Customer.create(account="shop", code="C1", card_number="4000111122223333")


def record(api, cid, code="C1", **fields) -> dict:
    return api.ok("record_activity", campaign_id=cid, code=code, **fields)["receipt"]


def balance(api, cid, code="C1") -> str:
    return api.ok("customer_balance", campaign_id=cid, code=code)["campaign"]["customer"]["balance"]


# --- earning per type ----------------------------------------------------------------------------------

def test_points_default_ratio_and_receipt(api, customer, fmt):
    cid = campaign(api, "points")
    doc = api.answer(fmt, "record_activity", campaign_id=cid, code="C1", amount="9.95", authorization="Till 3")
    receipt = doc["receipt"]
    assert receipt["amount"] == "995" and receipt["balance"] == "995"
    assert receipt["campaign_id"] == cid and receipt["code"] == "C1"
    assert receipt["agency"] == {"name": "Great Widgets", "email": ""}
    entry = LedgerEntry.get_by_id(int(receipt["transaction_id"]))
    assert (entry.amount, entry.authorization, entry.user_id, entry.original_amount) == (995, "Till 3", "mgr", "9.95")


def test_points_ratio_rounds_down_once_after_promo(api, customer):
    cid = campaign(api, "points", points_ratio="2.5")
    assert record(api, cid, amount="9,99")["amount"] == "24"  # 24.975 -> 24
    double = Promo.create(campaign=cid, operation="x", amount="1.5", description="x1.5")
    assert record(api, cid, amount="9.99", promo_id=double.id)["amount"] == "37"  # 37.4625
    bonus = Promo.create(campaign=cid, operation="+", amount="50", description="+50")
    receipt = record(api, cid, amount="1.01", promo_id=bonus.id)  # 2.525 + 50
    assert receipt["amount"] == "52" and receipt["balance"] == str(24 + 37 + 52)
    assert LedgerEntry.get_by_id(int(receipt["transaction_id"])).promo_id == bonus.id


def test_promo_outside_its_dates_or_of_another_campaign_is_refused(api, customer):
    cid, other = campaign(api, "points"), campaign(api, "points")
    now = utcnow()
    past = Promo.create(campaign=cid, operation="x", amount="2", description="old",
                        start_date=now - dt.timedelta(days=10), end_date=now - dt.timedelta(days=1))
    future = Promo.create(campaign=cid, operation="x", amount="2", description="soon", start_date=now + dt.timedelta(days=1))
    foreign = Promo.create(campaign=other, operation="x", amount="2", description="theirs")
    assert api.err("record_activity", campaign_id=cid, code="C1", amount="1", promo_id=past.id) == "Promo is not active at this time"
    assert api.err("record_activity", campaign_id=cid, code="C1", amount="1", promo_id=future.id) == "Promo is not active at this time"
    assert api.err("record_activity", campaign_id=cid, code="C1", amount="1", promo_id=foreign.id) == "Promo not found"
    assert LedgerEntry.select().count() == 0
    current = Promo.create(campaign=cid, operation="x", amount="3", description="now",
                           start_date=now - dt.timedelta(days=1), end_date=now + dt.timedelta(days=1))
    assert record(api, cid, amount="1", promo_id=current.id)["amount"] == "300"


def test_giftcard_amounts_are_money(api, customer, encoding):
    api.encoding = encoding
    cid = campaign(api, "giftcard")
    assert record(api, cid, amount="25")["balance"] == "25.00"
    assert record(api, cid, amount="12,50")["balance"] == "37.50"
    assert api.err("record_activity", campaign_id=cid, code="C1") == "Missing required field: amount"
    assert api.err("record_activity", campaign_id=cid, code="C1", amount="0") == "Invalid value for field amount: must be greater than 0"
    assert api.err("record_activity", campaign_id=cid, code="C1", amount="1.005").startswith("Invalid value for field amount")
    assert api.err("record_activity", campaign_id=cid, code="C1", amount="-5").startswith("Invalid value for field amount")
    assert Membership.get(customer=customer.id).balance == 3750


def test_events_count_one_per_record(api, customer):
    cid = campaign(api, "events")
    record(api, cid, amount="99")
    assert record(api, cid)["balance"] == "2"


def test_earned_credits_amount_per_event(api, customer):
    cid = campaign(api, "earned", amount_per_event="4.95")
    record(api, cid)
    receipt = record(api, cid)
    assert (receipt["amount"], receipt["balance"]) == ("4.95", "9.90")


def test_buyx_counts_purchases_per_item(api, customer, fmt):
    cid = campaign(api, "buyx")
    coffee = Item.create(campaign=cid, reward_level=5, description="Coffee", identifier="COF")
    tea = Item.create(campaign=cid, reward_level=3, description="Tea")
    assert record(api, cid, service_product=coffee.id, buyx_quantity=3)["balance"] == "3"
    receipt = api.answer(fmt, "record_activity", campaign_id=cid, code="C1", service_product="[COF]", buyx_quantity="4")["receipt"]
    assert receipt["balance"] == "7" and receipt["item"]["id"] == str(coffee.id) and receipt["item"]["free_items"] == "1"
    assert record(api, cid, service_product=tea.id)["balance"] == "1"
    assert {m.item: m.balance for m in Membership.select()} == {coffee.id: 7, tea.id: 1}
    other = Item.create(campaign=campaign(api, "buyx"), reward_level=2, description="Theirs")
    for product in (str(other.id), "[NOPE]", "coffee"):
        assert api.err("record_activity", campaign_id=cid, code="C1", service_product=product) == "Item not found"
    assert api.err("record_activity", campaign_id=cid, code="C1") == "Missing required field: service_product"


# --- who and where --------------------------------------------------------------------------------------

def test_customer_by_card_number_and_errors(api, customer):
    cid = campaign(api, "events")
    assert api.ok("record_activity", campaign_id=cid, card_number="4000111122223333")["receipt"]["code"] == "C1"
    assert api.err("record_activity", campaign_id=cid) == "Missing required field: code"
    assert api.err("record_activity", code="C1") == "Missing required field: campaign_id"
    assert api.err("record_activity", campaign_id=cid, code="NOBODY") == "Customer not found"
    Customer.create(account="other", code="X9")
    assert api.err("record_activity", campaign_id=cid, code="X9") == "Customer not found"
    assert api.other().err("record_activity", campaign_id=cid, code="X9") == "Campaign not found"


def test_deactivated_campaign_takes_no_transactions(api, customer):
    cid = campaign(api, "events")
    record(api, cid)
    Campaign.update(active=False).where(Campaign.id == cid).execute()
    assert api.err("record_activity", campaign_id=cid, code="C1") == "Campaign is deactivated"
    assert LedgerEntry.select().count() == 1
    # Its data is kept and still readable.
    assert balance(api, cid) == "1"


def test_staff_may_record_custom_fields_and_user_are_kept(api, customer):
    cid = campaign(api, "points")
    receipt = api.staff().ok("record_activity", campaign_id=cid, code="C1", amount="1", custom_field_1="Store 35",
                             custom_field_12="238479237t2t3")["receipt"]
    entry = LedgerEntry.get_by_id(int(receipt["transaction_id"]))
    assert entry.user_id == "clerk"
    assert json.loads(entry.custom_fields) == {"custom_field_1": "Store 35", "custom_field_12": "238479237t2t3"}
    tx = api.ok("customer_balance", campaign_id=cid, code="C1")["campaign"]["customer"]["transactions"][0]
    assert (tx["user_name"], tx["custom_field_1"], tx["custom_field_12"]) == ("clerk", "Store 35", "238479237t2t3")


# --- customer_balance ---------------------------------------------------------------------------------

def test_customer_balance_xml_shape(api, customer):
    cid = campaign(api, "points", reward_ratio="10")
    first = record(api, cid, amount="1", authorization="first")
    api.ok("redeem", campaign_id=cid, code="C1", custom_points_redeem="30", authorization="spent")
    root = api.xml("customer_balance", campaign_id=cid, code="C1")
    camp = root.find("campaign")
    assert [c.tag for c in camp] == ["campaign_id", "campaign_name", "campaign_type", "reward_ratio", "customer"]
    assert (camp.findtext("campaign_type"), camp.findtext("reward_ratio")) == ("points", "10")
    cust = camp.find("customer")
    assert (cust.findtext("code"), cust.findtext("card_number"), cust.findtext("balance")) == ("C1", "4000111122223333", "70")
    txs = cust.findall("transactions/transaction")
    assert [t.findtext("redeemed") for t in txs] == ["Y", "N"]  # newest first
    assert [t.findtext("amount") for t in txs] == ["30", "100"]
    assert txs[1].findtext("id") == first["transaction_id"] and txs[1].findtext("authorization") == "first"
    assert txs[1].findtext("user_name") == "mgr"
    assert dt.datetime.strptime(txs[1].findtext("date"), "%Y-%m-%d %H:%M:%S")


def test_transactions_number_and_balance_alias(api, customer, fmt):
    cid = campaign(api, "events")
    ids = [record(api, cid)["transaction_id"] for _ in range(3)]
    doc = api.answer(fmt, "balance", campaign_id=cid, code="C1", transactions_number="2")
    txs = doc["campaign"]["customer"]["transactions"]
    if fmt == "xml":
        txs = txs["transaction"]
    assert [t["id"] for t in txs] == ids[::-1][:2]
    everything = api.ok("customer_balance", campaign_id=cid, code="C1")["campaign"]["customer"]["transactions"]
    assert [t["id"] for t in everything] == ids[::-1]
    none = api.ok("customer_balance", campaign_id=cid, card_number="4000111122223333", transactions_number="0")
    assert none["campaign"]["customer"]["transactions"] == [] and none["campaign"]["customer"]["balance"] == "3"
    one = api.ok("customer_balance", campaign_id=cid, code="C1", transactions_number="1")
    assert isinstance(one["campaign"]["customer"]["transactions"], list)
    assert api.err("customer_balance", campaign_id=cid, code="C1", transactions_number="-1").startswith(
        "Invalid value for field transactions_number")


def test_customer_balance_of_a_new_member_is_zero(api, customer):
    cid = campaign(api, "giftcard")
    assert balance(api, cid) == "0.00"
    assert api.other().err("customer_balance", campaign_id=cid, code="C1") == "Campaign not found"


@pytest.mark.parametrize("type_", ["points", "giftcard", "events", "earned"])
def test_a_balance_read_with_its_campaign_is_what_holdings_sums(api, customer, type_):
    # customer_balance reads the stored balance in the campaign's own statement; holdings reads the
    # memberships: the two agree, fees included, on either database.
    cid = campaign(api, type_, **({"amount_per_event": "2.50"} if type_ == "earned" else {}))
    shown = [balance(api, cid)]
    first = int(record(api, cid, amount="12.34")["transaction_id"])
    LedgerEntry.update(created=utcnow() - dt.timedelta(days=3)).where(LedgerEntry.id == first).execute()
    record(api, cid, amount="0.66")
    Fee.create(campaign=cid, interval=1, interval_type="days", amount=1, created=utcnow() - dt.timedelta(days=5))
    shown.append(balance(api, cid))
    holding = balances.holdings(customer, [Campaign.get_by_id(cid)])[cid]
    stored = sum(m.balance for m in Membership.select().where(Membership.campaign == cid))
    assert holding.stored == stored > 0
    assert holding.deducted == (3 if type_ in ("points", "giftcard") else 0)  # fees take from these types only
    assert shown == [format_units(0, type_), format_units(holding.available, type_)]


def test_buyx_balance_lists_items(api, customer):
    cid = campaign(api, "buyx")
    coffee = Item.create(campaign=cid, reward_level=2, description="Coffee")
    record(api, cid, service_product=coffee.id, buyx_quantity=5)
    cust = api.ok("customer_balance", campaign_id=cid, code="C1")["campaign"]["customer"]
    assert cust["items"] == [{"id": str(coffee.id), "description": "Coffee", "purchases": "5", "free_items": "2"}]
    assert cust["transactions"][0]["item_id"] == str(coffee.id)


# --- transaction_delete -------------------------------------------------------------------------------

def test_delete_reverses_and_hides_the_transaction(api, customer, fmt):
    cid = campaign(api, "giftcard")
    keep = record(api, cid, amount="10")
    gone = record(api, cid, amount="2.50")
    doc = api.answer(fmt, "transaction_delete", campaign_id=cid, code="C1", transaction_id=gone["transaction_id"])
    assert doc["transaction"]["status"] == "deleted" and doc["transaction"]["balance"] == "10.00"
    history = api.ok("customer_balance", campaign_id=cid, code="C1")["campaign"]["customer"]
    assert history["balance"] == "10.00"
    assert [t["id"] for t in history["transactions"]] == [keep["transaction_id"]]
    assert LedgerEntry.select().count() == 3  # the original row stays, cancelled by a reversal
    again = api.err("transaction_delete", campaign_id=cid, code="C1", transaction_id=gone["transaction_id"])
    assert again == "Transaction already deleted"
    assert Membership.get(customer=customer.id).balance == 1000


def test_delete_of_a_redeem_gives_the_balance_back(api, customer):
    cid = campaign(api, "points")
    record(api, cid, amount="1")
    spent = api.ok("redeem", campaign_id=cid, code="C1", custom_points_redeem="60")["receipt"]
    api.ok("transaction_delete", campaign_id=cid, code="C1", transaction_id=spent["transaction_id"])
    assert balance(api, cid) == "100"


def test_delete_refused_when_it_would_go_negative(api, customer):
    cid = campaign(api, "points")
    earned = record(api, cid, amount="1")
    api.ok("redeem", campaign_id=cid, code="C1", custom_points_redeem="80")
    message = api.err("transaction_delete", campaign_id=cid, code="C1", transaction_id=earned["transaction_id"])
    assert message == "Cannot delete this transaction: the balance would become negative"
    assert balance(api, cid) == "20" and LedgerEntry.select().count() == 2


def test_delete_needs_the_right_campaign_customer_and_a_manager(api, customer):
    cid, other_cid = campaign(api, "events"), campaign(api, "events")
    Customer.create(account="shop", code="C2")
    tx = record(api, cid)["transaction_id"]
    assert api.staff().err("transaction_delete", campaign_id=cid, code="C1", transaction_id=tx).startswith("Permission denied")
    assert api.err("transaction_delete", campaign_id=other_cid, code="C1", transaction_id=tx) == "Transaction not found"
    assert api.err("transaction_delete", campaign_id=cid, code="C2", transaction_id=tx) == "Transaction not found"
    assert api.err("transaction_delete", campaign_id=cid, code="C1", transaction_id="999999") == "Transaction not found"
    assert api.err("transaction_delete", campaign_id=cid, code="C1") == "Missing required field: transaction_id"
    assert api.err("transaction_delete", campaign_id=cid, code="C1", transaction_id="abc").startswith(
        "Invalid value for field transaction_id")
    assert balance(api, cid) == "1"


def test_buyx_delete_follows_the_item(api, customer):
    cid = campaign(api, "buyx")
    coffee = Item.create(campaign=cid, reward_level=2, description="Coffee")
    tx = record(api, cid, service_product=coffee.id, buyx_quantity=3)["transaction_id"]
    record(api, cid, service_product=coffee.id)
    doc = api.ok("transaction_delete", campaign_id=cid, code="C1", transaction_id=tx)
    assert doc["transaction"]["balance"] == "1"
    assert Membership.get(item=coffee.id).balance == 1
