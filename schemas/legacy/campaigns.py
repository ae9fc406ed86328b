"""Schemas of the campaign-management calls.

Field names are the legacy ones (legacy-api.md §2.1). The ``API`` version field that some of these calls
document (1.1, 1.5, 1.6) is not declared: like every unknown field it is accepted and ignored.
"""
from __future__ import annotations

import re

from marshmallow import ValidationError, pre_load, validates_schema

from gateway.domain.query import MAX_LENGTH, OPERATORS, SORT_ORDERS, VALUELESS
from gateway.domain.units import CAMPAIGN_TYPES

from .base import Choice, CommaList, DateTime, Flag, Id, LegacySchema, Number, PatternSchema, Text, Whole

INTERVAL_TYPES = ("days", "months", "years")
DEPRECIATION_TYPES = ("per_transaction", "last_transaction")
PROMO_OPERATIONS = ("x", "+")
# The docs spell the family reward_custom_field## on one page and reward_custom_field_## on another.
REWARD_CUSTOM_FIELD = re.compile(r"reward_custom_field_?([1-9]\d{0,2})")


def _positive(value) -> None:
    if value <= 0:
        raise ValidationError("must be greater than 0")


class Ratio(Number):
    def __init__(self, **kw):
        super().__init__(minimum="0.000001", maximum=1_000_000, **kw)


class Clearable(Ratio):
    """A ratio whose blank value means "turn this off": loads as ``None`` (absent: not loaded at all)."""

    def _deserialize(self, value, attr, data, **kwargs):
        return None if value == "" else super()._deserialize(value, attr, data, **kwargs)


class PromoAmount(Number):
    def __init__(self, **kw):
        super().__init__(maximum=1_000_000, places=4, validate=_positive, **kw)


class Level(Whole):
    def __init__(self, **kw):
        super().__init__(minimum=1, **kw)


def paged(search: tuple[str, ...]) -> type[LegacySchema]:
    """A base schema with the API 1.5 search, sort and paging fields over the columns ``search`` names."""

    class Paged(LegacySchema):
        searchField = Choice(search)
        searchOper = Choice(OPERATORS)
        searchValue = Text(max_length=4000)
        sortField = Choice(search)
        sortOrder = Choice(SORT_ORDERS)
        offset = Whole(minimum=0)
        length = Whole(minimum=1, maximum=MAX_LENGTH)

        @validates_schema
        def _search_complete(self, data, **kwargs):
            if data.get("searchValue") and not data.get("searchField"):
                raise ValidationError("Missing data for required field.", "searchField")
            if data.get("searchField") and data.get("searchOper") not in VALUELESS and not data.get("searchValue"):
                raise ValidationError("Missing data for required field.", "searchValue")

    return Paged


class CampaignId(LegacySchema):
    campaign_id = Text(required=True, max_length=64)


class OptionalCampaignId(LegacySchema):
    # Sub-entity ids are unique across campaigns; a campaign_id given as well must be the entity's own.
    campaign_id = Text(max_length=64)


# --- campaigns ---------------------------------------------------------------------------------------

class CampaignNew(LegacySchema):
    campaign_type = Choice(CAMPAIGN_TYPES, required=True)
    campaign_name = Text(required=True)
    description = Text(max_length=4000, load_default="")
    latitude = Number(minimum=-90, maximum=90)
    longitude = Number(minimum=-180, maximum=180)
    points_ratio = Ratio()
    reward_ratio = Ratio()
    amount_per_event = Number(minimum="0.01", maximum=1_000_000, places=2)
    coalition_opt_out = Flag(load_default=False)
    two_tier_opt_out = Flag(load_default=False)


class CampaignUpdate(CampaignId):
    keep_blank = ("new_reward_ratio",)

    new_campaign_name = Text()
    description = Text(max_length=4000)
    latitude = Number(minimum=-90, maximum=90)
    longitude = Number(minimum=-180, maximum=180)
    new_points_ratio = Ratio()
    new_reward_ratio = Clearable()
    new_amount_per_event = Number(minimum="0.01", maximum=1_000_000, places=2)
    coalition_opt_out = Flag()
    two_tier_opt_out = Flag()


CAMPAIGN_SEARCH = ("campaign_name", "campaign_type")


class CampaignsList(paged(CAMPAIGN_SEARCH)):
    type_restrict = CommaList(Choice(CAMPAIGN_TYPES), load_default=list)
    # The docs' prose calls the filter "campaign_type"; accept that spelling too.
    campaign_type = CommaList(Choice(CAMPAIGN_TYPES), load_default=list)


# --- rewards -----------------------------------------------------------------------------------------

class RewardNew(CampaignId, PatternSchema):
    patterns = {"custom_fields": REWARD_CUSTOM_FIELD}

    reward_level = Level(required=True)
    reward_description = Text(required=True, max_length=4000)
    reward_identifier = Text(load_default="")


class RewardUpdate(CampaignId, PatternSchema):
    patterns = {"custom_fields": REWARD_CUSTOM_FIELD}

    reward_id = Id(required=True)
    new_reward_level = Level()
    new_reward_description = Text(max_length=4000)
    new_reward_identifier = Text()


class RewardDelete(OptionalCampaignId):
    reward_id = Id(required=True)


# --- promotions --------------------------------------------------------------------------------------

class PromoNew(CampaignId):
    promo_operation = Choice(PROMO_OPERATIONS, required=True)
    promo_amount = PromoAmount(required=True)
    promo_description = Text(required=True, max_length=4000)
    promo_custom_id = Text(load_default="")
    promo_start_date = DateTime()
    promo_end_date = DateTime()


class PromoUpdate(OptionalCampaignId):
    # "None of those three may be blank": a blank one is refused rather than read as "unchanged".
    keep_blank = ("new_promo_operation", "new_promo_amount", "new_promo_description")
    REQUIRED_ONE = keep_blank

    promo_id = Id(required=True)
    new_promo_operation = Choice(PROMO_OPERATIONS)
    new_promo_amount = PromoAmount()
    new_promo_description = Text(max_length=4000)
    new_promo_custom_id = Text()
    new_promo_start_date = DateTime()
    new_promo_end_date = DateTime()

    @pre_load
    def _not_blank(self, data, **kwargs):
        errors = {k: ["must not be blank"] for k in self.keep_blank if k in data and not str(data[k]).strip()}
        if errors:
            raise ValidationError(errors)
        return data

    @validates_schema
    def _one_of_three(self, data, **kwargs):
        if not any(k in data for k in self.REQUIRED_ONE):
            raise ValidationError("At least one of new_promo_operation, new_promo_amount, new_promo_description is required")


class PromoDelete(OptionalCampaignId):
    promo_id = Id(required=True)


PROMO_SEARCH = ("promotion", "operation", "multiplier")


class PromosList(paged(PROMO_SEARCH), CampaignId):
    pass


# --- buy-X items -------------------------------------------------------------------------------------

class ItemNew(CampaignId):
    reward_level = Level(required=True)
    item_description = Text(required=True, max_length=4000)
    item_identifier = Text(load_default="")


class ItemUpdate(OptionalCampaignId):
    item_id = Id(required=True)
    new_reward_level = Level()
    new_item_description = Text(max_length=4000)
    new_item_identifier = Text()


class ItemDelete(OptionalCampaignId):
    item_id = Id(required=True)


ITEM_SEARCH = ("service_product", "reward_id", "buy_amount")


class ItemsList(paged(ITEM_SEARCH), CampaignId):
    pass


# --- fees and depreciations --------------------------------------------------------------------------

class FeeAmount(Number):
    def __init__(self, **kw):
        super().__init__(minimum="0.01", maximum=10**9, places=2, **kw)


class FeeNew(CampaignId):
    fee_interval = Level(required=True, maximum=1000)
    interval_type = Choice(INTERVAL_TYPES, required=True)
    fee_amount = FeeAmount(required=True)
    fee_description = Text(required=True, max_length=4000)


class FeeUpdate(CampaignId):
    fee_id = Id(required=True)
    fee_interval = Level(maximum=1000)
    interval_type = Choice(INTERVAL_TYPES)
    fee_amount = FeeAmount()
    fee_description = Text(max_length=4000)


class FeeDelete(CampaignId):
    fee_id = Id(required=True)


class Percentage(Number):
    def __init__(self, **kw):
        super().__init__(minimum="0.01", maximum=100, places=2, **kw)


class DepreciationNew(CampaignId):
    depreciation_type = Choice(DEPRECIATION_TYPES, required=True)
    depreciation_interval = Level(required=True, maximum=1000)
    depreciation_interval_type = Choice(INTERVAL_TYPES, required=True)
    depreciation_percentage = Percentage(required=True)


class DepreciationUpdate(CampaignId):
    depreciation_id = Id(required=True)
    depreciation_type = Choice(DEPRECIATION_TYPES)
    depreciation_interval = Level(maximum=1000)
    depreciation_interval_type = Choice(INTERVAL_TYPES)
    depreciation_percentage = Percentage()


class DepreciationDelete(CampaignId):
    depreciation_id = Id(required=True)

    @pre_load
    def _fee_id_alias(self, data, **kwargs):
        # The legacy page's own PHP example sends the id as fee_id [sic]; clients copied from it work.
        if not str(data.get("depreciation_id", "")).strip() and str(data.get("fee_id", "")).strip():
            data = {**data, "depreciation_id": data["fee_id"]}
        return data

