"""card_replace with check_override/keep_which: merging a duplicate customer through the ledger, and
profile_uid. Every merge is followed by the operator's check-ledger."""
from __future__ import annotations

import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gateway.domain.models import Customer, LedgerEntry, Membership
from servers import check_ledger, form, fresh_database, running_server


def ledger_consistent(runner) -> None:
    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 0 and "ledger consistent" in result.output, result.output


@pytest.fixture
def shop(api):
    """Two customers of one person: M (card 111) and D (card 222), with history in two campaigns."""
    points = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Points",
                    points_ratio="1")["campaign"]["id"]
    gift = api.ok("campaign_new", action="campaign", campaign_type="giftcard", campaign_name="Gift")["campaign"]["id"]
    api.ok("record_customer", customer_action="new", code="M", card_number="111", first_name="Mia", email="m@x.test")
    api.ok("record_customer", customer_action="new", code="D", card_number="222", first_name="Dup")
    ids = {
        "m1": api.ok("record_activity", campaign_id=points, code="M", amount="100")["receipt"]["transaction_id"],
        "d1": api.ok("record_activity", campaign_id=points, code="D", amount="70")["receipt"]["transaction_id"],
        "d2": api.ok("redeem", campaign_id=points, code="D", custom_points_redeem="20")["receipt"]["transaction_id"],
        "g1": api.ok("record_activity", campaign_id=gift, code="D", amount="12.50")["receipt"]["transaction_id"],
    }
    return points, gift, ids


def balance(api, campaign, code, fmt="json"):
    doc = api.answer(fmt, "customer_balance", campaign_id=campaign, code=code)
    return doc["campaign"]["customer"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_keep_matched_moves_the_duplicates_transactions_and_balances(api, shop, runner, fmt):
    points, gift, ids = shop
    answer = api.answer(fmt, "card_replace", previous_code="M", new_card_number="222", check_override="Y",
                        keep_which="matched")
    assert answer["status"] == "success"
    assert (answer["customer"]["status"], answer["customer"]["code"], answer["customer"]["card_number"]) == \
        ("updated", "M", "222")
    assert api.err("customer_info", code="D") == "Customer not found"
    mine = balance(api, points, "M", fmt)
    assert mine["balance"] == "150" and mine["card_number"] == "222"
    history = mine["transactions"]["transaction"] if fmt == "xml" else mine["transactions"]
    assert sorted(t["id"] for t in history) == sorted([ids["m1"], ids["d1"], ids["d2"]])  # ids kept
    assert balance(api, gift, "M", fmt)["balance"] == "12.50"
    info = api.ok("customer_info", code="M")
    assert info["customer"]["first_name"] == "Mia" and info["customer"]["email"] == "m@x.test"  # kept's profile
    assert Customer.select().where(Customer.account == "shop").count() == 1
    ledger_consistent(runner)


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_keep_duplicate_keeps_the_holder_of_the_new_card(api, shop, runner, fmt):
    points, gift, _ = shop
    answer = api.answer(fmt, "card_replace", previous_card="111", new_card_number="222", new_code="NEW",
                        check_override="Yes", keep_which="duplicate")
    assert (answer["customer"]["code"], answer["customer"]["card_number"]) == ("NEW", "222")
    assert api.err("customer_info", code="M") == "Customer not found"
    info = api.ok("customer_info", code="NEW", include_balances="N")
    assert info["customer"]["first_name"] == "Dup"  # the duplicate was kept, with its own profile
    assert balance(api, points, "NEW")["balance"] == "150"
    assert balance(api, gift, "NEW")["balance"] == "12.50"
    ledger_consistent(runner)


def test_without_check_override_a_duplicate_is_still_refused(api, shop, runner):
    assert api.err("card_replace", previous_code="M", new_card_number="222") == "Card number already in use"
    assert api.err("card_replace", previous_code="M", new_code="D", keep_which="duplicate") == \
        "Customer code already in use"
    assert Customer.select().count() == 2


def test_override_without_keep_which_keeps_the_matched_customer(api, shop):
    points, _, _ = shop
    api.ok("card_replace", previous_code="D", new_code="M", check_override="Y")
    # D was matched and kept; it now has code M, and the old M's history is D's.
    info = api.ok("customer_info", code="M", include_balances="N")
    assert (info["customer"]["first_name"], info["customer"]["card_number"]) == ("Dup", "222")
    assert balance(api, points, "M")["balance"] == "150"


def test_a_moved_transaction_can_be_deleted_on_the_kept_customer(api, shop, runner):
    points, _, ids = shop
    api.ok("card_replace", previous_code="M", new_card_number="222", check_override="Y")
    doc = api.ok("transaction_delete", campaign_id=points, code="M", transaction_id=ids["d1"])
    assert doc["transaction"]["balance"] == "80"
    ledger_consistent(runner)


def test_buyx_items_merge_per_item(api, runner):
    campaign = api.ok("campaign_new", action="campaign", campaign_type="buyx", campaign_name="Coffee")["campaign"]["id"]
    latte = api.ok("campaign_new", action="item", campaign_id=campaign, reward_level="5",
                   item_description="Latte")["campaign"]["item"]["id"]
    tea = api.ok("campaign_new", action="item", campaign_id=campaign, reward_level="5",
                 item_description="Tea")["campaign"]["item"]["id"]
    for code in ("A", "B"):
        api.ok("record_customer", customer_action="new", code=code)
    api.ok("record_activity", campaign_id=campaign, code="A", service_product=latte, buyx_quantity="2")
    api.ok("record_activity", campaign_id=campaign, code="B", service_product=latte, buyx_quantity="3")
    api.ok("record_activity", campaign_id=campaign, code="B", service_product=tea, buyx_quantity="1")
    api.ok("card_replace", previous_code="A", new_code="B", check_override="Y", keep_which="duplicate")
    items = {i["description"]: i for i in balance(api, campaign, "B")["items"]}
    assert (items["Latte"]["purchases"], items["Latte"]["free_items"], items["Tea"]["purchases"]) == ("5", "1", "1")
    ledger_consistent(runner)


def test_enrolments_move_too(api, runner):
    campaign = api.ok("campaign_new", action="campaign", campaign_type="events", campaign_name="Visits")["campaign"]["id"]
    api.ok("record_customer", customer_action="new", code="K")
    api.ok("record_customer", customer_action="new", code="G", campaign_id=campaign)  # enrolled, no activity
    api.ok("card_replace", previous_code="K", new_code="G", check_override="Y")
    info = api.ok("customer_info", code="G", show_only_belong_to="Y")
    assert [c["id"] for c in info["campaigns"]] == [campaign]
    ledger_consistent(runner)


def test_two_different_duplicates_are_refused_and_nothing_changes(api, shop):
    api.ok("record_customer", customer_action="new", code="X", card_number="333")
    message = api.err("card_replace", previous_code="M", new_code="X", new_card_number="222", check_override="Y")
    assert message == "The new code and the new card number belong to two different customers"
    assert Customer.select().count() == 3
    assert LedgerEntry.select().where(LedgerEntry.customer == Customer.get(code="M").id).count() == 1


def test_a_merge_needs_the_matched_customers_credentials(api, shop):
    api.ok("record_customer", customer_action="edit", code="M", customer_password="right-one")
    assert api.err("card_replace", previous_code="M", customer_password="wrong-one", new_card_number="222",
                   check_override="Y") == "Customer not found"
    assert Customer.select().count() == 2 and Membership.select().count() == 3


def test_no_duplicate_with_override_is_a_plain_replace(api, shop, runner):
    api.ok("card_replace", previous_code="M", new_card_number="999", check_override="Y")
    assert api.ok("customer_info", code="M", include_balances="N")["customer"]["card_number"] == "999"
    assert Customer.select().count() == 2


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_profile_uid_names_the_customer_as_customer_info_shows_it(api, shop, fmt):
    uid = api.answer(fmt, "customer_info", code="D", include_balances="N")["customer"]["profile_uid"]
    assert uid == str(Customer.get(code="D").id)
    answer = api.answer(fmt, "card_replace", profile_uid=uid, new_code="D2")
    assert answer["customer"]["code"] == "D2"
    # previous_code wins over profile_uid
    api.ok("card_replace", previous_code="M", profile_uid=uid, new_code="M2")
    assert api.ok("customer_info", code="M2", include_balances="N")["customer"]["first_name"] == "Mia"


def test_profile_uid_errors(api, shop):
    other = api.other()
    other.ok("record_customer", customer_action="new", code="O1")
    foreign = Customer.get(account="other").id
    assert api.err("card_replace", profile_uid=str(foreign), new_code="Z") == "Customer not found"
    assert api.err("card_replace", profile_uid="999999", new_code="Z") == "Customer not found"
    assert api.err("card_replace", profile_uid="abc", new_code="Z") == "Invalid value for field profile_uid: Not a valid id"


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_merge_racing_with_transactions_keeps_the_ledger_exact(backend, tmp_path):
    """Records and redeems on both customers race with the merge: no entry is lost or counted twice."""
    with fresh_database(backend, tmp_path) as url:
        with running_server(url, workers=4) as server:
            session = requests.Session()

            def post(type_, **fields):
                return session.post(server.url, data=form(type_, **fields), timeout=30).json()

            campaign = post("campaign_new", action="campaign", campaign_type="points", campaign_name="P",
                            points_ratio="1")["campaign"]["id"]
            for code in ("M", "D"):
                post("record_customer", customer_action="new", code=code, card_number=f"{code}-card")
                post("record_activity", campaign_id=campaign, code=code, amount="1000")
            local = threading.local()

            def send(request):
                local.session = getattr(local, "session", None) or requests.Session()
                type_, fields = request
                response = local.session.post(server.url, data=form(type_, **fields), timeout=30)
                assert response.status_code == 200, response.text
                return response.json()

            work = [("record_activity", {"campaign_id": campaign, "code": c, "amount": "3"}) for c in ("M", "D") * 20]
            work += [("redeem", {"campaign_id": campaign, "code": c, "custom_points_redeem": "2"}) for c in ("M", "D") * 10]
            random.Random(3).shuffle(work)
            work.insert(len(work) // 2, ("card_replace", {"previous_code": "M", "new_card_number": "D-card",
                                                          "check_override": "Y"}))
            with ThreadPoolExecutor(8) as pool:
                answers = list(pool.map(send, work))
        merge = answers[len(work) // 2]
        assert merge["status"] == "success", merge
        result = check_ledger(url)
        assert result.returncode == 0, result.stdout + result.stderr
        # Every successful transaction is in the kept customer's balance; D's late ones found no customer.
        total = sum(int(e.amount) for e in LedgerEntry.select())
        assert Membership.select(Membership.balance).where(Membership.customer == Customer.get(code="M").id).scalar() == total
        assert [a for a in answers if a["status"] != "success" and a["error"] != "Customer not found"] == []
