"""customers_batch and batch_transactions through the legacy endpoint: CSV rows, the batch answer,
per-row errors, all or nothing, idempotency, permissions, the same result as the rows sent one by one,
and a worker killed in the middle of a batch (docs/batches.md)."""
from __future__ import annotations

import json
import os
import signal
import threading
import time

import pytest
import requests
from werkzeug.security import check_password_hash

from gateway.domain import db, ledger
from gateway.domain.customers import PASSWORD_METHOD
from gateway.domain.models import Customer, LedgerEntry, Membership, UniqueFieldValue
from gateway.legacy.calls.batches import MAX_LISTED_ERRORS, MAX_ROWS

from servers import check_ledger, form, fresh_database, running_server


def csv_text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def new_campaign(api, kind: str = "points") -> str:
    extra = {"amount_per_event": "1"} if kind == "earned" else {}
    return api.ok("campaign_new", action="campaign", campaign_type=kind, campaign_name=f"{kind} club", **extra)[
        "campaign"]["id"]


def answer(api, fmt: str, type_: str, **fields) -> dict:
    """The answer as JSON's shape; XML read the same way (attributes as keys, lists as lists)."""
    return api.answer(fmt, type_, **fields)


def customer_count(account: str = "shop") -> int:
    return Customer.select().where(Customer.account == account).count()


# --- customers_batch ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_customers_batch_creates_and_updates(api, fmt):
    campaign = new_campaign(api)
    api.ok("record_customer", customer_action="new", code="C1", first_name="Old")
    rows = csv_text("code,card_number,first_name,last_name,email,campaign_id,custom_field_2",
                    f"C1,,Ann,Lee,ann@example.com,{campaign},blue",
                    f"C2,2222,Bob,\"Smith, Jr\",bob@example.com,{campaign},",
                    ",3333,Cy,,,,")
    doc = answer(api, fmt, "customers_batch", customers=rows)
    assert doc["status"] == "success"
    assert doc["batch"] == {"status": "success", "new_customers": "2", "customers": "3", "transactions": "0",
                            "rows": "3"}
    info = api.ok("customer_info", code="C1")["customer"]
    assert (info["first_name"], info["last_name"], info["email"], info["custom_field_2"]) == (
        "Ann", "Lee", "ann@example.com", "blue")
    assert api.ok("customer_info", code="C2")["customer"]["last_name"] == "Smith, Jr"
    # no code: the card number becomes the code, as record_customer does
    assert api.ok("customer_info", code="3333")["customer"]["card_number"] == "3333"
    balance = api.ok("customer_balance", campaign_id=campaign, code="C2")
    assert balance["campaign"]["customer"]["balance"] == "0"
    assert Membership.select().count() == 2


def test_customers_batch_accepts_multipart_and_a_byte_order_mark(client):
    from conftest import Api

    api = Api(client, encoding="multipart")
    doc = api.ok("customers_batch", customers="\ufeffcode,first_name\r\nM1,Mia\r\n,\r\n\r\nM2,Max\r\n")
    assert (doc["batch"]["new_customers"], doc["batch"]["rows"]) == ("2", "2")  # the empty rows are skipped
    assert api.ok("customer_info", code="M2")["customer"]["first_name"] == "Max"
    assert customer_count() == 2


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_customers_batch_lists_every_refused_row_and_writes_nothing(api, fmt):
    campaign = new_campaign(api)
    api.ok("record_customer", customer_action="new", code="C1", card_number="1111", customer_username="amy")
    rows = csv_text("code,card_number,email,customer_username,campaign_id",
                    "N1,,ok@example.com,,",  # row 2: fine
                    "N2,1111,,,",  # row 3: card in use
                    f"N3,,{'x' * 300},,",  # row 4: too long
                    "N4,,,amy,",  # row 5: username in use
                    "N5,,,,404",  # row 6: campaign
                    "N6,,",  # row 7: cells
                    "N7,7777,,,",  # row 8: fine, and its card ...
                    "N8,7777,,,",  # row 9: ... taken by row 8 of this very batch
                    f"N9,,,,{campaign}")  # row 10: fine
    doc = answer(api, fmt, "customers_batch", customers=rows)
    assert doc["status"] == "error"
    expected = [(3, "Card number already in use"), (4, "Invalid value for field email: at most 255 characters"),
                (5, "Customer username already in use"), (6, "Campaign not found"), (7, "5 values expected, 3 found"),
                (9, "Card number already in use")]
    assert doc["error"] == f"Row 3: Card number already in use"
    batch = doc["batch"]
    assert (batch["status"], batch["rows"], batch["refused_rows"], batch["new_customers"]) == ("error", "9", "6", "0")
    listed = batch["errors"]["error"] if fmt == "xml" else batch["errors"]
    assert [(int(e["row"]), e["message"]) for e in listed] == expected
    if fmt == "json":
        assert doc["errors"] == [f"Row {n}: {m}" for n, m in expected]
    assert customer_count() == 1
    assert Membership.select().count() == 0


def test_refused_rows_listed_up_to_a_limit(api):
    bad = MAX_LISTED_ERRORS + 5
    rows = csv_text("code,email", *(f"X{n},{'x' * 300}" for n in range(bad)))
    doc = api.json("customers_batch", customers=rows)
    assert doc["batch"]["refused_rows"] == str(bad)
    assert len(doc["batch"]["errors"]) == MAX_LISTED_ERRORS
    assert doc["errors"][-1] == "... and 5 more refused rows"
    assert customer_count() == 0


@pytest.mark.parametrize("customers, message", [
    ("", "Missing required field: customers"),
    ("colour\nred\n", "Invalid value for field customers: unknown column 'colour'"),
    ("code,code\nA,B\n", "Invalid value for field customers: a column is named twice"),
    ("code,first_name\n\n", "Invalid value for field customers: no rows after the header"),
    ("code,card_number_generate\nA,16\n", "Invalid value for field customers: unknown column 'card_number_generate'"),
    ('code\n"A\n', "Invalid value for field customers: not CSV (unexpected end of data)"),
])
def test_unusable_csv_is_refused_whole(api, customers, message):
    assert api.err("customers_batch", customers=customers) == message


def test_row_limit(api):
    rows = csv_text("code", *(f"R{n}" for n in range(MAX_ROWS + 1)))
    assert api.err("customers_batch", customers=rows) == f"Invalid value for field customers: at most {MAX_ROWS} rows per call"
    assert customer_count() == 0


def test_a_batch_over_the_body_limit_is_refused(api, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    rows = csv_text("code,first_name", *(f"B{n},{'n' * 100}" for n in range(limit // 100)))
    response = api.call("customers_batch", customers=rows)  # answered in XML: the body, output=json in it, is unread
    assert f"<error>Request body too large: the limit is {limit} bytes</error>".encode() in response.data
    assert customer_count() == 0


def test_passwords_are_hashed_and_limited(api):
    doc = api.ok("customers_batch", customers=csv_text("code,customer_password,customer_PIN", "P1,s3cret,1234"))
    assert doc["batch"]["new_customers"] == "1"
    api.ok("validate_customer_password", code="P1", customer_password="s3cret", customer_PIN="1234")
    stored = Customer.get(Customer.code == "P1")
    # method$salt$digest, salt and digest in hex: a PIN's digits may turn up inside the hex by chance
    for value, secret in ((stored.password_hash, "s3cret"), (stored.pin_hash, "1234")):
        assert value.startswith(PASSWORD_METHOD + "$") and check_password_hash(value, secret)
        assert secret not in value.split("$")
    rows = csv_text("code,customer_PIN", *(f"Q{n},1234" for n in range(201)))
    assert api.err("customers_batch", customers=rows) == (
        "Invalid value for field customers: at most 200 rows with customer_password or customer_PIN per call")


# --- batch_transactions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_batch_transactions_records_ledger_entries(api, fmt):
    points, giftcard = new_campaign(api), new_campaign(api, "giftcard")
    api.ok("customers_batch", customers=csv_text("code,card_number", "C1,1111", "C2,2222"))
    rows = csv_text("campaign_id,code,card_number,amount,authorization,custom_field_1",
                    f"{points},C1,,1.50,till 3,SKU-1",
                    f"{points},,2222,\"2,00\",,",
                    f"{giftcard},C1,,25.00,gift,",
                    f"{points},C1,,3,,")
    doc = answer(api, fmt, "batch_transactions", transactions=rows)
    assert doc["status"] == "success"
    assert doc["batch"] == {"status": "success", "new_customers": "0", "customers": "2", "transactions": "4",
                            "rows": "4"}
    assert api.ok("customer_balance", campaign_id=points, code="C1")["campaign"]["customer"]["balance"] == "450"
    assert api.ok("customer_balance", campaign_id=points, code="C2")["campaign"]["customer"]["balance"] == "200"
    gift = api.ok("customer_balance", campaign_id=giftcard, code="C1")["campaign"]["customer"]
    assert gift["balance"] == "25.00"
    assert gift["transactions"][0]["authorization"] == "gift"
    entry = LedgerEntry.get(LedgerEntry.authorization == "till 3")
    assert (entry.kind, entry.amount, entry.user_id, json.loads(entry.custom_fields)) == (
        "record", 150, "mgr", {"custom_field_1": "SKU-1"})
    assert list(ledger.check()) == []


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_batch_transactions_refused_rows_write_nothing(api, fmt):
    points, giftcard, buyx = new_campaign(api), new_campaign(api, "giftcard"), new_campaign(api, "buyx")
    api.ok("record_customer", customer_action="new", code="C1")
    rows = csv_text("campaign_id,code,amount,promo_id,service_product",
                    f"{points},C1,1,,",  # fine
                    f"{points},nobody,1,,",  # 3
                    f"404,C1,1,,",  # 4
                    f"{giftcard},C1,,,",  # 5
                    f"{points},C1,lots,,",  # 6
                    f"{points},C1,1,999,",  # 7
                    f"{buyx},C1,,,999",  # 8
                    f",C1,1,,")  # 9
    doc = answer(api, fmt, "batch_transactions", transactions=rows)
    expected = [(3, "Customer not found"), (4, "Campaign not found"), (5, "Missing required field: amount"),
                (6, "Invalid value for field amount: Not a valid number"), (7, "Promo not found"),
                (8, "Item not found"), (9, "Missing required field: campaign_id")]
    assert doc["status"] == "error"
    listed = doc["batch"]["errors"]["error"] if fmt == "xml" else doc["batch"]["errors"]
    assert [(int(e["row"]), e["message"]) for e in listed] == expected
    assert LedgerEntry.select().count() == 0
    assert Membership.select().where(Membership.balance != 0).count() == 0


def test_a_deactivated_campaign_refuses_its_rows(api):
    points = new_campaign(api)
    api.ok("record_customer", customer_action="new", code="C1")
    api.ok("campaign_deactivate", campaign_id=points)
    assert api.err("batch_transactions", transactions=csv_text("campaign_id,code,amount", f"{points},C1,1")) == (
        "Row 2: Campaign is deactivated")


# --- custom fields: the same checks as record_customer and record_activity ----------------------------

@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_customer_rows_get_the_custom_field_checks(api, fmt):
    api.ok("manage_fields", action="add", custom_field_2_label="Status", custom_field_2_type="Pick",
           custom_field_2_choices="Single|Married")
    api.ok("manage_fields", action="add", custom_field_3_label="Member", custom_field_3_unique="Y")
    api.ok("manage_fields", action="update", phone_required="Y")
    api.ok("record_customer", customer_action="new", code="C9", phone="1", custom_field_3="M1")
    rows = csv_text("code,phone,custom_field_2,custom_field_3",
                    "A1,5,single,M2",  # 2: fine, the choice in its own spelling
                    "A2,5,Divorced,",  # 3: not a choice
                    "A3,,,",  # 4: phone required
                    "A4,5,,M2",  # 5: M2 taken by row 2
                    "A5,5,,M1",  # 6: M1 held by C9 ...
                    "C9,,,M3")  # 7: ... until this row
    doc = answer(api, fmt, "customers_batch", customers=rows)
    listed = doc["batch"]["errors"]["error"] if fmt == "xml" else doc["batch"]["errors"]
    assert [(int(e["row"]), e["message"]) for e in listed] == [
        (3, "Invalid value for field custom_field_2: must be one of Single, Married"),
        (4, "Missing required field: phone"), (5, "Invalid value for field custom_field_3: already in use"),
        (6, "Invalid value for field custom_field_3: already in use")]
    assert customer_count() == 1
    # without the refused rows, M1 is taken when C9 has not yet given it up (row 3), not afterwards (row 4)
    rows = csv_text("code,phone,custom_field_2,custom_field_3", "A1,5,single,M2", "A5,5,,M1", "C9,,,M3", "A6,5,,M1")
    assert api.err("customers_batch", customers=rows) == "Row 3: Invalid value for field custom_field_3: already in use"
    rows = csv_text("code,phone,custom_field_2,custom_field_3", "A1,5,single,M2", "C9,,,M3", "A6,5,,M1")
    assert answer(api, fmt, "customers_batch", customers=rows)["batch"]["new_customers"] == "2"
    assert api.ok("customer_info", code="A1")["customer"]["custom_field_2"] == "Single"
    assert api.ok("customer_info", code="A6")["customer"]["custom_field_3"] == "M1"
    assert api.err("record_customer", customer_action="new", code="B1", phone="5", custom_field_3="M2") == (
        "Invalid value for field custom_field_3: already in use")


def test_transaction_rows_get_the_custom_field_checks(api):
    points = new_campaign(api)
    api.ok("record_customer", customer_action="new", code="C1")
    api.ok("transaction_fields", action="add", custom_field_1_type="Number")
    api.ok("transaction_fields", action="add", custom_field_2_unique="Y")
    rows = csv_text("campaign_id,code,amount,custom_field_1,custom_field_2",
                    f"{points},C1,1,12.5,R1", f"{points},C1,1,twelve,R2", f"{points},C1,1,1,R1")
    doc = api.json("batch_transactions", transactions=rows)
    assert [(int(e["row"]), e["message"]) for e in doc["batch"]["errors"]] == [
        (3, "Invalid value for field custom_field_1: must be a number of at most 16 digits and 5 decimals"),
        (4, "Invalid value for field custom_field_2: already in use")]
    assert LedgerEntry.select().count() == 0


# --- idempotency and permissions ------------------------------------------------------------------------

def test_idempotency_key_replays_a_batch(api):
    points = new_campaign(api)
    api.ok("record_customer", customer_action="new", code="C1")
    rows = csv_text("campaign_id,code,amount", f"{points},C1,1", f"{points},C1,2")
    first = api.call("batch_transactions", output="json", transactions=rows, idempotency_key="k-1")
    again = api.call("batch_transactions", transactions=rows, idempotency_key="k-1")  # XML this time
    assert "Idempotent-Replayed" not in first.headers
    assert again.headers["Idempotent-Replayed"] == "true"
    assert b"<transactions>2</transactions>" in again.data
    assert LedgerEntry.select().count() == 2
    assert api.ok("customer_balance", campaign_id=points, code="C1")["campaign"]["customer"]["balance"] == "300"
    other = api.err("batch_transactions", transactions=rows + f"{points},C1,3\n", idempotency_key="k-1")
    assert other == "Idempotency key already used with different fields"
    # customers too: the replay creates nobody
    api.ok("customers_batch", customers=csv_text("code", "Z1"), idempotency_key="k-2")
    doc = api.ok("customers_batch", customers=csv_text("code", "Z1"), idempotency_key="k-2")
    assert doc["batch"]["new_customers"] == "1"
    assert customer_count() == 2


def test_a_refused_batch_is_not_stored_for_its_key(api):
    rows = csv_text("code,card_number", "A1,1111")
    api.ok("record_customer", customer_action="new", code="X", card_number="1111")
    assert api.err("customers_batch", customers=rows, idempotency_key="k") == "Row 2: Card number already in use"
    api.ok("customer_delete", code="X")
    assert api.ok("customers_batch", customers=rows, idempotency_key="k")["batch"]["new_customers"] == "1"


@pytest.mark.parametrize("type_, field", [("customers_batch", "customers"), ("batch_transactions", "transactions")])
def test_staff_without_the_import_flag_is_refused(api, type_, field):
    message = api.staff().err(type_, **{field: "code\nS1\n"})
    assert message.startswith("Permission denied")
    assert customer_count() == 0


def test_the_import_flags_open_the_calls_one_by_one(api):
    api.ok("user_update", user_name="clerk", import_customers="Yes")
    clerk = api.staff()
    assert clerk.ok("customers_batch", customers="code\nS1\n")["batch"]["new_customers"] == "1"
    points = new_campaign(api)
    rows = csv_text("campaign_id,code,amount", f"{points},S1,1")
    assert clerk.err("batch_transactions", transactions=rows).startswith("Permission denied")
    api.ok("user_update", user_name="clerk", import_transactions="Yes")
    assert clerk.ok("batch_transactions", transactions=rows)["batch"]["transactions"] == "1"


def test_a_user_limited_to_some_campaigns_names_only_those(api):
    mine, other = new_campaign(api), new_campaign(api)
    api.ok("user_update", user_name="clerk", import_customers="Yes", import_transactions="Yes", allowed_campaigns=mine)
    clerk = api.staff()
    assert clerk.err("customers_batch", customers=csv_text("code,campaign_id", f"S1,{mine}", f"S2,{other}")) == (
        "Row 3: Campaign not found")
    clerk.ok("customers_batch", customers=csv_text("code,campaign_id", f"S1,{mine}"))
    assert clerk.err("batch_transactions", transactions=csv_text("campaign_id,code,amount", f"{mine},S1,1",
                                                                   f"{other},S1,1")) == "Row 3: Campaign not found"
    assert LedgerEntry.select().count() == 0


def test_another_accounts_campaign_is_not_found(api):
    theirs = new_campaign(api.other())
    api.ok("record_customer", customer_action="new", code="C1")
    assert api.err("customers_batch", customers=csv_text("code,campaign_id", f"C9,{theirs}")) == "Row 2: Campaign not found"
    assert api.err("batch_transactions", transactions=csv_text("campaign_id,code,amount", f"{theirs},C1,1")) == (
        "Row 2: Campaign not found")


# --- the batch leaves what the rows sent one by one leave -----------------------------------------------

CUSTOMER_COLUMNS = [f.name for f in Customer._meta.sorted_fields if f.name not in ("id", "account", "created",
                                                                                       "password_hash", "pin_hash")]


def customer_rows_of(account: str) -> list[tuple]:
    query = Customer.select().where(Customer.account == account).order_by(Customer.code)
    return [tuple(getattr(c, name) for name in CUSTOMER_COLUMNS) + (c.password_hash is None,) for c in query]


def memberships_of(account: str) -> list[tuple]:
    query = (Membership.select(Membership, Customer.code).join(Customer).where(Customer.account == account)
             .order_by(Customer.code, Membership.campaign))
    return [(m.customer.code, m.campaign_id, m.item, m.balance, m.first_activity is None, m.created is None)
            for m in query]


def entries_of(account: str, campaigns: dict[str, str]) -> list[tuple]:
    query = (LedgerEntry.select(LedgerEntry, Customer.code).join(Customer).where(LedgerEntry.account == account)
             .order_by(LedgerEntry.id))
    return [(e.customer.code, campaigns[e.campaign_id], e.item, e.kind, e.amount, e.original_amount, e.promo_id is None,
             e.quantity, e.authorization, e.custom_fields, e.user_id, e.reverses) for e in query]


def claims_of(account: str) -> list[tuple]:
    """The values of unique customer fields held, by the holder's code."""
    query = (UniqueFieldValue.select(UniqueFieldValue.name, UniqueFieldValue.value, Customer.code)
             .join(Customer, on=(Customer.id == UniqueFieldValue.owner))
             .where((UniqueFieldValue.account == account) & (UniqueFieldValue.family == "customer")))
    return sorted(query.tuples())


def test_batch_equals_one_by_one(api):
    """N rows imported as batches into one account and one by one into another leave the same
    customers, memberships and ledger entries (campaign ids mapped: each account has its own)."""
    mine, theirs = api, api.other()
    kinds = ("points", "giftcard", "events", "earned")
    camps = {kind: (new_campaign(mine, kind), new_campaign(theirs, kind)) for kind in kinds}
    names = {}
    for kind, (a, b) in camps.items():
        names[a] = names[b] = kind
    for side in (mine, theirs):  # a Pick field (values stored in the choice's spelling) and a unique one
        side.ok("manage_fields", action="add", custom_field_4_label="Tier", custom_field_4_type="Pick",
                custom_field_4_choices="Gold|Silver")
        side.ok("manage_fields", action="add", custom_field_5_label="Member", custom_field_5_unique="Y")
    header = ["code", "card_number", "first_name", "last_name", "email", "phone", "custom_date", "custom_field",
              "customer_username", "custom_field_2", "campaign_id", "custom_field_4", "custom_field_5"]
    rows = []
    for n in range(60):
        rows.append([f"K{n}" if n % 5 else "", f"9{n:03d}" if n % 3 or n % 5 == 0 else "", f"First{n}", f"Ünïcode {n}",
                     f"p{n}@example.com", f"555-{n:04d}", "1970-07-14" if n % 4 == 0 else "", f"note {n}",
                     f"user{n}" if n % 2 else "", f"v{n}" if n % 7 == 0 else "", "{%s}" % kinds[n % 4] if n % 6 else "",
                     ("gold", "SILVER", "")[n % 3], f"m{n}" if n % 4 else ""])
    # later rows edit earlier ones: by code, by card, and by a card that is a code; a unique value moves
    rows.append(["K1", "", "Edited", "", "", "", "", "", "", "", "", "", "m999"])
    rows.append(["", "9002", "", "Bycard", "", "", "", "", "", "", "", "silver", ""])
    rows.append(["", "K7", "Bycode", "", "", "", "", "", "", "", "", "", "m1"])

    def fill(cells, which):
        return [camps[c[1:-1]][which] if c.startswith("{") else c for c in cells]

    def line(cells):
        return ",".join(f'"{c}"' if "," in c else c for c in cells)

    for start in range(0, len(rows), 25):
        part = csv_text(line(header), *(line(fill(r, 0)) for r in rows[start:start + 25]))
        mine.ok("customers_batch", customers=part)
    for cells in rows:
        theirs.ok("record_customer", customer_action="edit", send_no_email="true",
                  **{k: v for k, v in zip(header, fill(cells, 1)) if v})
    assert customer_rows_of("shop") == customer_rows_of("other")
    assert len(customer_rows_of("shop")) == 60

    def mapped(rows_):
        return [(code, names[campaign], *rest) for code, campaign, *rest in rows_]

    assert mapped(memberships_of("shop")) == mapped(memberships_of("other"))
    assert claims_of("shop") == claims_of("other") and len(claims_of("shop")) == 45
    codes = [c.code for c in Customer.select().where(Customer.account == "shop").order_by(Customer.id)]
    tx_header = ["campaign_id", "code", "amount", "authorization", "custom_field_1"]
    tx_rows = [["{%s}" % kinds[n % 4], codes[n % len(codes)], f"{n % 9 + 1}.{n % 100:02d}", f"auth {n}",
                f"sku{n}" if n % 2 else ""] for n in range(80)]
    mine.ok("batch_transactions", transactions=csv_text(line(tx_header), *(line(fill(r, 0)) for r in tx_rows)))
    for cells in tx_rows:
        theirs.ok("record_activity", **{k: v for k, v in zip(tx_header, fill(cells, 1)) if v})
    # the user differs (mgr and omgr): compare the rest
    shop = [e[:-2] + (e[-1],) for e in entries_of("shop", names)]
    other = [e[:-2] + (e[-1],) for e in entries_of("other", names)]
    assert shop == other
    assert len(shop) == 80
    assert mapped(memberships_of("shop")) == mapped(memberships_of("other"))
    assert list(ledger.check()) == []


# --- a worker killed in the middle of a batch -----------------------------------------------------------

def cpu_ticks(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def kill_while_writing(server, url: str, data: dict, took: float) -> bool:
    """Send ``data`` and SIGKILL the worker serving it once its PostgreSQL transaction has written
    (pg_stat_activity shows a transaction id); False if that was never seen."""
    import psycopg2

    watcher = psycopg2.connect(url)
    watcher.autocommit = True
    pids = server.worker_pids()
    before = {pid: cpu_ticks(pid) for pid in pids}
    answers: list = []
    sender = threading.Thread(target=lambda: answers.append(_post(server.url, data)))
    sender.start()
    deadline = time.monotonic() + took * 3 + 10
    try:
        while sender.is_alive() and time.monotonic() < deadline:
            with watcher.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                               "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()")
                if cursor.fetchone()[0]:
                    grown = {pid: cpu_ticks(pid) - before[pid] for pid in pids}
                    os.kill(max(grown, key=grown.get), signal.SIGKILL)
                    sender.join(60)
                    return isinstance(answers[0], requests.RequestException)
            time.sleep(0.005)
        return False
    finally:
        sender.join(60)
        watcher.close()


def _post(url: str, data: dict):
    try:
        return requests.post(url, data=data, timeout=60)
    except requests.RequestException as exc:
        return exc


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_a_killed_worker_leaves_all_or_none_of_a_batch(tmp_path, backend_name):
    """A first batch is timed; then batches of the same size are sent and their worker (the one whose
    CPU time grows) killed with SIGKILL at 20, 50 and 80 % of that time (reading, checking, writing):
    each leaves all its rows or none, and the ledger stays consistent. A batch that answered before
    the kill (the machine's load varies) must have all its rows."""
    fractions = {"B": 0.2, "C": 0.5, "D": 0.8}
    with fresh_database(backend_name, tmp_path) as url:
        with running_server(url, workers=2) as server:
            campaign = requests.post(server.url, data=form("campaign_new", action="campaign", campaign_type="points",
                                                            campaign_name="Club")).json()["campaign"]["id"]

            def batch(prefix):
                return form("customers_batch", customers=csv_text(
                    "code,first_name,campaign_id", *(f"{prefix}{n},Name{n},{campaign}" for n in range(MAX_ROWS))))

            started = time.monotonic()
            assert requests.post(server.url, data=batch("A"), timeout=60).json()["batch"]["new_customers"] == str(MAX_ROWS)
            took = time.monotonic() - started
            killed: list[str] = []
            answered: list[str] = ["A"]
            for prefix, fraction in fractions.items():
                pids = server.worker_pids()
                before = {pid: cpu_ticks(pid) for pid in pids}
                answers = []

                def send():
                    try:
                        answers.append(requests.post(server.url, data=batch(prefix), timeout=60))
                    except requests.RequestException as exc:
                        answers.append(exc)

                sender = threading.Thread(target=send)
                sender.start()
                time.sleep(took * fraction)
                if not sender.is_alive():  # the machine ran this one faster than the first: all rows are in
                    assert answers[0].json()["status"] == "success", answers
                    answered.append(prefix)
                    continue
                grown = {pid: cpu_ticks(pid) - before[pid] for pid in pids}
                victim = max(grown, key=grown.get)
                assert grown[victim] > 0, server.log()
                os.kill(victim, signal.SIGKILL)
                sender.join(60)
                if isinstance(answers[0], requests.RequestException):
                    killed.append(prefix)
                else:  # it answered just before the kill: all rows are in
                    assert answers[0].json()["status"] == "success", answers
                    answered.append(prefix)
                deadline = time.monotonic() + 20  # the master replaces the killed worker
                while victim in server.worker_pids() or len(server.worker_pids()) < 2:
                    assert time.monotonic() < deadline, server.log()
                    time.sleep(0.05)
            assert killed, "every batch ended before its worker was killed: nothing was tested"
            if backend_name == "postgresql":
                # Once the batch's transaction has written (it holds a transaction id), kill its worker:
                # the rows written so far, never committed, must all vanish.
                assert kill_while_writing(server, url, batch("E"), took), server.log()
        db.database.close()
        db.bind(url)
        for prefix in ("A", *fractions, "E"):
            stored = Customer.select().where((Customer.account == "shop") & Customer.code.startswith(prefix)).count()
            members = Membership.select().join(Customer).where(Customer.code.startswith(prefix)).count()
            if prefix == "E":
                assert (stored, members) == (0, 0)
            else:
                assert (stored, members) in (((MAX_ROWS, MAX_ROWS),) if prefix in answered else
                                             ((0, 0), (MAX_ROWS, MAX_ROWS))), prefix
        result = check_ledger(url)
        assert result.returncode == 0, result.stdout + result.stderr
