"""What a customer holds: balances per campaign as of now, for every call that shows them.

The stored balance (``Membership.balance``) is the ledger's sum. What a customer may spend is that,
less what fees and depreciations have taken as of the moment of the read (``gateway.deductions``,
computed, never stored).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import deductions
from .db import Statement
from .models import Campaign, Customer, Membership


@dataclass(slots=True)
class Holding:
    campaign: Campaign
    stored: int = 0  # sum of the ledger rows
    deducted: int = 0  # fees and depreciations as of now
    items: dict[int, int] = field(default_factory=dict)  # buy-X: item id -> purchases counted

    @property
    def available(self) -> int:
        return max(0, self.stored - self.deducted)


def _memberships(*where):
    return Membership.select(Membership.campaign, Membership.item, Membership.balance).where(*where)


# One campaign is the common case (every transaction and balance).
_IN_CAMPAIGN = Statement(lambda customer_id, campaign_id: _memberships(
    Membership.customer == customer_id, Membership.campaign == campaign_id), tuples=True)


def holdings(customer: Customer, campaigns: list[Campaign]) -> dict[str, Holding]:
    """Balances of ``customer`` in each of ``campaigns`` (a campaign without activity holds 0)."""
    result = {c.id: Holding(c) for c in campaigns}
    if not result:
        return result
    if len(result) == 1:
        rows = _IN_CAMPAIGN(customer.id, campaigns[0].id)
    else:
        rows = _memberships(Membership.customer == customer.id, Membership.campaign.in_(list(result))).tuples()
    for campaign_id, item, balance in rows:
        holding = result[campaign_id]
        holding.stored += balance
        if item:
            holding.items[item] = balance
    for campaign_id, taken in deductions.deducted(customer, campaigns).items():
        result[campaign_id].deducted = taken
    return result


def holding(customer: Customer, campaign: Campaign, stored: int) -> Holding:
    """What ``holdings`` answers for one campaign whose stored balance was read already (no items)."""
    return Holding(campaign, stored, deductions.deducted(customer, [campaign]).get(campaign.id, 0))


def member_campaign_ids(customer: Customer) -> set[str]:
    """Campaigns the customer belongs to: enrolled in, or has had a transaction with."""
    return {cid for (cid,) in Membership.select(Membership.campaign).where(Membership.customer == customer.id).distinct().tuples()}
