"""account_info and account_update: the account's business and contact data, language, currency (and
its glyph in every answer that shows it), time zone, a password kept only as a hash, and the receipt's
agency taken from the account."""
from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from gateway.domain.models import Account, IdempotencyRecord

from test_customers import give, new_campaign, new_customer

ORDER = ["account_id", "biz_name", "biz_address1", "biz_address2", "biz_city", "biz_state", "biz_zip", "biz_country",
         "biz_locations", "biz_online", "biz_employees", "industry", "contact_first_name", "contact_last_name",
         "contact_email", "contact_phone", "language", "symbol", "glyph", "timezone", "created",
         "agency", "client_email", "referrer_name"]
PORTAL_FORM = dict(  # as the merchant admin portal posts it (legacy-clients.md §5)
    biz_name="Great Widgets Ltd", biz_address1="1 Main St", biz_address2="Unit 4", biz_city="Auckland",
    biz_state="AKL", biz_zip="1010", biz_country="NZ", contact_first_name="Ann", contact_last_name="Lee",
    contact_email="ann@widgets.example", client_email="ann@widgets.example", contact_phone="+64 9 555 0100",
    language_selector="fr", timezone_selector="68", symbol_selector="nzd",
)


def account_of(doc: dict, fmt: str) -> dict:
    return doc["account"]


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_account_info_shows_the_documented_elements_in_order(api, fmt):
    if fmt == "xml":
        account = api.xml("account_info").find("account")
        assert [e.tag for e in account] == ORDER
        values = {e.tag: e.text or "" for e in account}
    else:
        values = api.ok("account_info")["account"]
        assert list(values) == ORDER
    created = Account.get_by_id("shop").created.strftime("%Y-%m-%d")
    assert values == {**dict.fromkeys(ORDER, ""), "account_id": "shop", "biz_name": "Great Widgets", "biz_online": "N",
                      "language": "EN", "symbol": "USD", "glyph": "$", "created": created}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_account_update_as_a_portal_sends_it(api, fmt):
    api.encoding = "multipart"  # the portal posts arrays with curl
    doc = api.answer(fmt, "account_update", **PORTAL_FORM)
    assert doc["status"] == "success", doc
    expected = {"biz_name": "Great Widgets Ltd", "biz_address1": "1 Main St", "biz_address2": "Unit 4",
                "biz_city": "Auckland", "biz_state": "AKL", "biz_zip": "1010", "biz_country": "NZ",
                "contact_first_name": "Ann", "contact_last_name": "Lee", "contact_email": "ann@widgets.example",
                "client_email": "ann@widgets.example", "contact_phone": "+64 9 555 0100", "language": "FR",
                "timezone": "68", "symbol": "NZD", "glyph": "$"}
    answered = doc["account"]
    assert answered["status"] == "updated"
    assert {k: answered[k] for k in expected} == expected
    shown = api.answer(fmt, "account_info")["account"]
    assert {k: shown[k] for k in expected} == expected
    assert "status" not in shown


def test_only_the_fields_given_change(api):
    api.ok("account_update", **PORTAL_FORM)
    api.ok("account_update", biz_city="Wellington", biz_locations=3, biz_employees=40, biz_online="Y",
           industry="Retail", agency="Big Agency", referrer_name="Bob")
    shown = api.ok("account_info")["account"]
    assert (shown["biz_city"], shown["biz_address1"], shown["contact_email"], shown["symbol"]) == \
        ("Wellington", "1 Main St", "ann@widgets.example", "NZD")
    assert (shown["biz_locations"], shown["biz_employees"], shown["biz_online"], shown["industry"]) == ("3", "40", "Y", "Retail")
    assert (shown["agency"], shown["referrer_name"]) == ("Big Agency", "Bob")


def test_a_blank_text_clears_it_but_a_blank_name_or_selector_changes_nothing(api):
    api.ok("account_update", **PORTAL_FORM)
    api.ok("account_update", biz_address2="", contact_phone="  ", biz_name="", symbol_selector="", language_selector="")
    shown = api.ok("account_info")["account"]
    assert (shown["biz_address2"], shown["contact_phone"]) == ("", "")
    assert (shown["biz_name"], shown["symbol"], shown["language"]) == ("Great Widgets Ltd", "NZD", "FR")


def test_a_new_currency_brings_its_glyph_to_every_answer_that_shows_one(api):
    gift = new_campaign(api, "giftcard", "Gift")
    new_customer(api, code="C1")
    api.ok("record_activity", campaign_id=gift, code="C1", amount="12.50")
    listed = api.ok("campaigns_list")["campaigns"][0]
    assert (listed["currency"], listed["glyph"]) == ("USD", "$")
    doc = api.ok("account_update", symbol_selector="eur")
    assert (doc["account"]["symbol"], doc["account"]["glyph"]) == ("EUR", "€")
    # The next request of the same user sees it (the account is read with the user on every request).
    listed = api.ok("campaigns_list")["campaigns"][0]
    assert (listed["currency"], listed["glyph"]) == ("EUR", "€")
    campaign = api.xml("campaigns_list").find("campaigns/campaign")
    assert (campaign.findtext("currency"), campaign.findtext("glyph")) == ("EUR", "€")
    row = api.ok("reports", report="transactions_all", date_start="2000-01-01")["transactions"][0]
    assert (row["amount_number"], row["amount_type"]) == ("12.50", "€")
    api.ok("account_update", symbol_selector="GBP")
    assert api.ok("campaigns_list", )["campaigns"][0]["glyph"] == "£"
    # Points stay points.
    points = new_campaign(api, "points", "Points")
    api.ok("record_activity", campaign_id=points, code="C1", amount=1)
    types = {r["campaign_id"]: r["amount_type"] for r in
             api.ok("reports", report="transactions_all", date_start="2000-01-01")["transactions"]}
    assert types == {gift: "£", points: "points"}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_refusals_change_nothing(api, fmt):
    before = api.ok("account_info")["account"]
    for fields, message in [
        ({"symbol_selector": "XYZ", "biz_city": "Nowhere"},
         "Invalid value for field symbol_selector: not a currency code we know (ISO 4217, e.g. USD, EUR, GBP)"),
        ({"symbol_selector": "EURO"}, "Invalid value for field symbol_selector: a three-letter currency code (e.g. USD)"),
        ({"language_selector": "XX", "biz_city": "Nowhere"},
         "Invalid value for field language_selector: must be one of EN, DE, ES, FR, GE, IT, PT, NO, TR, PT-BR"),
        ({"contact_email": "not an address"}, "Invalid value for field contact_email: not an e-mail address"),
        ({"account_password": "short"}, "Invalid value for field account_password: between 8 and 255 characters"),
        ({"timezone_selector": "abc"}, "Invalid value for field timezone_selector: Not a valid integer"),
        ({}, "Nothing to update: give at least one new value"),
    ]:
        doc = api.answer(fmt, "account_update", **fields)
        assert (doc["status"], doc["error"]) == ("error", message)
    assert api.ok("account_info")["account"] == before


def test_the_account_password_is_kept_only_as_a_hash_and_never_echoed(api):
    response = api.call("account_update", account_password="s3cret-pass", biz_city="X", output="json",
                        idempotency_key="pw-1")
    assert b"s3cret-pass" not in response.data
    stored = Account.get_by_id("shop").password_hash
    assert stored.startswith("scrypt:") and "s3cret-pass" not in stored
    assert check_password_hash(stored, "s3cret-pass")
    record = IdempotencyRecord.get(key="pw-1")
    assert "s3cret-pass" not in record.response and "s3cret-pass" not in record.request_hash
    assert b"s3cret-pass" not in api.call("account_info").data
    # A blank password box leaves the password as it is.
    api.ok("account_update", account_password="", biz_city="Y")
    assert Account.get_by_id("shop").password_hash == stored


def test_staff_read_the_account_but_need_edit_account_info_to_change_it(api):
    assert api.staff().ok("account_info")["account"]["account_id"] == "shop"
    assert api.staff().err("account_update", biz_city="X").startswith("Permission denied")
    assert api.ok("account_info")["account"]["biz_city"] == ""


def test_an_account_sees_and_changes_only_its_own(api):
    api.ok("account_update", biz_city="Shopville", symbol_selector="EUR")
    other = api.other().ok("account_info")["account"]
    assert (other["account_id"], other["biz_name"], other["biz_city"], other["symbol"]) == ("other", "Other Shop", "", "USD")
    api.other().ok("account_update", biz_city="Otherton")
    assert api.ok("account_info")["account"]["biz_city"] == "Shopville"


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_the_receipt_names_the_agency_from_the_account(api, fmt):
    points = new_campaign(api)
    new_customer(api, code="C1")
    give("shop", points, "C1", 500)

    def agency() -> dict:
        doc = api.answer(fmt, "redeem", campaign_id=points, code="C1", custom_points_redeem=1)
        assert doc["status"] == "success", doc
        return doc["receipt"]["agency"]

    # Without agency data: the business name and no address (as before).
    assert agency() == {"name": "Great Widgets", "email": ""}
    api.ok("account_update", contact_email="owner@widgets.example")
    assert agency() == {"name": "Great Widgets", "email": "owner@widgets.example"}
    api.ok("account_update", agency="Loyalty Partners", client_email="help@widgets.example")
    assert agency() == {"name": "Loyalty Partners", "email": "help@widgets.example"}
    doc = api.answer(fmt, "record_activity", campaign_id=points, code="C1", amount=1)
    assert doc["receipt"]["agency"] == {"name": "Loyalty Partners", "email": "help@widgets.example"}
