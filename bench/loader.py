"""Benchmark data: one account with N customers and M ledger rows, bulk-loaded in chunks.

The rows are what the API itself would have written: points and events records, reward redeems that
never take a balance below zero, and one Membership per (customer, campaign) holding exactly the sum of
its rows, so ``flask --app app check-ledger`` passes on the result. Rows are spread over a year in
global time order across random customers (not customer by customer), so one customer's history is
scattered through the table as it is in production. Seeded: the same sizes give the same data.

Only peewee's public API and the models are used (``Model.insert_many`` in chunks, many chunks per
transaction), so the loader works on whatever ``gateway.domain.db`` is bound to, SQLite or PostgreSQL.
It needs the tables (``models.create_tables()``) and no account named ``bench``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from itertools import islice

import peewee

from gateway.domain import db
from gateway.domain.models import Account, Campaign, Customer, LedgerEntry, Membership, Promo, Reward, User, utcnow

ACCOUNT = "bench"
USER = "bench"
API_KEY = "bench-key-0001"  # a throwaway database's key: shown in the harness's request bodies
REWARD_LEVELS = (500, 1000, 2500, 5000, 10000)
EVENTS_SHARE = 0.2  # the rest of the rows are points rows
REDEEM_EVERY = 8  # about one points row in this many is a redeem, when the balance allows one
# Rows per INSERT on SQLite: 1,000 rows x 22 columns (a customer with its defaults) stays below SQLite's
# default limit of 32,766 bound variables. PostgreSQL has no such limit here (psycopg2 sends the values
# inlined), and fewer, larger statements mean fewer round trips.
CHUNK = 1000
PG_CHUNK = 10000
# Chunks per transaction: few enough commits to be fast, small enough to keep SQLite's WAL file modest.
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
    """Insert ``rows`` (tuples in ``fields`` order) with ``insert_many`` in chunks of ``chunk`` rows,
    ``CHUNKS_PER_TRANSACTION`` chunks per transaction; peewee fills unlisted fields with their defaults."""
    rows = iter(rows)
    while True:
        with db.database.atomic():
            for _ in range(CHUNKS_PER_TRANSACTION):
                batch = list(islice(rows, chunk))
                if not batch:
                    return
                model.insert_many(batch, fields=fields).execute()


def _setup(rng: random.Random) -> tuple[str, str, str, int]:
    def campaign(type_: str, name: str) -> str:
        # 16 digits, as the API hands out (gateway.domain.campaigns), drawn from the seeded generator
        return Campaign.create(id=str(rng.randrange(10**15, 10**16)), account=ACCOUNT, type=type_, name=name).id

    with db.database.atomic():
        Account.create(id=ACCOUNT, name="Benchmark Shop")
        # Keys are stored as the SHA-256 hex of the key (User.key_hash).
        User.create(account=ACCOUNT, user_id=USER, role="manager",
                    key_hash=hashlib.sha256(API_KEY.encode("utf-8")).hexdigest())
        points = campaign("points", "Bench Points")
        events = campaign("events", "Bench Visits")
        rewards = campaign("points", "Bench Reward Writes")
        Reward.insert_many([(points, level, f"Reward at {level} points", f"SKU{level}") for level in REWARD_LEVELS],
                           fields=[Reward.campaign, Reward.level, Reward.description, Reward.identifier]).execute()
        promo = Promo.create(campaign=points, operation="x", amount="2", description="Double points")
    return points, events, rewards, promo.id


def load(customers: int, entries: int, *, seed: int = 1, chunk: int | None = None) -> Dataset:
    """Create the ``bench`` account, ``customers`` customers and ``entries`` ledger rows."""
    if customers < 1 or entries < 0:
        raise ValueError("need at least one customer and no negative row count")
    if chunk is None:
        chunk = CHUNK if isinstance(db.database.obj, peewee.SqliteDatabase) else PG_CHUNK
    rng = random.Random(seed)
    points, events, rewards_campaign, promo_id = _setup(rng)
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
