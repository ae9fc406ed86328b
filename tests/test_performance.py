"""The shortcuts the hot paths take (docs/performance.md) keep every behaviour: prepared statements, the
authentication cache, the has-deductions flag, the single-pass XML writer and the writers' queue."""
from __future__ import annotations

import datetime as dt
import fcntl
import os
import random
import time

import peewee as pw
import pytest

from conftest import MANAGER_KEY, seed_tenants
from gateway import create_app
from gateway.domain import campaigns, db
from gateway.legacy import auth
from gateway.legacy.auth import hash_key
from gateway.domain.models import Campaign, Customer, Depreciation, Fee, LedgerEntry, Reward, User
from gateway.legacy.render import XML, render
from gateway.legacy.tree import E, Items

AUTH_FAILED = "Authentication failed"


# --- authentication cache ------------------------------------------------------------------------------

def test_a_changed_key_applies_within_the_cache_lifetime(api, monkeypatch):
    monkeypatch.setattr(auth, "AUTH_CACHE_SECONDS", 0.5)
    api.ok("campaigns_list")
    User.update(key_hash=hash_key("rotated-key")).where(User.user_id == "mgr").execute()
    # Within the lifetime the old key still works (the documented trade-off); the new one at once.
    api.ok("campaigns_list")
    api.as_user("mgr", "rotated-key", "shop").ok("campaigns_list")
    time.sleep(0.6)
    assert api.err("campaigns_list") == AUTH_FAILED
    api.as_user("mgr", "rotated-key", "shop").ok("campaigns_list")


def test_a_failed_authentication_is_never_cached(api):
    assert api.as_user("mgr", "future-key", "shop").err("campaigns_list") == AUTH_FAILED
    User.update(key_hash=hash_key("future-key")).where(User.user_id == "mgr").execute()
    api.as_user("mgr", "future-key", "shop").ok("campaigns_list")


def test_a_cached_caller_answers_for_its_own_account_only(api):
    api.ok("campaigns_list")
    assert api.as_user("mgr", MANAGER_KEY, "other").err("campaigns_list") == AUTH_FAILED
    api.as_user("mgr", MANAGER_KEY, None).ok("campaigns_list")


def test_binding_another_database_forgets_cached_callers(api, tmp_path):
    api.ok("campaigns_list")
    fresh = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}"})
    db.create_tables()
    seed_tenants()
    User.update(key_hash=hash_key("fresh-key")).where(User.user_id == "mgr").execute()
    client = fresh.test_client()
    form = {"type": "campaigns_list", "output": "json", "user_id": "mgr", "account_id": "shop"}
    assert client.post("/", data={**form, "user_password": MANAGER_KEY}).get_json()["error"] == AUTH_FAILED
    assert client.post("/", data={**form, "user_password": "fresh-key"}).get_json()["status"] == "success"


# --- prepared statements -------------------------------------------------------------------------------

def test_prepared_binds_an_argument_used_twice_and_follows_the_database(app):
    campaign = campaigns.create_campaign("shop", type="points", name="Twice")
    query = db.Prepared(lambda name: Campaign.select(Campaign.id).where((Campaign.name == name) | (Campaign.description == name)).tuples())
    assert query("Twice") == [(campaign.id,)]
    assert query("nothing") == []
    assert query("Twice") == [(campaign.id,)]


def test_prepared_refuses_a_query_that_converts_its_argument(app):
    # A BooleanField turns the marker into True: binding later values there would be wrong.
    query = db.Prepared(lambda flag: Campaign.select().where(Campaign.active == flag))
    with pytest.raises(ValueError):
        query(True)


def test_prepared_model_rows_match_peewee_rows(app):
    campaign = campaigns.create_campaign("shop", type="points", name="Same", points_ratio=None)
    query = db.Prepared(lambda cid: Campaign.select().where(Campaign.id == cid))
    for _ in range(2):  # the second run reuses the first run's row processing
        (row,) = query(campaign.id)
        assert row.__data__ == Campaign.get_by_id(campaign.id).__data__


def test_prepared_insert_fills_defaults_and_answers_the_stored_row(app):
    campaign = campaigns.create_campaign("shop", type="points", name="Parts")
    insert = db.PreparedInsert(Reward)
    reward = insert(campaign=campaign, level=500, description="Coffee")
    stored = Reward.get_by_id(reward.id)
    assert (stored.level, stored.description, stored.identifier, stored.custom_fields) == (500, "Coffee", "", "{}")
    assert reward.campaign_id == stored.campaign_id == campaign.id and reward.campaign is campaign
    assert insert(campaign=campaign.id, level=1, description="Tea").id == reward.id + 1
    with pytest.raises(TypeError):
        insert(campaign=campaign, level=1, description="x", colour="red")


def test_a_ledger_row_answered_by_post_is_the_stored_row(api):
    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="P")["campaign"]["id"]
    Customer.create(account="shop", code="C1")
    receipt = api.ok("record_activity", campaign_id=cid, code="C1", amount="2.50", authorization="A1")["receipt"]
    entry = LedgerEntry.get_by_id(int(receipt["transaction_id"]))
    assert (entry.amount, entry.kind, entry.authorization, entry.original_amount) == (250, "record", "A1", "2.50")
    assert receipt["date"] == entry.created.strftime("%Y-%m-%d %H:%M:%S") and receipt["balance"] == "250"


# --- the has-deductions flag ---------------------------------------------------------------------------

@pytest.mark.parametrize("rule", ["fee", "depreciation", "none", "zero-interval fee"])
def test_the_campaign_knows_whether_it_has_deductions(app, rule):
    campaign = campaigns.create_campaign("shop", type="points", name="Rules")
    if rule == "fee":
        Fee.create(campaign=campaign, interval=1, interval_type="days", amount=5)
    elif rule == "zero-interval fee":
        Fee.create(campaign=campaign, interval=0, interval_type="days", amount=5)
    elif rule == "depreciation":
        Depreciation.create(campaign=campaign, type="per_transaction", interval=1, interval_type="days", percentage="10")
    assert bool(campaigns.get_campaign("shop", campaign.id).has_deductions) is (rule in ("fee", "depreciation"))


def test_a_fee_added_after_activity_is_deducted_on_the_next_balance(api):
    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Fees")["campaign"]["id"]
    Customer.create(account="shop", code="C1")
    api.ok("record_activity", campaign_id=cid, code="C1", amount="10")
    assert api.ok("customer_balance", campaign_id=cid, code="C1")["campaign"]["customer"]["balance"] == "1000"
    old = dt.datetime(2020, 1, 1)
    Fee.create(campaign=cid, interval=1, interval_type="days", amount=100, created=old)
    LedgerEntry.update(created=old).execute()
    assert api.ok("customer_balance", campaign_id=cid, code="C1")["campaign"]["customer"]["balance"] == "0"


# --- XML written in one pass ---------------------------------------------------------------------------

TEXTS = ["", "a", "  ", "é \u2028", "x\x01y", "<&>\"'", "\r\n\t x", "\r", " \r\n", "]]>", "\ud800", "\ufffe", None]


def _node(rnd: random.Random, depth: int):
    attrs = {"status": rnd.choice(["new", 'a"b\n\t\r<&>', "\x01"])} if rnd.random() < 0.2 else {}
    if depth > 2 or rnd.random() < 0.4:
        if not attrs and rnd.random() < 0.5:  # a leaf as handlers build it: a (tag, text) tuple
            return (rnd.choice(["a", "bb", "item"]), rnd.choice(TEXTS) or "")
        return E(rnd.choice(["a", "bb", "item"]), [], rnd.choice(TEXTS), attrs)
    kids = [
        Items(rnd.choice(["xs", "ys"]), [_node(rnd, depth + 1) for _ in range(rnd.randint(0, 2))], rnd.random() < 0.6)
        if rnd.random() < 0.3 else _node(rnd, depth + 1)
        for _ in range(rnd.randint(0, 3))
    ]
    return E(rnd.choice(["a", "bb", "item"]), kids, rnd.choice(TEXTS) if rnd.random() < 0.3 else None, attrs)


def test_xml_written_at_once_is_byte_for_byte_the_streamed_document():
    rnd = random.Random(7)
    for _ in range(3000):
        children = [
            Items(rnd.choice(["rewards", "customer"]), [_node(rnd, 1) for _ in range(rnd.randint(0, 3))], rnd.random() < 0.6)
            if rnd.random() < 0.4 else _node(rnd, 1)
            for _ in range(rnd.randint(0, 4))
        ]
        # A lazy list makes render() stream element by element through lxml: the reference layout.
        lazy = [Items(c.plural, iter(c.items), c.wrapped) if isinstance(c, Items) else c for c in children]
        at_once = b"".join(render(XML, "success", children))
        assert at_once == b"".join(render(XML, "success", lazy + [Items("zz", iter(()), False)]))


def test_xml_refuses_an_invalid_element_name_as_lxml_does():
    with pytest.raises(ValueError):
        render(XML, "success", [E("bad name", [], "x")])


# --- the writers' queue (SQLite) -----------------------------------------------------------------------

def _can_lock(path: str) -> bool:
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


# The writers' lock is SQLite's alone: PostgreSQL writers queue on row locks.
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_write_transaction_holds_the_writers_lock_until_it_ends(app, backend):
    path = db.database.obj.database + "-writer"
    # Another open file description stands for another process: flock excludes it.
    with pytest.raises(RuntimeError):
        with db.write_transaction():
            assert not _can_lock(path)
            Customer.create(account="shop", code="kept-out")
            raise RuntimeError("roll back")
    assert _can_lock(path)
    assert not Customer.select().where(Customer.code == "kept-out").exists()
    with db.write_transaction():
        Customer.create(account="shop", code="kept")
    assert _can_lock(path) and Customer.select().where(Customer.code == "kept").exists()


def test_database_errors_surface_from_prepared_statements_as_peewee_errors(app):
    # views.py turns peewee's OperationalError into "server busy": prepared statements must raise the same.
    insert = db.PreparedInsert(Customer)
    insert(account="shop", code="twice")
    assert Customer.get(Customer.code == "twice").registered is False  # a BooleanField, converted per call
    with pytest.raises(pw.IntegrityError):
        insert(account="shop", code="twice")


def test_history_names_each_recording_user_from_the_callers_account_only(api):
    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Names")["campaign"]["id"]
    Customer.create(account="shop", code="C1")
    User.update(name="Clara").where((User.account == "shop") & (User.user_id == "clerk")).execute()
    User.create(account="other", user_id="mgr", name="Not Me", role="manager", key_hash=hash_key("x"))
    api.staff().ok("record_activity", campaign_id=cid, code="C1", amount="1")
    api.ok("record_activity", campaign_id=cid, code="C1", amount="2")
    LedgerEntry.create(account="shop", campaign=cid, customer=Customer.get(code="C1"), kind="record", amount=5, user_id="gone")
    txs = api.ok("customer_balance", campaign_id=cid, code="C1", transactions_number=3)["campaign"]["customer"]["transactions"]
    assert sorted(t["user_name"] for t in txs) == ["Clara", "gone", "mgr"]


def test_a_leaf_tuple_and_a_text_element_render_alike_in_every_format():
    from gateway.legacy.render import OutputFormat
    from gateway.legacy.tree import from_plain, to_plain

    as_tuple = [E("r", [("a", "x&y"), ("b", ""), Items("cs", [E("c", [("d", "1")])])])]
    as_element = [E("r", [E("a", [], "x&y"), E("b", [], ""), Items("cs", [E("c", [E("d", [], "1")])])])]
    for fmt in (XML, OutputFormat("json"), OutputFormat("jsonp", callback="cb")):
        assert b"".join(render(fmt, "success", as_tuple)) == b"".join(render(fmt, "success", as_element))
    assert from_plain(to_plain(as_tuple)) == as_tuple


# --- rows hydrated without peewee's per-column machinery (db._row_maker) -------------------------------

def test_prepared_rows_of_every_model_match_peewee_rows_and_behave_alike(api):
    from gateway.domain.models import ALL_MODELS

    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Rows",
                 reward_ratio="2.5")["campaign"]["id"]
    api.ok("campaign_new", action="reward", campaign_id=cid, reward_level="100", reward_description="Tea")
    api.ok("campaign_new", action="promo", campaign_id=cid, promo_operation="x", promo_amount="2",
           promo_description="Double", promo_start_date="2020-01-01", promo_end_date="2099-12-31")
    api.ok("campaign_fee_new", campaign_id=cid, fee_amount="1", fee_interval="30", interval_type="days",
           fee_description="Monthly")
    api.ok("depreciation_new", campaign_id=cid, depreciation_type="per_transaction", depreciation_interval="1",
           depreciation_interval_type="years", depreciation_percentage="10")
    api.ok("campaign_new", action="campaign", campaign_type="buyx", campaign_name="Stamps")
    bid = api.ok("campaigns_list", type_restrict="buyx")["campaigns"][0]["id"]
    api.ok("campaign_new", action="item", campaign_id=bid, item_description="Coffee", reward_level="5")
    api.ok("record_customer", customer_action="new", code="R1", first_name="Zoé", birthday="1990-02-03")
    api.ok("record_activity", campaign_id=cid, code="R1", amount="12.34", authorization="A1", custom_field_2="x")
    api.ok("record_activity", campaign_id=cid, code="R1", amount="1", idempotency_key="k1")
    for model in ALL_MODELS:
        stored = list(model.select().order_by(model._meta.primary_key))
        assert stored, model.__name__
        query = db.Prepared(lambda: model.select().order_by(model._meta.primary_key))
        for _ in range(3):  # the first run goes through peewee, later runs through the fast maker
            fast = query()
            assert [r.__data__ for r in fast] == [r.__data__ for r in stored], model.__name__
            assert [type(v) for r in fast for v in r.__data__.values()] == \
                   [type(v) for r in stored for v in r.__data__.values()], model.__name__
            assert all(not r._dirty and r.__rel__ == {} for r in fast)
    # Foreign keys still resolve lazily, and a hydrated row saves like a peewee one.
    (entry,) = db.Prepared(lambda: LedgerEntry.select().where(LedgerEntry.authorization == "A1"))()
    (entry,) = db.Prepared(lambda: LedgerEntry.select().where(LedgerEntry.authorization == "A1"))()
    assert entry.campaign.id == cid and entry.customer.code == "R1"
    customer = db.Prepared(lambda code: Customer.select().where(Customer.code == code))
    customer("R1")
    (row,) = customer("R1")
    row.first_name = "Zoë"
    assert row._dirty == {"first_name"}
    row.save()
    assert Customer.get(Customer.code == "R1").first_name == "Zoë"


def test_prepared_tuples_and_aliases_match_peewee(app):
    campaign = campaigns.create_campaign("shop", type="points", name="Alias")
    build = lambda cid: Campaign.select(Campaign.id, Campaign.created, Campaign.active,  # noqa: E731
                                        pw.fn.COUNT(Reward.id).alias("rewards")).join(Reward, pw.JOIN.LEFT_OUTER) \
        .where(Campaign.id == cid).group_by(Campaign.id)
    as_tuples = db.Prepared(lambda cid: build(cid).tuples())
    as_models = db.Prepared(build)
    for _ in range(3):
        assert as_tuples(campaign.id) == list(build(campaign.id).tuples())
        (row,) = as_models(campaign.id)
        (expected,) = list(build(campaign.id))
        assert (row.__data__, row.rewards) == (expected.__data__, expected.rewards)
        assert type(row.created) is dt.datetime and row.active is True


def test_a_balance_read_in_one_statement_equals_the_general_path(api):
    from gateway.domain import balances
    from gateway.domain import transactions as domain

    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="One")["campaign"]["id"]
    fees = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Fees")["campaign"]["id"]
    api.ok("campaign_fee_new", campaign_id=fees, fee_amount="1", fee_interval="30", interval_type="days",
           fee_description="Monthly")
    api.ok("record_customer", customer_action="new", code="S1", card_number="9001")
    api.ok("record_customer", customer_action="new", code="S2")
    api.ok("record_activity", campaign_id=cid, code="S1", amount="3.50")
    api.ok("record_activity", campaign_id=fees, code="S1", amount="2")
    old = dt.datetime(2020, 1, 1)  # the fee has taken something by now: the general path computes it
    Fee.update(created=old).execute()
    LedgerEntry.update(created=old).where(LedgerEntry.campaign == fees).execute()
    for cid, code, card in ((cid, "S1", None), (cid, None, "9001"), (cid, "S2", None), (fees, "S1", None)):
        fast = domain.standing("shop", cid, code, card)
        campaign = campaigns.get_campaign("shop", cid, active_only=False)
        customer = domain.find_customer("shop", code, card)
        holding = balances.holdings(customer, [campaign])[cid]
        wanted = domain.STANDING_COLUMNS
        assert fast.campaign.__data__ == {name: campaign.__data__[name] for name in wanted.campaign}
        assert fast.customer.__data__ == {name: customer.__data__[name] for name in wanted.customer}
        assert fast.campaign.has_deductions == (cid == fees)
        assert (fast.available, fast.items) == (holding.available, holding.items)
        for limit in (None, 0, 1, 5):
            assert domain.standing("shop", cid, code, card, history=limit).history == domain.history("shop", customer, campaign, limit)
    assert fast.available < 200  # the fees campaign: deductions applied
    with pytest.raises(Exception, match="Missing required field: code"):
        domain.standing("shop", cid, None, None)
    other = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Elsewhere")
    with pytest.raises(Exception, match="Customer not found"):
        domain.standing("shop", cid, "nobody", None)
    with pytest.raises(Exception, match="Campaign not found"):
        domain.standing("other", other["campaign"]["id"], "S1", None)


def test_the_campaign_and_customer_read_in_one_statement_equal_the_separate_reads(api):
    from gateway.domain import transactions as domain

    cid = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="Both")["campaign"]["id"]
    api.ok("campaign_fee_new", campaign_id=cid, fee_amount="1", fee_interval="30", interval_type="days",
           fee_description="Monthly")
    api.ok("record_customer", customer_action="new", code="B1", card_number="7001", first_name="Ann")
    for code, card in (("B1", None), (None, "7001"), ("B1", "ignored")):
        campaign, customer = domain.subjects("shop", cid, code, card)
        assert campaign.__data__ == domain.open_campaign("shop", cid).__data__
        assert campaign.has_deductions == 1
        whole = domain.find_customer("shop", code, card).__data__
        assert customer.__data__ == {name: whole[name] for name in domain.SUBJECT_COLUMNS.customer}
        assert not campaign._dirty and not customer._dirty
    with pytest.raises(Exception, match="Missing required field: code"):
        domain.subjects("shop", cid, None, None)
    with pytest.raises(Exception, match="Customer not found"):
        domain.subjects("shop", cid, "nobody", None)
    with pytest.raises(Exception, match="Campaign not found"):
        domain.subjects("other", cid, "B1", None)
    api.ok("campaign_deactivate", campaign_id=cid)
    with pytest.raises(Exception, match="Campaign is deactivated"):
        domain.subjects("shop", cid, "nobody", None)  # the campaign's refusal comes first


def test_a_balance_reads_its_history_in_the_same_statement_as_history_does(api):
    # standing() aggregates the history into one JSON array inside its statement (SQLite: text, whose
    # order the aggregate does not promise; PostgreSQL: lists from the driver). It must give exactly
    # what history() reads on its own: deleted and reversing rows left out, user names or ids, items,
    # custom fields, authorizations, newest first with ties broken by id, for every limit.
    from gateway.domain import transactions as domain
    from gateway.domain.models import Item

    User.update(name="Till Three").where(User.user_id == "clerk").execute()
    points = api.ok("campaign_new", action="campaign", campaign_type="points", campaign_name="H")["campaign"]["id"]
    buyx = api.ok("campaign_new", action="campaign", campaign_type="buyx", campaign_name="X")["campaign"]["id"]
    coffee = Item.create(campaign=buyx, reward_level=3, description="Coffee")
    api.ok("record_customer", customer_action="new", code="H1", card_number="5001")
    api.ok("record_customer", customer_action="new", code="H2")
    ids = []
    for n in range(12):
        who = api.staff() if n % 3 else api
        ids.append(who.ok("record_activity", campaign_id=points, code="H1", amount=f"{n + 1}.25",
                          authorization=f"A&<{n}>" if n % 4 == 0 else "", custom_field_1="Store \u00e9" if n == 5 else "",
                          )["receipt"]["transaction_id"])
        api.ok("record_activity", campaign_id=buyx, code="H1", service_product=coffee.id)
    api.ok("redeem", campaign_id=points, code="H1", custom_points_redeem="30")
    for deleted in ids[2], ids[7]:
        api.ok("transaction_delete", campaign_id=points, code="H1", transaction_id=deleted)
    same = dt.datetime(2026, 1, 2, 3, 4, 5, 600000)
    LedgerEntry.update(created=same).where(LedgerEntry.id.in_([int(i) for i in ids[8:11]])).execute()
    LedgerEntry.update(created=dt.datetime(2026, 1, 2, 3, 4, 5)).where(LedgerEntry.id == int(ids[3])).execute()

    for cid, code, card in ((points, "H1", None), (points, None, "5001"), (buyx, "H1", None), (points, "H2", None)):
        campaign = campaigns.get_campaign("shop", cid, active_only=False)
        customer = domain.find_customer("shop", code, card)
        whole = domain.history("shop", customer, campaign, None)
        for limit in (None, 0, 1, 3, 9, 100):
            got = domain.standing("shop", cid, code, card, history=limit).history
            assert got == domain.history("shop", customer, campaign, limit)
            assert got == whole[:limit]
    assert len(whole) == 0 and len(domain.history("shop", domain.find_customer("shop", "H1", None),
                                                  campaigns.get_campaign("shop", points), None)) == 11
    shown = {e.user_name for e in domain.standing("shop", points, "H1", None, history=None).history}
    assert shown == {"mgr", "Till Three"}
    # The history carries each time as text: it begins with the second the ledger holds, and the
    # texts put the rows in the order of the times (the fraction of the tied rows included).
    history = domain.standing("shop", points, "H1", None, history=None).history
    stored = {e.id: e.created for e in LedgerEntry.select().where(LedgerEntry.id.in_([e.id for e in history]))}
    assert [e.created[:19] for e in history] == [stored[e.id].strftime("%Y-%m-%d %H:%M:%S") for e in history]
    assert [e.id for e in history] == sorted(stored, key=lambda i: (stored[i], i), reverse=True)
    assert any(stored[e.id].microsecond for e in history)


def test_a_served_worker_freezes_what_it_loaded_and_still_answers(tmp_path):
    # gunicorn.conf.py's post_worker_init, run as gunicorn runs it (after the app is loaded): the
    # long-lived objects leave the garbage collector's scans, and requests work as before.
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    script = (
        "import gc, runpy\n"
        "conf = runpy.run_path('gunicorn.conf.py')\n"
        "from app import app\n"
        "before = gc.get_freeze_count()\n"
        "conf['post_worker_init'](None)\n"
        "frozen = gc.get_freeze_count()\n"
        "assert before == 0 and frozen > 10000, (before, frozen)\n"
        "answer = app.test_client().post('/', data={'type': 'campaigns_list'})\n"
        "assert answer.status_code == 200 and b'status=\"error\"' in answer.data, answer.data\n"
        "print('frozen', frozen)\n"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/frozen.db"}
    done = subprocess.run([sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("frozen ")
