"""Campaigns: the types, their settings, their lifecycle (active, deactivated, deleted).

Everything is scoped to an account: a campaign id of another account is "not found".
"""
from __future__ import annotations

import secrets
from decimal import Decimal

import peewee as pw

from .db import database
from .errors import LegacyError, NotFound
from .models import Campaign
from .units import BUYX, CAMPAIGN_TYPES, EARNED, POINTS, decimal_text, money_to_cents

CAMPAIGN = "Campaign"


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
        raise LegacyError(f"Unknown campaign type: {type}")
    if type == EARNED and amount_per_event is None:
        raise LegacyError("Missing required field: amount_per_event")
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
    raise LegacyError("Could not allocate a campaign id, please retry")


def get_campaign(account_id: str, campaign_id: str, *, active_only: bool = True) -> Campaign:
    """The caller's campaign, or "Campaign not found" (for another account's id too)."""
    query = Campaign.select().where((Campaign.id == campaign_id) & (Campaign.account == account_id))
    if active_only:
        query = query.where(Campaign.active == True)  # noqa: E712 (peewee expression)
    campaign = query.first()
    if campaign is None:
        raise NotFound(CAMPAIGN)
    return campaign


def list_campaigns(account_id: str, *, active: bool = True, types: list[str] | None = None):
    query = Campaign.select().where((Campaign.account == account_id) & (Campaign.active == active))
    if types:
        query = query.where(Campaign.type.in_(types))
    return query.order_by(Campaign.created, Campaign.id)


def require_type(campaign: Campaign, allowed: tuple[str, ...], message: str) -> None:
    if campaign.type not in allowed:
        raise LegacyError(message)


__all__ = ["BUYX", "create_campaign", "get_campaign", "list_campaigns", "require_type"]
