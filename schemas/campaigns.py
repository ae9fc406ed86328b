"""Schemas of the campaign-management calls."""
from __future__ import annotations

from marshmallow import fields

from gateway.units import CAMPAIGN_TYPES

from .base import Choice, CommaList, Flag, LegacySchema, Number, Text


class CampaignNew(LegacySchema):
    campaign_type = Choice(CAMPAIGN_TYPES, required=True)
    campaign_name = Text(required=True)
    description = Text(max_length=4000, load_default="")
    latitude = Number(minimum=-90, maximum=90)
    longitude = Number(minimum=-180, maximum=180)
    points_ratio = Number(minimum="0.000001", maximum=1_000_000)
    reward_ratio = Number(minimum="0.000001", maximum=1_000_000)
    amount_per_event = Number(minimum="0.01", maximum=1_000_000, places=2)
    coalition_opt_out = Flag(load_default=False)
    two_tier_opt_out = Flag(load_default=False)


class CampaignsList(LegacySchema):
    type_restrict = CommaList(Choice(CAMPAIGN_TYPES), load_default=list)
    # The docs' prose calls the filter "campaign_type"; accept that spelling too.
    campaign_type = CommaList(Choice(CAMPAIGN_TYPES), load_default=list)


__all__ = ["CampaignNew", "CampaignsList", "fields"]
