"""Legacy calls for what a campaign offers: rewards (points and events), promotions (points) and buy-X
items. Every call names them by their integer ``<id>``, never by the client's own identifier."""
from __future__ import annotations

import json

from schemas.legacy import campaigns as s

from ...domain import campaigns as domain
from ...domain.models import Item, Promo, Reward
from .. import listing
from ..messages import INVALID_FIELD, MESSAGES, MISSING_FIELD, REASONS
from ..registry import call
from ..tree import Items, Memo, el, leaves, stamp
from .campaigns import NOTHING_TO_UPDATE, picked

CAMPAIGN_NOT_FOUND = "Campaign not found"
NEED_CAMPAIGN = MISSING_FIELD.format("campaign_id")
REWARD_ERRORS = (NEED_CAMPAIGN, CAMPAIGN_NOT_FOUND, MESSAGES["reward_wrong_campaign_type"])
# What the reward fields' definitions refuse (docs/fields.md).
REWARD_FIELD_ERRORS = ("Invalid value for field reward_custom_field_1: must be a comma list of Food, Drink",
                       "Invalid value for field reward_custom_field_2: already in use",
                       MISSING_FIELD.format("reward_custom_field_3"))
PROMO_ERRORS = (CAMPAIGN_NOT_FOUND, MESSAGES["promo_wrong_campaign_type"])
ITEM_ERRORS = (CAMPAIGN_NOT_FOUND, MESSAGES["item_wrong_campaign_type"])
NOT_AN_ID = "Not a valid id"
PROMO_COLUMNS = {"promotion": "description", "operation": "operation", "multiplier": "amount"}
ITEM_COLUMNS = {"service_product": "description", "reward_id": "id", "buy_amount": "reward_level"}


def _created(campaign_id: str, tag: str, part_id: int) -> list:
    """``<campaign><id/><reward><id/></reward></campaign>``: what creating a part answers."""
    return [el("campaign", *leaves(id=campaign_id), el(tag, id=part_id))]


# --- rewards -----------------------------------------------------------------------------------------

REWARD_CHANGES = {"new_reward_level": "level", "new_reward_description": "description",
                  "new_reward_identifier": "identifier", "custom_fields": "custom_fields"}


@call("campaign_new", "reward", schema=s.RewardNew, permission="add_rewards", writes=True,
      errors=REWARD_ERRORS + (MISSING_FIELD.format("reward_level"), MISSING_FIELD.format("reward_description"),
                              INVALID_FIELD.format("reward_level", "Must be greater than or equal to 1 and less than or equal to 1000000000000000"))
      + REWARD_FIELD_ERRORS)
def reward_new(data: dict, caller) -> list:
    """Add a reward to a points or events campaign: ``reward_level`` points or events buy it."""
    reward = domain.add_part(
        Reward, caller.account_id, data["campaign_id"], reach=caller.reach, level=data["reward_level"],
        description=data["reward_description"], identifier=data["reward_identifier"], custom_fields=data["custom_fields"],
    )
    return _created(reward.campaign_id, "reward", reward.id)


@call("campaign_update", "reward", schema=s.RewardUpdate, permission="edit_rewards", writes=True,
      errors=REWARD_ERRORS + (MISSING_FIELD.format("reward_id"), INVALID_FIELD.format("reward_id", NOT_AN_ID),
                              "Reward not found", NOTHING_TO_UPDATE) + REWARD_FIELD_ERRORS)
def reward_update(data: dict, caller) -> list:
    """Change a reward's level, description, identifier or ``reward_custom_field_N`` values (a blank custom
    field removes it)."""
    changes = picked({k: v for k, v in data.items() if v != {}}, REWARD_CHANGES)
    reward = domain.update_part(Reward, caller.account_id, data["reward_id"], data["campaign_id"], changes,
                                reach=caller.reach)
    return [el("reward", status="updated", id=reward.id)]


@call("campaign_delete", "reward", schema=s.RewardDelete, permission="delete_rewards", writes=True,
      errors=(MISSING_FIELD.format("reward_id"), INVALID_FIELD.format("reward_id", NOT_AN_ID), "Reward not found")
      + REWARD_ERRORS[1:])
def reward_delete(data: dict, caller) -> list:
    """Delete a reward by its ``<id>``."""
    return [el("reward", status="deleted", id=domain.delete_part(Reward, caller.account_id, data["reward_id"], data.get("campaign_id"), reach=caller.reach))]


def reward_node(reward: domain.RewardLine):
    node = el("reward", id=reward.id, level=reward.level, description=reward.description)
    # reward_id (the client's identifier) and the custom fields appear only when set, as documented
    if reward.identifier:
        node.children += leaves(reward_id=reward.identifier)
    if reward.custom_fields and reward.custom_fields != "{}":
        node.children += leaves(**json.loads(reward.custom_fields))
    return node


def rewards_tree(campaign_id: str, rewards: tuple[domain.RewardLine, ...]) -> list:
    return [el("campaign", id=campaign_id), Items("rewards", [reward_node(r) for r in rewards])]


@call("campaign_rewards", schema=s.CampaignId, errors=REWARD_ERRORS)
def campaign_rewards(data: dict, caller) -> Memo:
    """List a points or events campaign's rewards, cheapest first."""
    rewards = domain.rewards_of(caller.account_id, data["campaign_id"], reach=caller.reach)
    # Tills and shop pages ask on every view, and the list seldom changes: rendered once per worker.
    return Memo(rewards_tree, (data["campaign_id"], tuple(rewards)))


# --- promotions --------------------------------------------------------------------------------------

PROMO_CHANGES = {"new_promo_operation": "operation", "new_promo_amount": "amount", "new_promo_description": "description",
                 "new_promo_custom_id": "custom_id", "new_promo_start_date": "start_date", "new_promo_end_date": "end_date"}
PROMO_RULES = (
    INVALID_FIELD.format("promo_operation", "must be one of x, +"),
    INVALID_FIELD.format("promo_amount", "must be greater than 0"),
    INVALID_FIELD.format("promo_end_date", REASONS["end_before_start"]),
)


@call("campaign_new", "promo", schema=s.PromoNew, permission="manage", writes=True,
      errors=(NEED_CAMPAIGN,) + PROMO_ERRORS + tuple(MISSING_FIELD.format(f) for f in ("promo_operation", "promo_amount", "promo_description"))
      + PROMO_RULES)
def promo_new(data: dict, caller) -> list:
    """Add a promotion to a points campaign: it multiplies (``x``) or adds to (``+``) the points a
    transaction earns, between its optional start and end dates."""
    promo = domain.add_part(
        Promo, caller.account_id, data["campaign_id"], reach=caller.reach, operation=data["promo_operation"],
        amount=data["promo_amount"],
        description=data["promo_description"], custom_id=data["promo_custom_id"],
        start_date=data.get("promo_start_date"), end_date=data.get("promo_end_date"),
    )
    return _created(promo.campaign_id, "promo", promo.id)


@call("campaign_update", "promo", schema=s.PromoUpdate, permission="manage", writes=True,
      errors=(MISSING_FIELD.format("promo_id"), INVALID_FIELD.format("promo_id", NOT_AN_ID), "Promo not found",
              "At least one of new_promo_operation, new_promo_amount, new_promo_description is required",
              INVALID_FIELD.format("new_promo_amount", "must not be blank"),
              INVALID_FIELD.format("new_promo_amount", "must be greater than 0"))
      + PROMO_ERRORS + PROMO_RULES[2:])
def promo_update(data: dict, caller) -> list:
    """Change a promotion; at least one of operation, amount and description must be given, none blank."""
    promo = domain.update_part(Promo, caller.account_id, data["promo_id"], data.get("campaign_id"), picked(data, PROMO_CHANGES),
                               reach=caller.reach)
    return [el("promo", status="updated", id=promo.id)]


@call("campaign_delete", "promo", schema=s.PromoDelete, permission="manage", writes=True,
      errors=(MISSING_FIELD.format("promo_id"), INVALID_FIELD.format("promo_id", NOT_AN_ID), "Promo not found") + PROMO_ERRORS)
def promo_delete(data: dict, caller) -> list:
    """Delete a promotion by its ``<id>``."""
    return [el("promo", status="deleted", id=domain.delete_part(Promo, caller.account_id, data["promo_id"], data.get("campaign_id"), reach=caller.reach))]


def promo_node(p: Promo):
    # Element names as client code reads them (operand, value): the legacy page did not show this answer.
    return el("promotion", id=p.id, operand=p.operation, value=p.amount, description=p.description,
              promo_custom_id=p.custom_id, promo_start_date=stamp(p.start_date), promo_end_date=stamp(p.end_date))


@call("campaign_promos", schema=s.PromosList, errors=(NEED_CAMPAIGN,) + PROMO_ERRORS + listing.errors(s.PROMO_SEARCH))
def campaign_promos(data: dict, caller) -> list:
    """List a points campaign's promotions, with the API 1.5 search, sort and paging options on
    ``promotion`` (description), ``operation`` and ``multiplier`` (amount)."""
    campaign = domain.campaign_for(Promo, caller.account_id, data["campaign_id"], reach=caller.reach)
    page = domain.search_parts(Promo, campaign, listing.list_query(data, PROMO_COLUMNS))
    return [el("campaign", id=campaign.id), Items("promotions", [promo_node(p) for p in page.rows]),
            listing.pagination_node(page)]


# --- buy-X items -------------------------------------------------------------------------------------

ITEM_CHANGES = {"new_reward_level": "reward_level", "new_item_description": "description", "new_item_identifier": "identifier"}


@call("campaign_new", "item", schema=s.ItemNew, permission="add_buyx_items", writes=True,
      errors=(NEED_CAMPAIGN,) + ITEM_ERRORS + (MISSING_FIELD.format("reward_level"), MISSING_FIELD.format("item_description")))
def item_new(data: dict, caller) -> list:
    """Add an item to a buy-X campaign: buying it ``reward_level`` times earns one free."""
    item = domain.add_part(Item, caller.account_id, data["campaign_id"], reach=caller.reach, reward_level=data["reward_level"],
                           description=data["item_description"], identifier=data["item_identifier"])
    return _created(item.campaign_id, "item", item.id)


@call("campaign_update", "item", schema=s.ItemUpdate, permission="edit_buyx_items", writes=True,
      errors=(MISSING_FIELD.format("item_id"), INVALID_FIELD.format("item_id", NOT_AN_ID), "Item not found",
              NOTHING_TO_UPDATE) + ITEM_ERRORS)
def item_update(data: dict, caller) -> list:
    """Change an item's purchases needed, description or identifier (past transactions show the new
    description: they name the item by id)."""
    item = domain.update_part(Item, caller.account_id, data["item_id"], data.get("campaign_id"), picked(data, ITEM_CHANGES),
                              reach=caller.reach)
    return [el("item", status="updated", id=item.id)]


@call("campaign_delete", "item", schema=s.ItemDelete, permission="delete_buyx_items", writes=True,
      errors=(MISSING_FIELD.format("item_id"), INVALID_FIELD.format("item_id", NOT_AN_ID), "Item not found") + ITEM_ERRORS)
def item_delete(data: dict, caller) -> list:
    """Delete a buy-X item by its ``<id>``."""
    return [el("item", status="deleted", id=domain.delete_part(Item, caller.account_id, data["item_id"], data.get("campaign_id"), reach=caller.reach))]


def item_node(i: Item):
    # Named as the search fields name them: reward_id searches <id>, the number redeem calls take.
    return el("buyx_item", id=i.id, service_product=i.description, buy_amount=i.reward_level, item_identifier=i.identifier)


@call("buyx_items_list", schema=s.ItemsList, errors=(NEED_CAMPAIGN,) + ITEM_ERRORS + listing.errors(s.ITEM_SEARCH))
def buyx_items_list(data: dict, caller) -> list:
    """List a buy-X campaign's items, with the API 1.5 search, sort and paging options on
    ``service_product`` (description), ``reward_id`` (the item's id) and ``buy_amount``."""
    campaign = domain.campaign_for(Item, caller.account_id, data["campaign_id"], reach=caller.reach)
    page = domain.search_parts(Item, campaign, listing.list_query(data, ITEM_COLUMNS))
    return [el("campaign", id=campaign.id), Items("buyx_items", [item_node(i) for i in page.rows]),
            listing.pagination_node(page)]
