"""Request and response bodies of the redeemable codes (JSON API E4-E8 and revoke; docs/api-codes.md)."""
from __future__ import annotations

import datetime as dt

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from .base import ApiSchema

MAX_BATCH_SIZE = 10_000
MAX_POINTS_VALUE = 1_000_000_000
MAX_CODE = 64  # a code is 13 characters; room for blanks a person typed around it
MAX_USER_ID = 128
MAX_SLUG = 64
MAX_BATCH_ID = 36
MAX_PAGE = 1_000_000


def _integer(minimum: int, maximum: int, **kw) -> fields.Integer:
    # strict: 5.0 and "5" are refused, as JSON has integers of its own
    return fields.Integer(strict=True, validate=validate.Range(minimum, maximum), **kw)


def _no_nul(value: str) -> None:
    # PostgreSQL text cannot hold NUL: refused here rather than failing in the database.
    if "\x00" in value:
        raise ValidationError("must not contain NUL characters")


def _text(minimum: int, maximum: int, **kw) -> fields.String:
    return fields.String(validate=[validate.Length(minimum, maximum), _no_nul], **kw)


def _slug(**kw) -> fields.String:
    return _text(1, MAX_SLUG, **kw)


class GenerateRequest(ApiSchema):
    slug = _slug(required=True)
    batch_size = _integer(1, MAX_BATCH_SIZE, required=True, data_key="batchSize")
    points_value = _integer(1, MAX_POINTS_VALUE, required=True, data_key="pointsValue")
    label = _text(0, 255, load_default="")
    # ISO 8601; a time without a zone is UTC
    expires_at = fields.DateTime(allow_none=True, load_default=None, data_key="expiresAt")

    @post_load
    def utc(self, data, **kwargs):
        # Stored naive UTC in whole seconds, as every date of the domain; a time without a zone is UTC.
        when = data["expires_at"]
        if when is not None and when.tzinfo is not None:
            try:
                when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
            except OverflowError:
                raise ValidationError("is out of range", "expiresAt") from None
        data["expires_at"] = when.replace(microsecond=0) if when is not None else None
        return data


class VerifyRequest(ApiSchema):
    code = _text(1, MAX_CODE, required=True)


class RedeemRequest(ApiSchema):
    user_id = _text(1, MAX_USER_ID, required=True, data_key="userId")
    code = _text(1, MAX_CODE, required=True)


class RevokeRequest(ApiSchema):
    code = _text(1, MAX_CODE)
    batch_id = _text(1, MAX_BATCH_ID, data_key="batchId")

    @validates_schema
    def one_of(self, data, **kwargs):
        if ("code" in data) == ("batch_id" in data):
            raise ValidationError("Give either code or batchId, not both", "code")


class BatchesQuery(ApiSchema):
    slug = _slug(required=True)
    # Query strings are text: "2" is read as 2 ("2.5" and "x" are refused).
    page = fields.Integer(validate=validate.Range(1, MAX_PAGE), load_default=1)
    # above 100 is clamped to 100 (like the leaderboard's limit)
    limit = fields.Integer(validate=validate.Range(1, MAX_PAGE), load_default=20)


class StatsQuery(ApiSchema):
    slug = _slug(required=True)


class Batch(Schema):
    id = fields.String(required=True)
    campaign_id = fields.String(required=True, data_key="campaignId")
    batch_size = fields.Integer(required=True, data_key="batchSize")
    points_value = fields.Integer(required=True, data_key="pointsValue")
    label = fields.String(required=True)
    expires_at = fields.DateTime(required=True, allow_none=True, data_key="expiresAt")
    created_at = fields.DateTime(required=True, data_key="createdAt")


class GenerateResponse(Schema):
    batch = fields.Nested(Batch, required=True)
    codes = fields.List(fields.String(), required=True)
    count = fields.Integer(required=True)
    game_url = fields.String(required=True, data_key="gameUrl")


class VerifyResponse(Schema):
    valid = fields.Boolean(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["", "ACTIVE", "REDEEMED", "EXPIRED", "REVOKED"]))
    points_value = fields.Integer(required=True, data_key="pointsValue")
    campaign_name = fields.String(required=True, data_key="campaignName")
    campaign_slug = fields.String(required=True, data_key="campaignSlug")
    expired = fields.Boolean(required=True)
    message = fields.String(required=True)


class BatchesResponse(Schema):
    batches = fields.List(fields.Nested(Batch), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    limit = fields.Integer(required=True)


class StatsResponse(Schema):
    total_codes = fields.Integer(required=True, data_key="totalCodes")
    active_codes = fields.Integer(required=True, data_key="activeCodes")
    redeemed_codes = fields.Integer(required=True, data_key="redeemedCodes")
    expired_codes = fields.Integer(required=True, data_key="expiredCodes")
    revoked_codes = fields.Integer(required=True, data_key="revokedCodes")
    total_batches = fields.Integer(required=True, data_key="totalBatches")


class RedeemResponse(Schema):
    user_id = fields.String(required=True, data_key="userId")
    points_earned = fields.Integer(required=True, data_key="pointsEarned")
    total_points = fields.Integer(required=True, data_key="totalPoints")
    batch_id = fields.String(required=True, data_key="batchId")
    message = fields.String(required=True)


class RevokeResponse(Schema):
    revoked = fields.Integer(required=True)
