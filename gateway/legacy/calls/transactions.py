"""Legacy calls that move balances (record_activity, redeem, transaction_delete) and show them
(customer_balance, alias ``balance``)."""
from __future__ import annotations

import json

from flask import current_app

from schemas.legacy import transactions as s

from ...domain import coalition, mail, transactions as domain
from ...domain.accounts import receipt_agency
from ...domain.balances import holdings
from ...domain.models import Item
from ...domain.units import BUYX, format_units
from ..messages import MISSING_FIELD
from ..registry import call, registry
from ..tree import E, Items, el, leaf, leaves, stamp


def _mail(data: dict, caller, receipt: domain.Receipt) -> None:
    """``send_transaction_email=Y``: queue the customer's mail in this write's transaction (only when an
    SMTP server is configured: docs/mail.md). The answer is the same either way."""
    if data["send_transaction_email"] and mail.settings_from(current_app.config) is not None:
        mail.transaction_mail(caller.account_id, receipt)


def _subjects(data: dict, caller):
    return domain.subjects(caller.account_id, data["campaign_id"], data.get("code"), data.get("card_number"),
                           reach=caller.reach)


def _details(data: dict, caller) -> domain.Details:
    return domain.Details(caller.user_id, data.get("authorization", ""), data.get("custom_fields") or {})


def receipt_node(receipt: domain.Receipt, caller) -> E:
    node = el(
        "receipt",
        transaction_id=receipt.entry.id,
        campaign_id=receipt.campaign.id,
        code=receipt.customer.code,
        card_number=receipt.customer.card_number,
        date=stamp(receipt.entry.created),
        amount=receipt.amount,
        balance=receipt.balance_text,
    )
    if receipt.item is not None:
        node.children.append(el("item", id=receipt.item.id, description=receipt.item.description,
                                free_items=receipt.balance // max(1, receipt.item.reward_level)))
    # Legacy clients print the merchant ("agency") from the receipt.
    name, email = receipt_agency(caller.account)
    node.children.append(el("agency", name=name, email=email))
    return node


TRANSACTION_ERRORS = ("Missing required field: campaign_id", "Missing required field: code",
                      "Campaign not found", "Campaign is deactivated", "Customer not found")


@call("record_activity", schema=s.RecordActivity, permission="till", writes=True, fields={"item": "service_product"},
      errors=TRANSACTION_ERRORS + ("Promo not found", "Promo is not active at this time", "Item not found",
                                   MISSING_FIELD.format("amount"), MISSING_FIELD.format("service_product"),
                                   # transaction fields (docs/fields.md)
                                   "Invalid value for field custom_field_1: must be a number of at most 16 digits and 5 decimals",
                                   "Invalid value for field custom_field_2: already in use",
                                   MISSING_FIELD.format("custom_field_3"),
                                   "Invalid value for field custom_field_4: this field is for redeem transactions only"))
def record_activity(data: dict, caller) -> list:
    """Record an activity (a purchase, a visit, a top-up) and credit the customer; answers a receipt."""
    campaign, customer = _subjects(data, caller)
    activity = domain.Activity(amount=data.get("amount"), promo_id=data.get("promo_id"),
                               item=data.get("service_product"), quantity=data["buyx_quantity"])
    receipt = domain.record(caller.account_id, campaign, customer, activity, _details(data, caller))
    _mail(data, caller, receipt)
    return [receipt_node(receipt, caller)]


@call("redeem", schema=s.Redeem, permission="till", writes=True, fields={"choice": "reward_to_redeem"},
      # An insufficient balance is answered with its figures: the docs show an example of them.
      errors=TRANSACTION_ERRORS + ("Insufficient balance: 100 available, 250 needed", "Reward not found",
                                   "Item not found",
                                   "This campaign does not redeem by currency value (it has no reward_ratio)",
                                   "Give only one of reward_to_redeem, custom_points_redeem, custom_dollars_redeem",
                                   MISSING_FIELD.format("reward_to_redeem"),
                                   # transaction fields (docs/fields.md)
                                   "Invalid value for field custom_field_1: must be one of Store, Web",
                                   MISSING_FIELD.format("custom_field_3")))
def redeem(data: dict, caller) -> list:
    """Redeem a reward, points, money or a free item from the available balance; answers a receipt."""
    campaign, customer = _subjects(data, caller)
    redemption = domain.Redemption(choice=data.get("reward_to_redeem"), points=data.get("custom_points_redeem"),
                                   value=data.get("custom_dollars_redeem"))
    receipt = domain.redeem(caller.account_id, campaign, customer, redemption, _details(data, caller))
    _mail(data, caller, receipt)
    return [receipt_node(receipt, caller)]


@call("transaction_delete", schema=s.TransactionDelete, permission="manage", writes=True,
      errors=TRANSACTION_ERRORS + ("Transaction not found", "Transaction already deleted",
                                   "Cannot delete this transaction: the balance would become negative"))
def transaction_delete(data: dict, caller) -> list:
    """Delete one recorded transaction: a reversing ledger row cancels it and the balance follows."""
    campaign, customer = _subjects(data, caller)
    posted = domain.delete(caller.account_id, caller.user_id, campaign, customer, data["transaction_id"])
    holding = holdings(customer, [campaign])[campaign.id]
    balance = holding.items.get(posted.entry.item, 0) if posted.entry.item else holding.available
    return [el("transaction", status="deleted", id=data["transaction_id"], campaign_id=campaign.id,
               code=customer.code, balance=format_units(balance, campaign.type))]


def transaction_nodes(entries: list[domain.Transaction], campaign_type: str) -> list:
    """One node per history row: an item and custom fields follow the common leaves when set."""
    nodes = []
    for entry in entries:
        node = el("transaction", id=entry.id, date=stamp(entry.created), user_name=entry.user_name,
                  amount=format_units(abs(entry.amount), campaign_type), authorization=entry.authorization,
                  redeemed="Y" if entry.amount < 0 else "N")
        if entry.item:
            node.children += leaves(item_id=entry.item)
        if entry.custom_fields and entry.custom_fields != "{}":
            node.children += [E(name, [], value) for name, value in sorted(json.loads(entry.custom_fields).items())]
        nodes.append(node)
    return nodes


@call("customer_balance", schema=s.CustomerBalance,
      errors=("Missing required field: campaign_id", "Missing required field: code", "Campaign not found",
              "Customer not found"))
def customer_balance(data: dict, caller) -> list:
    """A customer's available balance in one campaign and its transactions, newest first
    (``transactions_number``: 0 none, N the last N, absent all)."""
    campaign, customer, available, items, entries = domain.standing(
        caller.account_id, data["campaign_id"], data.get("code"), data.get("card_number"),
        history_length=data.get("transactions_number"), reach=caller.reach)
    node = el("customer", code=customer.code, card_number=customer.card_number,
              balance=format_units(available, campaign.type))
    if campaign.type == BUYX:
        node.children.append(Items("items", [
            el("item", id=i.id, description=i.description, purchases=items.get(i.id, 0),
               free_items=items.get(i.id, 0) // max(1, i.reward_level))
            for i in Item.select().where(Item.campaign == campaign.id).order_by(Item.id)
        ]))
    pool = coalition.pool_of(caller.account_id, campaign, caller.reach) if data["across_campaigns"] else None
    if pool and data.get("transactions_number") != 0:
        # across_campaigns=Yes: the transactions of every campaign sharing the coalition balance, each
        # naming its campaign.
        rows = coalition.history(caller.account_id, customer, pool, data.get("transactions_number"))
        history = transaction_nodes([domain.Transaction(*row[:8]) for row in rows], campaign.type)
        for row, entry_node in zip(rows, history):
            entry_node.children.append(leaf("campaign_id", row[8]))
        node.children.append(Items("transactions", history))
    else:
        node.children.append(Items("transactions", transaction_nodes(entries, campaign.type)))
    top = el("campaign", campaign_id=campaign.id, campaign_name=campaign.name, campaign_type=campaign.type,
             reward_ratio=campaign.reward_ratio)
    top.children.append(node)
    return [top]


registry.alias("balance", "customer_balance")
