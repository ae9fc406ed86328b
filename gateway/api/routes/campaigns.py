"""Campaigns: create (or give a legacy points campaign a slug), list, read, change, and move through
their states (draft -> active <-> paused -> ended)."""
from __future__ import annotations

from schemas.api import campaigns as s

from ...domain import programs
from ...domain.models import Campaign
from ..errors import ApiError
from ..registry import route
from ..wire import iso

NOT_FOUND = ApiError(404, "campaign_not_found", "Campaign not found")
NOT_ACTIVE = ApiError(409, "campaign_not_active", "Campaign is not active")
ENDED = ApiError(409, "campaign_ended", "Campaign has ended")
SLUG_TAKEN = ApiError(409, "slug_taken", "A campaign with this slug already exists")
INVALID = ApiError(400, "validation_error", "Invalid request body: <field>: <reason>")


def rule_json(rule: programs.Rule) -> dict:
    """The rule as the domain stores it, with this door's camelCase names."""
    return {_camel(name): value for name, value in rule.as_json().items()}


def _camel(name: str) -> str:
    first, *rest = name.split("_")
    return first + "".join(part.capitalize() for part in rest)


def campaign_json(campaign: Campaign) -> dict:
    return {
        "slug": campaign.slug,
        "name": campaign.name,
        "description": campaign.description or "",
        "status": programs.state_of(campaign),
        "legacyCampaignId": campaign.id,
        "startsAt": iso(campaign.starts_at),
        "endsAt": iso(campaign.ends_at),
        "rules": [rule_json(r) for r in programs.rules_of(campaign)],
        "createdAt": iso(campaign.created),
    }


def _rules(data: dict) -> list[programs.Rule] | None:
    if "rules" not in data:
        return None
    return [programs.Rule(r["event_type"], r.get("points"), r.get("points_per"), r.get("metadata_field"),
                          r.get("max_per_user_per_day")) for r in data["rules"]]


@route("POST", "/campaigns", body=s.CampaignCreate, response=s.CampaignAnswer, writes=True, status=201,
       errors=(INVALID, SLUG_TAKEN, ApiError(404, "campaign_not_found", "Campaign not found (legacyCampaignId)")))
def create_campaign(caller, data: dict) -> dict:
    """Create a campaign (a draft), or give an existing legacy points campaign a slug.

    With ``legacyCampaignId`` the account's legacy points campaign of that ``campaign_id`` gets the slug
    (and the rules, dates, and name if given) and keeps its state (active, or paused when deactivated).
    """
    campaign = programs.create(
        caller.tenant_id, slug=data["slug"], name=data.get("name"), description=data.get("description"),
        starts_at=data.get("starts_at"), ends_at=data.get("ends_at"), rules=_rules(data),
        legacy_campaign_id=data.get("legacy_campaign_id"))
    return {"campaign": campaign_json(campaign)}


@route("GET", "/campaigns", response=s.CampaignList)
def list_campaigns(caller, data: dict) -> dict:
    """The account's campaigns that have a slug, oldest first."""
    return {"campaigns": [campaign_json(c) for c in programs.list_campaigns(caller.tenant_id)]}


@route("GET", "/campaigns/{slug}", response=s.CampaignAnswer, errors=(NOT_FOUND,))
def get_campaign(caller, data: dict, slug: str) -> dict:
    """One campaign, in any state."""
    return {"campaign": campaign_json(programs.campaign_by_slug(caller.tenant_id, slug))}


@route("PATCH", "/campaigns/{slug}", body=s.CampaignUpdate, response=s.CampaignAnswer, writes=True,
       errors=(INVALID, NOT_FOUND, ENDED))
def update_campaign(caller, data: dict, slug: str) -> dict:
    """Change a campaign's name, description, dates or rules (``null`` clears a date); an ended campaign
    changes no more."""
    campaign = programs.campaign_by_slug(caller.tenant_id, slug)
    changes = {k: data[k] for k in ("starts_at", "ends_at") if k in data}
    programs.update(campaign, name=data.get("name"), description=data.get("description"), rules=_rules(data),
                    **changes)
    return {"campaign": campaign_json(campaign)}


@route("POST", "/campaigns/{slug}/activate", response=s.CampaignAnswer, writes=True, errors=(NOT_FOUND, ENDED))
def activate_campaign(caller, data: dict, slug: str) -> dict:
    """Start a draft campaign, or resume a paused one (an active one stays active)."""
    return {"campaign": campaign_json(programs.activate(programs.campaign_by_slug(caller.tenant_id, slug)))}


@route("POST", "/campaigns/{slug}/pause", response=s.CampaignAnswer, writes=True,
       errors=(NOT_FOUND, NOT_ACTIVE, ENDED))
def pause_campaign(caller, data: dict, slug: str) -> dict:
    """Pause an active campaign: events and redeems are refused until it is activated again."""
    return {"campaign": campaign_json(programs.pause(programs.campaign_by_slug(caller.tenant_id, slug)))}


@route("POST", "/campaigns/{slug}/end", response=s.CampaignAnswer, writes=True, errors=(NOT_FOUND,))
def end_campaign(caller, data: dict, slug: str) -> dict:
    """End a campaign for good (from any state; ending an ended campaign changes nothing)."""
    return {"campaign": campaign_json(programs.end(programs.campaign_by_slug(caller.tenant_id, slug)))}
