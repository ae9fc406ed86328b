"""customer_search (field by field) and customer_find (an AND/OR phrase over every field)."""
from __future__ import annotations

import pytest

from test_customers import give, new_campaign, new_customer


@pytest.fixture
def people(api):
    new_customer(api, code="S1", card_number="6011000012345678", first_name="John", last_name="Smithson",
                 city="Anytown", email="john@example.com", custom_field_2="Gold", custom_date="1970-07-14")
    new_customer(api, code="S2", card_number="6011000099990000", first_name="Mary", last_name="O'Smithy",
                 city="Springfield", street1="1234 Main St", custom_field_2="Silver")
    new_customer(api, code="S3", card_number="4000", first_name="Amy", last_name="Acker", city="Anytown",
                 street1="9 Elm Rd", custom_field="likes cheese")
    return api


def codes(doc: dict) -> list[str]:
    return [c["code"] for c in doc["customers"]]


def search(api, **fields) -> list[str]:
    return codes(api.ok("customer_search", **fields))


def find(api, phrase: str) -> list[str]:
    return codes(api.ok("customer_find", find_customer=phrase))


# --- shapes in every format and encoding --------------------------------------------------------------

def test_customer_search_in_every_format_and_encoding(people, fmt, encoding):
    people.encoding = encoding
    doc = people.answer(fmt, "customer_search", last_name="smith")
    found = doc["customers"] if fmt != "xml" else doc["customer"]  # XML: bare <customer> under <response>
    assert [c["code"] for c in found] == ["S1", "S2"]
    assert found[0]["first_name"] == "John" and "campaigns" not in found[0]
    doc = people.answer(fmt, "customer_search", last_name="smith", exact_match="maybe")
    assert (doc["status"], doc["error"]) == ("error", "Invalid value for field exact_match: must be one of sensitive, insensitive")


def test_customer_find_in_every_format_and_encoding(people, fmt, encoding):
    people.encoding = encoding
    doc = people.answer(fmt, "customer_find", find_customer="Amy Acker, 1234 Main St")
    found = doc["customers"] if fmt != "xml" else doc["customer"]
    assert [c["code"] for c in found] == ["S2", "S3"]
    doc = people.answer(fmt, "customer_find", find_customer=" , ")
    assert (doc["status"], doc["error"]) == ("error", "Missing required field: find_customer")


def test_xml_puts_each_match_directly_under_response(people):
    root = people.xml("customer_search", city="anytown")
    assert [e.tag for e in root] == ["customer", "customer"]
    assert [e.findtext("code") for e in root] == ["S1", "S3"]
    one = people.xml("customer_search", first_name="Amy", exact_match="sensitive")
    assert [e.tag for e in one] == ["customer"] and one.findtext("customer/last_name") == "Acker"
    none = people.xml("customer_search", first_name="Nobody")
    assert (none.get("status"), len(none)) == ("success", 0)
    assert people.ok("customer_search", first_name="Nobody") == {"status": "success", "customers": []}


# --- customer_search ----------------------------------------------------------------------------------

def test_partial_case_insensitive_by_default(people):
    assert search(people, last_name="smith") == ["S1", "S2"]
    assert search(people, last_name="SMITHY") == ["S2"]
    assert search(people, card_number="9999") == ["S2"]
    assert search(people, custom_date="1970-07") == ["S1"]
    assert search(people, email="EXAMPLE.com") == ["S1"]


def test_exact_match_sensitive_and_insensitive(people):
    assert search(people, last_name="smithson", exact_match="insensitive") == ["S1"]
    assert search(people, last_name="smithson", exact_match="sensitive") == []
    assert search(people, last_name="Smithson", exact_match="Sensitive") == ["S1"]
    assert search(people, last_name="Smith", exact_match="insensitive") == []


def test_several_fields_must_all_match(people):
    assert search(people, city="anytown", first_name="amy") == ["S3"]
    assert search(people, city="springfield", first_name="amy") == []


def test_no_field_lists_every_customer_of_the_account_only(people):
    new_customer(people.other(), code="O1", first_name="John")
    assert search(people) == ["S1", "S2", "S3"]
    assert search(people, first_name="john") == ["S1"]


def test_custom_fields_are_searchable(people):
    assert search(people, custom_field_2="gol") == ["S1"]
    assert search(people, custom_field_2="Silver", exact_match="sensitive") == ["S2"]
    assert search(people, custom_field_2="silver", exact_match="sensitive") == []
    assert search(people, custom_field="CHEESE") == ["S3"]
    assert search(people, custom_field_1="cheese") == ["S3"]
    assert search(people, custom_field_3="x") == []


def test_percent_and_underscore_match_literally(api):
    new_customer(api, code="L1", first_name="100% Pure")
    new_customer(api, code="L2", first_name="1000 Pure")
    new_customer(api, code="L3", first_name="a_b")
    new_customer(api, code="L4", first_name="axb")
    new_customer(api, code="L5", first_name="back\\slash")
    assert search(api, first_name="%") == ["L1"]
    assert search(api, first_name="0%") == ["L1"]
    assert search(api, first_name="_") == ["L3"]
    assert search(api, first_name="a_b", exact_match="insensitive") == ["L3"]
    assert search(api, first_name="\\") == ["L5"]
    assert find(api, "%") == ["L1"]
    assert find(api, "_b") == ["L3"]


def test_non_ascii_letters_fold_case_on_both_databases(api):
    new_customer(api, code="N1", last_name="ÉCOLE Müller")
    assert search(api, last_name="école") == ["N1"]
    assert search(api, last_name="école müller", exact_match="insensitive") == ["N1"]
    assert find(api, "MÜLLER") == ["N1"]


@pytest.mark.parametrize("text", ["' OR '1'='1", "x'; DELETE FROM customer; --", '")) OR 1=1 --'])
def test_sql_looking_search_text_is_just_text(people, text):
    assert search(people, last_name=text) == []
    assert search(people, custom_field_2=text, exact_match="insensitive") == []
    assert find(people, text) == []
    assert search(people) == ["S1", "S2", "S3"]


def test_control_characters_in_search_text_are_refused(people):
    assert people.err("customer_search", last_name="a\x1bb") == "Invalid value for field last_name: control characters are not allowed"
    assert people.err("customer_find", find_customer="a\x07") == (
        "Invalid value for field find_customer: control characters are not allowed")


def test_secrets_cannot_be_searched(people):
    for field in ("customer_password", "customer_PIN"):
        assert people.err("customer_search", **{field: "1234"}) == (
            f"Invalid value for field {field}: secrets cannot be searched; use validate_customer_password")


def test_include_balances_lists_every_active_campaign(people):
    points = new_campaign(people, "points", "Points")
    gift = new_campaign(people, "giftcard", "Gift")
    give("shop", points, "S1", 1250)
    give("shop", gift, "S1", 1999)
    doc = people.ok("customer_search", code="ignored", first_name="john", include_balances="Y")
    assert sorted(doc["customers"][0]["campaigns"], key=lambda c: c["name"]) == [
        {"id": gift, "name": "Gift", "type": "giftcard", "balance": "19.99"},
        {"id": points, "name": "Points", "type": "points", "balance": "1250"},
    ]
    root = people.xml("customer_search", first_name="mary", include_balances="Y")
    assert sorted(c.findtext("balance") for c in root.findall("customer/campaigns/campaign")) == ["0", "0.00"]
    found = people.ok("customer_find", find_customer="john", include_balances="yes")["customers"]
    assert {c["name"]: c["balance"] for c in found[0]["campaigns"]} == {"Points": "1250", "Gift": "19.99"}


# --- customer_find ------------------------------------------------------------------------------------

def test_space_is_and_comma_is_or_and_and_binds_tighter(people):
    assert find(people, "amy acker") == ["S3"]
    assert find(people, "amy smithson") == []
    assert find(people, "amy, smithson") == ["S1", "S3"]
    # (john anytown) OR (mary) -- not john AND (anytown OR mary)
    assert find(people, "john anytown, mary") == ["S1", "S2"]
    assert find(people, "anytown elm, springfield main") == ["S2", "S3"]


def test_find_looks_through_every_field_partially(people):
    assert find(people, "12345678") == ["S1"]  # part of a card number
    assert find(people, "s2") == ["S2"]  # the code
    assert find(people, "gold") == ["S1"]  # a custom field value
    assert find(people, "CHEESE") == ["S3"]  # custom_field (custom1)
    assert find(people, "o'smithy") == ["S2"]
    assert find(people, "anytown") == ["S1", "S3"]


def test_find_does_not_match_custom_field_names(people):
    # custom fields are stored as JSON: its keys and punctuation must not count as customer data
    assert find(people, "custom_field_2") == []
    assert find(people, '":"') == []
    assert find(people, "gold silver") == []


def test_find_customer_is_accepted_as_a_type(people):
    assert codes(people.ok("find_customer", find_customer="acker")) == ["S3"]
    assert people.err("find_customer") == "Missing required field: find_customer"


def test_staff_may_search_and_find(people):
    staff = people.staff()
    assert search(staff, first_name="amy") == ["S3"]
    assert find(staff, "amy") == ["S3"]
