"""Benchmark data: one account with N customers and M ledger rows, bulk-loaded in chunks.

The rows are what the API itself would have written: points and events records, reward redeems that
never take a balance below zero, and one Membership per (customer, campaign) holding exactly the sum of
its rows, so ``flask --app app check-ledger`` passes on the result. Rows are spread over a year in
global time order across random customers (not customer by customer), so one customer's history is
scattered through the table as it is in production. Seeded: the same sizes give the same data.

Works on whatever database ``gateway.db`` is bound to (SQLite or PostgreSQL); it needs the tables and
no account named ``bench``.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from itertools import islice

from gateway.domain import db
from gateway.legacy.auth import hash_key
from gateway.domain.campaigns import create_campaign
from gateway.domain.models import Account, Customer, LedgerEntry, Membership, Promo, Reward, User, utcnow

ACCOUNT = "bench"
USER = "bench"
API_KEY = "bench-key-0001"  # a throwaway database's key: shown in the harness's request bodies
REWARD_LEVELS = (500, 1000, 2500, 5000, 10000)
EVENTS_SHARE = 0.2  # the rest of the rows are points rows
REDEEM_EVERY = 8  # about one points row in this many is a redeem, when the balance allows one
# Rows per INSERT: 1,000 rows x at most 22 columns (a customer with its defaults) stays below SQLite's
# default bound-variable limit (32,766).
CHUNK = 1000
# Chunks per transaction: few enough commits to be fast, small enough to keep the WAL file modest.
CHUNKS_PER_TRANSACTION = 50


@dataclass(frozen=True)
class Dataset:
    customers: int
    entries: int
    points_campaign: str  # records, redeems and balance reads go here
    events_campaign: str
    rewards_campaign: str  # a points campaign whose rewards the write benchmark keeps adding to
    promo_id: int
    rewards: int  # rewards on the points campaign (what campaign_rewards lists)


def code_of(number: int) -> str:
    return f"B{number:07d}"


def _insert(model, fields: list, rows, chunk: int) -> None:
    """Insert ``rows`` (tuples in ``fields`` order, values as the database takes them: datetimes as
    text) in chunks of ``chunk`` rows, many chunks per transaction; unlisted fields get their defaults.

    peewee's ``insert_many`` writes the multi-row INSERT, but building its SQL value by value costs
    ten times what SQLite spends executing it; so its SQL is built once per chunk length and reused.
    """
    listed = {f.name for f in fields}  # by name: a peewee Field's == builds an SQL expression
    extra = [f for f in model._meta.sorted_fields if f.default is not None and f.name not in listed]
    defaults = tuple(f.db_value(f.default() if callable(f.default) else f.default) for f in extra)
    columns = list(fields) + extra
    rows = iter(rows)
    statements: dict[int, str] = {}
    while True:
        with db.database.atomic():
            for _ in range(CHUNKS_PER_TRANSACTION):
                batch = [row + defaults for row in islice(rows, chunk)]
                if not batch:
                    return
                if len(batch) not in statements:
                    sql, params = model.insert_many(batch, fields=columns).sql()
                    assert len(params) == len(batch) * len(columns), "peewee added columns of its own"
                    statements[len(batch)] = sql
                db.database.execute_sql(statements[len(batch)], [value for row in batch for value in row])


def _setup() -> tuple[str, str, str, int]:
    with db.write_transaction():
        Account.create(id=ACCOUNT, name="Benchmark Shop")
        User.create(account=ACCOUNT, user_id=USER, role="manager", key_hash=hash_key(API_KEY))
        points = create_campaign(ACCOUNT, type="points", name="Bench Points")
        events = create_campaign(ACCOUNT, type="events", name="Bench Visits")
        rewards = create_campaign(ACCOUNT, type="points", name="Bench Reward Writes")
        for level in REWARD_LEVELS:
            Reward.create(campaign=points.id, level=level, description=f"Reward at {level} points",
                          identifier=f"SKU{level}")
        promo = Promo.create(campaign=points.id, operation="x", amount="2", description="Double points")
    return points.id, events.id, rewards.id, promo.id


def load(customers: int, entries: int, *, seed: int = 1, chunk: int = CHUNK) -> Dataset:
    """Create the ``bench`` account, ``customers`` customers and ``entries`` ledger rows."""
    if customers < 1 or entries < 0:
        raise ValueError("need at least one customer and no negative row count")
    rng = random.Random(seed)
    points, events, rewards_campaign, promo_id = _setup()
    now = utcnow()
    start = now - dt.timedelta(days=365)

    _insert(
        Customer,
        [Customer.account, Customer.code, Customer.card_number, Customer.first_name, Customer.last_name,
         Customer.email, Customer.created],
        ((ACCOUNT, code_of(n), f"9{n:011d}", "Bench", f"Customer{n}", f"c{n}@bench.invalid", str(start))
         for n in range(customers)),
        chunk,
    )
    ids = [cid for (cid,) in Customer.select(Customer.id).where(Customer.account == ACCOUNT)
           .order_by(Customer.code).tuples()]

    # (customer id, campaign id) -> [balance, first activity, last activity]
    members: dict[tuple[int, str], list] = {}
    reward_ids = [r for (r,) in Reward.select(Reward.id).where(Reward.campaign == points).order_by(Reward.level).tuples()]
    step = dt.timedelta(days=365) / max(entries, 1)

    def rows():
        for i in range(entries):
            customer = ids[rng.randrange(customers)]
            created = str((start + step * i).replace(microsecond=0))
            campaign = events if rng.random() < EVENTS_SHARE else points
            member = members.setdefault((customer, campaign), [0, created, created])
            reward_id, original = None, ""
            if campaign == events:
                kind, amount = "record", 1
            else:
                affordable = [(lvl, rid) for lvl, rid in zip(REWARD_LEVELS, reward_ids) if lvl <= member[0]]
                if affordable and rng.randrange(REDEEM_EVERY) == 0:
                    level, reward_id = rng.choice(affordable)
                    kind, amount = "redeem", -level
                else:
                    cents = rng.randrange(100, 10000)
                    # 100 points per currency unit (the default ratio): $12.34 earns 1234 points
                    kind, amount, original = "record", cents, f"{cents // 100}.{cents % 100:02d}"
            member[0] += amount
            member[2] = created
            yield (ACCOUNT, campaign, customer, kind, amount, original, reward_id, USER, created)

    _insert(
        LedgerEntry,
        [LedgerEntry.account, LedgerEntry.campaign, LedgerEntry.customer, LedgerEntry.kind, LedgerEntry.amount,
         LedgerEntry.original_amount, LedgerEntry.reward_id, LedgerEntry.user_id, LedgerEntry.created],
        rows(),
        chunk,
    )
    _insert(
        Membership,
        [Membership.customer, Membership.campaign, Membership.balance, Membership.first_activity,
         Membership.last_activity, Membership.created],
        ((customer, campaign, balance, first, last, first)
         for (customer, campaign), (balance, first, last) in members.items()),
        chunk,
    )
    # Fresh bulk-loaded tables: give the planner the statistics a long-running database would have.
    db.database.execute_sql("ANALYZE")
    return Dataset(customers, entries, points, events, rewards_campaign, promo_id, len(REWARD_LEVELS))


__all__ = ["ACCOUNT", "API_KEY", "USER", "Dataset", "code_of", "load"]
