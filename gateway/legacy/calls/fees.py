"""Legacy calls for recurring fees and depreciations of points and gift-card campaigns.

Fee amounts are in the campaign's unit: whole points, or money on a gift card. Depreciation answers use
``interval``/``percentage`` on mutations but ``depreciation_interval``/... in the list, as documented.
"""
from __future__ import annotations

from schemas.legacy import campaigns as s

from ...domain import campaigns as domain
from ..messages import INVALID_FIELD, MESSAGES, MISSING_FIELD, REASONS
from ...domain.models import Depreciation, Fee
from ..registry import call
from ..tree import Items, el
from ...domain.units import format_units
from .campaigns import NOTHING_TO_UPDATE, picked

NEED_CAMPAIGN = MISSING_FIELD.format("campaign_id")
FEE_ERRORS = (NEED_CAMPAIGN, "Campaign not found", MESSAGES["fee_wrong_campaign_type"])
DEPRECIATION_ERRORS = (NEED_CAMPAIGN, "Campaign not found", MESSAGES["depreciation_wrong_campaign_type"])
INTERVAL_TYPE = "must be one of days, months, years"


# --- fees --------------------------------------------------------------------------------------------

FEE_CHANGES = {"fee_interval": "interval", "interval_type": "interval_type", "fee_amount": "amount",
               "fee_description": "description"}


def fee_node(fee: Fee, campaign_type: str, status: str | None = None):
    return el("fee", status=status, id=fee.id, interval=fee.interval, interval_type=fee.interval_type,
              amount=format_units(fee.amount, campaign_type), description=fee.description)


@call("campaign_fee_new", schema=s.FeeNew, permission="manage", writes=True, fields={"amount": "fee_amount"},
      errors=FEE_ERRORS + tuple(MISSING_FIELD.format(f) for f in ("fee_interval", "interval_type", "fee_amount", "fee_description"))
      + (INVALID_FIELD.format("interval_type", INTERVAL_TYPE), INVALID_FIELD.format("fee_amount", REASONS["not_whole_points"])))
def fee_new(data: dict, caller) -> list:
    """Add a recurring fee: ``fee_amount`` (points, or money on a gift card) is taken every
    ``fee_interval`` ``interval_type``."""
    fee = domain.add_part(Fee, caller.account_id, data["campaign_id"], reach=caller.reach, **picked(data, FEE_CHANGES))
    return [fee_node(fee, fee.campaign.type, "new")]


@call("campaign_fee_update", schema=s.FeeUpdate, permission="manage", writes=True, fields={"amount": "fee_amount"},
      errors=FEE_ERRORS + (MISSING_FIELD.format("fee_id"), "Fee not found", NOTHING_TO_UPDATE,
                           INVALID_FIELD.format("interval_type", INTERVAL_TYPE), INVALID_FIELD.format("fee_amount", REASONS["not_whole_points"])))
def fee_update(data: dict, caller) -> list:
    """Change a fee's interval, amount or description."""
    fee = domain.update_part(Fee, caller.account_id, data["fee_id"], data["campaign_id"], picked(data, FEE_CHANGES),
                             reach=caller.reach)
    return [fee_node(fee, fee.campaign.type, "updated")]


@call("campaign_fee_delete", schema=s.FeeDelete, permission="manage", writes=True,
      errors=FEE_ERRORS + (MISSING_FIELD.format("fee_id"), "Fee not found"))
def fee_delete(data: dict, caller) -> list:
    """Delete a fee by its ``<id>``."""
    return [el("fee", status="deleted", id=domain.delete_part(Fee, caller.account_id, data["fee_id"], data["campaign_id"], reach=caller.reach))]


@call("campaign_fees", schema=s.CampaignId, errors=FEE_ERRORS)
def campaign_fees(data: dict, caller) -> list:
    """List a points or gift-card campaign's fees."""
    campaign = domain.campaign_for(Fee, caller.account_id, data["campaign_id"], reach=caller.reach)
    fees = [fee_node(f, campaign.type) for f in domain.parts(Fee, campaign)]
    return [el("campaign", id=campaign.id), Items("fees", fees)]


# --- depreciations -----------------------------------------------------------------------------------

DEPRECIATION_CHANGES = {"depreciation_type": "type", "depreciation_interval": "interval",
                        "depreciation_interval_type": "interval_type", "depreciation_percentage": "percentage"}


def depreciation_node(d: Depreciation, status: str):
    return el("depreciation", status=status, id=d.id, type=d.type, interval=d.interval, interval_type=d.interval_type,
              percentage=d.percentage)


@call("depreciation_new", schema=s.DepreciationNew, permission="add_depreciation", writes=True,
      errors=DEPRECIATION_ERRORS + tuple(MISSING_FIELD.format(f) for f in DEPRECIATION_CHANGES)
      + (INVALID_FIELD.format("depreciation_type", "must be one of per_transaction, last_transaction"),
         INVALID_FIELD.format("depreciation_percentage", "Must be between 0.01 and 100")))
def depreciation_new(data: dict, caller) -> list:
    """Add a depreciation: ``per_transaction`` takes ``depreciation_percentage`` of each transaction once
    it is older than the interval; ``last_transaction`` of the balance once the customer has been idle
    that long."""
    depreciation = domain.add_part(Depreciation, caller.account_id, data["campaign_id"], reach=caller.reach, **picked(data, DEPRECIATION_CHANGES))
    return [depreciation_node(depreciation, "new")]


@call("depreciation_update", schema=s.DepreciationUpdate, permission="edit_depreciation", writes=True,
      errors=DEPRECIATION_ERRORS + (MISSING_FIELD.format("depreciation_id"), "Depreciation not found", NOTHING_TO_UPDATE,
                                    INVALID_FIELD.format("depreciation_percentage", "Must be between 0.01 and 100")))
def depreciation_update(data: dict, caller) -> list:
    """Change a depreciation's type, interval or percentage."""
    depreciation = domain.update_part(Depreciation, caller.account_id, data["depreciation_id"], data["campaign_id"],
                                      picked(data, DEPRECIATION_CHANGES), reach=caller.reach)
    return [depreciation_node(depreciation, "updated")]


@call("depreciation_delete", schema=s.DepreciationDelete, permission="delete_depreciation", writes=True,
      errors=DEPRECIATION_ERRORS + (MISSING_FIELD.format("depreciation_id"), "Depreciation not found"))
def depreciation_delete(data: dict, caller) -> list:
    """Delete a depreciation (``fee_id`` is accepted for ``depreciation_id``, as the legacy example sends)."""
    deleted = domain.delete_part(Depreciation, caller.account_id, data["depreciation_id"], data["campaign_id"],
                                 reach=caller.reach)
    return [el("depreciation", status="deleted", id=deleted)]


@call("campaign_depreciations", schema=s.CampaignId, errors=DEPRECIATION_ERRORS)
def campaign_depreciations(data: dict, caller) -> list:
    """List a points or gift-card campaign's depreciations (with ``depreciation_type``, which the legacy
    list left out)."""
    campaign = domain.campaign_for(Depreciation, caller.account_id, data["campaign_id"], reach=caller.reach)
    return [el("campaign", id=campaign.id), Items("depreciations", [
        el("depreciation", id=d.id, depreciation_interval=d.interval, depreciation_interval_type=d.interval_type,
           depreciation_percentage=d.percentage, depreciation_type=d.type)
        for d in domain.parts(Depreciation, campaign)
    ])]
