"""``flask --app app check-ledger``: exit 0 on a consistent ledger, non-zero naming what differs."""
from __future__ import annotations

from gateway.domain.models import Customer, Item, Membership


def test_check_ledger_passes_then_catches_a_corrupted_balance(api, runner):
    customer = Customer.create(account="shop", code="C1")
    points = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="P")["campaign"]["id"]
    buyx = api.ok("campaign_new", action="campaign", campaign_type="buyx", campaign_name="B")["campaign"]["id"]
    coffee = Item.create(campaign=buyx, reward_level=2, description="Coffee")
    first = api.ok("record_activity", campaign_id=points, code="C1", amount="3")["receipt"]["transaction_id"]
    api.ok("record_activity", campaign_id=points, code="C1", amount="1")
    api.ok("redeem", campaign_id=points, code="C1", custom_points_redeem="50")
    api.ok("transaction_delete", campaign_id=points, code="C1", transaction_id=first)
    api.ok("record_activity", campaign_id=buyx, code="C1", service_product=coffee.id, buyx_quantity=2)

    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 0, result.output
    assert "ledger consistent" in result.output

    Membership.update(balance=Membership.balance + 7).where(
        (Membership.customer == customer.id) & (Membership.campaign == points)).execute()
    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 1
    assert f"MISMATCH customer={customer.id} campaign={points} item=0 stored=57 ledger=50" in result.output
    assert "1 balance(s) differ from the ledger" in result.output


def test_check_ledger_catches_a_balance_without_rows(api, runner):
    customer = Customer.create(account="shop", code="C1")
    cid = api.ok("campaign_new", action="campaign", campaign_type="events", campaign_name="E")["campaign"]["id"]
    Membership.create(customer=customer.id, campaign=cid, balance=3)
    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 1
    assert "stored=3 ledger=0" in result.output
