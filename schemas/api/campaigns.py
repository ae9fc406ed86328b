"""Bodies and answers of /v1/campaigns."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from .base import ApiSchema, integer, text

STATUSES = ("draft", "active", "paused", "ended")


class Rule(ApiSchema):
    """An earning rule: ``points`` per event, or ``pointsPer`` unit of the numeric ``metadata`` value
    ``metadataField`` (rounded down); optionally at most ``maxPerUserPerDay`` events per user and UTC day."""

    event_type = text("eventType", required=True, min_length=1, max_length=64)
    points = integer("points", minimum=0, maximum=10**9)
    points_per = fields.Decimal(data_key="pointsPer", allow_nan=False, validate=validate.Range(min=0, min_inclusive=False, max=10**9))
    metadata_field = text("metadataField", min_length=1, max_length=64)
    max_per_user_per_day = integer("maxPerUserPerDay", minimum=1, maximum=10**6)

    @validates_schema
    def _one_kind(self, data, **kwargs):
        if ("points" in data) == ("points_per" in data):
            raise ValidationError("give either points, or pointsPer with metadataField", "points")
        if "points_per" in data and "metadata_field" not in data:
            raise ValidationError("required with pointsPer", "metadataField")


class CampaignCreate(ApiSchema):
    name = text("name", min_length=1)
    slug = text("slug", required=True, min_length=4, max_length=64)
    description = text("description", max_length=10000)
    starts_at = fields.DateTime(data_key="startsAt", allow_none=True)
    ends_at = fields.DateTime(data_key="endsAt", allow_none=True)
    rules = fields.List(fields.Nested(Rule), validate=validate.Length(max=100))
    legacy_campaign_id = text("legacyCampaignId", min_length=1, max_length=32)

    @validates_schema
    def _named(self, data, **kwargs):
        if "name" not in data and "legacy_campaign_id" not in data:
            raise ValidationError("Missing data for required field.", "name")


class CampaignUpdate(ApiSchema):
    name = text("name", min_length=1)
    description = text("description", max_length=10000)
    starts_at = fields.DateTime(data_key="startsAt", allow_none=True)
    ends_at = fields.DateTime(data_key="endsAt", allow_none=True)
    rules = fields.List(fields.Nested(Rule), validate=validate.Length(max=100))


class RuleOut(ApiSchema):
    event_type = fields.String(data_key="eventType", required=True)
    points = fields.Integer(data_key="points")
    points_per = fields.String(data_key="pointsPer", metadata={"description": "decimal, as text"})
    metadata_field = fields.String(data_key="metadataField")
    max_per_user_per_day = fields.Integer(data_key="maxPerUserPerDay")


class CampaignOut(ApiSchema):
    slug = fields.String(required=True)
    name = fields.String(required=True)
    description = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    legacy_campaign_id = fields.String(data_key="legacyCampaignId", required=True,
                                       metadata={"description": "the legacy API's campaign_id of the same campaign"})
    starts_at = fields.String(data_key="startsAt", required=True, allow_none=True, metadata={"format": "date-time"})
    ends_at = fields.String(data_key="endsAt", required=True, allow_none=True, metadata={"format": "date-time"})
    rules = fields.List(fields.Nested(RuleOut), required=True)
    created_at = fields.String(data_key="createdAt", required=True, metadata={"format": "date-time"})


class CampaignAnswer(ApiSchema):
    campaign = fields.Nested(CampaignOut, required=True)


class CampaignList(ApiSchema):
    campaigns = fields.List(fields.Nested(CampaignOut), required=True)
