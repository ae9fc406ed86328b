"""Legacy calls that create, change, list and retire campaigns."""
from __future__ import annotations

from schemas.legacy import campaigns as s

from ...domain import campaigns as domain, users
from ...domain.models import Campaign, Item
from ...domain.units import BUYX, DEFAULT_POINTS_RATIO, EARNED, POINTS, format_units
from .. import listing
from ..messages import INVALID_FIELD, MESSAGES, REASONS, SENTENCES
from ..registry import call
from ..tree import E, Items, el, leaves, stamp

NOT_FOUND = "Campaign not found"
NOTHING_TO_UPDATE = SENTENCES[("changes", "nothing_to_update")]
# Campaigns have no numeric column to search, so "this field takes numbers" is never their answer.
SEARCH_ERRORS = tuple(e for e in listing.errors(s.CAMPAIGN_SEARCH)
                      if e != INVALID_FIELD.format("searchValue", REASONS["not_a_number"]))
COLUMNS = {"campaign_name": "name", "campaign_type": "type"}


def campaign_node(c: Campaign, account, items_by_campaign: dict | None = None) -> E:
    """A campaign as ``campaigns_list`` shows it: type-specific settings, then currency and date."""
    node = el("campaign", id=c.id, name=c.name, description=c.description, type=c.type)
    if c.type == POINTS:
        node.children += leaves(points_ratio=c.points_ratio or str(DEFAULT_POINTS_RATIO), reward_ratio=c.reward_ratio)
    elif c.type == EARNED:
        node.children += leaves(earned_per_event=format_units(c.amount_per_event or 0, EARNED))
    elif c.type == BUYX and items_by_campaign is not None:
        node.children.append(
            Items("items", [el("item", id=i.id, description=i.description, reward_level=i.reward_level,
                               item_identifier=i.identifier) for i in items_by_campaign.get(c.id, [])])
        )
    node.children += leaves(currency=account.currency, glyph=account.glyph,
                            created_stamp=stamp(c.created))
    return node


def campaigns_answer(page, account) -> list:
    """``<campaigns>`` (buy-X campaigns with their items) and ``<pagination>``."""
    buyx_ids = [c.id for c in page.rows if c.type == BUYX]
    items: dict[str, list] = {}
    if buyx_ids:
        for item in Item.select().where(Item.campaign.in_(buyx_ids)).order_by(Item.id):
            items.setdefault(item.campaign_id, []).append(item)
    return [Items("campaigns", [campaign_node(c, account, items) for c in page.rows]), listing.pagination_node(page)]


@call("campaign_new", "campaign", schema=s.CampaignNew, permission="add_campaign", writes=True,
      errors=("Missing required field: campaign_type", "Missing required field: campaign_name",
              "Missing required field: amount_per_event",
              INVALID_FIELD.format("campaign_type", "must be one of points, giftcard, events, earned, buyx"),
              INVALID_FIELD.format("points_ratio", "Must be between 0.000001 and 1000000")))
def campaign_new(data: dict, caller) -> list:
    """Create a campaign of one of the five types; answers its new 16-digit id."""
    campaign = domain.create_campaign(
        caller.account_id,
        type=data["campaign_type"],
        name=data["campaign_name"],
        description=data["description"],
        latitude=str(data.get("latitude", "")),
        longitude=str(data.get("longitude", "")),
        points_ratio=data.get("points_ratio"),
        reward_ratio=data.get("reward_ratio"),
        amount_per_event=data.get("amount_per_event"),
        coalition_opt_out=data["coalition_opt_out"],
        two_tier_opt_out=data["two_tier_opt_out"],
    )
    if caller.reach is not None:  # a user limited to some campaigns sees the ones it creates
        users.attach_campaigns(caller.account_id, [caller.user_id], [campaign.id], True)
    return [el("campaign", status="new", id=campaign.id, name=campaign.name, type=campaign.type)]


# form field -> model field, for campaign_update campaign
CAMPAIGN_CHANGES = {
    "new_campaign_name": "name", "description": "description", "latitude": "latitude", "longitude": "longitude",
    "new_points_ratio": "points_ratio", "new_reward_ratio": "reward_ratio", "new_amount_per_event": "amount_per_event",
    "coalition_opt_out": "coalition_opt_out", "two_tier_opt_out": "two_tier_opt_out",
}


def picked(data: dict, mapping: dict[str, str]) -> dict:
    """The model fields a form gave, renamed: an absent (or blank) field leaves its value unchanged."""
    return {model_field: data[form_field] for form_field, model_field in mapping.items() if form_field in data}


@call("campaign_update", "campaign", schema=s.CampaignUpdate, permission="manage", writes=True,
      errors=("Missing required field: campaign_id", NOT_FOUND, NOTHING_TO_UPDATE,
              INVALID_FIELD.format("new_points_ratio", "Must be between 0.000001 and 1000000")))
def campaign_update(data: dict, caller) -> list:
    """Change a campaign's name, description and settings; a blank ``new_reward_ratio`` turns redeeming by
    currency value off."""
    campaign = domain.get_campaign(caller.account_id, data["campaign_id"], reach=caller.reach)
    changes = picked(data, CAMPAIGN_CHANGES)
    for coordinate in ("latitude", "longitude"):
        if coordinate in changes:
            changes[coordinate] = str(changes[coordinate])
    campaign = domain.update_campaign(campaign, changes)
    return [el("campaign", status="updated", id=campaign.id, name=campaign.name, type=campaign.type)]


@call("campaign_delete", "campaign", schema=s.CampaignId, permission="delete_campaign", writes=True,
      errors=("Missing required field: campaign_id", NOT_FOUND))
def campaign_delete(data: dict, caller) -> list:
    """Delete a campaign (active or deactivated) with everything in it: rewards, promotions, items, fees,
    depreciations, memberships and every transaction. Irreversible."""
    return [el("campaign", status="deleted", id=domain.delete_campaign(caller.account_id, data["campaign_id"], reach=caller.reach))]


@call("campaign_deactivate", schema=s.CampaignId, permission="deactivate_campaign", writes=True,
      errors=("Missing required field: campaign_id", NOT_FOUND, MESSAGES["campaign_already_inactive"]))
def campaign_deactivate(data: dict, caller) -> list:
    """Put a campaign on hold: it leaves every list and no call can use it until reactivated; nothing is
    deleted."""
    return [el("campaign", id=domain.set_active(caller.account_id, data["campaign_id"], False, reach=caller.reach).id)]


@call("campaign_reactivate", schema=s.CampaignId, permission="activate_campaign", writes=True,
      errors=("Missing required field: campaign_id", NOT_FOUND, MESSAGES["campaign_already_active"]))
def campaign_reactivate(data: dict, caller) -> list:
    """Bring a deactivated campaign back, with its settings and transactions as they were."""
    return [el("campaign", id=domain.set_active(caller.account_id, data["campaign_id"], True, reach=caller.reach).id)]


@call("campaigns_list", schema=s.CampaignsList,
      errors=(INVALID_FIELD.format("type_restrict", "must be one of points, giftcard, events, earned, buyx"),)
      + SEARCH_ERRORS)
def campaigns_list(data: dict, caller) -> list:
    """List the account's active campaigns, optionally only some types (``type_restrict``), with the API
    1.5 search, sort and paging options on ``campaign_name`` and ``campaign_type``."""
    return _listed(data, caller, active=True)


@call("campaigns_inactive_list", schema=s.CampaignsList, permission="manage",
      errors=(INVALID_FIELD.format("type_restrict", "must be one of points, giftcard, events, earned, buyx"),)
      + SEARCH_ERRORS)
def campaigns_inactive_list(data: dict, caller) -> list:
    """List the account's deactivated (on hold) campaigns, with the same filters as ``campaigns_list``."""
    return _listed(data, caller, active=False)


def _listed(data: dict, caller, active: bool) -> list:
    page = domain.search_campaigns(caller.account_id, listing.list_query(data, COLUMNS), active=active,
                                   types=data.get("type_restrict") or data.get("campaign_type"), reach=caller.reach)
    return campaigns_answer(page, caller.account)
