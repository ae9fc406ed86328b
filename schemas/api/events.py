"""Bodies and answers of events, participants and the leaderboard."""
from __future__ import annotations

from marshmallow import fields, validate

from .base import ApiSchema, text


class Event(ApiSchema):
    user_id = text("userId", required=True, min_length=1, max_length=128)
    event_type = text("eventType", required=True, min_length=1, max_length=64)
    metadata = fields.Dict(keys=fields.String(), data_key="metadata", load_default=dict)
    display_name = text("displayName", min_length=1, max_length=255)
    reference = text("reference", min_length=1, max_length=128)


class EventOut(ApiSchema):
    points_earned = fields.Integer(data_key="pointsEarned", required=True)
    total_points = fields.Integer(data_key="totalPoints", required=True)
    message = fields.String(required=True)


class ParticipantOut(ApiSchema):
    user_id = fields.String(data_key="userId", required=True)
    display_name = fields.String(data_key="displayName", required=True)
    total_points = fields.Integer(data_key="totalPoints", required=True)
    events_count = fields.Integer(data_key="eventsCount", required=True)
    rank = fields.Integer(required=True)
    joined_at = fields.String(data_key="joinedAt", required=True, metadata={"format": "date-time"})


class LeaderboardQuery(ApiSchema):
    limit = fields.Integer(load_default=20, metadata={"description": "1 or more; default 20, above 100 counts as 100"},
                           validate=validate.Range(min=1))


class LeaderboardEntry(ApiSchema):
    rank = fields.Integer(required=True)
    user_id = fields.String(data_key="userId", required=True)
    display_name = fields.String(data_key="displayName", required=True)
    total_points = fields.Integer(data_key="totalPoints", required=True)
    events_count = fields.Integer(data_key="eventsCount", required=True)


class LeaderboardOut(ApiSchema):
    entries = fields.List(fields.Nested(LeaderboardEntry), required=True)
    total_participants = fields.Integer(data_key="totalParticipants", required=True)
