"""Legacy calls that create, change, list and retire campaigns."""
from __future__ import annotations

from schemas import campaigns as s

from .. import campaigns as domain
from ..models import Campaign, Item
from ..registry import call
from ..tree import E, Items, el, leaves
from ..units import BUYX, EARNED, POINTS, DEFAULT_POINTS_RATIO, format_units


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
                            created_stamp=c.created.strftime("%Y-%m-%d %H:%M:%S"))
    return node


@call("campaign_new", "campaign", schema=s.CampaignNew, permission="manage", writes=True,
      errors=("Missing required field: campaign_type", "Missing required field: campaign_name",
              "Missing required field: amount_per_event"))
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
    return [el("campaign", status="new", id=campaign.id, name=campaign.name, type=campaign.type)]


@call("campaigns_list", schema=s.CampaignsList)
def campaigns_list(data: dict, caller) -> list:
    """List the account's active campaigns, optionally only some types (``type_restrict``)."""
    types = data["type_restrict"] or data["campaign_type"]
    campaigns = list(domain.list_campaigns(caller.account_id, types=types))
    buyx_ids = [c.id for c in campaigns if c.type == BUYX]
    items: dict[str, list] = {}
    if buyx_ids:
        for item in Item.select().where(Item.campaign.in_(buyx_ids)).order_by(Item.id):
            items.setdefault(item.campaign_id, []).append(item)
    return [Items("campaigns", [campaign_node(c, caller.account, items) for c in campaigns])]
