"""Legacy calls that issue and check time tokens (generate_time_token, validate_time_token).

A token bound to a customer opens customer_balance and customer_info for that customer to a request
that carries no user or key (gateway.legacy.tokens): what a browser widget needs.
"""
from __future__ import annotations

from schemas.legacy import account as s

from ...domain import service, tokens as domain
from ...domain.errors import NotFound
from ..messages import MESSAGES, MISSING_FIELD
from ..registry import call
from ..tree import el, leaf, stamp


# Not writes=True although it inserts: the endpoint would keep an idempotent answer, the token itself,
# in clear in the database. Each call issues a new token, through run_write all the same.
@call("generate_time_token", schema=s.GenerateTimeToken, fields={"interval": "token_interval"},
      errors=("Customer not found", "Campaign not found", MISSING_FIELD.format("code"),
              "Invalid value for field token_interval: Must be greater than or equal to 1 and less than or "
              f"equal to {domain.MAX_INTERVAL}"))
def generate_time_token(data: dict, caller) -> list:
    """A token valid for token_interval seconds (default 60); with code (and campaign_id) it lets a
    widget read that customer's balance without a key. Answers the token and its expiry (UTC)."""
    reach = getattr(caller, "reach", None)  # a user limited to some campaigns binds tokens to those only
    if data.get("campaign_id") and reach is not None and data["campaign_id"] not in reach:
        raise NotFound("campaign")
    issued, _ = service.run_write(lambda: domain.issue(
        caller.account_id, getattr(caller.user, "id", None), interval=data["token_interval"], code=data.get("code"),
        card_number=data.get("card_number"), campaign_id=data.get("campaign_id")), account_id=caller.account_id)
    return [leaf("token", issued.token), leaf("expires", stamp(issued.expires))]


@call("validate_time_token", schema=s.ValidateTimeToken,
      errors=(MISSING_FIELD.format("token"), MESSAGES["token_not_valid"], MESSAGES["token_expired"],
              MESSAGES["token_other_account"]))
def validate_time_token(data: dict, caller) -> list:
    """Whether a token of this account is still valid: answers its expiry (UTC), the seconds left and
    the customer code and campaign it is bound to; an unknown or expired token is an error."""
    grant = domain.check(data["token"], caller.account_id)
    return [el("token", status="valid", expires=stamp(grant.expires), expires_in=grant.seconds_left(),
               code=grant.customer_code, campaign_id=grant.campaign_id)]
