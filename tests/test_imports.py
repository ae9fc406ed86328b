"""The operator's imports: flask --app app import-customers / import-transactions ACCOUNT FILE (docs/batches.md).

They read the CSV of customers_batch and batch_transactions, with the same per-row errors, and import a
whole file or nothing; run on SQLite and PostgreSQL through the ``runner`` fixture.
"""
from __future__ import annotations

import pytest

from gateway.domain import ledger
from gateway.domain.models import Customer, LedgerEntry, Membership
from gateway.legacy.calls.batches import MAX_ROWS

from test_batches import csv_text, customer_rows_of, new_campaign


def write(tmp_path, text: str, name: str = "rows.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_import_customers_from_a_file(api, runner, tmp_path):
    campaign = new_campaign(api)
    api.ok("record_customer", customer_action="new", code="C1", first_name="Old")
    path = write(tmp_path, csv_text("code,card_number,first_name,campaign_id", f"C1,,New,{campaign}",
                                    f"C2,2222,Bob,{campaign}", "C3,,Cy,"))
    result = runner.invoke(args=["import-customers", "shop", path])
    assert result.exit_code == 0, result.output
    assert "imported 3 customers: 2 new, 1 updated" in result.output
    assert api.ok("customer_info", code="C1")["customer"]["first_name"] == "New"
    assert Membership.select().count() == 2


def test_a_file_beyond_the_calls_row_limit_imports(api, runner, tmp_path):
    path = write(tmp_path, csv_text("code,first_name", *(f"R{n},Name" for n in range(MAX_ROWS + 1))))
    result = runner.invoke(args=["import-customers", "shop", path])
    assert result.exit_code == 0, result.output
    assert Customer.select().count() == MAX_ROWS + 1


def test_refused_rows_are_all_listed_and_nothing_is_imported(api, runner, tmp_path):
    api.ok("record_customer", customer_action="new", code="C1", card_number="1111")
    path = write(tmp_path, csv_text("code,card_number,email,campaign_id", "N1,,,", "N2,1111,,",
                                    f"N3,,{'x' * 300},", "N4,,,404", "N5,"))
    result = runner.invoke(args=["import-customers", "shop", path])
    assert result.exit_code == 1
    assert result.output.splitlines()[-5:] == [
        "row 3: Card number already in use",
        "row 4: Invalid value for field email: at most 255 characters",
        "row 5: Campaign not found",
        "row 6: 4 values expected, 2 found",
        "4 of 5 rows refused: nothing was imported",
    ]
    assert Customer.select().count() == 1


def test_the_file_and_the_call_import_alike(api, runner, tmp_path):
    text = csv_text("code,card_number,first_name,last_name,customer_username,custom_field_3",
                    *(f"K{n},{n:05d},Ann{n},Lee,user{n},x{n}" for n in range(40)), ",00003,Edited,,,")
    result = runner.invoke(args=["import-customers", "shop", write(tmp_path, text)])
    assert result.exit_code == 0, result.output
    api.other().ok("customers_batch", customers=text)
    assert customer_rows_of("shop") == customer_rows_of("other")


def test_latin1_file_and_standard_input(api, runner, tmp_path):
    path = write(tmp_path, csv_text("code,first_name", "L1,Zoë"), encoding="cp1252")
    assert runner.invoke(args=["import-customers", "shop", path]).exit_code == 0
    assert api.ok("customer_info", code="L1")["customer"]["first_name"] == "Zoë"
    result = runner.invoke(args=["import-customers", "shop", "-"], input=csv_text("code", "S1"))
    assert result.exit_code == 0, result.output
    assert api.ok("customer_info", code="S1")["customer"]["code"] == "S1"


@pytest.mark.parametrize("args, text, message", [
    (["nobody"], "code\nA\n", "account nobody does not exist"),
    (["shop"], "colour\nred\n", "Invalid value for field rows.csv: unknown column 'colour' (nothing was imported)"),
    (["shop"], "code\n", "Invalid value for field rows.csv: no rows after the header (nothing was imported)"),
])
def test_unusable_input_is_refused(api, runner, tmp_path, args, text, message):
    result = runner.invoke(args=["import-customers", *args, write(tmp_path, text)])
    assert result.exit_code == 1
    assert f"Error: {message}" in result.output
    assert Customer.select().count() == 0


def test_import_transactions_then_check_ledger(api, runner, tmp_path):
    points = new_campaign(api)
    api.ok("customers_batch", customers=csv_text("code", "C1", "C2"))
    path = write(tmp_path, csv_text("campaign_id,code,amount,authorization", f"{points},C1,1.50,a",
                                    f"{points},C2,2,b", f"{points},C1,1,c"))
    result = runner.invoke(args=["import-transactions", "shop", path, "--user", "migration"])
    assert result.exit_code == 0, result.output
    assert "imported 3 transactions for 2 customers" in result.output
    assert api.ok("customer_balance", campaign_id=points, code="C1")["campaign"]["customer"]["balance"] == "250"
    assert {e.user_id for e in LedgerEntry.select()} == {"migration"}
    check = runner.invoke(args=["check-ledger"])
    assert (check.exit_code, check.output.strip()) == (0, "ledger consistent")


def test_import_transactions_refused_rows(api, runner, tmp_path):
    points = new_campaign(api)
    api.ok("record_customer", customer_action="new", code="C1")
    path = write(tmp_path, csv_text("campaign_id,code,amount", f"{points},C1,1", f"{points},nobody,1",
                                    f"{points},C1,-1"))
    result = runner.invoke(args=["import-transactions", "shop", path])
    assert result.exit_code == 1
    assert result.output.splitlines()[-3:] == [
        "row 3: Customer not found",
        "row 4: Invalid value for field amount: Must be between 0 and 1000000000",
        "2 of 3 rows refused: nothing was imported",
    ]
    assert LedgerEntry.select().count() == 0
    assert list(ledger.check()) == []


@pytest.mark.parametrize("database", ["sqlite", "postgres"])
def test_the_benchmark_runs(database):
    """bench/import_customers.py at a tiny size (three INSERT chunks, the last shorter), so it cannot
    rot: it checks every row and the ledger itself; no timing is asserted."""
    import subprocess
    import sys

    from conftest import require_postgres
    from servers import ROOT

    if database == "postgres":
        require_postgres()
    result = subprocess.run([sys.executable, "bench/import_customers.py", "--rows", "1234", "--repeat", "1",
                             "--database", database], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"| {database} | 1,234 |" in result.stdout
