"""Redeemable codes: generate (E4), verify (E5), batches (E6), stats (E7), redeem (E8) and revoke.
docs/api-codes.md has the answers, the errors and the rules decided where the reference is silent."""
from __future__ import annotations

import os

from flask import current_app, request

from schemas.api import codes as S

from ...domain import codes
from .. import errors as E
from ..registry import route
from ..wire import iso

# The seven messages of verify (E5), exactly as the reference words them.
MESSAGES = {
    codes.VALID: "Code is valid and redeemable",
    codes.NOT_FOUND: "Code not found",
    "code_redeemed": "Code status is REDEEMED",
    "code_expired": "Code status is EXPIRED",
    "code_revoked": "Code status is REVOKED",
    codes.CAMPAIGN_NOT_ACTIVE: "Campaign is not active",
    codes.CAMPAIGN_ENDED: "Campaign has ended",
}

# Redeem and revoke answer verify's reasons as errors. campaign_not_active / campaign_ended are worded
# by the door already (409, the same messages).
for _code, _status in (("code_not_found", 404), ("code_redeemed", 409), ("code_expired", 409),
                       ("code_revoked", 409)):
    E.word(_code, _status, MESSAGES[_code])
E.word("batch_not_found", 404, "Batch not found")
for _name, _wire in (("batch_size", "batchSize"), ("points_value", "pointsValue"), ("expires_at", "expiresAt"),
                     ("batch_id", "batchId"), ("label", "label"), ("code", "code"), ("page", "page"),
                     ("limit", "limit")):
    E.FIELDS.setdefault(_name, _wire)


def _error(code: str) -> E.ApiError:
    status, message = E.WORDING[code]
    return E.ApiError(status, code, message)


CAMPAIGN_NOT_FOUND = _error("campaign_not_found")
CODE_NOT_FOUND = _error("code_not_found")
BATCH_NOT_FOUND = _error("batch_not_found")
REDEEM_ERRORS = (CAMPAIGN_NOT_FOUND, CODE_NOT_FOUND, _error("code_redeemed"), _error("code_expired"),
                 _error("code_revoked"), _error("campaign_not_active"), _error("campaign_ended"))

_secrets: dict[str, bytes] = {}


def code_secret() -> bytes:
    """The key of the codes' HMAC: ``CODE_SECRET`` (REWARDGATE_CODE_SECRET, at least 32 characters),
    else a random one kept in the instance folder (``code-secret``), made on first use. Every server
    of one database must use the same one, and losing it makes every outstanding code unredeemable."""
    configured = current_app.config.get("CODE_SECRET")
    if configured:
        if len(str(configured)) < 32:
            raise RuntimeError("CODE_SECRET must be at least 32 characters")
        return str(configured).encode()
    path = os.path.join(current_app.instance_path, "code-secret")
    if path not in _secrets:
        _secrets[path] = codes.secret_from_file(path)
    return _secrets[path]


def game_url(slug: str) -> str:
    """The campaign's public page: ``CAMPAIGN_URL`` (a template with ``{slug}``), else this server's
    address + /campaign/<slug>."""
    template = current_app.config.get("CAMPAIGN_URL") or request.host_url + "campaign/{slug}"
    return str(template).replace("{slug}", slug)


def batch_json(batch) -> dict:
    return {"id": batch.id, "campaignId": str(batch.campaign_id), "batchSize": batch.batch_size,
            "pointsValue": batch.points_value, "label": batch.label, "expiresAt": iso(batch.expires_at),
            "createdAt": iso(batch.created)}


@route("POST", "/campaigns/codes/generate", body=S.GenerateRequest, response=S.GenerateResponse, writes=True,
       # No idempotency reference: a replay would need the plaintext codes stored, and only hashes are.
       reference=lambda data: "",
       errors=(CAMPAIGN_NOT_FOUND, _error("campaign_ended")))
def generate(caller, data):
    """Generate a batch of codes.

    Creates ``batchSize`` (1-10,000) unique single-use codes ``PREFIX-XXXXXXXX`` for the campaign
    ``slug``, each worth ``pointsValue`` points. The plaintext codes are in this answer only: the
    server keeps keyed hashes. Refused on an ended campaign.
    """
    generated = codes.generate(caller.tenant_id, data["slug"], batch_size=data["batch_size"],
                               points_value=data["points_value"], label=data["label"],
                               expires_at=data["expires_at"], key=code_secret())
    return {"batch": batch_json(generated.batch), "codes": generated.codes, "count": len(generated.codes),
            "gameUrl": game_url(data["slug"])}


@route("POST", "/campaigns/codes/verify", body=S.VerifyRequest, response=S.VerifyResponse)
def verify(caller, data):
    """Verify a code without redeeming it.

    Always 200: ``valid`` says whether it could be redeemed now, ``message`` why not, checked in this
    order: the code exists (in this account and environment), its status, then its campaign's state.
    ``expired`` is whether the campaign has ended.
    """
    verdict = codes.verify(caller.tenant_id, data["code"], key=code_secret())
    campaign = verdict.campaign
    return {"valid": verdict.valid, "status": verdict.status, "pointsValue": verdict.points_value,
            "campaignName": campaign.name if campaign else "", "campaignSlug": campaign.slug if campaign else "",
            "expired": verdict.campaign_ended, "message": MESSAGES[verdict.reason]}


@route("GET", "/campaigns/codes/batches", query=S.BatchesQuery, response=S.BatchesResponse,
       errors=(CAMPAIGN_NOT_FOUND,))
def batches(caller, data):
    """List a campaign's code batches, newest first.

    ``page`` (default 1) and ``limit`` (default 20, at most 100: more is taken as 100). The codes
    themselves are never listed.
    """
    page = codes.batches(caller.tenant_id, data["slug"], page=data["page"], limit=data["limit"])
    return {"batches": [batch_json(b) for b in page.batches], "total": page.total, "page": page.page,
            "limit": page.limit}


@route("GET", "/campaigns/codes/stats", query=S.StatsQuery, response=S.StatsResponse,
       errors=(CAMPAIGN_NOT_FOUND,))
def stats(caller, data):
    """Count a campaign's codes by status.

    An unredeemed code past its batch's ``expiresAt`` counts as expired, not active:
    ``totalCodes`` = active + redeemed + expired + revoked.
    """
    s = codes.stats(caller.tenant_id, data["slug"])
    return {"totalCodes": s.total_codes, "activeCodes": s.active_codes, "redeemedCodes": s.redeemed_codes,
            "expiredCodes": s.expired_codes, "revokedCodes": s.revoked_codes, "totalBatches": s.total_batches}


@route("POST", "/campaigns/{slug}/redeem", body=S.RedeemRequest, response=S.RedeemResponse, writes=True,
       errors=REDEEM_ERRORS)
def redeem(caller, data, slug):
    """Redeem a code for a participant.

    Credits the code's ``pointsValue`` to ``userId`` in campaign ``slug`` (joining the user on first
    sight) and marks the code REDEEMED, together or not at all; of many concurrent redeems of one code
    exactly one succeeds. A code of another campaign is "Code not found"; the verify messages are the
    errors, in the same order.
    """
    if "\x00" in slug:  # no slug holds NUL, and PostgreSQL text cannot be asked about one
        raise CAMPAIGN_NOT_FOUND
    done = codes.redeem(caller.tenant_id, slug, user_id=data["user_id"], code=data["code"], key=code_secret())
    return {"userId": data["user_id"], "pointsEarned": done.points_earned, "totalPoints": done.total_points,
            "batchId": done.batch_id, "message": "Code redeemed successfully"}


@route("POST", "/campaigns/codes/revoke", body=S.RevokeRequest, response=S.RevokeResponse, writes=True,
       errors=(CODE_NOT_FOUND, BATCH_NOT_FOUND))
def revoke(caller, data):
    """Revoke a code or a whole batch.

    Body: ``{"code": ...}`` or ``{"batchId": ...}``. Codes not yet redeemed or revoked (expired ones
    included) become REVOKED; ``revoked`` says how many did (0 when none was left to revoke).
    """
    count = codes.revoke(caller.tenant_id, code=data.get("code"), batch_id=data.get("batch_id"),
                         key=code_secret())
    return {"revoked": count}
