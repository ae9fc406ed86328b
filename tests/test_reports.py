"""The legacy reports (type=reports): every report's rows and semantics, errors, formats and encodings,
tenant isolation. Data is made through the real domain path (gateway.ledger) and read through the app."""
from __future__ import annotations

import datetime as dt

import pytest

from gateway.domain import db, ledger
from gateway.domain.models import Campaign, Customer, LedgerEntry, User, utcnow

REPORTS = ("transactions_all", "customers_balances", "customers_all", "customers_new", "customers_frequent",
           "customers_Inactive", "customers_birthday", "customers_custom_date", "customers_search")


def new_campaign(api, type_="points", name="Pts", **fields) -> str:
    if type_ == "earned":
        fields.setdefault("amount_per_event", "4.95")
    return api.ok("campaign_new", action="campaign", campaign_type=type_, campaign_name=name, **fields)["campaign"]["id"]


def customer(code, account="shop", **fields) -> Customer:
    fields.setdefault("card_number", f"card-{code}")
    return Customer.create(account=account, code=code, **fields)


def post(campaign_id, who: Customer, amount: int, kind="record", when: dt.datetime | None = None, **details) -> LedgerEntry:
    campaign = Campaign.get_by_id(campaign_id)
    with db.write_transaction():
        entry = ledger.post(account_id=campaign.account_id, campaign=campaign, customer=who, amount=amount,
                            kind=kind, **details).entry
    if when is not None:
        # Reports select by time: place the entry on the day a test needs (post stamps "now").
        LedgerEntry.update(created=when).where(LedgerEntry.id == entry.id).execute()
    return entry


def enroll(campaign_id, who: Customer) -> None:
    with db.write_transaction():
        ledger.enroll(Campaign.get_by_id(campaign_id), who)


def rows(api, fmt, report, singular, **fields) -> list[dict]:
    """The report's rows as dicts of text, read from the answer in ``fmt``."""
    if fmt == "xml":
        root = api.xml("reports", report=report, **fields)
        assert root.get("status") == "success", root.findtext("error")
        return [{child.tag: child.text or "" for child in row} for row in root.findall(singular)]
    doc = api.json("reports", report=report, **fields) if fmt == "json" else api.jsonp("reports", report=report, **fields)
    assert doc["status"] == "success", doc
    return doc[singular + "s"]


def error(api, fmt, report, **fields) -> str:
    if fmt == "xml":
        root = api.xml("reports", report=report, **fields)
        assert root.get("status") == "error"
        return root.findtext("error")
    doc = api.json("reports", report=report, **fields) if fmt == "json" else api.jsonp("reports", report=report, **fields)
    assert doc["status"] == "error"
    return doc["error"]


def day(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@pytest.fixture
def shop(api):
    """Two campaigns with a few transactions, as a till would have made them."""
    User.update(name="Clara").where(User.user_id == "clerk").execute()
    pts = new_campaign(api, "points", "Points")
    gift = new_campaign(api, "giftcard", "Gift")
    ann = customer("A1", first_name="Ann", last_name="Lee", custom_field="likes tea")
    bob = customer("B2", first_name="Bob", last_name="")
    e1 = post(pts, ann, 995, original_amount="9.95", authorization="sale 1", user_id="mgr",
              custom_fields='{"custom_field_10": "till 4", "custom_field_2": "Store 35"}', when=day("2024-03-01 10:00:00"))
    e2 = post(gift, bob, 2500, original_amount="25", authorization="load", user_id="clerk", when=day("2024-03-02 11:00:00"))
    e3 = post(pts, ann, -500, kind="redeem", authorization="mug", user_id="clerk", when=day("2024-03-03 12:00:00"))
    return dict(pts=pts, gift=gift, ann=ann, bob=bob, entries=[e1, e2, e3])


# --- transactions_all --------------------------------------------------------------------------------

def test_transactions_all_rows_in_every_format(api, shop, fmt):
    found = rows(api, fmt, "transactions_all", "transaction", date_start="2024-03-01", date_end="2024-03-31")
    assert [r["id"] for r in found] == [str(e.id) for e in shop["entries"]]
    first, second, third = found
    assert first == {
        "id": str(shop["entries"][0].id), "type": "record", "date": "2024-03-01", "record_timestamp": "2024-03-01 10:00:00",
        "campaign_id": shop["pts"], "campaign_name": "Points", "code": "A1", "card_number": "card-A1",
        "first_name": "Ann", "last_name": "Lee", "customer": "Ann Lee", "custom1": "likes tea",
        "amount_number": "995", "amount_type": "points", "original_amount": "9.95", "authorization": "sale 1",
        "user_id": "mgr", "user_name": "mgr", "custom_field_2": "Store 35", "custom_field_10": "till 4",
    }
    assert list(first)[-2:] == ["custom_field_2", "custom_field_10"]
    assert (second["amount_number"], second["amount_type"], second["customer"], second["user_name"]) == ("25.00", "$", "Bob", "Clara")
    assert (third["type"], third["amount_number"], third["amount_type"]) == ("redeem", "-500", "points")


def test_transactions_all_through_every_encoding(api, shop, encoding):
    api.encoding = encoding
    found = rows(api, "xml", "transactions_all", "transaction", date_start="2024-03-02", date_end="2024-03-02")
    assert [r["code"] for r in found] == ["B2"]
    assert error(api, "json", "transactions_all", date_start="2024-02-30") == \
        "Invalid value for field date_start: not a date (use YYYY-MM-DD)"


def test_amount_types_of_every_campaign_type(api):
    who = customer("C1")
    for type_, amount, shown, kind, item in (("events", 1, "1", "events", 0), ("buyx", 3, "3", "items", 7),
                                             ("earned", 495, "4.95", "$", 0)):
        cid = new_campaign(api, type_, type_)
        post(cid, who, amount, item=item)
        [row] = api.ok("reports", report="transactions_all", date_start="2000-01-01", selected_campaigns=cid)["transactions"]
        assert (row["amount_number"], row["amount_type"], row.get("item_id")) == (shown, kind, str(item) if item else None)


def test_date_end_is_inclusive_and_optional(api):
    pts = new_campaign(api)
    who = customer("D1")
    for stamp in ("2024-01-01 00:00:00", "2024-01-31 23:59:59", "2024-02-01 00:00:00"):
        post(pts, who, 1, when=day(stamp))
    post(pts, who, 1)  # today
    def report(**fields):
        return [t["record_timestamp"] for t in api.ok("reports", report="transactions_all", **fields)["transactions"]]

    assert report(date_start="2024-01-01", date_end="2024-01-31") == ["2024-01-01 00:00:00", "2024-01-31 23:59:59"]
    assert report(date_start="2024-02-01", date_end="2024-02-01") == ["2024-02-01 00:00:00"]
    assert len(report(date_start="2024-01-01")) == 4
    assert report(date_start="2023-01-01", date_end="2023-12-31") == []


def test_deleted_transactions_and_reversals_are_left_out(api, shop):
    with db.write_transaction():
        ledger.reverse(shop["entries"][1], user_id="mgr")
    found = api.ok("reports", report="transactions_all", date_start="2024-01-01")["transactions"]
    assert [int(t["id"]) for t in found] == [shop["entries"][0].id, shop["entries"][2].id]


def test_selected_campaigns(api, shop):
    only = api.ok("reports", report="transactions_all", date_start="2024-01-01", selected_campaigns=shop["gift"])
    assert [t["campaign_id"] for t in only["transactions"]] == [shop["gift"]]
    both = api.ok("reports", report="transactions_all", date_start="2024-01-01", selected_campaigns=f"{shop['gift']},{shop['pts']}")
    assert len(both["transactions"]) == 3


def test_deactivated_campaigns_are_still_reported(api, shop):
    Campaign.update(active=False).where(Campaign.id == shop["gift"]).execute()
    found = api.ok("reports", report="transactions_all", date_start="2024-01-01", selected_campaigns=shop["gift"])
    assert len(found["transactions"]) == 1


def test_last_gives_only_later_transactions(api, shop):
    first = shop["entries"][0].id
    found = api.ok("reports", report="transactions_all", date_start="2024-01-01", last=first)["transactions"]
    assert [int(t["id"]) for t in found] == [e.id for e in shop["entries"][1:]]
    assert api.ok("reports", report="transactions_all", date_start="2024-01-01", last=shop["entries"][2].id)["transactions"] == []
    assert api.err("reports", report="transactions_all", date_start="2024-01-01", last="-1").startswith("Invalid value for field last")


def test_restrict_by_user(api, shop):
    found = api.ok("reports", report="transactions_all", date_start="2024-01-01", restrict_by_user="clerk")["transactions"]
    assert [(t["user_id"], t["user_name"]) for t in found] == [("clerk", "Clara"), ("clerk", "Clara")]
    assert api.ok("reports", report="transactions_all", date_start="2024-01-01", restrict_by_user="nobody")["transactions"] == []


def test_show_activations(api, shop):
    idle = customer("E5", first_name="Eve")
    enroll(shop["gift"], idle)
    enroll(shop["gift"], shop["bob"])  # already active there: no activation row
    marked = post(shop["pts"], idle, 0, kind="activation", when=day("2024-03-04 09:00:00"))
    plain = api.ok("reports", report="transactions_all", date_start="2024-01-01")["transactions"]
    assert [t["type"] for t in plain] == ["record", "record", "redeem"]
    shown = api.ok("reports", report="transactions_all", date_start="2024-01-01", show_activations="Yes")["transactions"]
    assert [t["type"] for t in shown] == ["record", "record", "redeem", "activation", "activation"]
    ledger_row, enrolment = shown[3], shown[4]
    assert ledger_row["id"] == str(marked.id) and ledger_row["code"] == "E5"
    # An enrolment has no id: the empty element is left out, as every empty text of a report row.
    assert "id" not in enrolment and "user_id" not in enrolment and "authorization" not in enrolment
    assert (enrolment["code"], enrolment["campaign_id"], enrolment["amount_number"]) == ("E5", shop["gift"], "0.00")
    assert enrolment["date"] == utcnow().strftime("%Y-%m-%d")
    # An enrolment outside the range, or with `last`/`restrict_by_user`, has no row.
    assert len(api.ok("reports", report="transactions_all", date_start="2024-01-01", date_end="2024-12-31",
                      show_activations="Y")["transactions"]) == 4
    assert len(api.ok("reports", report="transactions_all", date_start="2024-01-01", last=1, show_activations="Y")["transactions"]) == 3
    # Once the enrolled customer transacts, the real transaction replaces the activation row.
    post(shop["gift"], idle, 100)
    again = api.ok("reports", report="transactions_all", date_start="2024-01-01", show_activations="Y")["transactions"]
    assert [t["type"] for t in again] == ["record", "record", "redeem", "activation", "record"]


def test_transactions_all_errors_in_every_format(api, shop, fmt):
    assert error(api, fmt, "transactions_all") == "Missing required field: date_start"
    assert error(api, fmt, "transactions_all", date_start="03/01/2024") == "Invalid value for field date_start: not a date (use YYYY-MM-DD)"
    assert error(api, fmt, "transactions_all", date_start="2024-01-01", date_end="2024-13-01") == \
        "Invalid value for field date_end: not a date (use YYYY-MM-DD)"
    assert error(api, fmt, "transactions_all", date_start="2024-03-02", date_end="2024-03-01") == \
        "Invalid value for field date_end: before date_start"
    assert error(api, fmt, "transactions_all", date_start="2024-01-01", selected_campaigns="123") == "Campaign not found"
    assert error(api, fmt, "transactions_all", date_start="2024-01-01", restrict_by_user="x" * 200) == \
        "Invalid value for field restrict_by_user: at most 128 characters"


# --- isolation, selection, permissions ------------------------------------------------------------------

def test_other_accounts_rows_never_appear(api, shop):
    other = api.other()
    assert other.ok("reports", report="transactions_all", date_start="2024-01-01", show_activations="Y")["transactions"] == []
    assert other.ok("reports", report="customers_all")["customers"] == []
    theirs = new_campaign(other, "points", "Theirs")
    stranger = customer("A1", account="other", first_name="Zed", custom_date="1980-03-05")
    post(theirs, stranger, 7, when=day("2024-03-01 10:00:00"))
    enroll(theirs, customer("Z2", account="other"))
    mine = api.ok("reports", report="transactions_all", date_start="2024-01-01", show_activations="Y")["transactions"]
    assert theirs not in {t["campaign_id"] for t in mine} and len(mine) == 3
    assert api.err("reports", report="transactions_all", date_start="2024-01-01", selected_campaigns=theirs) == "Campaign not found"
    assert api.err("reports", report="transactions_all", date_start="2024-01-01",
                   selected_campaigns=f"{shop['pts']},{theirs}") == "Campaign not found"
    assert api.err("reports", report="customers_balances", campaign_id=theirs) == "Campaign not found"
    for report in REPORTS[2:]:
        found = api.ok("reports", report=report, date_start="1970-01-01", frequency=1, Inactive_for=1, search_text="A")
        assert "Zed" not in {c["first_name"] for c in found["customers"]}, report
        assert api.err("reports", report=report, date_start="1970-01-01", frequency=1, Inactive_for=1, search_text="A",
                       selected_campaigns=theirs) == "Campaign not found"
    their_rows = other.ok("reports", report="transactions_all", date_start="2024-01-01")["transactions"]
    assert [t["first_name"] for t in their_rows] == ["Zed"]


def test_staff_may_run_reports_and_report_names_ignore_case(api, shop):
    staff = api.staff()
    assert len(staff.ok("reports", report="TRANSACTIONS_ALL", date_start="2024-01-01")["transactions"]) == 3
    assert staff.ok("reports", report="customers_inactive", Inactive_for=1)["customers"] == []
    assert api.err("reports", report="transactions_some") == "Unknown report for type reports: transactions_some"
    assert api.err("reports") == "Missing required field: report"


# --- customers_balances ---------------------------------------------------------------------------------

@pytest.fixture
def members(api):
    gift = new_campaign(api, "giftcard", "Gift")
    people = [customer(f"M{i}", first_name=f"F{i}", last_name=f"L{i}") for i in range(5)]
    for i, who in enumerate(people[:4]):
        post(gift, who, 100 * (i + 1))
    post(gift, people[1], -50, kind="redeem")
    enroll(gift, people[4])
    customer("NOT-A-MEMBER")
    return gift, people


def test_customers_balances_in_every_format(api, members, fmt):
    gift, people = members
    if fmt == "xml":
        root = api.xml("reports", report="customers_balances", campaign_id=gift)
        assert [e.tag for e in root][:2] == ["campaign", "pagination"]
        pagination = {e.tag: e.text or "" for e in root.find("pagination")}
    else:
        doc = api.answer(fmt, "reports", report="customers_balances", campaign_id=gift)
        pagination = doc["pagination"]
        assert doc["campaign"] == {"id": gift, "name": "Gift", "type": "giftcard"}
    assert pagination == {"total": "5", "offset": "0", "limit": ""}
    found = rows(api, fmt, "customers_balances", "customer", campaign_id=gift)
    assert [(c["code"], c["balance"]) for c in found] == [("M0", "1.00"), ("M1", "1.50"), ("M2", "3.00"), ("M3", "4.00"), ("M4", "0.00")]
    assert found[0] == {"code": "M0", "card_number": "card-M0", "first_name": "F0", "last_name": "L0", "customer": "F0 L0", "balance": "1.00"}


def test_customers_balances_pages(api, members, encoding):
    api.encoding = encoding
    gift, _ = members
    doc = api.ok("reports", report="customers_balances", campaign_id=gift, offset=1, limit=2)
    assert [c["code"] for c in doc["customers"]] == ["M1", "M2"]
    assert doc["pagination"] == {"total": "5", "offset": "1", "limit": "2"}
    assert [c["code"] for c in api.ok("reports", report="customers_balances", campaign_id=gift, offset=4, limit=2)["customers"]] == ["M4"]
    assert api.ok("reports", report="customers_balances", campaign_id=gift, offset=9)["customers"] == []


def test_customers_balances_pages_across_database_pages(api, members, monkeypatch):
    from gateway.domain import reports

    # Small database pages make the keyset continue from an offset and stop at a limit mid-page.
    monkeypatch.setattr(reports, "PAGE", 2)
    gift, _ = members
    assert [c["code"] for c in api.ok("reports", report="customers_balances", campaign_id=gift, offset=1, limit=3)["customers"]] == ["M1", "M2", "M3"]
    assert len(api.ok("reports", report="customers_balances", campaign_id=gift)["customers"]) == 5


def test_customers_balances_accepts_one_selected_campaign(api, members):
    gift, _ = members
    assert len(api.ok("reports", report="customers_balances", selected_campaigns=gift)["customers"]) == 5
    assert api.err("reports", report="customers_balances", selected_campaigns=f"{gift},{gift}") == \
        "Invalid value for field selected_campaigns: Only one campaign can be reported at a time"


def test_customers_balances_errors_in_every_format(api, members, fmt):
    assert error(api, fmt, "customers_balances") == "Missing required field: campaign_id"
    assert error(api, fmt, "customers_balances", campaign_id="9999") == "Campaign not found"
    assert error(api, fmt, "customers_balances", campaign_id=members[0], limit=0).startswith("Invalid value for field limit")
    assert error(api, fmt, "customers_balances", campaign_id=members[0], offset="x") == "Invalid value for field offset: Not a valid integer"


# --- customer reports -----------------------------------------------------------------------------------

def codes(api, report, fmt="json", **fields) -> list[str]:
    return [c["code"] for c in rows(api, fmt, report, "customer", **fields)]


def test_customers_all_and_new(api):
    pts = new_campaign(api)
    old = customer("OLD", created=day("2023-06-01 08:00:00"))
    customer("JAN", created=day("2024-01-31 23:59:59"))
    customer("FEB", created=day("2024-02-01 00:00:00"))
    enroll(pts, old)
    assert codes(api, "customers_all") == ["OLD", "JAN", "FEB"]
    assert codes(api, "customers_all", selected_campaigns=pts) == ["OLD"]
    assert codes(api, "customers_all", date_start="2024-01-01", date_end="2024-01-31") == ["JAN"]
    assert codes(api, "customers_new", date_start="2024-01-01") == ["JAN", "FEB"]
    assert codes(api, "customers_new", date_start="2024-02-01", date_end="2024-02-01") == ["FEB"]
    assert api.err("reports", report="customers_new") == "Missing required field: date_start"


def test_customer_rows_show_the_profile_but_no_secrets(api, fmt):
    customer("P1", first_name="Pat", last_name="Doe", phone="555", email="p@x.org", street1="1 Main", street2="Apt 2",
             city="Town", state="ST", postal_code="123", country="NZ", custom_date="1970-07-14", custom_field="tea",
             username="pat", password_hash="SECRET-HASH", pin_hash="PIN-HASH", registered=True,
             custom_fields='{"custom_field_10": "ten", "custom_field_2": "two"}', created=day("2024-01-02 03:04:05"))
    [row] = rows(api, fmt, "customers_all", "customer")
    expected = {
        "code": "P1", "card_number": "card-P1", "first_name": "Pat", "last_name": "Doe",
        "phone": "555", "email": "p@x.org", "street1": "1 Main", "street2": "Apt 2", "city": "Town", "state": "ST",
        "postal_code": "123", "country": "NZ", "custom_date": "1970-07-14", "custom_field": "tea",
        "customer_username": "pat", "registered": "Y", "custom_field_2": "two", "custom_field_10": "ten",
        "customer": "Pat Doe", "created": "2024-01-02 03:04:05",
    }
    assert list(row.items()) == list(expected.items())  # in customer_info's order, then the report's own
    assert "HASH" not in api.call("reports", report="customers_all", output="json").get_data(as_text=True)


def test_customers_frequent(api):
    pts = new_campaign(api)
    gift = new_campaign(api, "giftcard", "Gift")
    often, twice, once = customer("OFTEN"), customer("TWICE"), customer("ONCE")
    for n in range(3):
        post(pts, often, 10, when=day(f"2024-05-0{n + 1} 12:00:00"))
    post(pts, twice, 10, when=day("2024-05-01 12:00:00"))
    post(pts, twice, -5, kind="redeem", when=day("2024-05-02 12:00:00"))
    deleted = post(gift, once, 10, when=day("2024-05-02 12:00:00"))
    post(gift, once, 10, when=day("2024-05-03 12:00:00"))
    with db.write_transaction():
        ledger.reverse(deleted)
    found = rows(api, "json", "customers_frequent", "customer", frequency=2)
    assert [(c["code"], c["transactions"], c["last_activity"]) for c in found] == [("OFTEN", "3", "2024-05-03 12:00:00")]
    assert codes(api, "customers_frequent", frequency=2, include_redeemed="Y") == ["OFTEN", "TWICE"]
    assert codes(api, "customers_frequent", frequency=1, selected_campaigns=gift) == ["ONCE"]
    assert codes(api, "customers_frequent", frequency=2, date_start="2024-05-02") == ["OFTEN"]
    assert codes(api, "customers_frequent", frequency=3, date_start="2024-05-02") == []
    assert api.err("reports", report="customers_frequent") == "Missing required field: frequency"
    assert api.err("reports", report="customers_frequent", frequency=0).startswith("Invalid value for field frequency")


def test_customers_inactive(api):
    pts = new_campaign(api)
    gift = new_campaign(api, "giftcard", "Gift")
    now = utcnow()
    long_ago = now - dt.timedelta(days=100)
    idle, busy, never, newcomer, elsewhere = (customer(c, created=long_ago) for c in ("IDLE", "BUSY", "NEVER", "NEW", "ELSE"))
    newcomer.created = now - dt.timedelta(days=5)
    newcomer.save()
    post(pts, idle, 10, when=now - dt.timedelta(days=40))
    post(pts, busy, 10, when=now - dt.timedelta(days=40))
    post(pts, busy, 10, when=now - dt.timedelta(days=3))
    post(pts, elsewhere, 10, when=now - dt.timedelta(days=50))
    post(gift, elsewhere, 10, when=now - dt.timedelta(days=1))
    found = rows(api, "json", "customers_Inactive", "customer", Inactive_for=30)
    assert [c["code"] for c in found] == ["IDLE", "NEVER"]
    assert found[0]["last_activity"] == (now - dt.timedelta(days=40)).strftime("%Y-%m-%d %H:%M:%S")
    assert "last_activity" not in found[1]  # never active: the empty element is left out
    assert codes(api, "customers_inactive", inactive_for=30, selected_campaigns=pts) == ["IDLE", "ELSE"]
    assert codes(api, "customers_Inactive", Inactive_for=45, selected_campaigns=pts) == ["ELSE"]
    assert codes(api, "customers_Inactive", Inactive_for=4) == ["IDLE", "NEVER", "NEW"]
    last_seen = (now - dt.timedelta(days=40)).date().isoformat()
    assert codes(api, "customers_Inactive", Inactive_for=30, date_start=last_seen, date_end=last_seen) == ["IDLE"]
    assert api.err("reports", report="customers_Inactive") == "Missing required field: Inactive_for"


def test_customers_birthday(api):
    for code, when in (("JAN1", "1980-01-01"), ("MAR5", "1975-03-05 00:00:00"), ("DEC30", "1990-12-30"),
                       ("LEAP", "2000-02-29"), ("JUNK", "soon"), ("NONE", "")):
        customer(code, custom_date=when)
    assert codes(api, "customers_birthday", date_start="2024-03-01", date_end="2024-03-31") == ["MAR5"]
    assert codes(api, "customers_birthday", date_start="2024-12-25", date_end="2025-01-05") == ["JAN1", "DEC30"]
    assert codes(api, "customers_birthday", date_start="2023-02-28", date_end="2023-03-01") == ["LEAP"]
    assert codes(api, "customers_birthday", date_start="2024-01-01", date_end="2024-12-31") == ["JAN1", "MAR5", "DEC30", "LEAP"]
    assert codes(api, "customers_birthday", date_start="2024-06-01") == ["JAN1", "MAR5", "DEC30", "LEAP"]


def test_customers_custom_date(api):
    for code, when in (("A", "2024-07-14"), ("B", "2024-07-31 23:00:00"), ("C", "2024-08-01"), ("D", "1970-07-14"), ("E", "x")):
        customer(code, custom_date=when)
    assert codes(api, "customers_custom_date", date_start="2024-07-01", date_end="2024-07-31") == ["A", "B"]
    assert codes(api, "customers_custom_date", date_start="2024-07-14") == ["A", "B", "C"]
    assert codes(api, "customers_custom_date", date_end="2000-01-01") == ["D"]


def test_customers_search(api):
    pts = new_campaign(api)
    smith = customer("S1", first_name="John", last_name="Smithson", email="js@example.com", phone="555-0101")
    customer("S2", last_name="O'Smithy", card_number="4000123")
    customer("S3", first_name="100%_real", email="pct@example.com")
    customer("S4", first_name="100 real")
    enroll(pts, smith)
    assert codes(api, "customers_search", search_text="smith") == ["S1", "S2"]
    assert codes(api, "customers_search", search_text="EXAMPLE.COM") == ["S1", "S3"]
    assert codes(api, "customers_search", search_text="0123") == ["S2"]
    assert codes(api, "customers_search", search_text="0101") == ["S1"]
    assert codes(api, "customers_search", search_text="s4") == ["S4"]
    assert codes(api, "customers_search", search_text="%_") == ["S3"]
    assert codes(api, "customers_search", search_text="' OR 1=1 --") == []
    assert codes(api, "customers_search", search_text="smith", selected_campaigns=pts) == ["S1"]
    assert codes(api, "customers_search", search_text="smith", date_start="2000-01-01", date_end="2000-01-02") == []
    assert api.err("reports", report="customers_search") == "Missing required field: search_text"


def test_customer_reports_page_through_the_database(api, monkeypatch):
    from gateway.domain import reports

    monkeypatch.setattr(reports, "PAGE", 3)
    pts = new_campaign(api)
    people = [customer(f"K{i:02}", custom_date="1990-04-01", first_name="Kim") for i in range(8)]
    for who in people:
        post(pts, who, 1)
        post(pts, who, 1)
    expected = [c.code for c in people]
    assert codes(api, "customers_all", selected_campaigns=pts) == expected
    assert codes(api, "customers_frequent", frequency=2) == expected
    assert codes(api, "customers_birthday", date_start="2024-04-01", date_end="2024-04-01") == expected
    assert codes(api, "customers_search", search_text="kim") == expected
    assert len(api.ok("reports", report="transactions_all", date_start="2000-01-01")["transactions"]) == 16
    Customer.update(created=utcnow() - dt.timedelta(days=9)).execute()
    LedgerEntry.update(created=utcnow() - dt.timedelta(days=8)).execute()
    assert codes(api, "customers_Inactive", Inactive_for=7) == expected


CUSTOMER_REPORT_FIELDS = {
    "customers_all": {},
    "customers_new": {"date_start": "2000-01-01"},
    "customers_frequent": {"frequency": 1},
    "customers_Inactive": {"Inactive_for": 1},
    "customers_birthday": {"date_start": "2024-02-01", "date_end": "2024-02-28"},
    "customers_custom_date": {"date_start": "1971-02-01", "date_end": "1971-02-28"},
    "customers_search": {"search_text": "ivy"},
}


@pytest.fixture
def ivy(api):
    pts = new_campaign(api)
    who = customer("IVY", first_name="Ivy", custom_date="1971-02-14", created=utcnow() - dt.timedelta(days=10))
    post(pts, who, 5, when=utcnow() - dt.timedelta(days=3))
    return pts


@pytest.mark.parametrize("report", sorted(CUSTOMER_REPORT_FIELDS))
def test_customer_reports_in_every_format(api, ivy, fmt, report):
    assert codes(api, report, fmt, **CUSTOMER_REPORT_FIELDS[report]) == ["IVY"]
    assert error(api, fmt, report, date_start="2024-02-31", **{k: v for k, v in CUSTOMER_REPORT_FIELDS[report].items()
                                                               if k != "date_start"}).startswith("Invalid value for field date_start")
    assert error(api, fmt, report, selected_campaigns="nope", **CUSTOMER_REPORT_FIELDS[report]) == "Campaign not found"


@pytest.mark.parametrize("report", sorted(CUSTOMER_REPORT_FIELDS))
def test_customer_reports_through_every_encoding(api, ivy, encoding, report):
    api.encoding = encoding
    assert codes(api, report, "xml", selected_campaigns=ivy, **CUSTOMER_REPORT_FIELDS[report]) == ["IVY"]
    assert error(api, "jsonp", report, date_start="2024-02-02", date_end="2024-02-01",
                 **{k: v for k, v in CUSTOMER_REPORT_FIELDS[report].items() if not k.startswith("date")}) == \
        "Invalid value for field date_end: before date_start"


def test_empty_reports_keep_their_shape(api, fmt):
    pts = new_campaign(api)
    assert rows(api, fmt, "transactions_all", "transaction", date_start="2024-01-01") == []
    assert rows(api, fmt, "customers_balances", "customer", campaign_id=pts) == []
    if fmt != "xml":
        assert api.answer(fmt, "reports", report="customers_all")["customers"] == []
