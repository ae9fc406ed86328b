"""Schemas of the ``type=reports`` calls (one per ``report``)."""
from __future__ import annotations

from marshmallow import ValidationError, pre_load, validates_schema

from .base import Choice, CommaList, Date, Flag, LegacySchema, Text, Whole

ONE_CAMPAIGN = "Only one campaign can be reported at a time"


class ReportRange(LegacySchema):
    """The fields every report shares: a day range (``date_end`` inclusive) and a campaign list."""

    date_start = Date()
    date_end = Date()
    selected_campaigns = CommaList(load_default=list)

    @validates_schema
    def _ordered(self, data, **kwargs):
        start, end = data.get("date_start"), data.get("date_end")
        if start and end and end < start:
            raise ValidationError("before date_start", "date_end")


class TransactionsAll(ReportRange):
    date_start = Date(required=True)
    last = Whole(load_default=0)
    restrict_by_user = Text(max_length=128)
    show_activations = Flag(load_default=False)


class CustomersBalances(LegacySchema):
    campaign_id = Text(required=True, max_length=64)
    offset = Whole(load_default=0)
    limit = Whole(minimum=1)
    # A coalition account's pooled balance instead of the campaign's own (gateway.domain.coalition).
    coalition_balance = Choice(("coalition_points", "coalition_storedvalue"))

    @pre_load
    def _selected_campaign(self, data, **kwargs):
        # The legacy page speaks of "selected_campaign(s)"; a client sending that instead of campaign_id
        # is served, as long as it names one campaign.
        picked = str(data.get("selected_campaigns", "")).strip()
        if picked and not str(data.get("campaign_id", "")).strip():
            if "," in picked.strip(","):
                raise ValidationError(ONE_CAMPAIGN, "selected_campaigns")
            data = {**data, "campaign_id": picked.strip(",")}
        return data


class CustomersAll(ReportRange):
    pass


class CustomersNew(ReportRange):
    date_start = Date(required=True)


class CustomersFrequent(ReportRange):
    frequency = Whole(required=True, minimum=1)
    include_redeemed = Flag(load_default=False)


class CustomersInactive(ReportRange):
    inactive_for = Whole(required=True, minimum=1, data_key="Inactive_for")

    @pre_load
    def _lower_case_name(self, data, **kwargs):
        # The legacy name is capitalised; accept the all-lower-case spelling clients may normalise to.
        if "Inactive_for" not in data and "inactive_for" in data:
            data = {**data, "Inactive_for": data["inactive_for"]}
        return data


class CustomersBirthday(ReportRange):
    pass


class CustomersCustomDate(ReportRange):
    pass


class CustomersSearch(ReportRange):
    search_text = Text(required=True)
