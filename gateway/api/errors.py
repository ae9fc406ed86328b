"""The JSON API's errors: what the door answers, ``{"status": "error", "code", "message"}`` with a real
HTTP status, and the wording of the domain's errors (``from_domain``).

``code`` is a stable machine code; ``message`` is for people (the reference's own messages where it
has them). A route may word a domain error its own way by catching it and raising an ``ApiError``.
"""
from __future__ import annotations

from ..domain.errors import Conflict, DomainError, Forbidden, InsufficientBalance, InvalidValue, NotFound, Unavailable


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.code!r}, {self.message!r})"

    def body(self) -> dict:
        return {"status": "error", "code": self.code, "message": self.message}


# The door's own errors.
MISSING_KEY = ApiError(401, "missing_api_key", "Missing X-API-Key / X-API-Secret header")
INVALID_KEY = ApiError(401, "invalid_api_key", "Invalid API key")
REVOKED_KEY = ApiError(403, "api_key_revoked", "API key has been revoked")
SECRET_KEY_NEEDED = ApiError(403, "secret_key_required", "This endpoint needs a secret key (X-API-Secret)")
NOT_JSON = ApiError(400, "invalid_content_type", "Content-Type must be application/json")
MALFORMED_JSON = ApiError(400, "malformed_json", "Request body is not valid JSON")
NOT_AN_OBJECT = ApiError(400, "invalid_request_body", "Request body must be a JSON object")
TOO_LARGE = ApiError(413, "body_too_large", "Request body is too large")
NOT_FOUND = ApiError(404, "not_found", "No such endpoint")
METHOD_NOT_ALLOWED = ApiError(405, "method_not_allowed", "Method not allowed on this endpoint")
BUSY = ApiError(503, "unavailable", "The server is busy: try again")
INTERNAL = ApiError(500, "internal_error", "Internal error")
NOT_INITIALISED = ApiError(500, "not_initialised", "The database has no tables: run flask --app app init-db")
REFERENCE_REUSED = ApiError(409, "reference_reused", "This reference was already used with a different request")

# Domain error code -> (HTTP status, message). Routes' modules may add theirs (``word``).
WORDING: dict[str, tuple[int, str]] = {
    "campaign_not_found": (404, "Campaign not found"),
    "participant_not_found": (404, "Campaign or participant not found"),
    "campaign_not_active": (409, "Campaign is not active"),
    "campaign_ended": (409, "Campaign has ended"),
    "slug_taken": (409, "A campaign with this slug already exists"),
    "campaign_has_slug": (409, "This legacy campaign already has a slug"),
    "max_per_day_reached": (409, "User has reached the daily maximum for this event type"),
    "insufficient_balance": (402, "Insufficient points"),
}

_REASONS = {
    "missing": "is required",
    "invalid_slug": "must be lowercase letters, digits and dashes, with at least 4 characters before the first dash",
    "before_start": "must be after startsAt",
    "not_a_points_campaign": "must be a points campaign",
    "not_a_number": "must be a number",
    "duplicate_event_type": "has two rules for the same eventType",
    "points_or_points_per": "each rule needs either points or pointsPer (with metadataField)",
    "not_positive": "must be positive",
    "negative": "must not be negative",
    "too_many": "has too many entries",
    "too_long": "is too long",
    "metadata_field_missing": "needs metadataField with pointsPer",
}

# Domain argument names -> the API's field names, for messages.
FIELDS = {"slug": "slug", "name": "name", "ends_at": "endsAt", "starts_at": "startsAt", "rules": "rules",
          "legacy_campaign_id": "legacyCampaignId", "user_id": "userId", "display_name": "displayName",
          "event_type": "eventType", "idempotency_key": "reference"}


def word(code: str, status: int, message: str) -> None:
    """Give a domain error code its HTTP status and message (routes' modules call it at import)."""
    WORDING[code] = (status, message)


def from_domain(exc: DomainError) -> ApiError:
    if exc.code == "idempotency_key_reused":
        return REFERENCE_REUSED
    if exc.code in WORDING:
        status, message = WORDING[exc.code]
        return ApiError(status, exc.code, message)
    if isinstance(exc, InvalidValue):
        name = FIELDS.get(exc.field, exc.field)
        reason = _REASONS.get(exc.reason, exc.reason.replace("_", " "))
        return ApiError(400, "validation_error", f"Invalid {name}: {reason}")
    if isinstance(exc, NotFound):
        return ApiError(404, exc.code, f"{exc.what.replace('_', ' ').capitalize()} not found")
    if isinstance(exc, InsufficientBalance):
        return ApiError(402, exc.code, "Insufficient points")
    if isinstance(exc, Forbidden):
        return ApiError(403, exc.code, exc.code.replace("_", " ").capitalize())
    if isinstance(exc, Unavailable):
        return ApiError(503, exc.code, "The server is busy: try again")
    if isinstance(exc, Conflict):
        return ApiError(409, exc.code, exc.code.replace("_", " ").capitalize())
    return ApiError(400, exc.code, exc.code.replace("_", " ").capitalize())
