"""record_customer, generate_card_number, validate_customer_password, card_replace, customer_delete.

Helpers at the top are shared with test_customer_search.py and test_customer_info.py.
"""
from __future__ import annotations

import re

import pytest
from werkzeug.security import check_password_hash

from gateway.domain import db, ledger
from gateway.domain.customers import PASSWORD_METHOD
from gateway.legacy.messages import PERMISSION_DENIED
from gateway.domain.models import Campaign, Customer, LedgerEntry, Membership

NEW = {"customer_action": "new"}


def new_customer(api, **fields) -> dict:
    """Create a customer through the API; returns the answer's ``customer`` object."""
    return api.ok("record_customer", **NEW, **fields)["customer"]


def new_campaign(api, type_="points", name="Points Club", **fields) -> str:
    return api.ok("campaign_new", action="campaign", campaign_type=type_, campaign_name=name, **fields)["campaign"]["id"]


def give(account_id: str, campaign_id: str, code: str, amount: int) -> None:
    """Credit ``amount`` units through the real ledger path."""
    with db.write_transaction():
        customer = Customer.get((Customer.account == account_id) & (Customer.code == code))
        ledger.post(account_id=account_id, campaign=Campaign.get_by_id(campaign_id), customer=customer,
                    amount=amount, kind="record")


def stored(code: str, account_id: str = "shop") -> Customer:
    return Customer.get((Customer.account == account_id) & (Customer.code == code))


def customer_count() -> int:
    return Customer.select().count()


# --- every call, every format, every encoding ---------------------------------------------------------

def test_record_customer_new_in_every_format_and_encoding(api, fmt, encoding):
    api.encoding = encoding
    doc = api.answer(fmt, "record_customer", **NEW, code="C-1", card_number="4000", first_name="Amy")
    assert doc["status"] == "success"
    assert doc["customer"] == {"status": "new", "code": "C-1", "card_number": "4000"}
    doc = api.answer(fmt, "record_customer", **NEW, code="C-1")
    assert doc == {"status": "error", "error": "Customer code already in use", **({"errors": [doc["error"]]} if fmt != "xml" else {})}
    assert customer_count() == 1


def test_record_customer_edit_in_every_format_and_encoding(api, fmt, encoding):
    new_customer(api, code="C-1", first_name="Amy")
    api.encoding = encoding
    doc = api.answer(fmt, "record_customer", customer_action="edit", code="C-1", last_name="Acker")
    assert doc["customer"] == {"status": "updated", "code": "C-1", "card_number": ""}
    assert (stored("C-1").first_name, stored("C-1").last_name) == ("Amy", "Acker")
    doc = api.answer(fmt, "record_customer", customer_action="edit", code="C-1", custom_date="14/07/1970")
    assert doc["status"] == "error"
    assert doc["error"] == "Invalid value for field custom_date: not a date (use YYYY-MM-DD)"


def test_record_customer_register_in_every_format_and_encoding(api, fmt, encoding):
    api.encoding = encoding
    doc = api.answer(fmt, "record_customer", customer_action="register", card_number="77", customer_password="pw-1")
    assert doc["customer"] == {"status": "new", "code": "77", "card_number": "77"}
    doc = api.answer(fmt, "record_customer", customer_action="register", card_number="88")
    assert (doc["status"], doc["error"]) == ("error", "Missing required field: customer_password")


def test_generate_card_number_in_every_format_and_encoding(api, fmt, encoding):
    api.encoding = encoding
    doc = api.answer(fmt, "generate_card_number", how_many_digits=12, card_number_prefix="60")
    assert re.fullmatch(r"60\d{10}", doc["customer"]["card_number"])
    doc = api.answer(fmt, "generate_card_number", how_many_digits=6, card_number_prefix="123")
    assert doc["status"] == "error"
    assert doc["error"] == ("Invalid value for field how_many_digits: must leave at least 4 random digits "
                            "besides the prefix and suffix")


def test_validate_customer_password_in_every_format_and_encoding(api, fmt, encoding):
    new_customer(api, code="C-1", customer_password="s3cret", customer_PIN="1234")
    api.encoding = encoding
    assert api.answer(fmt, "validate_customer_password", code="C-1", customer_password="s3cret") == {"status": "success"}
    doc = api.answer(fmt, "validate_customer_password", code="C-1", customer_PIN="9999")
    assert (doc["status"], doc["error"]) == ("error", "Customer credentials do not match")


def test_card_replace_in_every_format_and_encoding(api, fmt, encoding):
    new_customer(api, code="C-1", card_number="100")
    new_customer(api, code="C-2", card_number="200")
    api.encoding = encoding
    doc = api.answer(fmt, "card_replace", previous_code="C-1", new_card_number="101")
    assert doc["customer"] == {"status": "updated", "code": "C-1", "card_number": "101"}
    doc = api.answer(fmt, "card_replace", previous_code="C-1", new_card_number="200")
    assert (doc["status"], doc["error"]) == ("error", "Card number already in use")
    assert stored("C-1").card_number == "101"


def test_customer_delete_in_every_format_and_encoding(api, fmt, encoding):
    new_customer(api, code="C-1")
    api.encoding = encoding
    doc = api.answer(fmt, "customer_delete", code="C-1")
    assert doc["customer"] == {"status": "deleted", "code": "C-1"}
    doc = api.answer(fmt, "customer_delete", code="C-1")
    assert (doc["status"], doc["error"]) == ("error", "Customer not found")


def test_validate_success_is_an_empty_response(api):
    new_customer(api, code="C-1", customer_password="s3cret")
    root = api.xml("validate_customer_password", code="C-1", customer_password="s3cret")
    assert (root.get("status"), len(root), (root.text or "").strip()) == ("success", 0, "")
    assert api.ok("validate_customer_password", code="C-1", customer_password="s3cret") == {"status": "success"}


# --- codes and card numbers ---------------------------------------------------------------------------

def test_code_is_callers_code_else_card_number_else_sixteen_random_digits(api):
    assert new_customer(api, code="ABC", card_number="123") == {"status": "new", "code": "ABC", "card_number": "123"}
    assert new_customer(api, card_number="555")["code"] == "555"
    generated = new_customer(api, first_name="No Ids")
    assert re.fullmatch(r"[1-9]\d{15}", generated["code"]) and generated["card_number"] == ""
    kept_card = new_customer(api, card_number="556", new_code="Yes")
    assert kept_card["card_number"] == "556" and re.fullmatch(r"[1-9]\d{15}", kept_card["code"])


def test_action_new_is_accepted_as_some_clients_send_it(api):
    assert api.ok("record_customer", action="new", code="Z1")["customer"]["status"] == "new"
    assert api.err("record_customer", customer_action="bogus") == "Unknown customer_action for type record_customer: bogus"
    assert api.err("record_customer") == "Missing required field: customer_action"


def test_new_with_a_used_code_or_card_is_refused_and_changes_nothing(api):
    new_customer(api, code="A", card_number="1", first_name="First")
    assert api.err("record_customer", **NEW, code="A", first_name="Second") == "Customer code already in use"
    assert api.err("record_customer", **NEW, code="B", card_number="1") == "Card number already in use"
    # the card would become the code, and that code exists
    assert api.err("record_customer", **NEW, card_number="A") == "Customer code already in use"
    assert customer_count() == 1 and stored("A").first_name == "First"


def test_codes_and_cards_are_unique_per_account_only(api):
    new_customer(api, code="SAME", card_number="42")
    other = api.other()
    assert new_customer(other, code="SAME", card_number="42")["code"] == "SAME"
    assert stored("SAME", "other").account_id == "other"


def test_card_number_generate_on_record_customer(api):
    made = new_customer(api, card_number_generate=10, card_number_prefix="99", card_number_suffix="1")
    assert re.fullmatch(r"99\d{7}1", made["card_number"]) and made["code"] == made["card_number"]
    assert api.err("record_customer", **NEW, card_number="5", card_number_generate=16) == (
        "Give card_number or card_number_generate, not both")
    assert api.err("record_customer", **NEW, card_number_generate=16, card_number_prefix="12ab") == (
        "Invalid value for field card_number_prefix: digits only")
    assert api.err("record_customer", **NEW, card_number_generate=3) == (
        "Invalid value for field card_number_generate: Must be greater than or equal to 4 and less than or equal to 64")


def test_generated_card_numbers_avoid_every_used_card_and_code_of_the_account(api):
    # 4 digits without a prefix: 9000 possible numbers, all taken (half as cards, half as codes only)
    rows = [dict(account="shop", code=f"c{n}", card_number=str(n)) for n in range(1000, 5500)]
    rows += [dict(account="shop", code=str(n), card_number=None) for n in range(5500, 10000)]
    with db.write_transaction():
        Customer.insert_many(rows).execute()
    assert api.err("generate_card_number", how_many_digits=4) == "Could not find an unused card number: use more digits"
    assert api.err("record_customer", **NEW, card_number_generate=4) == "Could not find an unused card number: use more digits"
    # numbers used by another account do not count
    assert re.fullmatch(r"[1-9]\d{3}", api.other().ok("generate_card_number", how_many_digits=4)["customer"]["card_number"])


def test_generate_card_number_defaults_to_sixteen_digits(api):
    number = api.ok("generate_card_number")["customer"]["card_number"]
    assert re.fullmatch(r"[1-9]\d{15}", number)
    assert re.fullmatch(r"\d{8}77", api.staff().ok("generate_card_number", how_many_digits=10, card_number_suffix="77")["customer"]["card_number"])


# --- edit and register --------------------------------------------------------------------------------

def test_edit_updates_only_the_fields_given(api):
    new_customer(api, code="E1", first_name="Amy", email="amy@example.com", custom_field_2="gold")
    api.ok("record_customer", customer_action="edit", code="E1", email="", phone="555-1234", custom_field_3="x")
    c = stored("E1")
    assert (c.first_name, c.email, c.phone) == ("Amy", "amy@example.com", "555-1234")
    assert api.ok("customer_info", code="E1", include_balances="N")["customer"]["custom_field_2"] == "gold"
    assert api.ok("customer_info", code="E1", include_balances="N")["customer"]["custom_field_3"] == "x"


def test_edit_with_an_unknown_code_creates_that_customer(api):
    assert api.ok("record_customer", customer_action="edit", code="NEW-1", first_name="Bo")["customer"] == {
        "status": "new", "code": "NEW-1", "card_number": ""}
    assert stored("NEW-1").first_name == "Bo"


def test_edit_without_code_or_card_creates_with_a_random_code(api):
    made = api.ok("record_customer", customer_action="edit", first_name="Cy")["customer"]
    assert made["status"] == "new" and re.fullmatch(r"[1-9]\d{15}", made["code"])


def test_edit_with_only_a_card_number_matches_the_card_first_then_a_code(api):
    new_customer(api, code="K1", card_number="900")
    new_customer(api, code="900X")
    answer = api.ok("record_customer", customer_action="edit", card_number="900", first_name="ByCard")["customer"]
    assert answer == {"status": "updated", "code": "K1", "card_number": "900"}
    assert stored("K1").first_name == "ByCard"
    answer = api.ok("record_customer", customer_action="edit", card_number="900X", last_name="ByCode")["customer"]
    assert answer == {"status": "updated", "code": "900X", "card_number": "900X"}
    assert customer_count() == 2


def test_edit_cannot_take_another_customers_card_or_username(api):
    new_customer(api, code="A", card_number="1", customer_username="amy")
    new_customer(api, code="B", card_number="2")
    assert api.err("record_customer", customer_action="edit", code="B", card_number="1") == "Card number already in use"
    assert api.err("record_customer", customer_action="edit", code="B", customer_username="amy") == "Customer username already in use"
    assert (stored("B").card_number, stored("B").username) == ("2", None)


def test_register_activates_an_existing_card_once(api):
    new_customer(api, code="R1", card_number="300", first_name="Rae")
    answer = api.staff().ok("record_customer", customer_action="register", card_number="300",
                            customer_username="rae", customer_password="pw")["customer"]
    assert answer == {"status": "updated", "code": "R1", "card_number": "300"}
    assert api.ok("customer_info", code="R1")["customer"]["registered"] == "Y"
    assert api.err("record_customer", customer_action="register", card_number="300", customer_password="mine") == (
        "Customer already registered")
    api.ok("validate_customer_password", customer_username="rae", customer_password="pw")


# --- campaigns at creation ----------------------------------------------------------------------------

def test_campaign_ids_at_creation_enrol_the_customer(api):
    first, second = new_campaign(api), new_campaign(api, "giftcard", "Gift")
    new_customer(api, code="M1", campaign_id=f"{first}, {second}")
    assert {m.campaign_id for m in Membership.select().where(Membership.customer == stored("M1").id)} == {first, second}
    assert {m.balance for m in Membership.select()} == {0}
    assert LedgerEntry.select().count() == 0


def test_unknown_or_foreign_campaign_id_creates_nothing(api):
    mine = new_campaign(api)
    foreign = new_campaign(api.other())
    assert api.err("record_customer", **NEW, code="X", campaign_id=f"{mine},{foreign}") == "Campaign not found"
    assert api.err("record_customer", **NEW, code="X", campaign_id="1234567890123456") == "Campaign not found"
    assert api.err("record_customer", customer_action="edit", code="X", campaign_id="nope") == "Campaign not found"
    assert customer_count() == 0 and Membership.select().count() == 0


# --- custom fields ------------------------------------------------------------------------------------

def test_custom_fields_are_stored_and_custom_field_1_is_custom_field(api):
    new_customer(api, code="F1", custom_field_1="He likes cheese", custom_field_2="Gouda,Emental",
                 custom_field_10="2012.07.28 22:59:59")
    c = stored("F1")
    assert c.custom_field == "He likes cheese"
    shown = api.ok("customer_info", code="F1")["customer"]
    assert (shown["custom_field"], shown["custom_field_2"], shown["custom_field_10"]) == (
        "He likes cheese", "Gouda,Emental", "2012.07.28 22:59:59")
    assert "custom_field_1" not in shown
    root = api.xml("customer_info", code="F1", include_balances="N")
    tags = [e.tag for e in root.find("customer")]
    assert tags[-3:] == ["registered", "custom_field_2", "custom_field_10"]


# --- secrets ------------------------------------------------------------------------------------------

def test_passwords_and_pins_are_stored_hashed_and_never_shown(api):
    campaign = new_campaign(api)
    new_customer(api, code="P1", first_name="Pat", customer_username="pat", customer_password="Hunter2-secret",
                 customer_PIN="40961", campaign_id=campaign)
    c = stored("P1")
    assert c.password_hash.startswith(PASSWORD_METHOD + "$") and c.pin_hash.startswith(PASSWORD_METHOD + "$")
    assert check_password_hash(c.password_hash, "Hunter2-secret") and check_password_hash(c.pin_hash, "40961")
    # salt and digest are hex: the PIN's digits may turn up inside them by chance, never as a field
    assert "Hunter2" not in c.password_hash and "40961" not in c.pin_hash.split("$")
    for type_, fields in [("customer_info", {"code": "P1"}), ("customer_search", {"first_name": "pat", "include_balances": "Y"}),
                          ("customer_find", {"find_customer": "pat"}),
                          ("record_customer", {"customer_action": "edit", "code": "P1", "customer_password": "Hunter2-secret"})]:
        for output in ("json", "xml"):
            body = api.call(type_, output=output, **fields).data
            assert b"success" in body
            for secret in (b"Hunter2", b"40961", b"scrypt", b"password", b"PIN", b"pin"):
                assert secret not in body, (type_, secret)


def test_validate_needs_every_credential_given_to_match(api):
    new_customer(api, code="V1", card_number="700", customer_username="vee", phone="(555) 123-4567",
                 customer_password="pw-right", customer_PIN="2468")
    new_customer(api, code="V2", card_number="701", customer_password="pw-other")
    ok = {"status": "success"}
    assert api.ok("validate_customer_password", card_number="700", customer_PIN="2468") == ok
    assert api.ok("validate_customer_password", code="V1", customer_username="vee", customer_password="pw-right",
                  customer_PIN="2468", phone="555.123.4567") == ok
    wrong = [
        dict(code="V1", customer_password="pw-wrong"),
        dict(code="V1", customer_password="pw-right", customer_PIN="0000"),
        dict(code="V1", customer_password="pw-right", phone="555-000-0000"),
        dict(code="V1", card_number="701", customer_password="pw-right"),  # identifiers name two customers
        dict(code="NOBODY", customer_password="pw-right"),
        dict(code="V2", customer_PIN="2468"),  # V2 has no PIN
        dict(customer_username="VEE", customer_password="pw-right"),
        dict(code="V1", customer_password="PW-RIGHT"),
    ]
    for fields in wrong:
        assert api.err("validate_customer_password", **fields) == "Customer credentials do not match", fields
    assert api.err("validate_customer_password", customer_password="pw-right") == (
        "Missing required field: code, card_number or customer_username")
    assert api.err("validate_customer_password", code="V1") == "Missing required field: customer_password or customer_PIN"


# --- card_replace -------------------------------------------------------------------------------------

def test_card_replace_finds_the_customer_by_previous_code_card_or_profile(api):
    new_customer(api, code="R1", card_number="111", first_name="Amy", last_name="Acker", customer_password="pw")
    new_customer(api, code="R2", card_number="222", first_name="Amy", last_name="Brown")
    assert api.ok("card_replace", previous_card="111", new_code="R1-NEW")["customer"] == {
        "status": "updated", "code": "R1-NEW", "card_number": "111"}
    # previous_code has priority over previous_card
    assert api.ok("card_replace", previous_code="R2", previous_card="111", new_card_number="223")["customer"]["code"] == "R2"
    assert api.ok("card_replace", first_name="amy", last_name="ACKER", new_card_number="112")["customer"] == {
        "status": "updated", "code": "R1-NEW", "card_number": "112"}
    made = api.ok("card_replace", previous_code="R2", card_number_generate=8, card_number_prefix="5")["customer"]
    assert re.fullmatch(r"5\d{7}", made["card_number"]) and stored("R2").card_number == made["card_number"]
    assert api.err("card_replace", first_name="Amy", new_code="Z") == (
        "More than one customer matches: give previous_code or previous_card")
    assert api.err("card_replace", first_name="Nobody", new_code="Z") == "Customer not found"
    assert api.err("card_replace", previous_card="999", new_code="Z") == "Customer not found"
    assert api.err("card_replace", previous_code="R1-NEW", customer_password="bad", new_code="Z") == "Customer not found"
    assert api.ok("card_replace", previous_code="R1-NEW", customer_password="pw", new_code="R1-3")["customer"]["code"] == "R1-3"
    assert api.err("card_replace", previous_code="R1-3") == (
        "Missing required field: new_code, new_card_number or card_number_generate")
    assert api.err("card_replace", new_code="Q") == (
        "Missing required field: previous_code, previous_card or a profile field to match")
    assert api.err("card_replace", previous_code="R1-3", new_code="R2") == "Customer code already in use"
    assert {c.code for c in Customer.select()} == {"R1-3", "R2"}


def test_card_replace_keeps_balances_with_the_customer(api):
    campaign = new_campaign(api)
    new_customer(api, code="B1")
    give("shop", campaign, "B1", 500)
    api.ok("card_replace", previous_code="B1", new_code="B1-NEW", new_card_number="4444")
    assert api.ok("customer_info", card_number="4444")["campaigns"][0]["balance"] == "500"


# --- customer_delete ----------------------------------------------------------------------------------

def test_delete_removes_memberships_and_ledger_rows_and_needs_a_manager(api):
    campaign = new_campaign(api)
    new_customer(api, code="D1", campaign_id=campaign)
    new_customer(api, code="D2", campaign_id=campaign)
    give("shop", campaign, "D1", 300)
    give("shop", campaign, "D2", 100)
    assert api.staff().err("customer_delete", code="D1") == PERMISSION_DENIED
    assert api.ok("customer_delete", code="D1")["customer"] == {"status": "deleted", "code": "D1"}
    assert [c.code for c in Customer.select()] == ["D2"]
    assert Membership.select().count() == 1 and LedgerEntry.select().count() == 1
    assert list(ledger.check()) == []
    assert api.err("customer_info", code="D1") == "Customer not found"
    assert api.err("customer_delete") == "Missing required field: code"


# --- another account's customers ----------------------------------------------------------------------

def test_another_accounts_customer_is_not_found_by_any_call(api):
    other = api.other()
    new_customer(other, code="THEIRS", card_number="8080", first_name="Theo", customer_username="theo",
                 customer_password="pw", customer_PIN="1111")
    assert api.err("customer_info", code="THEIRS") == "Customer not found"
    assert api.err("customer_info", card_number="8080") == "Customer not found"
    assert api.err("customer_delete", code="THEIRS") == "Customer not found"
    assert api.err("card_replace", previous_code="THEIRS", new_code="MINE") == "Customer not found"
    assert api.err("card_replace", previous_card="8080", new_code="MINE") == "Customer not found"
    assert api.err("card_replace", first_name="Theo", new_code="MINE") == "Customer not found"
    for ident in ({"code": "THEIRS"}, {"card_number": "8080"}, {"customer_username": "theo"}):
        assert api.err("validate_customer_password", customer_password="pw", **ident) == "Customer credentials do not match"
    assert api.ok("customer_search", first_name="Theo")["customers"] == []
    assert api.ok("customer_find", find_customer="theo")["customers"] == []
    # edit and register with their code create a customer of our own, never touch theirs
    assert api.ok("record_customer", customer_action="edit", code="THEIRS", first_name="Mine")["customer"]["status"] == "new"
    assert api.ok("record_customer", customer_action="register", card_number="8080", customer_password="x")["customer"]["status"] == "new"
    theirs = stored("THEIRS", "other")
    assert (theirs.first_name, theirs.card_number, theirs.registered) == ("Theo", "8080", False)
    assert other.ok("customer_info", code="THEIRS")["customer"]["first_name"] == "Theo"


# --- hostile input ------------------------------------------------------------------------------------

SQLISH = ["Robert'); DROP TABLE customer;--", "' OR '1'='1", '"; SELECT * FROM user; --', "100%_off\\"]


@pytest.mark.parametrize("text", SQLISH)
def test_sql_looking_text_is_stored_and_returned_verbatim(api, text):
    made = new_customer(api, code=text, card_number=text, first_name=text, custom_field_2=text)
    assert made["code"] == text
    shown = api.ok("customer_info", code=text)["customer"]
    assert (shown["first_name"], shown["card_number"], shown["custom_field_2"]) == (text, text, text)
    assert api.xml("customer_info", card_number=text).findtext("customer/first_name") == text
    assert customer_count() == 1


@pytest.mark.parametrize("field", ["code", "first_name", "custom_field_2", "customer_password", "customer_PIN"])
@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b"])
def test_control_characters_are_refused_and_change_nothing(api, field, char):
    message = api.err("record_customer", **NEW, **{field: f"a{char}b"})
    # NUL is refused for every field by the transport, the others by the customer schemas
    reason = "NUL characters" if char == "\x00" else "control characters"
    assert message == f"Invalid value for field {field}: {reason} are not allowed"
    assert customer_count() == 0


def test_overlong_values_are_refused(api):
    assert api.err("record_customer", **NEW, code="x" * 129) == "Invalid value for field code: at most 128 characters"
    assert api.err("record_customer", **NEW, first_name="x" * 256) == "Invalid value for field first_name: at most 255 characters"
    assert customer_count() == 0


def test_unicode_is_kept(api):
    new_customer(api, code="U1", first_name="Zoë", city="Kraków", custom_field_2="日本")
    shown = api.ok("customer_info", code="U1")["customer"]
    assert (shown["first_name"], shown["city"], shown["custom_field_2"]) == ("Zoë", "Kraków", "日本")


def test_a_retried_record_customer_with_an_idempotency_key_creates_one_customer(api):
    first = api.ok("record_customer", **NEW, idempotency_key="k-1")["customer"]
    again = api.ok("record_customer", **NEW, idempotency_key="k-1")["customer"]
    assert first == again and customer_count() == 1
