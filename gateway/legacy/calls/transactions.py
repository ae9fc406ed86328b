"""Legacy calls that move balances (record_activity, redeem, transaction_delete) and show them
(customer_balance, alias ``balance``)."""
from __future__ import annotations

import json

from schemas.legacy import transactions as s

from ...domain import transactions as domain
from ...domain.balances import holdings
from ..messages import MISSING_FIELD
from ...domain.ledger import INSUFFICIENT
from ...domain.models import Item
from ..registry import call, registry
from ..tree import NO_ATTRS, E, Items, el, leaves, new_row
from ...domain.units import BUYX, format_units, formatter

def _stamp(when) -> str:
    # "YYYY-MM-DD HH:MM:SS": isoformat is a third of strftime's cost, ten times per balance call.
    return when.isoformat(" ", "seconds")


def _subjects(data: dict, caller):
    return domain.subjects(caller.account_id, data["campaign_id"], data.get("code"), data.get("card_number"))


def receipt_node(receipt: domain.Receipt, caller) -> E:
    node = el(
        "receipt",
        transaction_id=receipt.entry.id,
        campaign_id=receipt.campaign.id,
        code=receipt.customer.code,
        card_number=receipt.customer.card_number,
        date=_stamp(receipt.entry.created),
        amount=receipt.amount,
        balance=receipt.balance_text,
    )
    if receipt.item is not None:
        node.children.append(el("item", id=receipt.item.id, description=receipt.item.description,
                                free_items=receipt.balance // max(1, receipt.item.reward_level)))
    # Legacy clients print the merchant ("agency") from the receipt.
    node.children.append(el("agency", name=caller.account.name, email=""))
    return node


TRANSACTION_ERRORS = ("Missing required field: campaign_id", "Missing required field: code",
                      "Campaign not found", domain.CAMPAIGN_INACTIVE, "Customer not found")


@call("record_activity", schema=s.RecordActivity, permission="till", writes=True,
      errors=TRANSACTION_ERRORS + ("Promo not found", domain.PROMO_INACTIVE, "Item not found",
                                   MISSING_FIELD.format("amount"), MISSING_FIELD.format("service_product")))
def record_activity(data: dict, caller) -> list:
    """Record an activity (a purchase, a visit, a top-up) and credit the customer; answers a receipt."""
    campaign, customer = _subjects(data, caller)
    return [receipt_node(domain.record(caller, campaign, customer, data), caller)]


@call("redeem", schema=s.Redeem, permission="till", writes=True,
      errors=TRANSACTION_ERRORS + (INSUFFICIENT, "Reward not found", "Item not found", domain.NO_REWARD_RATIO,
                                   domain.ONE_REDEEM_FIELD, MISSING_FIELD.format("reward_to_redeem")))
def redeem(data: dict, caller) -> list:
    """Redeem a reward, points, money or a free item from the available balance; answers a receipt."""
    campaign, customer = _subjects(data, caller)
    return [receipt_node(domain.redeem(caller, campaign, customer, data), caller)]


@call("transaction_delete", schema=s.TransactionDelete, permission="manage", writes=True,
      errors=TRANSACTION_ERRORS + ("Transaction not found", domain.ALREADY_DELETED, domain.DELETE_NEGATIVE))
def transaction_delete(data: dict, caller) -> list:
    """Delete one recorded transaction: a reversing ledger row cancels it and the balance follows."""
    campaign, customer = _subjects(data, caller)
    posted = domain.delete(caller, campaign, customer, data["transaction_id"])
    holding = holdings(customer, [campaign])[campaign.id]
    balance = holding.items.get(posted.entry.item, 0) if posted.entry.item else holding.available
    return [el("transaction", status="deleted", id=data["transaction_id"], campaign_id=campaign.id,
               code=customer.code, balance=format_units(balance, campaign.type))]


_TRANSACTION = ("id", "date", "user_name", "amount", "authorization", "redeemed")


def transaction_nodes(entries: list[domain.Transaction], campaign_type: str) -> list:
    """One node per history row. Up to a customer's whole history, on every balance: a plain row is a
    ``Row`` built in this loop, without a call per value; one with an item or custom fields is an
    element. user_name and authorization are never NULL (COALESCE and a column default); the date is
    the first 19 characters of the row's time text, as ``_stamp`` writes a time."""
    amount_text = formatter(campaign_type)
    nodes: list = []
    append = nodes.append
    for id_, created, amount, authorization, item, custom_fields, _user_id, user_name in entries:
        texts = (str(id_), created[:19], user_name, amount_text(-amount if amount < 0 else amount),
                 authorization, "Y" if amount < 0 else "N")
        if not item and (not custom_fields or custom_fields == "{}"):
            append(new_row(("transaction", _TRANSACTION, texts)))
            continue
        node = E("transaction", list(zip(_TRANSACTION, texts)), None, NO_ATTRS)
        if item:
            node.children += leaves(item_id=item)
        if custom_fields and custom_fields != "{}":
            for name, value in sorted(json.loads(custom_fields).items()):
                node.children.append(E(name, [], value))
        append(node)
    return nodes


@call("customer_balance", schema=s.CustomerBalance,
      errors=("Missing required field: campaign_id", "Missing required field: code", "Campaign not found",
              "Customer not found"))
def customer_balance(data: dict, caller) -> list:
    """A customer's available balance in one campaign and its transactions, newest first
    (``transactions_number``: 0 none, N the last N, absent all)."""
    campaign, customer, available, items, entries = domain.standing(
        caller.account_id, data["campaign_id"], data.get("code"), data.get("card_number"),
        history=data.get("transactions_number"))
    node = el("customer", code=customer.code, card_number=customer.card_number,
              balance=format_units(available, campaign.type))
    if campaign.type == BUYX:
        node.children.append(Items("items", [
            el("item", id=i.id, description=i.description, purchases=items.get(i.id, 0),
               free_items=items.get(i.id, 0) // max(1, i.reward_level))
            for i in Item.select().where(Item.campaign == campaign.id).order_by(Item.id)
        ]))
    node.children.append(Items("transactions", transaction_nodes(entries, campaign.type)))
    top = el("campaign", campaign_id=campaign.id, campaign_name=campaign.name, campaign_type=campaign.type,
             reward_ratio=campaign.reward_ratio)
    top.children.append(node)
    return [top]


registry.alias("balance", "customer_balance")
