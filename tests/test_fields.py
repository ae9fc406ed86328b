"""Custom fields: manage_fields (customer), transaction_fields, manage_reward_fields, and the check of
values where they are written (record_customer, record_activity, redeem, campaign rewards).

Every test runs on SQLite and PostgreSQL (the ``app`` fixture); the race test starts gunicorn.
"""
from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from gateway.domain import fields as field_rules
from gateway.domain.models import Customer, FieldDefinition, LedgerEntry, Reward, UniqueFieldValue
from gateway.legacy import messages

# The refusal of a call that needs a permission flag (helper A's wording when it exists).
DENIED = getattr(messages, "PERMISSION_DENIED_FLAG", messages.PERMISSION_DENIED).format("manage_fields")

from conftest import xml_to_dict
from servers import form, fresh_database, running_server

DEFAULTS = list(field_rules.DEFAULTS)
FAMILIES = {"manage_fields": "custom_field_2", "transaction_fields": "custom_field_1",
            "manage_reward_fields": "reward_custom_field_1"}


def fields_of(doc: dict) -> list[dict]:
    return doc["account"]["fields"]


def by_name(doc: dict) -> dict[str, dict]:
    return {f["name"]: f for f in fields_of(doc)}


def add(api, type_: str, **settings) -> dict:
    return api.ok(type_, action="add", **settings)


def new_campaign(api, type_="points") -> str:
    return api.ok("campaign_new", action="campaign", campaign_type=type_, campaign_name="Club")["campaign"]["id"]


def stored_customer(code: str) -> Customer:
    return Customer.get((Customer.account == "shop") & (Customer.code == code))


# --- the calls, in XML and JSON ------------------------------------------------------------------------

def test_customer_fields_list_has_the_defaults_in_xml_and_json(api):
    # As the portal calls it: user_api_key and API, no account_id.
    portal = api.as_user("mgr", api.key, None, auth="api_key")
    doc = portal.ok("manage_fields", action="list", API="1.6")
    assert doc["account"]["account_id"] == "shop"
    assert [f["name"] for f in fields_of(doc)] == DEFAULTS
    assert fields_of(doc)[0] == {"name": "card_number", "label": "Card #", "show": "Y", "required": "N", "type": "Text",
                                 "searchable": "N", "unique": "No", "choices": []}
    root = api.xml("manage_fields", action="list", API="1.5")
    assert root.get("status") == "success"
    names = root.xpath("/response/account/fields/field/name/text()")
    assert names == DEFAULTS
    assert root.xpath("/response/account/account_id/text()") == ["shop"]


@pytest.mark.parametrize("type_", sorted(FAMILIES))
def test_add_update_delete_in_xml_and_json(api, type_):
    name = FAMILIES[type_]
    # add, JSON: defaults Show=No, Type=Text; choices "a, b" and "a|b" both split
    doc = add(api, type_, API="1.5", **{f"{name}_label": "Kind", f"{name}_type": "pick", f"{name}_choices": "New, Used, Other"})
    field = by_name(doc)[name]
    assert (field["label"], field["show"], field["type"], field["choices"]) == ("Kind", "N", "Pick", ["New", "Used", "Other"])
    # add, XML: the answer lists every field, choices as <choices><choice>
    second = name[:-1] + "5"
    root = api.xml(type_, action="add", **{f"{second}_label": "Grade", f"{second}_type": "List", f"{second}_choices": "A|B|C"})
    assert root.get("status") == "success"
    node = root.xpath(f"/response/account/fields/field[name='{second}']")[0]
    assert node.xpath("choices/choice/text()") == ["A", "B", "C"]
    assert node.findtext("type") == "List" and node.findtext("show") == "N"
    # update, XML: label and show change
    root = api.xml(type_, action="update", API="1.6", **{f"{name}_label": "State", f"{name}_show": "Y"})
    node = root.xpath(f"/response/account/fields/field[name='{name}']")[0]
    assert (node.findtext("label"), node.findtext("show")) == ("State", "Y")
    # update, JSON: choices replaced
    doc = api.ok(type_, action="update", **{f"{name}_choices": "Mint|Worn"})
    assert by_name(doc)[name]["choices"] == ["Mint", "Worn"]
    # list, both formats
    assert by_name(api.ok(type_, action="list"))[name]["label"] == "State"
    assert xml_to_dict(api.xml(type_, action="list"))["account"]["account_id"] == "shop"
    # delete, XML then JSON: the answer is what remains
    root = api.xml(type_, action="delete", field_list=second)
    assert second not in root.xpath("/response/account/fields/field/name/text()")
    doc = api.ok(type_, action="delete", field_list=name)
    assert name not in by_name(doc)
    assert FieldDefinition.select().where(FieldDefinition.name.in_([name, second])).count() == 0


def test_transaction_fields_show_unique_and_activity_type(api):
    doc = add(api, "transaction_fields", custom_field_1_label="Customer ID", custom_field_1_unique="Y",
              custom_field_1_show="Y", custom_field_2_type="Monetary", custom_field_2_activity_type="Redeem",
              custom_field_3_type="Number")
    assert fields_of(doc) == [
        {"name": "custom_field_1", "label": "Customer ID", "show": "Y", "type": "Text", "required": "N", "unique": "Yes",
         "activity_type": "all", "choices": []},
        {"name": "custom_field_2", "label": "", "show": "N", "type": "Monetary", "required": "N", "unique": "No",
         "activity_type": "redeem", "choices": []},
        {"name": "custom_field_3", "label": "", "show": "N", "type": "Number", "required": "N", "unique": "No",
         "activity_type": "all", "choices": []},
    ]
    # Number and Monetary are transaction types only
    assert api.err("manage_fields", action="add", custom_field_2_label="Kg", custom_field_2_type="Number") == \
        "Invalid value for field custom_field_2_type: must be one of Text, Date, Pick, List"


def test_reward_fields_keep_their_names_and_the_delete_page_spelling(api):
    add(api, "manage_reward_fields", reward_custom_field1_label="PCU", reward_custom_field_2_label="Category",
        reward_custom_field_2_type="List", reward_custom_field_2_choices="Beverages, Food, Other")
    doc = api.ok("manage_reward_fields", action="list", API="1.5")
    assert [f["name"] for f in fields_of(doc)] == ["reward_custom_field_1", "reward_custom_field_2"]
    # The delete page's example names reward fields custom_field_N: read as reward_custom_field_N.
    doc = api.ok("manage_reward_fields", action="delete", API="1.6", field_list="custom_field_1")
    assert [f["name"] for f in fields_of(doc)] == ["reward_custom_field_2"]


def test_families_are_independent_and_accounts_are_isolated(api):
    add(api, "transaction_fields", custom_field_2_label="SKU")
    assert "custom_field_2" not in by_name(api.ok("manage_fields", action="list"))
    add(api, "manage_fields", custom_field_2_label="Status")  # same name, other family: fine
    other = api.other()
    assert [f["name"] for f in fields_of(other.ok("manage_fields", action="list"))] == DEFAULTS
    assert fields_of(other.ok("transaction_fields", action="list")) == []
    assert other.err("manage_fields", action="delete", field_list="custom_field_2") == \
        "Invalid value for field field_list: custom_field_2 is not a field"


# --- the rules of definitions ----------------------------------------------------------------------------

def test_type_and_unique_are_fixed_once_set(api):
    add(api, "manage_fields", custom_field_2_label="Member", custom_field_2_unique="Y")
    doc = api.ok("manage_fields", action="update", custom_field_2_type="Date", custom_field_2_unique="N",
                 custom_field_2_label="Member no.")
    assert {k: by_name(doc)["custom_field_2"][k] for k in ("type", "unique", "label")} == \
        {"type": "Text", "unique": "Yes", "label": "Member no."}


def test_only_text_can_be_unique_or_searchable_and_pick_needs_choices(api):
    assert api.err("manage_fields", action="add", custom_field_2_label="D", custom_field_2_type="Date",
                   custom_field_2_unique="Y") == "Invalid value for field custom_field_2_unique: only Text fields can be unique"
    assert api.err("manage_fields", action="add", custom_field_2_label="L", custom_field_2_type="List") == \
        "Missing required field: custom_field_2_choices"
    add(api, "manage_fields", custom_field_2_label="D", custom_field_2_type="Date")
    assert api.err("manage_fields", action="update", custom_field_2_searchable="Y") == \
        "Invalid value for field custom_field_2_searchable: only Text fields can be searchable"
    # Choices given to a Text field are not kept.
    doc = add(api, "manage_fields", custom_field_3_label="T", custom_field_3_choices="a|b")
    assert by_name(doc)["custom_field_3"]["choices"] == []
    assert FieldDefinition.select().count() == 2


def test_a_failed_add_adds_nothing(api):
    # custom_field_2 is fine, custom_field_3 is not: neither is added.
    assert api.err("manage_fields", action="add", custom_field_2_label="A", custom_field_3_label="B",
                   custom_field_3_type="Colour") == "Invalid value for field custom_field_3_type: must be one of Text, Date, Pick, List"
    assert FieldDefinition.select().count() == 0


def test_names_and_existing_fields(api):
    for name in ("custom_field_1", "first_name"):
        assert api.err("manage_fields", action="add", **{f"{name}_label": "X"}) == \
            f"Invalid value for field {name}: the field already exists"
    assert api.err("manage_fields", action="add", custom_field_1000_label="X") == \
        "Invalid value for field custom_field_1000: not a custom field name (e.g. custom_field_2)"
    add(api, "manage_fields", custom_field_2_label="X")
    assert api.err("manage_fields", action="add", custom_field_2_label="Y") == \
        "Invalid value for field custom_field_2: the field already exists"
    assert api.err("manage_fields", action="update", custom_field_7_label="Y") == \
        "Invalid value for field custom_field_7: no such field (add it first)"


def test_default_customer_fields_can_change_but_not_go(api):
    # The update page's own examples, and the double underscore it prints.
    doc = api.ok("manage_fields", action="update", card_number_label="Member #", country_show="N",
                 phone__required="Y", zip_label="Postcode")
    fields = by_name(doc)
    assert (fields["card_number"]["label"], fields["country"]["show"], fields["phone"]["required"],
            fields["zip"]["label"]) == ("Member #", "N", "Y", "Postcode")
    assert [f["name"] for f in fields_of(doc)] == DEFAULTS  # order kept
    for name in ("card_number", "custom_field_1", "zip"):
        assert api.err("manage_fields", action="delete", field_list=name) == \
            f"Invalid value for field field_list: {name} is a default field and cannot be deleted"
    assert api.err("manage_fields", action="delete", field_list="custom_field_9|card_number") == \
        "Invalid value for field field_list: custom_field_9 is not a field"


def test_web_update_turns_unsent_checkboxes_off(api):
    add(api, "manage_fields", custom_field_2_label="A", custom_field_2_show="Y", custom_field_2_searchable="Y",
        custom_field_2_required="Y", custom_field_3_label="B", custom_field_3_show="Y")
    doc = api.ok("manage_fields", action="update", custom_field_2_label="A2", custom_field_2_show="Y")
    assert {k: by_name(doc)["custom_field_2"][k] for k in ("show", "searchable", "required")} == \
        {"show": "Y", "searchable": "Y", "required": "Y"}
    for flag in ("web_update", "web_udate"):
        doc = api.ok("manage_fields", action="update", custom_field_2_label="A3", custom_field_2_show="Y", **{flag: "Y"})
        field = by_name(doc)["custom_field_2"]
        assert (field["show"], field["searchable"], field["required"]) == ("Y", "N", "N")
        assert by_name(doc)["custom_field_3"]["show"] == "Y"  # a field the form does not name is untouched


def test_field_calls_need_the_manage_fields_permission_but_listing_does_not(api):
    staff = api.staff()
    for type_, name in FAMILIES.items():
        assert staff.err(type_, action="add", **{f"{name}_label": "X"}) == DENIED
        assert staff.ok(type_, action="list")["status"] == "success"
    assert FieldDefinition.select().count() == 0


def test_api_version_is_not_checked(api):
    # The portal sends 1.5 to the 1.6 calls; a client that sends none is answered too.
    for version in ("1.5", "1.6", None, "2.0"):
        assert api.ok("manage_reward_fields", action="list", API=version)["status"] == "success"


# --- values checked where they are written ---------------------------------------------------------------

def define_customer_fields(api):
    add(api, "manage_fields", custom_field_2_label="Status", custom_field_2_type="Pick",
        custom_field_2_choices="Single, Married, Other", custom_field_3_label="Member", custom_field_3_unique="Y",
        custom_field_4_label="Since", custom_field_4_type="Date", custom_field_5_label="Cheeses",
        custom_field_5_type="List", custom_field_5_choices="Gouda|Emental|Swiss",
        custom_field_6_label="Code", custom_field_6_searchable="Y")


@pytest.mark.parametrize("action", ["new", "edit", "register"])
def test_record_customer_checks_customer_fields(api, action):
    define_customer_fields(api)
    base = {"customer_action": action, "code": "C1", "customer_password": "pw"}
    bad = {
        "custom_field_2": ("Divorced", "must be one of Single, Married, Other"),
        "custom_field_4": ("yesterday", "not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"),
        "custom_field_5": ("Gouda,Cheddar", "must be a comma list of Gouda, Emental, Swiss"),
        "custom_field_6": ("x" * 256, "at most 255 characters"),
    }
    for name, (value, reason) in bad.items():
        assert api.err("record_customer", **base, **{name: value}) == f"Invalid value for field {name}: {reason}"
    assert Customer.select().count() == 0
    api.ok("record_customer", **base, custom_field_2="married", custom_field_3="M-1", custom_field_4="2012.07.28 22:59:59",
           custom_field_5="swiss, Gouda", custom_field_6="x" * 255, custom_field_9="anything goes")
    values = json.loads(stored_customer("C1").custom_fields)
    # Pick and List take the choices' own spelling; an undefined field is stored as sent.
    assert values == {"custom_field_2": "Married", "custom_field_3": "M-1", "custom_field_4": "2012.07.28 22:59:59",
                      "custom_field_5": "Swiss,Gouda", "custom_field_6": "x" * 255, "custom_field_9": "anything goes"}
    # A unique value belongs to one customer: another is refused, and nothing of it is written.
    assert api.err("record_customer", customer_action="new", code="C2", first_name="Bo", custom_field_3="M-1") == \
        "Invalid value for field custom_field_3: already in use"
    assert Customer.select().count() == 1
    # The same customer may write its own value again.
    api.ok("record_customer", customer_action="edit", code="C1", custom_field_3="M-1")


def test_unique_values_are_released_when_changed_or_deleted(api):
    define_customer_fields(api)
    api.ok("record_customer", customer_action="new", code="C1", custom_field_3="M-1")
    api.ok("record_customer", customer_action="edit", code="C1", custom_field_3="M-2")
    api.ok("record_customer", customer_action="new", code="C2", custom_field_3="M-1")  # released by C1
    api.ok("customer_delete", code="C2")
    api.ok("record_customer", customer_action="new", code="C3", custom_field_3="M-1")  # C2 is gone
    assert api.err("record_customer", customer_action="edit", code="C1", custom_field_3="M-1") == \
        "Invalid value for field custom_field_3: already in use"
    assert sorted(UniqueFieldValue.select(UniqueFieldValue.value).tuples()) == [("M-1",), ("M-2",)]


def test_required_customer_fields_defaults_included(api):
    api.ok("record_customer", customer_action="new", code="OLD")
    api.ok("manage_fields", action="update", phone_required="Y", custom_field_1_required="Y")
    add(api, "manage_fields", custom_field_2_label="Region", custom_field_2_required="Y")
    assert api.err("record_customer", customer_action="new", code="C1", custom_field="x", custom_field_2="North") == \
        "Missing required field: phone"
    assert api.err("record_customer", customer_action="new", code="C1", phone="555", custom_field_2="North") == \
        "Missing required field: custom_field"
    assert api.err("record_customer", customer_action="new", code="C1", phone="555", custom1="x") == \
        "Missing required field: custom_field_2"
    api.ok("record_customer", customer_action="new", code="C1", phone="555", custom1="x", custom_field_2="North")
    # The rule holds for what the customer holds after an edit: an older customer must be completed.
    assert api.err("record_customer", customer_action="edit", code="OLD", first_name="Al") == "Missing required field: phone"
    api.ok("record_customer", customer_action="edit", code="OLD", phone="1", custom_field="y", custom_field_2="S")
    api.ok("record_customer", customer_action="edit", code="OLD", first_name="Al")
    # Secrets count as given without being shown.
    api.ok("manage_fields", action="update", customer_PIN_required="Y")
    assert api.err("record_customer", customer_action="new", code="C2", phone="1", custom_field="y",
                   custom_field_2="S") == "Missing required field: customer_PIN"
    api.ok("record_customer", customer_action="new", code="C2", phone="1", custom_field="y", custom_field_2="S",
           customer_PIN="1234")


def test_transaction_fields_are_checked_by_activity_type(api):
    cid = new_campaign(api)
    api.ok("record_customer", customer_action="new", code="C1")
    add(api, "transaction_fields", custom_field_1_type="Number", custom_field_2_type="Monetary",
        custom_field_3_label="Receipt", custom_field_3_unique="Y", custom_field_4_type="Pick",
        custom_field_4_choices="Store|Web", custom_field_4_activity_type="record", custom_field_5_required="Y",
        custom_field_5_activity_type="redeem", custom_field_6_type="Date")
    record = {"campaign_id": cid, "code": "C1", "amount": "5"}
    bad = {
        "custom_field_1": ("1.123456", "must be a number of at most 16 digits and 5 decimals"),
        "custom_field_2": ("9.999", "must be a number of at most 14 digits and 2 decimals"),
        "custom_field_4": ("Phone", "must be one of Store, Web"),
        "custom_field_6": ("2024-02-30", "not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)"),
        "custom_field_3": ("x" * 256, "at most 255 characters"),
    }
    for name, (value, reason) in bad.items():
        assert api.err("record_activity", **record, **{name: value}) == f"Invalid value for field {name}: {reason}"
    assert LedgerEntry.select().count() == 0
    receipt = api.ok("record_activity", **record, custom_field_1="12345,5", custom_field_2="-3.5", custom_field_3="R-1",
                     custom_field_4="web", custom_field_6="2024-02-29 10:00:00", custom_field_9="free text")["receipt"]
    entry = LedgerEntry.get_by_id(int(receipt["transaction_id"]))
    assert json.loads(entry.custom_fields) == {"custom_field_1": "12345.5", "custom_field_2": "-3.5", "custom_field_3": "R-1",
                                               "custom_field_4": "Web", "custom_field_6": "2024-02-29 10:00:00",
                                               "custom_field_9": "free text"}
    assert api.err("record_activity", **record, custom_field_3="R-1") == "Invalid value for field custom_field_3: already in use"
    # A redeem field is required on redeems only, and refused on records.
    assert api.err("record_activity", **record, custom_field_5="x") == \
        "Invalid value for field custom_field_5: this field is for redeem transactions only"
    spend = {"campaign_id": cid, "code": "C1", "custom_points_redeem": "10"}
    assert api.err("redeem", **spend) == "Missing required field: custom_field_5"
    assert api.err("redeem", **spend, custom_field_5="ok", custom_field_4="Store") == \
        "Invalid value for field custom_field_4: this field is for record transactions only"
    assert api.err("redeem", **spend, custom_field_5="ok", custom_field_3="R-1") == \
        "Invalid value for field custom_field_3: already in use"
    assert LedgerEntry.select().count() == 1
    api.ok("redeem", **spend, custom_field_5="ok", custom_field_3="R-2")
    # A deleted transaction gives its unique value back.
    api.ok("record_activity", **record)  # enough left to take the first record back
    api.ok("transaction_delete", campaign_id=cid, code="C1", transaction_id=receipt["transaction_id"])
    api.ok("record_activity", **record, custom_field_3="R-1")


def test_reward_fields_are_checked_on_new_and_update(api):
    cid = new_campaign(api)
    add(api, "manage_reward_fields", reward_custom_field_1_label="Category", reward_custom_field_1_type="List",
        reward_custom_field_1_choices="Beverages, Food, Other", reward_custom_field_2_label="SKU",
        reward_custom_field_2_unique="Y")
    reward = {"action": "reward", "campaign_id": cid, "reward_level": "10", "reward_description": "Mug"}
    assert api.err("campaign_new", **reward, reward_custom_field_1="Toys") == \
        "Invalid value for field reward_custom_field_1: must be a comma list of Beverages, Food, Other"
    assert Reward.select().count() == 0
    rid = api.ok("campaign_new", **reward, reward_custom_field1="food, beverages", reward_custom_field_2="S-1")["campaign"]["reward"]["id"]
    assert json.loads(Reward.get_by_id(int(rid)).custom_fields) == {"reward_custom_field_1": "Food,Beverages",
                                                                    "reward_custom_field_2": "S-1"}
    assert api.err("campaign_new", **reward, reward_custom_field_2="S-1") == \
        "Invalid value for field reward_custom_field_2: already in use"
    update = {"action": "reward", "campaign_id": cid, "reward_id": rid}
    assert api.err("campaign_update", **update, reward_custom_field_1="Other, Toys") == \
        "Invalid value for field reward_custom_field_1: must be a comma list of Beverages, Food, Other"
    api.ok("campaign_update", **update, reward_custom_field_2="S-2")
    api.ok("campaign_new", **reward, reward_custom_field_2="S-1")  # released by the update
    # A required field must hold a value after every write of a reward.
    add(api, "manage_reward_fields", reward_custom_field_3_label="Note", reward_custom_field_3_required="Y")
    assert api.err("campaign_update", **update, new_reward_level="20") == "Missing required field: reward_custom_field_3"
    api.ok("campaign_update", **update, new_reward_level="20", reward_custom_field_3="fine print")
    # A deleted reward gives its unique value back.
    api.ok("campaign_delete", action="reward", reward_id=rid)
    api.ok("campaign_new", **reward, reward_custom_field_2="S-2", reward_custom_field_3="n")


def test_deleted_field_is_no_longer_checked(api):
    add(api, "manage_fields", custom_field_2_label="Status", custom_field_2_type="Pick", custom_field_2_choices="A|B")
    assert api.err("record_customer", customer_action="new", code="C1", custom_field_2="Z").startswith("Invalid value")
    api.ok("manage_fields", action="delete", field_list="custom_field_2")
    api.ok("record_customer", customer_action="new", code="C1", custom_field_2="Z")


# --- wire facts (legacy-clients.md §6) -------------------------------------------------------------------

@pytest.mark.parametrize("action", ["new", "edit", "register"])
def test_zero_date_means_no_date(api, action):
    fields = {"customer_action": action, "code": "C1", "customer_password": "pw", "custom_date": "0000-00-00"}
    assert api.ok("record_customer", **fields)["customer"]["code"] == "C1"
    assert stored_customer("C1").custom_date == ""
    if action == "edit":  # on an existing customer it leaves the date as it is, like any blank field
        api.ok("record_customer", customer_action="edit", code="C1", custom_date="1970-07-14")
        api.ok("record_customer", customer_action="edit", code="C1", custom_date="0000-00-00 00:00:00")
        assert stored_customer("C1").custom_date == "1970-07-14"
    assert api.err("record_customer", customer_action="new", code="C2", custom_date="0000-01-00") == \
        "Invalid value for field custom_date: not a date (use YYYY-MM-DD)"


def test_zero_date_on_card_replace_matches_nothing_by_date(api):
    api.ok("record_customer", customer_action="new", code="C1", first_name="Amy")
    doc = api.ok("card_replace", first_name="amy", custom_date="0000-00-00", new_code="C9")
    assert doc["customer"]["code"] == "C9"


@pytest.mark.parametrize("action", ["new", "edit", "register"])
def test_custom1_is_custom_field_1(api, action):
    api.ok("record_customer", customer_action=action, code="C1", customer_password="pw", custom1="He likes cheese")
    assert stored_customer("C1").custom_field == "He likes cheese"
    info = api.ok("customer_info", code="C1", include_balances="N")["customer"]
    assert info["custom_field"] == "He likes cheese" and "custom1" not in info
    # The explicit names win: custom_field, then custom_field_1, then custom1.
    api.ok("record_customer", customer_action="edit", code="C1", custom1="a", custom_field_1="b")
    assert stored_customer("C1").custom_field == "b"
    api.ok("record_customer", customer_action="edit", code="C1", custom1="a", custom_field_1="b", custom_field="c")
    assert stored_customer("C1").custom_field == "c"
    # customer_search reads it too
    found = api.ok("customer_search", custom1="C")["customers"]
    assert [c["code"] for c in found] == ["C1"]


# --- customer_search and customer_info -------------------------------------------------------------------

def test_customer_search_searches_searchable_and_undefined_fields_only(api):
    api.ok("record_customer", customer_action="new", code="C1", custom_field_2="Gold", custom_field_3="ID-77",
           custom_field_4="Blue")
    add(api, "manage_fields", custom_field_2_label="Tier", custom_field_3_label="Member ID", custom_field_3_searchable="Y")
    assert api.err("customer_search", custom_field_2="Gold") == "Invalid value for field custom_field_2: this field is not searchable"
    assert [c["code"] for c in api.ok("customer_search", custom_field_3="id-7")["customers"]] == ["C1"]
    assert [c["code"] for c in api.ok("customer_search", custom_field_4="blu")["customers"]] == ["C1"]  # undefined
    api.ok("manage_fields", action="update", custom_field_2_searchable="Y")
    assert [c["code"] for c in api.ok("customer_search", custom_field_2="GOLD", exact_match="insensitive")["customers"]] == ["C1"]


def test_customer_info_include_fields_shows_labels_of_shown_fields(api):
    api.ok("record_customer", customer_action="new", code="C1", first_name="Amy", custom_field_2="Gold",
           customer_PIN="1234")
    plain = api.ok("customer_info", code="C1", include_balances="N")
    assert "fields" not in plain  # unchanged without include_fields
    add(api, "manage_fields", custom_field_2_label="Tier", custom_field_2_show="Y", custom_field_3_label="Hidden")
    api.ok("manage_fields", action="update", first_name_label="Given name", phone_show="N")
    doc = api.ok("customer_info", code="C1", include_balances="N", include_fields="Y")
    assert doc["customer"] == plain["customer"]
    shown = {f["name"]: f for f in doc["fields"]}
    assert shown["first_name"] == {"name": "first_name", "label": "Given name", "type": "Text", "value": "Amy"}
    assert shown["custom_field_2"]["value"] == "Gold"
    assert "phone" not in shown and "custom_field_3" not in shown
    assert "customer_PIN" not in shown and "customer_password" not in shown
    root = api.xml("customer_info", code="C1", include_balances="N", include_fields="Y")
    assert root.xpath("/response/fields/field[name='custom_field_2']/label/text()") == ["Tier"]


# --- races -----------------------------------------------------------------------------------------------

THREADS = 12


def _fire(server, requests_: list[dict]) -> list[dict]:
    local = {}

    def send(data):
        session = local.setdefault(threading.get_ident(), requests.Session())
        response = session.post(server.url, data=data, timeout=30)
        assert response.status_code == 200, (response.status_code, response.text, server.log()[-2000:])
        return response.json()

    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(send, requests_))


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_concurrent_adds_of_one_name_make_one_field_and_unique_values_stay_unique(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url, running_server(url, workers=4) as server:
        answers = _fire(server, [form("manage_fields", action="add", custom_field_2_label=f"L{n}",
                                      custom_field_2_unique="Y") for n in range(24)])
        ok = [a for a in answers if a["status"] == "success"]
        assert len(ok) == 1, answers
        assert {a["error"] for a in answers if a["status"] == "error"} == \
            {"Invalid value for field custom_field_2: the field already exists"}
        assert FieldDefinition.select().where(FieldDefinition.name == "custom_field_2").count() == 1
        # 24 customers race for one unique value: exactly one gets it.
        answers = _fire(server, [form("record_customer", customer_action="new", code=f"C{n}", custom_field_2="M-1")
                                 for n in range(24)])
        assert sum(a["status"] == "success" for a in answers) == 1, answers
        assert Customer.select().count() == 1
        assert UniqueFieldValue.select().count() == 1
