"""A campaign's number of participants (the leaderboard's ``totalParticipants``) is stored, kept by
triggers on ``membership`` in the transaction of each change: every door and path that makes, moves
or removes a membership keeps it equal to a count of the memberships, on SQLite and PostgreSQL."""
from __future__ import annotations

from api_support import campaign, keys, live  # noqa: F401
from gateway.domain import db, participants, schema
from gateway.domain.models import Campaign, Customer, Membership, ParticipantCount


def total(live) -> int:
    return live.get("/campaigns/summer-promo/leaderboard")["totalParticipants"]


def counted(campaign_id: str) -> int:
    return Membership.select().where((Membership.campaign == campaign_id) & (Membership.item == 0)).count()


def assert_counts_kept(live, campaign_id: str, expected: int) -> None:
    assert counted(campaign_id) == expected
    assert total(live) == expected
    assert participants.miscounted() == []


def test_every_path_that_makes_or_removes_a_participant_keeps_the_count(api, live, campaign):
    legacy_id = campaign["legacyCampaignId"]
    assert_counts_kept(live, legacy_id, 0)
    live.post("/campaigns/summer-promo/events", {"userId": "u1", "eventType": "visit"})
    live.post("/campaigns/summer-promo/events", {"userId": "u1", "eventType": "visit"})  # the same participant
    live.post("/campaigns/summer-promo/events", {"userId": "u2", "eventType": "dance"})  # earns 0, takes part
    assert_counts_kept(live, legacy_id, 2)

    api.ok("record_customer", customer_action="new", code="T1")
    api.ok("record_activity", campaign_id=legacy_id, code="T1", amount="5")  # the legacy door
    api.ok("record_customer", customer_action="new", code="T2", campaign_id=legacy_id)  # enrolled, no points
    assert_counts_kept(live, legacy_id, 4)

    rows = "code,campaign_id\nB1,{0}\nB2,{0}\nT2,{0}\n".format(legacy_id)  # T2 is a member already
    assert api.ok("customers_batch", customers=rows)["batch"]["new_customers"] == "2"
    assert_counts_kept(live, legacy_id, 6)

    # A merge of two members leaves one; a merge into a customer outside the campaign moves the member.
    api.ok("card_replace", previous_code="B1", new_code="B2", check_override="Y")
    assert_counts_kept(live, legacy_id, 5)
    api.ok("record_customer", customer_action="new", code="OUT")
    api.ok("card_replace", previous_code="B2", new_code="OUT", check_override="Y")
    assert_counts_kept(live, legacy_id, 5)

    api.ok("customer_delete", code="T1")  # its membership goes by cascade
    assert_counts_kept(live, legacy_id, 4)


def test_items_and_other_campaigns_do_not_count(api, live, campaign):
    legacy_id = campaign["legacyCampaignId"]
    other = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Other")["campaign"]["id"]
    for code in ("C1", "C2"):
        api.ok("record_customer", customer_action="new", code=code)
        api.ok("record_activity", campaign_id=other, code=code, amount="3")
    c1 = Customer.get(Customer.code == "C1")
    Membership.create(customer=c1.id, campaign=legacy_id, item=7)  # a buy-X item's count is no participant
    assert_counts_kept(live, legacy_id, 0)
    # A membership changed by hand to another item or campaign leaves one count and joins the other.
    Membership.update(item=0).where(Membership.item == 7).execute()
    assert_counts_kept(live, legacy_id, 1)
    c2 = Customer.get(Customer.code == "C2")
    Membership.update(campaign=legacy_id).where((Membership.customer == c2.id) & (Membership.campaign == other)).execute()
    assert_counts_kept(live, legacy_id, 2)
    assert ParticipantCount.get_by_id(other).participants == counted(other) == 1
    api.ok("customer_delete", code="C1")  # one statement removes its memberships of both campaigns
    assert_counts_kept(live, legacy_id, 1)
    assert ParticipantCount.get_by_id(other).participants == counted(other) == 0


def test_a_rolled_back_join_is_not_counted(live, campaign):
    legacy_id = campaign["legacyCampaignId"]
    customer = Customer.create(account="shop", code="R1")
    try:
        with db.write_transaction():
            Membership.create(customer=customer.id, campaign=legacy_id)
            assert ParticipantCount.get_by_id(legacy_id).participants == 1  # inside: counted
            raise RuntimeError("the request failed")
    except RuntimeError:
        pass
    assert_counts_kept(live, legacy_id, 0)


def test_deleting_a_campaign_deletes_its_count(api, live, campaign):
    legacy_id = campaign["legacyCampaignId"]
    live.post("/campaigns/summer-promo/events", {"userId": "u1", "eventType": "visit"})
    Campaign.delete().where(Campaign.id == legacy_id).execute()
    assert ParticipantCount.select().where(ParticipantCount.campaign == legacy_id).count() == 0
    assert participants.miscounted() == []


def test_check_ledger_names_a_miscounted_campaign(live, campaign, runner):
    legacy_id = campaign["legacyCampaignId"]
    live.post("/campaigns/summer-promo/events", {"userId": "u1", "eventType": "visit"})
    assert runner.invoke(args=["check-ledger"]).exit_code == 0
    ParticipantCount.update(participants=5).where(ParticipantCount.campaign == legacy_id).execute()
    result = runner.invoke(args=["check-ledger"])
    assert result.exit_code == 1
    assert f"MISCOUNT campaign={legacy_id} participants stored=5 counted=1" in result.output
    assert "1 campaign(s) miscount their participants" in result.output


def _drop_counting(bound) -> None:
    for name in ("membership_joins", "membership_leaves", "membership_moves"):
        if db.is_sqlite():
            bound.execute_sql(f"DROP TRIGGER {name}")
        else:
            bound.execute_sql(f"DROP TRIGGER {name} ON membership")
            bound.execute_sql(f"DROP FUNCTION {name}()")


def test_init_db_installs_the_triggers_and_counts_a_database_made_without_them(live, campaign, runner):
    """A database of an earlier version has memberships and no counts: init-db counts them once, and the
    triggers keep the count from then on. Run again, it changes nothing."""
    legacy_id = campaign["legacyCampaignId"]
    for user in ("u1", "u2", "u3"):
        live.post("/campaigns/summer-promo/events", {"userId": user, "eventType": "visit"})
    bound = db.database.obj
    with bound.atomic():
        _drop_counting(bound)
        bound.execute_sql('DROP TABLE participant_count')
    Membership.delete().where(Membership.customer == Customer.get(Customer.code == "u3").id).execute()

    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "created table participant_count" in result.output
    assert "counted the participants of every campaign" in result.output
    assert_counts_kept(live, legacy_id, 2)
    live.post("/campaigns/summer-promo/events", {"userId": "u4", "eventType": "visit"})
    assert_counts_kept(live, legacy_id, 3)
    assert schema.upgrade() == []


def test_a_miscount_is_mended_as_docs_operations_says(live, campaign, runner):
    """docs/operations.md: drop one trigger and run init-db; it is put back and every count made afresh."""
    legacy_id = campaign["legacyCampaignId"]
    live.post("/campaigns/summer-promo/events", {"userId": "u1", "eventType": "visit"})
    ParticipantCount.update(participants=9).execute()
    assert runner.invoke(args=["check-ledger"]).exit_code == 1
    drop = "DROP TRIGGER membership_joins" + ("" if db.is_sqlite() else " ON membership")
    db.database.execute_sql(drop)
    result = runner.invoke(args=["init-db"])
    assert result.exit_code == 0 and "created trigger membership_joins" in result.output, result.output
    assert runner.invoke(args=["check-ledger"]).exit_code == 0
    live.post("/campaigns/summer-promo/events", {"userId": "u2", "eventType": "visit"})
    assert_counts_kept(live, legacy_id, 2)
