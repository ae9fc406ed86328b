"""Schemas of the transaction calls: record_activity, redeem, transaction_delete, customer_balance.

What a field means depends on the campaign's type (``reward_to_redeem`` is a reward id, an amount or
an item), so type-dependent fields load as text here and ``gateway.transactions`` reads them once the
campaign is known.
"""
from __future__ import annotations

import re

from .base import Flag, Id, LegacySchema, Number, PatternSchema, Text, Whole

MAX_AMOUNT = 1_000_000_000


class _CustomerInCampaign(LegacySchema):
    campaign_id = Text(max_length=32, required=True)
    # One of the two names the customer; gateway.transactions.find_customer says which is missing.
    code = Text(max_length=128)
    card_number = Text(max_length=128)


class _Transaction(_CustomerInCampaign, PatternSchema):
    authorization = Text(max_length=4000, load_default="")
    # Y: mail the customer what moved and the new balance (docs/mail.md).
    send_transaction_email = Flag(load_default=False)
    patterns = {"custom_fields": re.compile(r"custom_field_\d{1,4}")}


class RecordActivity(_Transaction):
    amount = Number(minimum=0, maximum=MAX_AMOUNT, places=2)
    promo_id = Id()
    service_product = Text()
    buyx_quantity = Whole(minimum=1, maximum=1_000_000, load_default=1)


class Redeem(_Transaction):
    reward_to_redeem = Text()
    custom_points_redeem = Whole(minimum=1, maximum=10**12)
    custom_dollars_redeem = Number(minimum="0.01", maximum=MAX_AMOUNT, places=2)


class TransactionDelete(_CustomerInCampaign):
    transaction_id = Id(required=True)


class CustomerBalance(_CustomerInCampaign):
    transactions_number = Whole(minimum=0, maximum=1_000_000)
    across_campaigns = Flag(load_default=False)  # coalition accounts: every pooled campaign's transactions
