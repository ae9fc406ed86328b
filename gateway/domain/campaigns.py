"""Campaigns: the types, their settings, their lifecycle (active, deactivated, deleted), and what hangs
from them (rewards, promotions, buy-X items, fees, depreciations).

Everything is scoped to an account: a campaign id of another account is "not found", and so is the id
of another account's reward, promotion, item, fee or depreciation (``get_part``). A deactivated
campaign is "not found" too, for every call but the few that manage its lifecycle.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import NamedTuple
from decimal import Decimal

import peewee as pw

from . import fields as field_rules
from .db import Insert, Statement, database
from .errors import Conflict, InvalidValue, NotFound, Unavailable
from .query import Column, ListQuery, Page, paginate
from .models import Account, Campaign, Depreciation, Fee, FieldDefinition, Item, Promo, Reward
from .units import BUYX, CAMPAIGN_TYPES, EARNED, EVENTS, GIFTCARD, POINTS, decimal_text, money_to_cents, scale, to_units


def new_campaign_id() -> str:
    # 16 digits, never a leading zero, so that clients that store it as a number keep every digit
    return str(secrets.randbelow(9 * 10**15) + 10**15)


def create_campaign(
    account_id: str,
    *,
    type: str,
    name: str,
    description: str = "",
    latitude: str = "",
    longitude: str = "",
    points_ratio: Decimal | None = None,
    reward_ratio: Decimal | None = None,
    amount_per_event: Decimal | None = None,
    coalition_opt_out: bool = False,
    two_tier_opt_out: bool = False,
) -> Campaign:
    if type not in CAMPAIGN_TYPES:
        raise InvalidValue("type", "unknown_campaign_type", value=type)
    if type == EARNED and amount_per_event is None:
        raise InvalidValue("amount_per_event", "missing")
    fields = dict(
        account=account_id,
        type=type,
        name=name,
        description=description,
        latitude=latitude,
        longitude=longitude,
        points_ratio=decimal_text(points_ratio) if type == POINTS and points_ratio is not None else None,
        reward_ratio=decimal_text(reward_ratio) if type == POINTS else None,
        amount_per_event=money_to_cents(amount_per_event) if type == EARNED else None,
        coalition_opt_out=coalition_opt_out,
        two_tier_opt_out=two_tier_opt_out,
    )
    for _ in range(10):
        try:
            with database.atomic():
                return Campaign.create(id=new_campaign_id(), **fields)
        except pw.IntegrityError:
            continue  # a 1-in-10^15 id collision: draw again
    raise Unavailable("no_free_campaign_id")


def update_campaign(campaign: Campaign, changes: dict) -> Campaign:
    """Apply the settings in ``changes`` (model field -> new value; only what was given).

    Settings of another campaign type are ignored, as on creation: a client may send every setting.
    ``reward_ratio`` ``None`` turns redeeming by currency value off.
    """
    ignored = {
        "points_ratio": campaign.type != POINTS,
        "reward_ratio": campaign.type != POINTS,
        "amount_per_event": campaign.type != EARNED,
    }
    changes = {k: v for k, v in changes.items() if not ignored.get(k)}
    if "points_ratio" in changes:
        changes["points_ratio"] = decimal_text(changes["points_ratio"])
    if "reward_ratio" in changes:
        changes["reward_ratio"] = decimal_text(changes["reward_ratio"])
    if "amount_per_event" in changes:
        changes["amount_per_event"] = money_to_cents(changes["amount_per_event"])
    return _save(campaign, changes)


def _save(row: pw.Model, changes: dict):
    if not changes:
        raise InvalidValue("changes", "nothing_to_update")
    for key, value in changes.items():
        setattr(row, key, value)
    row.save(only=[row._meta.fields[k] for k in changes])
    return row


def _campaign_query(account_id: str, campaign_id: str):
    return Campaign.select(Campaign, *CAMPAIGN_FACTS).where((Campaign.id == campaign_id) & (Campaign.account == account_id))


# Whether the campaign has fees or depreciations that can take anything (interval > 0): balance
# reads then skip fetching the rules when it has none (gateway.deductions.rules_for).
HAS_DEDUCTIONS = (
    pw.fn.EXISTS(Fee.select(Fee.id).where((Fee.campaign == Campaign.id) & (Fee.interval > 0)))
    | pw.fn.EXISTS(Depreciation.select(Depreciation.id).where((Depreciation.campaign == Campaign.id) & (Depreciation.interval > 0)))
).alias("has_deductions")
# Read with the campaign, so that balance reads and writes need no query of their own to learn them:
# whether it has deductions, whether its account pools balances (gateway.domain.coalition.pool_of)
# and whether the account defines custom fields (gateway.domain.fields.defined_for).
CAMPAIGN_FACTS = (
    HAS_DEDUCTIONS,
    Account.select(Account.coalition).where(Account.id == Campaign.account).alias("account_coalition"),
    pw.fn.EXISTS(FieldDefinition.select(FieldDefinition.id).where(FieldDefinition.account == Campaign.account))
    .alias("defines_fields"),
)

# Nearly every call starts with one of these.
_CAMPAIGN = Statement(_campaign_query)
_ACTIVE_CAMPAIGN = Statement(lambda account_id, campaign_id: _campaign_query(account_id, campaign_id)
                             .where(Campaign.active == True))  # noqa: E712


def in_reach(campaign_id: str, reach: frozenset[str] | None) -> None:
    """NotFound("campaign") when a user limited to ``reach`` (None: every campaign) may not see it."""
    if reach is not None and campaign_id not in reach:
        raise NotFound("campaign")


def get_campaign(account_id: str, campaign_id: str, *, active_only: bool = True,
                 reach: frozenset[str] | None = None) -> Campaign:
    """The caller's campaign, or NotFound (for another account's id too, and one out of ``reach``)."""
    in_reach(campaign_id, reach)
    found = (_ACTIVE_CAMPAIGN if active_only else _CAMPAIGN)(account_id, campaign_id)
    if not found:
        raise NotFound("campaign")
    return found[0]


def set_active(account_id: str, campaign_id: str, active: bool, *, reach: frozenset[str] | None = None) -> Campaign:
    """Deactivate (put on hold) or reactivate a campaign; nothing else about it changes."""
    campaign = get_campaign(account_id, campaign_id, active_only=False, reach=reach)
    if campaign.active == active:
        raise Conflict("campaign_already_active" if active else "campaign_already_inactive")
    return _save(campaign, {"active": active})


def delete_campaign(account_id: str, campaign_id: str, *, reach: frozenset[str] | None = None) -> str:
    """Delete a campaign, active or on hold. Its rewards, promotions, items, fees, depreciations,
    memberships and ledger rows go with it through the foreign keys' ON DELETE CASCADE."""
    campaign = get_campaign(account_id, campaign_id, active_only=False, reach=reach)
    Campaign.delete().where(Campaign.id == campaign.id).execute()
    return campaign.id


def list_campaigns(account_id: str, *, active: bool = True, types: list[str] | None = None,
                   reach: frozenset[str] | None = None):
    query = Campaign.select().where((Campaign.account == account_id) & (Campaign.active == active))
    if reach is not None:
        query = query.where(Campaign.id.in_(sorted(reach)))
    if types:
        query = query.where(Campaign.type.in_(types))
    return query.order_by(Campaign.created, Campaign.id)


CAMPAIGN_COLUMNS = {"name": Column(Campaign.name), "type": Column(Campaign.type)}


def search_campaigns(account_id: str, listing: ListQuery, *, active: bool = True, types: list[str] | None = None,
                     reach: frozenset[str] | None = None) -> Page:
    """``list_campaigns`` searched, sorted and paged by ``listing`` (columns ``name`` and ``type``)."""
    query = list_campaigns(account_id, active=active, types=types, reach=reach)
    return paginate(query, listing, CAMPAIGN_COLUMNS, (Campaign.created, Campaign.id))


# --- what hangs from a campaign ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PartKind:
    noun: str  # "reward": NotFound("reward"), Conflict("reward_wrong_campaign_type")
    types: tuple[str, ...]  # the campaign types that may have it

    @property
    def wrong_type(self) -> Conflict:
        return Conflict(f"{self.noun}_wrong_campaign_type", allowed=self.types)


PARTS: dict[type[pw.Model], PartKind] = {
    Reward: PartKind("reward", (POINTS, EVENTS)),
    Promo: PartKind("promo", (POINTS,)),
    Item: PartKind("item", (BUYX,)),
    Fee: PartKind("fee", (POINTS, GIFTCARD)),
    Depreciation: PartKind("depreciation", (POINTS, GIFTCARD)),
}


def campaign_for(model: type[pw.Model], account_id: str, campaign_id: str, *,
                 reach: frozenset[str] | None = None) -> Campaign:
    """The caller's active campaign, if its type may have ``model`` rows."""
    campaign = get_campaign(account_id, campaign_id, reach=reach)
    kind = PARTS[model]
    if campaign.type not in kind.types:
        raise kind.wrong_type
    return campaign


def get_part(model: type[pw.Model], account_id: str, part_id: int, campaign_id: str | None = None, *,
             reach: frozenset[str] | None = None):
    """A reward, promo, item, fee or depreciation by its integer id, within the caller's account and an
    active campaign (and within ``campaign_id`` when given): else "<Noun> not found", whoever owns it."""
    if campaign_id is not None:
        campaign_for(model, account_id, campaign_id, reach=reach)
    query = (
        model.select(model, Campaign)
        .join(Campaign)
        .where((model.id == part_id) & (Campaign.account == account_id) & (Campaign.active == True))  # noqa: E712
    )
    if campaign_id is not None:
        query = query.where(Campaign.id == campaign_id)
    part = query.first()
    if part is None or (reach is not None and part.campaign_id not in reach):
        raise NotFound(PARTS[model].noun)
    return part


_INSERTS = {model: Insert(model) for model in PARTS}


def add_part(model: type[pw.Model], account_id: str, campaign_id: str, *, reach: frozenset[str] | None = None,
             **fields):
    campaign = campaign_for(model, account_id, campaign_id, reach=reach)
    part = _INSERTS[model](campaign=campaign, **_checked(model, campaign, fields, None))
    if model is Reward:
        _claim_reward_values(part, campaign)
    return part


def update_part(model: type[pw.Model], account_id: str, part_id: int, campaign_id: str | None, changes: dict, *,
                reach: frozenset[str] | None = None):
    part = get_part(model, account_id, part_id, campaign_id, reach=reach)
    part = _save(part, _checked(model, part.campaign, changes, part))
    if model is Reward:
        _claim_reward_values(part, part.campaign)
    return part


def delete_part(model: type[pw.Model], account_id: str, part_id: int, campaign_id: str | None = None, *,
                reach: frozenset[str] | None = None) -> int:
    """Delete one row. History that named it (ledger rows with its id) is kept as it was."""
    part = get_part(model, account_id, part_id, campaign_id, reach=reach)
    model.delete().where(model.id == part.id).execute()
    return part.id


def parts(model: type[pw.Model], campaign: Campaign, order: tuple = ()):
    return model.select().where(model.campaign == campaign.id).order_by(*order, model.id)


class RewardLine(NamedTuple):
    id: int
    level: int
    description: str
    identifier: str
    custom_fields: str  # JSON object


# Tills and shop pages ask for a reward list on every view: the campaign and its rewards in one statement.
_REWARDS = Statement(lambda account_id, campaign_id: Campaign.select(
    Campaign.type, Reward.id, Reward.level, Reward.description, Reward.identifier, Reward.custom_fields)
    .join(Reward, pw.JOIN.LEFT_OUTER)
    .where((Campaign.id == campaign_id) & (Campaign.account == account_id) & (Campaign.active == True))  # noqa: E712
    .order_by(Reward.level, Reward.id), tuples=True)


def rewards_of(account_id: str, campaign_id: str, *, reach: frozenset[str] | None = None) -> list[RewardLine]:
    """The rewards of the caller's active points or events campaign, cheapest first; errors as
    ``campaign_for(Reward, ...)``."""
    in_reach(campaign_id, reach)
    rows = _REWARDS(account_id, campaign_id)
    if not rows:
        raise NotFound("campaign")
    if rows[0][0] not in PARTS[Reward].types:
        raise PARTS[Reward].wrong_type
    return [RewardLine(*row[1:]) for row in rows if row[1] is not None]


def _checked(model, campaign: Campaign, fields: dict, current) -> dict:
    """Rules that need the campaign or the stored row, applied to new or changed fields."""
    fields = dict(fields)
    if model is Promo:
        start = fields.get("start_date", current.start_date if current else None)
        end = fields.get("end_date", current.end_date if current else None)
        if start is not None and end is not None and end <= start:
            raise InvalidValue("end_date", "end_before_start")
        if "amount" in fields:
            fields["amount"] = decimal_text(fields["amount"])
    if model is Fee and "amount" in fields:
        fields["amount"] = amount_units(fields["amount"], campaign, "amount")
    if model is Depreciation and "percentage" in fields:
        fields["percentage"] = decimal_text(fields["percentage"])
    if model is Reward:
        # Checked on every write of a reward, so that a required reward field cannot stay empty.
        given = {custom_field_key(k)[0]: v for k, v in fields.get("custom_fields", {}).items()}
        known = field_rules.defined_for(campaign, field_rules.REWARD)
        given = field_rules.check_values(campaign.account_id, field_rules.REWARD, given, known=known)
        merged = merge_custom_fields(current.custom_fields if current else "{}", given)
        field_rules.check_values(campaign.account_id, field_rules.REWARD, {}, complete=json.loads(merged), known=known)
        if "custom_fields" in fields:
            fields["custom_fields"] = merged
    return fields


def _claim_reward_values(reward: Reward, campaign: Campaign) -> None:
    """The reward's values of unique reward fields, recorded as its own (gateway.domain.fields)."""
    known = field_rules.defined_for(campaign, field_rules.REWARD)
    field_rules.claim_unique(campaign.account_id, field_rules.REWARD, reward.id, json.loads(reward.custom_fields or "{}"), known)


def amount_units(value: Decimal, campaign: Campaign, field: str) -> int:
    """An amount in the campaign's unit (points, or money in cents), refusing fractions of a point."""
    if scale(campaign.type) == 0 and value != value.to_integral_value():
        raise InvalidValue(field, "not_whole_points")
    return to_units(value, campaign.type)


def custom_field_key(key: str) -> tuple[str, int]:
    number = int(key.rsplit("field", 1)[1].lstrip("_"))
    return f"reward_custom_field_{number}", number


def merge_custom_fields(stored: str, given: dict[str, str]) -> str:
    """``reward_custom_field_N`` values as stored JSON: a blank value removes the field."""
    values = json.loads(stored or "{}")
    for key, value in given.items():
        name, _ = custom_field_key(key)
        if value:
            values[name] = value
        else:
            values.pop(name, None)
    return json.dumps(dict(sorted(values.items(), key=lambda kv: custom_field_key(kv[0])[1])))


PROMO_COLUMNS = {"description": Column(Promo.description), "operation": Column(Promo.operation),
                 "amount": Column(Promo.amount, numeric=True)}
ITEM_COLUMNS = {"description": Column(Item.description), "id": Column(Item.id, numeric=True),
                "reward_level": Column(Item.reward_level, numeric=True)}
SEARCHABLE = {Promo: PROMO_COLUMNS, Item: ITEM_COLUMNS}


def search_parts(model: type[pw.Model], campaign: Campaign, listing: ListQuery) -> Page:
    """A campaign's promotions or items, searched, sorted and paged (columns: ``SEARCHABLE``)."""
    return paginate(model.select().where(model.campaign == campaign.id), listing, SEARCHABLE[model], (model.id,))


__all__ = [
    "BUYX", "PARTS", "add_part", "campaign_for", "create_campaign", "delete_campaign", "delete_part",
    "get_campaign", "get_part", "list_campaigns", "parts", "rewards_of", "search_campaigns",
    "search_parts", "set_active", "update_campaign", "update_part",
]
