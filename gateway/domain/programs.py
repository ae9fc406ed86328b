"""Campaigns as the JSON API sees them: a legacy points campaign with a slug, a status, dates and
earning rules. One campaign, two doors: legacy calls see the same row (by its ``campaign_id``) and the
same ledger.

States: draft -> active <-> paused -> ended. The legacy ``active`` flag follows: only an active
campaign is active for legacy calls, so a draft, a paused or an ended campaign is "deactivated" there.
``state_of`` reads the flag too, so a legacy campaign_reactivate / campaign_deactivate shows here as
active / paused (a draft reactivated there is active); an ``ends_at`` in the past counts as ended.
Ending is final here: an ended campaign reactivated at the legacy door runs there but stays ended here.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation

import peewee as pw

from . import campaigns as legacy_campaigns
from .db import Statement, database
from .errors import Conflict, InvalidValue, NotFound
from .models import Campaign, utcnow
from .units import POINTS

DRAFT, ACTIVE, PAUSED, ENDED = "draft", "active", "paused", "ended"
STATES = (DRAFT, ACTIVE, PAUSED, ENDED)
# Lowercase letters, digits and dashes; at least 4 characters before the first dash, so that the code
# prefix (the slug's first 4 characters, gateway codes) is always 4 letters or digits.
SLUG = re.compile(r"[a-z0-9]{4,}(?:-[a-z0-9]+)*")
MAX_SLUG = 64
RESERVED = ("codes",)  # /v1/campaigns/codes/... are the code endpoints
MAX_RULES = 100
MAX_EVENT_TYPE = 64


@dataclass(frozen=True, slots=True)
class Rule:
    """What one event type earns: ``points`` per event, or ``points_per`` unit of the numeric metadata
    value ``metadata_field`` (rounded down); at most ``max_per_user_per_day`` such events per user and
    UTC day (None: no cap)."""

    event_type: str
    points: int | None = None
    points_per: Decimal | None = None
    metadata_field: str | None = None
    max_per_user_per_day: int | None = None

    def as_json(self) -> dict:
        out = {"event_type": self.event_type}
        if self.points_per is not None:
            out.update(points_per=str(self.points_per), metadata_field=self.metadata_field)
        else:
            out["points"] = self.points
        if self.max_per_user_per_day is not None:
            out["max_per_user_per_day"] = self.max_per_user_per_day
        return out

    @classmethod
    def from_json(cls, data: dict) -> "Rule":
        per = data.get("points_per")
        return cls(data["event_type"], data.get("points"), Decimal(per) if per is not None else None,
                   data.get("metadata_field"), data.get("max_per_user_per_day"))

    def earns(self, metadata: dict) -> int:
        """The points one event with ``metadata`` earns (InvalidValue when the metadata field a
        proportional rule reads is missing or not a number)."""
        if self.points_per is None:
            return self.points or 0
        value = metadata.get(self.metadata_field)
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise InvalidValue(f"metadata.{self.metadata_field}", "not_a_number")
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            raise InvalidValue(f"metadata.{self.metadata_field}", "not_a_number") from None
        if not number.is_finite():
            raise InvalidValue(f"metadata.{self.metadata_field}", "not_a_number")
        if number <= 0:
            return 0
        return int((number * self.points_per).to_integral_value(rounding=ROUND_DOWN))


def check_rules(rules: list[Rule]) -> list[Rule]:
    if len(rules) > MAX_RULES:
        raise InvalidValue("rules", "too_many", maximum=MAX_RULES)
    seen = set()
    for rule in rules:
        if not rule.event_type or len(rule.event_type) > MAX_EVENT_TYPE:
            raise InvalidValue("rules.eventType", "invalid", value=rule.event_type)
        if rule.event_type in seen:
            raise InvalidValue("rules", "duplicate_event_type", value=rule.event_type)
        seen.add(rule.event_type)
        if (rule.points is None) == (rule.points_per is None):
            raise InvalidValue("rules", "points_or_points_per", value=rule.event_type)
        if rule.points is not None and rule.points < 0:
            raise InvalidValue("rules.points", "negative", value=rule.event_type)
        if rule.points_per is not None and (rule.points_per <= 0 or not rule.metadata_field):
            raise InvalidValue("rules.pointsPer", "not_positive" if rule.points_per <= 0 else "metadata_field_missing",
                               value=rule.event_type)
        if rule.max_per_user_per_day is not None and rule.max_per_user_per_day < 1:
            raise InvalidValue("rules.maxPerUserPerDay", "not_positive", value=rule.event_type)
    return rules


def rules_of(campaign: Campaign) -> list[Rule]:
    return [Rule.from_json(r) for r in json.loads(campaign.rules or "[]")]


def rule_for(campaign: Campaign, event_type: str) -> Rule | None:
    for rule in rules_of(campaign):
        if rule.event_type == event_type:
            return rule
    return None


def state_of(campaign: Campaign, now: dt.datetime | None = None) -> str:
    """draft | active | paused | ended, as of ``now`` (naive UTC)."""
    now = now or utcnow()
    if campaign.status == ENDED or (campaign.ends_at is not None and campaign.ends_at <= now):
        return ENDED
    if campaign.active:
        return ACTIVE  # a draft reactivated at the legacy door runs there, so it runs here too
    return DRAFT if campaign.status == DRAFT else PAUSED


def started(campaign: Campaign, now: dt.datetime | None = None) -> bool:
    return campaign.starts_at is None or campaign.starts_at <= (now or utcnow())


def check_open(campaign: Campaign, now: dt.datetime | None = None) -> None:
    """Refuse earning on a campaign that is not active now: Conflict("campaign_ended") after its end,
    Conflict("campaign_not_active") in draft, paused, or before its start."""
    state = state_of(campaign, now)
    if state == ENDED:
        raise Conflict("campaign_ended")
    if state != ACTIVE or not started(campaign, now):
        raise Conflict("campaign_not_active")


_BY_SLUG = Statement(lambda account, slug: Campaign.select().where(
    (Campaign.account == account) & (Campaign.slug == slug)).limit(1))


def campaign_by_slug(tenant_id: str, slug: str) -> Campaign:
    """The tenant's campaign with this slug, whatever its state; NotFound("campaign") if none."""
    rows = _BY_SLUG(tenant_id, slug) if slug else []
    if not rows:
        raise NotFound("campaign")
    return rows[0]


def list_campaigns(tenant_id: str) -> list[Campaign]:
    return list(Campaign.select().where((Campaign.account == tenant_id) & Campaign.slug.is_null(False))
                .order_by(Campaign.created, Campaign.id))


def _check_slug(slug: str) -> str:
    if len(slug) > MAX_SLUG or not SLUG.fullmatch(slug) or slug in RESERVED:
        raise InvalidValue("slug", "invalid_slug", value=slug)
    return slug


def _check_dates(starts_at, ends_at) -> None:
    if starts_at is not None and ends_at is not None and ends_at <= starts_at:
        raise InvalidValue("ends_at", "before_start")


def _naive(when: dt.datetime | None) -> dt.datetime | None:
    # Stored as naive UTC (models.utcnow); whole seconds, as every other date of the domain.
    if when is None:
        return None
    if when.tzinfo is not None:
        when = when.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return when.replace(microsecond=0)


def _save_slug(campaign: Campaign, fields: dict) -> Campaign:
    try:
        with database.atomic():
            Campaign.update(**fields).where(Campaign.id == campaign.id).execute()
    except pw.IntegrityError:
        raise Conflict("slug_taken", slug=fields.get("slug")) from None
    for name, value in fields.items():
        setattr(campaign, name, value)
    return campaign


def create(tenant_id: str, *, slug: str, name: str | None = None, description: str | None = None,
           starts_at: dt.datetime | None = None, ends_at: dt.datetime | None = None,
           rules: list[Rule] | None = None, legacy_campaign_id: str | None = None) -> Campaign:
    """A new draft points campaign with this slug, or, with ``legacy_campaign_id``, the tenant's
    existing points campaign given the slug (keeping its state: active or paused). Call inside a write
    transaction."""
    _check_slug(slug)
    starts_at, ends_at = _naive(starts_at), _naive(ends_at)
    _check_dates(starts_at, ends_at)
    rules = check_rules(rules or [])
    if _BY_SLUG(tenant_id, slug):
        raise Conflict("slug_taken", slug=slug)
    fields = dict(slug=slug, starts_at=starts_at, ends_at=ends_at,
                  rules=json.dumps([r.as_json() for r in rules]))
    if legacy_campaign_id is not None:
        campaign = legacy_campaigns.get_campaign(tenant_id, legacy_campaign_id, active_only=False)
        if campaign.type != POINTS:
            raise InvalidValue("legacy_campaign_id", "not_a_points_campaign", value=campaign.type)
        if campaign.slug is not None:
            raise Conflict("campaign_has_slug", slug=campaign.slug)
        fields["status"] = ACTIVE if campaign.active else PAUSED
        if name:
            fields["name"] = name
        if description is not None:
            fields["description"] = description
        return _save_slug(campaign, fields)
    if not name:
        raise InvalidValue("name", "missing")
    campaign = legacy_campaigns.create_campaign(tenant_id, type=POINTS, name=name, description=description or "")
    fields.update(status=DRAFT, active=False)
    return _save_slug(campaign, fields)


_UNSET = object()


def update(campaign: Campaign, *, name: str | None = None, description: str | None = None,
           starts_at=_UNSET, ends_at=_UNSET, rules: list[Rule] | None = None) -> Campaign:
    """Change what is given (``starts_at`` / ``ends_at`` None clears a date). An ended campaign
    changes no more: Conflict("campaign_ended")."""
    if state_of(campaign) == ENDED:
        raise Conflict("campaign_ended")
    fields: dict = {}
    if name is not None:
        if not name:
            raise InvalidValue("name", "missing")
        fields["name"] = name
    if description is not None:
        fields["description"] = description
    if starts_at is not _UNSET:
        fields["starts_at"] = _naive(starts_at)
    if ends_at is not _UNSET:
        fields["ends_at"] = _naive(ends_at)
    _check_dates(fields.get("starts_at", campaign.starts_at), fields.get("ends_at", campaign.ends_at))
    if rules is not None:
        fields["rules"] = json.dumps([r.as_json() for r in check_rules(rules)])
    if fields:
        Campaign.update(**fields).where(Campaign.id == campaign.id).execute()
        for key, value in fields.items():
            setattr(campaign, key, value)
    return campaign


def _set(campaign: Campaign, status: str, active: bool) -> Campaign:
    Campaign.update(status=status, active=active).where(Campaign.id == campaign.id).execute()
    campaign.status, campaign.active = status, active
    return campaign


def activate(campaign: Campaign) -> Campaign:
    """draft or paused -> active (active stays active); an ended campaign is refused."""
    if state_of(campaign) == ENDED:
        raise Conflict("campaign_ended")
    return _set(campaign, ACTIVE, True)


def pause(campaign: Campaign) -> Campaign:
    """active -> paused (paused stays paused); a draft is refused (it never ran), an ended one too."""
    state = state_of(campaign)
    if state == ENDED:
        raise Conflict("campaign_ended")
    if state == DRAFT:
        raise Conflict("campaign_not_active")
    return _set(campaign, PAUSED, False)


def end(campaign: Campaign) -> Campaign:
    """Any state -> ended, for good (ending an ended campaign changes nothing)."""
    if state_of(campaign) == ENDED and campaign.status == ENDED:
        return campaign
    return _set(campaign, ENDED, False)
