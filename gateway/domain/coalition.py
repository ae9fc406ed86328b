"""Coalitions: in a coalition account, campaigns of one kind share one balance (docs/decisions.md).

Rules kept here and nowhere else:
- an account is a coalition account when its operator says so (``Account.coalition``,
  ``flask --app app coalition ACCOUNT on``); no other account has a pool, so nothing changes for them;
- a pool is the account's active campaigns of one kind that have not opted out (``coalition_opt_out``):
  points campaigns form the coalition points, gift-card campaigns the coalition stored value;
- a customer's coalition balance is the sum of what they may spend in each campaign of the pool (each
  after its own fees and depreciations). Balances are shown pooled; every ledger row stays in its own
  campaign, and a redeem spends the campaign's own balance;
- ``two_tier_opt_out`` is kept and shown, and changes nothing: there is no second tier (a coalition
  across accounts) to opt out of.
"""
from __future__ import annotations

from typing import Iterable

import peewee as pw

from .balances import holdings
from .errors import InvalidValue
from .models import Account, Campaign, Customer, LedgerEntry, User
from .units import GIFTCARD, POINTS

# The legacy names of the pools (reports_customers_balances' coalition_balance) -> campaign type.
KINDS = {"coalition_points": POINTS, "coalition_storedvalue": GIFTCARD}


def is_coalition(account_id: str, campaign: Campaign | None = None) -> bool:
    """Whether the account pools balances; a campaign read with campaigns.CAMPAIGN_FACTS knows it."""
    known = getattr(campaign, "account_coalition", None)
    if known is not None:
        return bool(known)
    return bool(Account.select(Account.coalition).where(Account.id == account_id).scalar())


def set_coalition(account_id: str, on: bool) -> bool:
    """Make the account a coalition account (or not); False when there is no such account."""
    return Account.update(coalition=on).where(Account.id == account_id).execute() == 1


def pooled(campaign: Campaign) -> bool:
    """Whether the campaign's kind can share a balance and it has not opted out (the account aside)."""
    return campaign.type in (POINTS, GIFTCARD) and not campaign.coalition_opt_out and campaign.active


def pool(account_id: str, campaign_type: str, reach: frozenset[str] | None = None) -> list[Campaign]:
    """The account's campaigns sharing the ``campaign_type`` coalition balance, oldest first; ``reach``
    (the campaigns a user may see, None for all) limits them."""
    query = Campaign.select().where((Campaign.account == account_id) & (Campaign.type == campaign_type)
                                    & (Campaign.coalition_opt_out == False) & (Campaign.active == True))  # noqa: E712
    if reach is not None:
        query = query.where(Campaign.id.in_(list(reach)))
    return list(query.order_by(Campaign.created, Campaign.id))


def pool_of(account_id: str, campaign: Campaign, reach: frozenset[str] | None = None) -> list[Campaign] | None:
    """The pool ``campaign`` belongs to, or None when its balance is its own."""
    if not pooled(campaign) or not is_coalition(account_id, campaign):
        return None
    return pool(account_id, campaign.type, reach)


def available(customer: Customer, campaigns: list[Campaign]) -> int:
    """What the customer may spend over ``campaigns`` (a pool): the sum of each one's available."""
    return sum(h.available for h in holdings(customer, campaigns).values())


def pooled_balances(account_id: str, customer: Customer, campaigns: Iterable[Campaign], own: dict[str, int],
                    reach: frozenset[str] | None = None) -> dict[str, int]:
    """``own`` (campaign id -> the customer's available balance in it) with each pooled campaign's
    balance replaced by the coalition balance; unchanged outside coalition accounts."""
    campaigns = [c for c in campaigns if pooled(c)]
    if not campaigns or not is_coalition(account_id, campaigns[0]):
        return own
    result = dict(own)
    for kind in {c.type for c in campaigns}:
        total = available(customer, pool(account_id, kind, reach))
        for c in campaigns:
            if c.type == kind:
                result[c.id] = total
    return result


def history(account_id: str, customer: Customer, campaigns: list[Campaign], limit: int | None) -> list[tuple]:
    """Live transactions of the customer in every campaign of ``campaigns`` (a pool), newest first:
    rows of (id, created, amount, authorization, item, custom_fields, user_id, user_name, campaign_id)."""
    reversal = LedgerEntry.alias("reversal")
    reversed_ = reversal.select(reversal.id).where(reversal.reverses == LedgerEntry.id)
    user_name = User.select(pw.fn.NULLIF(User.name, "")).where((User.account == account_id) & (User.user_id == LedgerEntry.user_id))
    query = (
        LedgerEntry.select(
            LedgerEntry.id, LedgerEntry.created, LedgerEntry.amount, LedgerEntry.authorization, LedgerEntry.item,
            LedgerEntry.custom_fields, LedgerEntry.user_id, pw.fn.COALESCE(user_name, LedgerEntry.user_id), LedgerEntry.campaign,
        )
        .where((LedgerEntry.customer == customer.id) & LedgerEntry.campaign.in_([c.id for c in campaigns])
               & (LedgerEntry.kind != "reversal") & ~pw.fn.EXISTS(reversed_))
        .order_by(LedgerEntry.created.desc(), LedgerEntry.id.desc())
    )
    return list((query if limit is None else query.limit(limit)).tuples())


def report_pool(account_id: str, campaign: Campaign, kind: str) -> list[Campaign]:
    """The pool a ``coalition_balance`` report covers: ``kind``'s, which ``campaign`` must belong to."""
    if not is_coalition(account_id):
        raise InvalidValue("coalition_balance", "not_a_coalition")
    if campaign.type != KINDS[kind] or not pooled(campaign):
        raise InvalidValue("coalition_balance", "not_in_coalition")
    return pool(account_id, campaign.type)
