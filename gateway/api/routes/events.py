"""E1: record a campaign event."""
from __future__ import annotations

from schemas.api import events as s

from ...domain import participants
from ...domain.errors import Conflict, NotFound
from ..errors import REFERENCE_REUSED, ApiError
from ..registry import route

NOT_FOUND_OR_NOT_ACTIVE = ApiError(404, "campaign_not_found", "Campaign not found or not active")
DAILY_MAXIMUM = ApiError(409, "max_per_day_reached", "User has reached the daily maximum for this event type")
INVALID = ApiError(400, "validation_error", "Invalid request body: <field>: <reason>")
RECORDED = "Event recorded successfully"


@route("POST", "/campaigns/{slug}/events", body=s.Event, response=s.EventOut, writes=True,
       reference=lambda data: data.get("reference", ""),
       errors=(INVALID, NOT_FOUND_OR_NOT_ACTIVE, DAILY_MAXIMUM, REFERENCE_REUSED))
def record_event(caller, data: dict, slug: str) -> dict:
    """Record a user's event: the campaign's rule for its ``eventType`` credits points.

    The participant is created on its first event. An ``eventType`` without a rule earns 0 points (the
    event is still recorded). The same ``reference`` again answers the first answer and adds nothing;
    with a different body it is refused (409). A campaign that is not active now (draft, paused,
    ended, before its start) answers 404 ``Campaign not found or not active``, as an unknown slug.
    """
    try:
        result = participants.record_event(
            caller.tenant_id, slug, user_id=data["user_id"], event_type=data["event_type"],
            metadata=data["metadata"], display_name=data.get("display_name"), reference=data.get("reference", ""))
    except NotFound as exc:
        if exc.what == "campaign":
            raise NOT_FOUND_OR_NOT_ACTIVE from None
        raise
    except Conflict as exc:
        if exc.code in ("campaign_not_active", "campaign_ended"):
            raise NOT_FOUND_OR_NOT_ACTIVE from None
        raise
    return {"pointsEarned": result.points_earned, "totalPoints": result.total_points, "message": RECORDED}
