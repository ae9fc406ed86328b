"""Every error /docs lists can be answered: for each registered call and each message in its ``errors=``,
a recipe that makes that call answer exactly that message, through HTTP.

A recipe is a change to the call's BASE request, a request that succeeds after its set-up
(``test_base_request_succeeds`` checks that): set-up steps to add and fields to change (``None`` drops a
field). So each error is shown to come from that one change. ``test_recipes_match_the_registry`` fails
when a call lists an error without a recipe here, or a recipe is kept for an error no call lists.
"""
from __future__ import annotations

import datetime as dt
import json
from typing import Callable, NamedTuple

import pytest
from peewee import chunked

from gateway.domain import db
from gateway.domain.coalition import set_coalition
from gateway.domain.models import Customer, TimeToken, utcnow
from gateway.legacy.calls import load_all
from gateway.legacy.docs_page import COMMON_ERRORS
from gateway.domain.models import User
from gateway.domain.permissions import FLAGS
from gateway.domain.users import hash_key
from gateway.legacy.auth import refusal
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
USER = step("user_new", user_name="amy", user_role="K", user_new_password="amy-pass-1")
MGR_LESS = step("user_update", user_name="mgr", edit_account_info="No")  # mgr then cannot make an A
THROTTLED = "Too many failed attempts: try again in a few minutes"
ROLE = "Invalid value for field user_role: must be one of A, M, S, N, G, I, K, P, F, C, O, manager, staff"
ALLOWED = "Invalid value for field allowed_campaigns: must be all, none or a comma list of campaign ids"
GRANT = "Permission denied: a user cannot grant rights or campaigns it does not hold"


def failing(type_: str, **fields) -> Step:
    """Five failed tries of a throttled call (docs/users.md): the next try is refused."""

    def run(api: Api, ctx: dict) -> None:
        for _ in range(5):
            assert api.err(type_, **fields) != THROTTLED
    return run
# Time tokens (tests/test_tokens.py): one of this account, one of another account, one that expired.
TOKEN = step("generate_time_token", "token", ("token",))


def other_accounts_token(api: Api, ctx: dict) -> None:
    ctx["other_token"] = api.other().ok("generate_time_token")["token"]


def tokens_expired(api: Api, ctx: dict) -> None:
    TimeToken.update(expires=utcnow() - dt.timedelta(seconds=1)).execute()

# Custom fields (tests/test_fields.py): a definition, then what it refuses.
CF_PICK = step("manage_fields", action="add", custom_field_2_label="Status", custom_field_2_type="Pick",
               custom_field_2_choices="Single|Married")
CF_UNIQUE = step("manage_fields", action="add", custom_field_3_label="Member", custom_field_3_unique="Y")
C9_MEMBER = customer("C9", custom_field_3="M1")
PHONE_REQUIRED = step("manage_fields", action="update", phone_required="Y")
TF_NUMBER = step("transaction_fields", action="add", custom_field_1_type="Number")
TF_PICK = step("transaction_fields", action="add", custom_field_1_type="Pick", custom_field_1_choices="Store|Web")
TF_UNIQUE = step("transaction_fields", action="add", custom_field_2_unique="Y")
EARN_R1 = step("record_activity", campaign_id="{campaign}", code="C1", amount=1, custom_field_2="R1")
TF_REQUIRED = step("transaction_fields", action="add", custom_field_3_required="Y")
TF_REDEEM_ONLY = step("transaction_fields", action="add", custom_field_4_activity_type="redeem")
RF_LIST = step("manage_reward_fields", action="add", reward_custom_field_1_label="Category",
               reward_custom_field_1_type="List", reward_custom_field_1_choices="Food, Drink")
RF_UNIQUE = step("manage_reward_fields", action="add", reward_custom_field_2_label="SKU", reward_custom_field_2_unique="Y")
REWARD_S1 = step("campaign_new", action="reward", campaign_id="{campaign}", reward_level=5, reward_description="Pen",
                 reward_custom_field_2="S1")
RF_REQUIRED = step("manage_reward_fields", action="add", reward_custom_field_3_label="Note", reward_custom_field_3_required="Y")


def coalition_on(api: Api, ctx: dict) -> None:
    """The account becomes a coalition account (``flask --app app coalition shop on``)."""
    assert set_coalition("shop", True)


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
    "account_info": ((), {}),
    "account_update": ((), dict(biz_city="Berlin")),
    "generate_time_token": ((C1,), dict(code="C1")),
    "validate_time_token": ((TOKEN,), dict(token="{token}")),
    "reports/transactions_all": ((), RANGE),
    "reports/customers_balances": ((POINTS,), CID),
    "reports/customers_all": ((), {}),
    "reports/customers_new": ((), RANGE),
    "reports/customers_frequent": ((), dict(frequency=1)),
    "reports/customers_Inactive": ((), dict(Inactive_for=30)),
    "reports/customers_birthday": ((), {}),
    "reports/customers_custom_date": ((), {}),
    "reports/customers_search": ((), dict(search_text="Ann")),
    "customers_batch": ((C1,), dict(customers="code,first_name,last_name\nC1,Ann,Lee\nN1,Bob,Smith")),
    "batch_transactions": ((POINTS, C1), dict(transactions="campaign_id,code,amount\n{campaign},C1,1.50\n{campaign},C1,2")),
    "manage_fields/list": ((CF_PICK,), {}),
    "manage_fields/add": ((), dict(custom_field_2_label="Status")),
    "manage_fields/update": ((CF_PICK,), dict(custom_field_2_label="Renamed")),
    "manage_fields/delete": ((CF_PICK,), dict(field_list="custom_field_2")),
    "transaction_fields/list": ((TF_PICK,), {}),  # a field, so that /docs shows one
    "transaction_fields/add": ((), dict(custom_field_1_label="SKU")),
    "transaction_fields/update": ((TF_PICK,), dict(custom_field_1_label="Channel")),
    "transaction_fields/delete": ((TF_PICK,), dict(field_list="custom_field_1")),
    "manage_reward_fields/list": ((RF_LIST,), {}),
    "manage_reward_fields/add": ((), dict(reward_custom_field_1_label="Category")),
    "manage_reward_fields/update": ((RF_LIST,), dict(reward_custom_field_1_label="Kind")),
    "manage_reward_fields/delete": ((RF_LIST,), dict(field_list="reward_custom_field_1")),
    # users (docs/users.md)
    "user_new": ((), dict(user_name="amy", user_role="K")),
    "user_update": ((USER,), dict(user_name="amy", user_first_name="Amy")),
    "user_info": ((USER,), dict(user_name="amy")),
    "users_list": ((), {}),
    "user_delete": ((USER,), dict(user_name="amy")),
    "campaign_users/add": ((POINTS, USER), dict(user_name="amy", campaign_id="{campaign}")),
    "campaign_users/remove": ((POINTS, USER), dict(user_name="amy", campaign_id="{campaign}")),
    "user_login": ((USER,), dict(user_id="amy", user_password="amy-pass-1")),
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
            "Invalid value for field custom_field_2: must be one of Single, Married": v(CF_PICK, custom_field_2="Divorced"),
            "Invalid value for field custom_field_3: already in use": v(CF_UNIQUE, C9_MEMBER, custom_field_3="M1"),
            "Missing required field: phone": v(PHONE_REQUIRED),
            **(more or {})}


def field_errors(name: str, prefix: str, types: str, *, add: bool) -> dict:
    """What adding (``add``) or updating a field ``name`` of the family ``prefix`` can answer; the base
    request sets ``name``'s label, and on update ``name`` is a Pick or List field."""
    unset = {f"{name}_label": None}
    found = {
        f"Missing required field: {prefix}N_label (or another setting of a field {prefix}N)": v(**unset),
        f"Missing required field: {name}_choices": v(**{f"{name}_type": "Pick"}) if add else v(**{f"{name}_choices": "|"}),
        f"Invalid value for field {name}_show: must be Y or N": v(**{f"{name}_show": "maybe"}),
    }
    if add:
        found.update({
            f"Invalid value for field {name}: the field already exists": v(step(
                calls_of[prefix], action="add", **{f"{name}_label": "Taken"})),
            f"Invalid value for field {prefix}0: not a custom field name (e.g. {name})":
                v(**unset, **{f"{prefix}0_label": "Zero"}),
            f"Invalid value for field {name}_type: must be one of {types}": v(**{f"{name}_type": "Colour"}),
            f"Invalid value for field {name}_unique: only Text fields can be unique":
                v(**{f"{name}_type": "Date", f"{name}_unique": "Y"}),
            f"Invalid value for field {name}_choices: a List field's choices cannot contain commas":
                v(**{f"{name}_type": "List", f"{name}_choices": "a, b|c"}),
        })
    else:
        found[f"Invalid value for field {prefix}9: no such field (add it first)"] = v(**unset, **{f"{prefix}9_label": "X"})
    return found


calls_of = {"custom_field_": "manage_fields", "reward_custom_field_": "manage_reward_fields"}
TYPES_4 = "Text, Date, Pick, List"
ACTIVITY = {"Invalid value for field custom_field_1_activity_type: must be one of record, redeem, all":
            v(custom_field_1_activity_type="sometimes")}


def deleted(prefix: str, more: dict | None = None) -> dict:
    return {**missing("field_list"), f"Invalid value for field field_list: {prefix}9 is not a field": v(field_list=f"{prefix}9"),
            **(more or {})}


REWARD_FIELDS = {
    "Invalid value for field reward_custom_field_1: must be a comma list of Food, Drink":
        v(RF_LIST, reward_custom_field_1="Food,Toys"),
    "Invalid value for field reward_custom_field_2: already in use": v(RF_UNIQUE, REWARD_S1, reward_custom_field_2="S1"),
    "Missing required field: reward_custom_field_3": v(RF_REQUIRED),
}
SUBJECTS = {**NEEDS_CAMPAIGN, **missing("code"), "Campaign is deactivated": v(DEACTIVATE),
            "Customer not found": v(code="nobody")}
DATES = {"Invalid value for field date_start: not a date (use YYYY-MM-DD)": v(date_start="today"),
         "Invalid value for field date_end: before date_start": v(date_start="2020-01-02", date_end="2020-01-01"),
         NOT_FOUND: v(selected_campaigns="404")}
DATES_FROM = {**missing("date_start"), **DATES}

def batch_csv(name: str, column: str) -> dict:
    """What makes a batch's CSV unusable as a whole (gateway/legacy/calls/batches.py)."""
    from gateway.legacy.calls.batches import MAX_ROWS

    bad = f"Invalid value for field {name}: "
    return {**missing(name), bad + "the first row must name the columns": v(**{name: ",\nA,B"}),
            bad + "unknown column 'colour'": v(**{name: "colour\nred"}),
            bad + "a column is named twice": v(**{name: f"{column},{column}\nA,B"}),
            bad + "no rows after the header": v(**{name: column}),
            bad + f"at most {MAX_ROWS} rows per call": v(**{name: column + "\nR" * (MAX_ROWS + 1)})}


def batch_rows(name: str, rows: dict[str, str]) -> dict:
    """A one-row batch refused with its row's message (row 2: the header is row 1)."""
    return {f"Row 2: {message}": v(**{name: text}) for message, text in rows.items()}


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
        **REWARD_FIELDS,
    },
    "campaign_update/reward": {**REWARDS_ONLY, **part("reward"), NOTHING: v(new_reward_level=None), **REWARD_FIELDS},
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
        "Invalid value for field custom_field_2: this field is not searchable": v(CF_PICK, custom_field_2="Single"),
    },
    "customer_find": missing("find_customer"),
    "customer_info": {"Customer not found": v(code="nobody"), NOT_FOUND: v(campaign_id="404")},
    "validate_customer_password": {"Customer credentials do not match": v(customer_password="wrong"),
                                   THROTTLED: v(failing("validate_customer_password", code="C2", customer_password="no"))},
    "card_replace": {
        "Customer not found": v(previous_code="nobody"),
        "More than one customer matches: give previous_code or previous_card": v(previous_code=None, first_name="ann"),
        "Customer code already in use": v(new_code="C2"),
        "Card number already in use": v(new_card_number="2222"),
        "The new code and the new card number belong to two different customers":
            v(customer("C4", card_number="4444"), new_code="C2", new_card_number="4444", check_override="Y"),
        "Invalid value for field profile_uid: Not a valid id": v(profile_uid="abc"),
    },
    "customer_delete": {"Customer not found": v(code="nobody")},
    "record_activity": {
        **SUBJECTS, "Promo not found": v(promo_id=999999),
        "Promo is not active at this time": v(PAST_PROMO, promo_id="{promo}"),
        "Item not found": on(BUYX, service_product=999999),
        "Missing required field: amount": on(GIFTCARD, amount=None),
        "Missing required field: service_product": on(BUYX),
        "Invalid value for field custom_field_1: must be a number of at most 16 digits and 5 decimals":
            v(TF_NUMBER, custom_field_1="abc"),
        "Invalid value for field custom_field_2: already in use": v(TF_UNIQUE, EARN_R1, custom_field_2="R1"),
        "Missing required field: custom_field_3": v(TF_REQUIRED),
        "Invalid value for field custom_field_4: this field is for redeem transactions only":
            v(TF_REDEEM_ONLY, custom_field_4="x"),
    },
    "redeem": {
        **SUBJECTS, "Insufficient balance: 100 available, 250 needed": v(custom_points_redeem=250),
        "Reward not found": v(custom_points_redeem=None, reward_to_redeem=999999),
        "Item not found": on(BUYX, custom_points_redeem=None, reward_to_redeem=999999),
        "This campaign does not redeem by currency value (it has no reward_ratio)":
            v(custom_points_redeem=None, custom_dollars_redeem=1),
        "Give only one of reward_to_redeem, custom_points_redeem, custom_dollars_redeem": v(reward_to_redeem=1),
        "Missing required field: reward_to_redeem": v(custom_points_redeem=None),
        "Invalid value for field custom_field_1: must be one of Store, Web": v(TF_PICK, custom_field_1="Phone"),
        "Missing required field: custom_field_3": v(TF_REQUIRED),
    },
    "transaction_delete": {
        **SUBJECTS, "Transaction not found": v(transaction_id=999999), "Transaction already deleted": v(DELETE_EARN),
        "Cannot delete this transaction: the balance would become negative": v(SPEND_ALL),
    },
    "customer_balance": {**NEEDS_CAMPAIGN, **missing("code"), "Customer not found": v(code="nobody")},
    "account_update": {
        NOTHING: v(biz_city=None),
        "Invalid value for field symbol_selector: not a currency code we know (ISO 4217, e.g. USD, EUR, GBP)":
            v(symbol_selector="XYZ"),
        "Invalid value for field symbol_selector: a three-letter currency code (e.g. USD)": v(symbol_selector="EURO"),
        "Invalid value for field language_selector: must be one of EN, DE, ES, FR, GE, IT, PT, NO, TR, PT-BR":
            v(language_selector="XX"),
        "Invalid value for field contact_email: not an e-mail address": v(contact_email="nobody"),
        "Invalid value for field client_email: not an e-mail address": v(client_email="nobody"),
        "Invalid value for field account_password: between 8 and 255 characters": v(account_password="short"),
        "Invalid value for field timezone_selector: Must be greater than or equal to -999 and less than or equal to 999":
            v(timezone_selector=1000),
    },
    "generate_time_token": {
        "Customer not found": v(code="nobody"), NOT_FOUND: v(campaign_id="404"),
        "Missing required field: code": v(POINTS, code=None, campaign_id="{campaign}"),
        "Invalid value for field token_interval: Must be greater than or equal to 1 and less than or equal to 86400":
            v(token_interval=86401),
    },
    "validate_time_token": {
        **missing("token"), "Token not valid": v(token="CHFBTABPGWGBRLCKETCKGDDKEAFFBBFBETTI"),
        "Token expired": v(tokens_expired), "Token not valid for this account": v(other_accounts_token, token="{other_token}"),
    },
    "reports/transactions_all": DATES_FROM,
    "reports/customers_balances": {
        **NEEDS_CAMPAIGN,
        "Invalid value for field selected_campaigns: Only one campaign can be reported at a time":
            v(campaign_id=None, selected_campaigns="{campaign},404"),
        "Invalid value for field coalition_balance: must be one of coalition_points, coalition_storedvalue":
            v(coalition_balance="points"),
        "Invalid value for field coalition_balance: this account is not a coalition account":
            v(coalition_balance="coalition_points"),
        "Invalid value for field coalition_balance: the campaign does not share that coalition balance "
        "(another type, deactivated, or opted out)": v(coalition_on, coalition_balance="coalition_storedvalue"),
    },
    "reports/customers_all": DATES,
    "reports/customers_new": DATES_FROM,
    "reports/customers_frequent": {**DATES, **missing("frequency")},
    "reports/customers_Inactive": {**DATES, **missing("Inactive_for")},
    "reports/customers_birthday": DATES,
    "reports/customers_custom_date": DATES,
    "reports/customers_search": {**DATES, **missing("search_text")},
    "customers_batch": {**batch_csv("customers", "code"), **batch_rows("customers", {
        "Card number already in use": "code,card_number\nN1,1111",
        "Customer username already in use": "code,customer_username\nN1,amy",
        "Campaign not found": "code,campaign_id\nN1,404",
        "Invalid value for field email: at most 255 characters": "code,email\nN1," + "x" * 256,
    }), "Row 3: 2 values expected, 1 found": v(customers="code,first_name\nN1,Ann\nN2"),
        "Invalid value for field customers: at most 200 rows with customer_password or customer_PIN per call":
            v(customers="code,customer_PIN" + "".join(f"\nP{n},1234" for n in range(201)))},
    "batch_transactions": {**batch_csv("transactions", "code"), **batch_rows("transactions", {
        "Missing required field: campaign_id": "campaign_id,code,amount\n,C1,1",
        "Missing required field: code": "campaign_id,amount\n{campaign},1",
        "Campaign not found": "campaign_id,code,amount\n404,C1,1",
        "Customer not found": "campaign_id,code,amount\n{campaign},nobody,1",
        "Promo not found": "campaign_id,code,amount,promo_id\n{campaign},C1,1,999999",
        "Invalid value for field amount: Not a valid number": "campaign_id,code,amount\n{campaign},C1,lots",
    }), "Row 2: Campaign is deactivated": v(DEACTIVATE),
        "Row 2: Item not found": on(BUYX, transactions="campaign_id,code,service_product\n{campaign},C1,999999"),
        "Row 2: Missing required field: amount": on(GIFTCARD, transactions="campaign_id,code\n{campaign},C1")},
    "manage_fields/list": {},
    "manage_fields/add": {
        **field_errors("custom_field_2", "custom_field_", TYPES_4, add=True),
        "Missing required field: custom_field_2_label": v(custom_field_2_label=None, custom_field_2_show="Y"),
        "Invalid value for field custom_field_2_searchable: only Text fields can be searchable":
            v(custom_field_2_type="Date", custom_field_2_searchable="Y"),
    },
    "manage_fields/update": {
        **field_errors("custom_field_2", "custom_field_", TYPES_4, add=False),
        "Invalid value for field custom_field_2_searchable: only Text fields can be searchable":
            v(custom_field_2_searchable="Y"),
    },
    "manage_fields/delete": deleted("custom_field_", {
        "Invalid value for field field_list: card_number is a default field and cannot be deleted": v(field_list="card_number")}),
    "transaction_fields/list": {},
    "transaction_fields/add": {
        # custom_field_1 added as a transaction field by TF_NUMBER: "already exists"
        **{m: (v(TF_NUMBER) if m.endswith("already exists") else var) for m, var in field_errors(
            "custom_field_1", "custom_field_", "Text, Number, Monetary, Date, Pick, List", add=True).items()},
        **ACTIVITY,
    },
    "transaction_fields/update": {**field_errors("custom_field_1", "custom_field_", "", add=False), **ACTIVITY},
    "transaction_fields/delete": deleted("custom_field_"),
    "manage_reward_fields/list": {},
    "manage_reward_fields/add": {
        **field_errors("reward_custom_field_1", "reward_custom_field_", TYPES_4, add=True),
        "Missing required field: reward_custom_field_1_label": v(reward_custom_field_1_label=None,
                                                                 reward_custom_field_1_show="Y"),
    },
    "manage_reward_fields/update": field_errors("reward_custom_field_1", "reward_custom_field_", TYPES_4, add=False),
    "manage_reward_fields/delete": deleted("reward_custom_field_"),
    "user_new": {
        **missing("user_name", "user_role"), ROLE: v(user_role="Z"), ALLOWED: v(allowed_campaigns=","),
        "Invalid value for field user_name: 1-128 letters, digits, or . _ - @": v(user_name="amy,bob"),
        "Invalid value for field add_campaign: must be Y or N": v(add_campaign="maybe"),
        NOT_FOUND: v(allowed_campaigns="404"), "User name already in use: amy": v(USER), GRANT: v(MGR_LESS, user_role="A"),
    },
    "user_update": {
        **missing("user_name"), ROLE: v(user_role="Z"), ALLOWED: v(allowed_campaigns=","),
        "Invalid value for field add_campaign: must be Y or N": v(add_campaign="maybe"),
        "User not found": v(user_name="nobody"), NOT_FOUND: v(allowed_campaigns="404"),
        GRANT: v(MGR_LESS, user_role="A"),
        # mgr without add_user edits itself (edit_my_info) but may not change its own role
        "Permission denied: this call needs the add_user permission":
            v(step("user_update", user_name="mgr", add_user="No"), user_name="mgr", user_role="A"),
    },
    "user_info": {**missing("user_name"), "User not found": v(user_name="nobody")},
    "users_list": {},
    "user_delete": {**missing("user_name"), "User not found": v(user_name="nobody"),
                    "The account's last administrator cannot be deleted": v(user_name="mgr")},
    "campaign_users/add": {
        **missing("user_name", "campaign_id"), "User not found": v(user_name="nobody"), NOT_FOUND: v(campaign_id="404"),
        # mgr no longer sees the campaign: it cannot give amy every campaign
        GRANT: v(step("campaign_users", action="remove", user_name="mgr", campaign_id="{campaign}")),
    },
    "campaign_users/remove": {**missing("user_name", "campaign_id"), "User not found": v(user_name="nobody"),
                              NOT_FOUND: v(campaign_id="404")},
    "user_login": {"Missing required field: user_password": v(user_password=""),
                   "Authentication failed": v(user_password="wrong"),
                   THROTTLED: v(failing("user_login", user_id="amy", user_password="wrong"))},
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
}


def calls() -> dict:
    load_all()  # what create_app does first: every call is registered
    return {c.name: c for c in registry}


def prepare(api: Api, name: str, steps: tuple[Step, ...], fields: dict) -> tuple[str, dict]:
    """Run the set-up; the request's type and form fields (its action, then ``fields`` filled in).
    tests/test_docs_examples.py records the BASE requests through it too."""
    ctx: dict = {}
    for run in steps:
        run(api, ctx)
    call = calls()[name]
    selector = {call.selector[0]: call.action} if call.action else {}
    return call.type, {**selector, **fill(fields, ctx)}


def send(api: Api, name: str, steps: tuple[Step, ...], fields: dict) -> dict:
    """Run the set-up, then the request as ``name`` (its type and action) with ``fields``."""
    type_, form = prepare(api, name, steps, fields)
    return api.json(type_, **form)


def test_recipes_match_the_registry():
    listed = {(name, message) for name, call in calls().items() for message in call.errors}
    assert sorted(listed - set(RECIPES)) == [], "listed in /docs without a recipe here"
    assert sorted(set(RECIPES) - listed) == [], "a recipe for an error no call lists"
    assert set(BASE) == set(calls())
    assert set(COMMON) == set(COMMON_ERRORS)


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


NOBODY_KEY = "nobody-key-0004"
GUARDED = sorted(name for name, call in calls().items() if refusal(call.permission))


@pytest.mark.parametrize("name", GUARDED)
def test_a_caller_without_the_permission_gets_the_refusal_docs_shows(api, name):
    # An observer with every flag turned off: the set-up runs as the manager, the call as the observer.
    User.create(account="shop", user_id="nobody", role="O", key_hash=hash_key(NOBODY_KEY),
                flags=json.dumps(dict.fromkeys(FLAGS, False)))
    steps, fields = BASE[name]
    type_, form = prepare(api, name, steps, fields)
    doc = api.as_user("nobody", NOBODY_KEY, "shop").json(type_, **form)
    assert (doc["status"], doc.get("error")) == ("error", refusal(calls()[name].permission)), doc
