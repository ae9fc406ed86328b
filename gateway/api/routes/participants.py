"""E2 participant progress and E3 the leaderboard."""
from __future__ import annotations

from schemas.api import events as s

from ...domain import participants, programs
from ...domain.errors import NotFound
from ..errors import ApiError
from ..registry import route
from ..wire import iso

NOT_FOUND = ApiError(404, "participant_not_found", "Campaign or participant not found")
CAMPAIGN_NOT_FOUND = ApiError(404, "campaign_not_found", "Campaign or participant not found")
MAX_LIMIT = 100


@route("GET", "/campaigns/{slug}/participants/{userId}", response=s.ParticipantOut, key="public",
       errors=(CAMPAIGN_NOT_FOUND, NOT_FOUND))
def participant(caller, data: dict, slug: str, userId: str) -> dict:  # noqa: N803 (the path's name)
    """A participant's progress: total points, events, rank and when it joined.

    Points earned through the legacy API on the same campaign count too (it is the same ledger);
    ``eventsCount`` counts the events of this API. Any campaign state.
    """
    try:
        campaign = programs.campaign_by_slug(caller.tenant_id, slug)
    except NotFound:
        raise CAMPAIGN_NOT_FOUND from None
    p = participants.progress(caller.tenant_id, campaign, userId)
    return {"userId": p.user_id, "displayName": p.display_name, "totalPoints": p.total_points,
            "eventsCount": p.events_count, "rank": p.rank, "joinedAt": iso(p.joined_at)}


@route("GET", "/campaigns/{slug}/leaderboard", query=s.LeaderboardQuery, response=s.LeaderboardOut, key="public",
       errors=(ApiError(404, "campaign_not_found", "Campaign not found"),))
def leaderboard(caller, data: dict, slug: str) -> dict:
    """The campaign's participants ranked by total points; ties go to who reached the total first.

    ``limit`` defaults to 20; above 100 it counts as 100.
    """
    campaign = programs.campaign_by_slug(caller.tenant_id, slug)
    standings, total = participants.leaderboard(caller.tenant_id, campaign, min(data["limit"], MAX_LIMIT))
    return {"entries": [{"rank": e.rank, "userId": e.user_id, "displayName": e.display_name,
                         "totalPoints": e.total_points, "eventsCount": e.events_count} for e in standings],
            "totalParticipants": total}
