"""Every error /docs lists can be answered: for each registered call and each message in its ``errors=``,
a recipe that makes that call answer exactly that message, through HTTP.

A recipe is a change to the call's BASE request, a request that succeeds after its set-up
(``test_base_request_succeeds`` checks that): set-up steps to add and fields to change (``None`` drops a
field). So each error is shown to come from that one change. ``test_recipes_match_the_registry`` fails
when a call lists an error without a recipe here, or a recipe is kept for an error no call lists.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

import pytest
from peewee import chunked

from gateway.domain import db
from gateway.domain.models import Customer
from gateway.legacy.calls import load_all
from gateway.legacy.docs_page import COMMON_ERRORS
from gateway.legacy.messages import PERMISSION_DENIED
from gateway.legacy.registry import registry

from conftest import Api

Step = Callable[[Api, dict], None]  # a set-up step: calls the API, may save ids in the context


def step(type_: str, saves: str | None = None, at: tuple[str, ...] = (), **fields) -> Step:
    """An ``api.ok`` call; ``"{name}"`` in a field is filled from the context; ``saves`` keeps the
    answer's value at path ``at`` in the context under that name."""

    def run(api: Api, ctx: dict) -> None:
        doc = api.ok(type_, **fill(fields, ctx))
        if saves:
            for key in at:
                doc = doc[key]
            ctx[saves] = doc

    return run


def fill(fields: dict, ctx: dict) -> dict:
    return {k: v.format(**ctx) if isinstance(v, str) else v for k, v in fields.items()}


def campaign(kind: str) -> Step:
    """A campaign of ``kind``; it becomes ``{campaign}``, the one the request names."""
    return step("campaign_new", "campaign", ("campaign", "id"), action="campaign", campaign_type=kind,
                campaign_name=f"{kind} club", amount_per_event="1" if kind == "earned" else None)


def customer(code: str, **fields) -> Step:
    return step("record_customer", customer_action="new", code=code, **fields)


POINTS, GIFTCARD, EVENTS, BUYX = (campaign(k) for k in ("points", "giftcard", "events", "buyx"))
C1 = customer("C1", card_number="1111", first_name="Ann", customer_username="amy")
C2 = customer("C2", card_number="2222", first_name="Ann")
REWARD = step("campaign_new", "reward", ("campaign", "reward", "id"), action="reward", campaign_id="{campaign}",
              reward_level=10, reward_description="Mug")


def promo(**dates) -> Step:
    return step("campaign_new", "promo", ("campaign", "promo", "id"), action="promo", campaign_id="{campaign}",
                promo_operation="x", promo_amount="2", promo_description="Double", **dates)


PROMO, PAST_PROMO = promo(), promo(promo_start_date="2000-01-01", promo_end_date="2000-01-02")
ITEM = step("campaign_new", "item", ("campaign", "item", "id"), action="item", campaign_id="{campaign}",
            reward_level=5, item_description="Coffee")
FEE = step("campaign_fee_new", "fee", ("fee", "id"), campaign_id="{campaign}", fee_interval=1,
           interval_type="months", fee_amount=10, fee_description="Monthly")
DEPRECIATION = step("depreciation_new", "depreciation", ("depreciation", "id"), campaign_id="{campaign}",
                    depreciation_type="per_transaction", depreciation_interval=1, depreciation_interval_type="years",
                    depreciation_percentage=5)
DEACTIVATE = step("campaign_deactivate", campaign_id="{campaign}")
REACTIVATE = step("campaign_reactivate", campaign_id="{campaign}")
EARN = step("record_activity", "transaction", ("receipt", "transaction_id"), campaign_id="{campaign}", code="C1",
            amount=1)  # 100 points at the default ratio
SPEND_ALL = step("redeem", campaign_id="{campaign}", code="C1", custom_points_redeem=100)
DELETE_EARN = step("transaction_delete", campaign_id="{campaign}", code="C1", transaction_id="{transaction}")
REGISTER_C2 = step("record_customer", customer_action="register", code="C2", customer_password="pw")


def every_number_taken(api: Api, ctx: dict) -> None:
    """Every card number generate_card_number can make with prefix 9 and 5 digits is a code in use, so
    each number it draws is taken (no chance involved)."""
    rows = [{"account": "shop", "code": f"9{n:04d}"} for n in range(10_000)]
    with db.database.atomic():
        for batch in chunked(rows, 500):
            Customer.insert_many(batch).execute()


class Variant(NamedTuple):
    steps: tuple[Step, ...]  # added after the base's set-up
    changes: dict  # over the base's fields; None drops one


def v(*steps: Step, **changes) -> Variant:
    return Variant(steps, changes)


def on(kind: Step, **changes) -> Variant:
    """The request on a new campaign of another type (``kind``: it becomes ``{campaign}``)."""
    return v(kind, **changes)


# --- the base requests: call -> (set-up, fields of a request that succeeds) -------------------------------

CID = {"campaign_id": "{campaign}"}
ACTIVE = (POINTS, C1, EARN)  # a points campaign, customer C1 with 100 points
RANGE = {"date_start": "2020-01-01"}

BASE: dict[str, tuple[tuple[Step, ...], dict]] = {
    "campaign_new/campaign": ((), dict(campaign_type="points", campaign_name="Club")),
    "campaign_update/campaign": ((POINTS,), dict(CID, new_campaign_name="Renamed")),
    "campaign_delete/campaign": ((POINTS,), CID),
    "campaign_deactivate": ((POINTS,), CID),
    "campaign_reactivate": ((POINTS, DEACTIVATE), CID),
    "campaigns_list": ((), {}),
    "campaigns_inactive_list": ((), {}),
    "campaign_new/reward": ((POINTS,), dict(CID, reward_level=10, reward_description="Mug")),
    "campaign_update/reward": ((POINTS, REWARD), dict(CID, reward_id="{reward}", new_reward_level=20)),
    "campaign_delete/reward": ((POINTS, REWARD), dict(CID, reward_id="{reward}")),
    "campaign_rewards": ((POINTS,), CID),
    "campaign_new/promo": ((POINTS,), dict(CID, promo_operation="x", promo_amount=2, promo_description="Double")),
    "campaign_update/promo": ((POINTS, PROMO), dict(CID, promo_id="{promo}", new_promo_amount=3)),
    "campaign_delete/promo": ((POINTS, PROMO), dict(CID, promo_id="{promo}")),
    "campaign_promos": ((POINTS,), CID),
    "campaign_new/item": ((BUYX,), dict(CID, reward_level=5, item_description="Coffee")),
    "campaign_update/item": ((BUYX, ITEM), dict(CID, item_id="{item}", new_reward_level=6)),
    "campaign_delete/item": ((BUYX, ITEM), dict(CID, item_id="{item}")),
    "buyx_items_list": ((BUYX,), CID),
    "campaign_fee_new": ((POINTS,), dict(CID, fee_interval=1, interval_type="months", fee_amount=10,
                                         fee_description="Monthly")),
    "campaign_fee_update": ((POINTS, FEE), dict(CID, fee_id="{fee}", fee_amount=20)),
    "campaign_fee_delete": ((POINTS, FEE), dict(CID, fee_id="{fee}")),
    "campaign_fees": ((POINTS,), CID),
    "depreciation_new": ((POINTS,), dict(CID, depreciation_type="per_transaction", depreciation_interval=1,
                                         depreciation_interval_type="years", depreciation_percentage=5)),
    "depreciation_update": ((POINTS, DEPRECIATION), dict(CID, depreciation_id="{depreciation}",
                                                         depreciation_percentage=10)),
    "depreciation_delete": ((POINTS, DEPRECIATION), dict(CID, depreciation_id="{depreciation}")),
    "campaign_depreciations": ((POINTS,), CID),
    "record_customer/new": ((C1,), dict(code="C2")),
    "record_customer/edit": ((C1,), dict(code="C2")),
    "record_customer/register": ((C1,), dict(code="C2", customer_password="pw")),
    "generate_card_number": ((), {}),
    "customer_search": ((C1,), dict(first_name="Ann")),
    "customer_find": ((C1,), dict(find_customer="Ann")),
    "customer_info": ((C1,), dict(code="C1")),
    "validate_customer_password": ((REGISTER_C2,), dict(code="C2", customer_password="pw")),
    "card_replace": ((C1, C2), dict(previous_code="C1", new_code="C3")),
    "customer_delete": ((C1,), dict(code="C1")),
    "record_activity": ((POINTS, C1), dict(CID, code="C1", amount=1)),
    "redeem": (ACTIVE, dict(CID, code="C1", custom_points_redeem=100)),
    "transaction_delete": (ACTIVE, dict(CID, code="C1", transaction_id="{transaction}")),
    "customer_balance": ((POINTS, C1), dict(CID, code="C1")),
    "reports/transactions_all": ((), RANGE),
    "reports/customers_balances": ((POINTS,), CID),
    "reports/customers_all": ((), {}),
    "reports/customers_new": ((), RANGE),
    "reports/customers_frequent": ((), dict(frequency=1)),
    "reports/customers_Inactive": ((), dict(Inactive_for=30)),
    "reports/customers_birthday": ((), {}),
    "reports/customers_custom_date": ((), {}),
    "reports/customers_search": ((), dict(search_text="Ann")),
}

# --- the errors, by call: message -> what to change ------------------------------------------------------

def missing(*names: str) -> dict:
    """Each of these required fields left out."""
    return {f"Missing required field: {name}": v(**{name: None}) for name in names}


NOT_FOUND = "Campaign not found"
NEED_CAMPAIGN = "Missing required field: campaign_id"
NEEDS_CAMPAIGN = {**missing("campaign_id"), NOT_FOUND: v(campaign_id="404")}


def only(message: str, kind: Step) -> dict:
    """The campaign a part belongs to: missing, not found, of the wrong type (``kind``)."""
    return {**NEEDS_CAMPAIGN, message: on(kind)}


def optional(errors: dict) -> dict:
    """Where campaign_id is optional (parts named by their own id), it cannot be missing."""
    return {message: variant for message, variant in errors.items() if message != NEED_CAMPAIGN}


REWARDS_ONLY = only("Rewards are only available for points and events campaigns", BUYX)
PROMOS_ONLY = only("Promotions are only available for points campaigns", BUYX)
ITEMS_ONLY = only("Items are only available for buyx campaigns", POINTS)
FEES_ONLY = only("Fees are only available for points and giftcard campaigns", EVENTS)
DEPRECIATIONS_ONLY = only("Depreciations are only available for points and giftcard campaigns", EVENTS)
NOTHING = "Nothing to update: give at least one new value"
TYPES = "must be one of points, giftcard, events, earned, buyx"
WHOLE_POINTS = "Invalid value for field fee_amount: points campaigns take whole points"
INTERVAL_TYPE = "Invalid value for field interval_type: must be one of days, months, years"
PERCENTAGE = "Invalid value for field depreciation_percentage: Must be between 0.01 and 100"


def part(name: str, bad_id: bool = True) -> dict:
    """A reward, promo, item, fee or depreciation id: missing, not an id (when listed), not found."""
    key = f"{name}_id"
    return {**missing(key), **({f"Invalid value for field {key}: Not a valid id": v(**{key: "abc"})} if bad_id else {}),
            f"{name.capitalize()} not found": v(**{key: 999999})}


def searched(columns: str, numeric: str | None) -> dict:
    """The API 1.5 list options; ``numeric`` is a column searched as a number (None: the list has none)."""
    found = {
        "Missing required field: searchField": v(searchValue="x"),
        "Missing required field: searchValue": v(searchField=columns.split(", ")[0]),
        f"Invalid value for field searchField: must be one of {columns}": v(searchField="bogus"),
        "Invalid value for field searchOper: must be one of eq, ne, bw, bn, ew, en, cn, nc, nu, nn, in, ni":
            v(searchOper="like"),
        "Invalid value for field sortOrder: must be one of ASC, DESC": v(sortOrder="UP"),
        "Invalid value for field length: Must be greater than or equal to 1 and less than or equal to 1000":
            v(length=0),
    }
    if numeric:
        found["Invalid value for field searchValue: this field takes numbers"] = v(searchField=numeric,
                                                                                     searchValue="abc")
    return found


def record_customer(more: dict | None = None) -> dict:
    """What every record_customer action can answer, and ``more``."""
    return {"Card number already in use": v(card_number="1111"),
            "Customer username already in use": v(customer_username="amy"), NOT_FOUND: v(campaign_id="404"),
            "Give card_number or card_number_generate, not both": v(card_number="3333", card_number_generate=16),
            **(more or {})}


SUBJECTS = {**NEEDS_CAMPAIGN, **missing("code"), "Campaign is deactivated": v(DEACTIVATE),
            "Customer not found": v(code="nobody")}
DATES = {"Invalid value for field date_start: not a date (use YYYY-MM-DD)": v(date_start="today"),
         "Invalid value for field date_end: before date_start": v(date_start="2020-01-02", date_end="2020-01-01"),
         NOT_FOUND: v(selected_campaigns="404")}
DATES_FROM = {**missing("date_start"), **DATES}

ERRORS: dict[str, dict[str, Variant]] = {
    "campaign_new/campaign": {
        **missing("campaign_type", "campaign_name"),
        "Missing required field: amount_per_event": v(campaign_type="earned"),
        f"Invalid value for field campaign_type: {TYPES}": v(campaign_type="stamps"),
        "Invalid value for field points_ratio: Must be between 0.000001 and 1000000": v(points_ratio=0),
    },
    "campaign_update/campaign": {
        **NEEDS_CAMPAIGN, NOTHING: v(new_campaign_name=None),
        "Invalid value for field new_points_ratio: Must be between 0.000001 and 1000000": v(new_points_ratio=2_000_000),
    },
    "campaign_delete/campaign": NEEDS_CAMPAIGN,
    "campaign_deactivate": {**NEEDS_CAMPAIGN, "Campaign is already deactivated": v(DEACTIVATE)},
    "campaign_reactivate": {**NEEDS_CAMPAIGN, "Campaign is already active": v(REACTIVATE)},
    "campaigns_list": {f"Invalid value for field type_restrict: {TYPES}": v(type_restrict="points,stamps"),
                       **searched("campaign_name, campaign_type", None)},
    "campaigns_inactive_list": {f"Invalid value for field type_restrict: {TYPES}": v(type_restrict="stamps"),
                                **searched("campaign_name, campaign_type", None)},
    "campaign_new/reward": {
        **REWARDS_ONLY, **missing("reward_level", "reward_description"),
        "Invalid value for field reward_level: Must be greater than or equal to 1 and less than or equal to 1000000000000000":
            v(reward_level=0),
    },
    "campaign_update/reward": {**REWARDS_ONLY, **part("reward"), NOTHING: v(new_reward_level=None)},
    "campaign_delete/reward": {**optional(REWARDS_ONLY), **part("reward")},
    "campaign_rewards": REWARDS_ONLY,
    "campaign_new/promo": {
        **PROMOS_ONLY, **missing("promo_operation", "promo_amount", "promo_description"),
        "Invalid value for field promo_operation: must be one of x, +": v(promo_operation="-"),
        "Invalid value for field promo_amount: must be greater than 0": v(promo_amount=0),
        "Invalid value for field promo_end_date: the end date must be after the start date":
            v(promo_start_date="2030-01-02", promo_end_date="2030-01-01"),
    },
    "campaign_update/promo": {
        **optional(PROMOS_ONLY), **part("promo"),
        "At least one of new_promo_operation, new_promo_amount, new_promo_description is required":
            v(new_promo_amount=None),
        "Invalid value for field new_promo_amount: must not be blank": v(new_promo_amount=""),
        "Invalid value for field new_promo_amount: must be greater than 0": v(new_promo_amount=0),
        # the domain names the end date promo_end_date on this call too
        "Invalid value for field promo_end_date: the end date must be after the start date":
            v(new_promo_start_date="2030-01-02", new_promo_end_date="2030-01-01"),
    },
    "campaign_delete/promo": {**optional(PROMOS_ONLY), **part("promo")},
    "campaign_promos": {**PROMOS_ONLY, **searched("promotion, operation, multiplier", "multiplier")},
    "campaign_new/item": {**ITEMS_ONLY, **missing("reward_level", "item_description")},
    "campaign_update/item": {**optional(ITEMS_ONLY), **part("item"), NOTHING: v(new_reward_level=None)},
    "campaign_delete/item": {**optional(ITEMS_ONLY), **part("item")},
    "buyx_items_list": {**ITEMS_ONLY, **searched("service_product, reward_id, buy_amount", "buy_amount")},
    "campaign_fee_new": {
        **FEES_ONLY, **missing("fee_interval", "interval_type", "fee_amount", "fee_description"),
        INTERVAL_TYPE: v(interval_type="weeks"), WHOLE_POINTS: v(fee_amount="1.5"),
    },
    "campaign_fee_update": {
        **FEES_ONLY, **part("fee", bad_id=False), NOTHING: v(fee_amount=None),
        INTERVAL_TYPE: v(interval_type="weeks"), WHOLE_POINTS: v(fee_amount="1.5"),
    },
    "campaign_fee_delete": {**FEES_ONLY, **part("fee", bad_id=False)},
    "campaign_fees": FEES_ONLY,
    "depreciation_new": {
        **DEPRECIATIONS_ONLY,
        **missing("depreciation_type", "depreciation_interval", "depreciation_interval_type", "depreciation_percentage"),
        "Invalid value for field depreciation_type: must be one of per_transaction, last_transaction":
            v(depreciation_type="monthly"),
        PERCENTAGE: v(depreciation_percentage=101),
    },
    "depreciation_update": {
        **DEPRECIATIONS_ONLY, **part("depreciation", bad_id=False), NOTHING: v(depreciation_percentage=None),
        PERCENTAGE: v(depreciation_percentage=0),
    },
    "depreciation_delete": {**DEPRECIATIONS_ONLY, **part("depreciation", bad_id=False)},
    "campaign_depreciations": DEPRECIATIONS_ONLY,
    "record_customer/new": record_customer({"Customer code already in use": v(code="C1")}),
    "record_customer/edit": record_customer(),
    "record_customer/register": record_customer({**missing("customer_password"),
                                                 "Customer already registered": v(REGISTER_C2)}),
    "generate_card_number": {
        "Invalid value for field how_many_digits: must leave at least 4 random digits besides the prefix and suffix":
            v(how_many_digits=6, card_number_prefix="123"),
        "Could not find an unused card number: use more digits":
            v(every_number_taken, how_many_digits=5, card_number_prefix="9"),
    },
    "customer_search": {
        "Invalid value for field exact_match: must be one of sensitive, insensitive": v(exact_match="roughly"),
        "Invalid value for field customer_password: secrets cannot be searched; use validate_customer_password":
            v(customer_password="secret"),
    },
    "customer_find": missing("find_customer"),
    "customer_info": {"Customer not found": v(code="nobody"), NOT_FOUND: v(campaign_id="404")},
    "validate_customer_password": {"Customer credentials do not match": v(customer_password="wrong")},
    "card_replace": {
        "Customer not found": v(previous_code="nobody"),
        "More than one customer matches: give previous_code or previous_card": v(previous_code=None, first_name="ann"),
        "Customer code already in use": v(new_code="C2"),
        "Card number already in use": v(new_card_number="2222"),
    },
    "customer_delete": {"Customer not found": v(code="nobody")},
    "record_activity": {
        **SUBJECTS, "Promo not found": v(promo_id=999999),
        "Promo is not active at this time": v(PAST_PROMO, promo_id="{promo}"),
        "Item not found": on(BUYX, service_product=999999),
        "Missing required field: amount": on(GIFTCARD, amount=None),
        "Missing required field: service_product": on(BUYX),
    },
    "redeem": {
        **SUBJECTS, "Insufficient balance: 100 available, 250 needed": v(custom_points_redeem=250),
        "Reward not found": v(custom_points_redeem=None, reward_to_redeem=999999),
        "Item not found": on(BUYX, custom_points_redeem=None, reward_to_redeem=999999),
        "This campaign does not redeem by currency value (it has no reward_ratio)":
            v(custom_points_redeem=None, custom_dollars_redeem=1),
        "Give only one of reward_to_redeem, custom_points_redeem, custom_dollars_redeem": v(reward_to_redeem=1),
        "Missing required field: reward_to_redeem": v(custom_points_redeem=None),
    },
    "transaction_delete": {
        **SUBJECTS, "Transaction not found": v(transaction_id=999999), "Transaction already deleted": v(DELETE_EARN),
        "Cannot delete this transaction: the balance would become negative": v(SPEND_ALL),
    },
    "customer_balance": {**NEEDS_CAMPAIGN, **missing("code"), "Customer not found": v(code="nobody")},
    "reports/transactions_all": DATES_FROM,
    "reports/customers_balances": {
        **NEEDS_CAMPAIGN,
        "Invalid value for field selected_campaigns: Only one campaign can be reported at a time":
            v(campaign_id=None, selected_campaigns="{campaign},404"),
    },
    "reports/customers_all": DATES,
    "reports/customers_new": DATES_FROM,
    "reports/customers_frequent": {**DATES, **missing("frequency")},
    "reports/customers_Inactive": {**DATES, **missing("Inactive_for")},
    "reports/customers_birthday": DATES,
    "reports/customers_custom_date": DATES,
    "reports/customers_search": {**DATES, **missing("search_text")},
}

RECIPES: dict[tuple[str, str], Variant] = {(name, message): variant for name, variants in ERRORS.items()
                                           for message, variant in variants.items()}

# The errors /docs says every call can give: message -> a function of the api that answers it.
COMMON: dict[str, Callable[[Api], str]] = {
    "Authentication failed": lambda api: api.as_user("mgr", "wrong-key", "shop").err("campaigns_list"),
    "Missing required field: type": lambda api: api.err(""),
    "Unknown type: foo": lambda api: api.err("foo"),
    "Invalid callback: it must be a dotted JavaScript identifier of at most 128 characters":
        lambda api: api.err("campaigns_list", callback="alert(1)"),
    "Permission denied: this call needs a manager-level user":
        lambda api: api.staff().err("campaign_new", action="campaign", campaign_type="points", campaign_name="Club"),
}


def calls() -> dict:
    load_all()  # what create_app does first: every call is registered
    return {c.name: c for c in registry}


def send(api: Api, name: str, steps: tuple[Step, ...], fields: dict) -> dict:
    """Run the set-up, then the request as ``name`` (its type and action) with ``fields``."""
    ctx: dict = {}
    for run in steps:
        run(api, ctx)
    call = calls()[name]
    selector = {call.selector[0]: call.action} if call.action else {}
    return api.json(call.type, **selector, **fill(fields, ctx))


def test_recipes_match_the_registry():
    listed = {(name, message) for name, call in calls().items() for message in call.errors}
    assert sorted(listed - set(RECIPES)) == [], "listed in /docs without a recipe here"
    assert sorted(set(RECIPES) - listed) == [], "a recipe for an error no call lists"
    assert set(BASE) == set(calls())
    assert set(COMMON) == set(COMMON_ERRORS + (PERMISSION_DENIED,))


@pytest.mark.parametrize("name", sorted(BASE))
def test_base_request_succeeds(api, name):
    steps, fields = BASE[name]
    doc = send(api, name, steps, fields)
    assert doc["status"] == "success", doc


@pytest.mark.parametrize("key", sorted(RECIPES), ids=[f"{n}: {m}" for n, m in sorted(RECIPES)])
def test_listed_error_is_answered(api, key):
    name, message = key
    steps, fields = BASE[name]
    variant = RECIPES[key]
    doc = send(api, name, steps + variant.steps, {**fields, **variant.changes})
    assert (doc["status"], doc.get("error")) == ("error", message), doc


@pytest.mark.parametrize("message", sorted(COMMON))
def test_common_error_is_answered(api, message):
    assert COMMON[message](api) == message
