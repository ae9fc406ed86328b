"""The legacy door's error answers: its own messages, and the wording of the domain's errors.

Legacy clients read the ``status`` of the answer, never the HTTP code, and a browser does not run a
JSONP script served with an error status; so every error the API means to give is a 200 with
``status="error"``. Messages are part of the contract (``/docs`` lists them): keep them stable.
"""
from __future__ import annotations

from ..domain.errors import DomainError, InsufficientBalance, InvalidValue, NotFound
from ..domain.units import format_units


class LegacyError(Exception):
    """An error answer. ``messages`` are shown in order; the first is the ``<error>`` text."""

    def __init__(self, *messages: str, detail: list | None = None):
        super().__init__(messages[0])
        self.messages = list(messages)
        self.detail = detail or []  # response tree nodes shown after the messages (a refused batch's rows)

    @property
    def message(self) -> str:
        return self.messages[0]


AUTH_FAILED = "Authentication failed"
PERMISSION_DENIED = "Permission denied: this call needs a manager-level user"
PERMISSION_DENIED_FLAG = "Permission denied: this call needs the {} permission"
THROTTLED = "Too many failed attempts: try again in a few minutes"
MISSING_FIELD = "Missing required field: {}"
INVALID_FIELD = "Invalid value for field {}: {}"
UNKNOWN_TYPE = "Unknown type: {}"
UNKNOWN_ACTION = "Unknown {} for type {}: {}"
BODY_TOO_LARGE = "Request body too large: the limit is {} bytes"
BAD_CALLBACK = "Invalid callback: it must be a dotted JavaScript identifier of at most 128 characters"
BAD_OUTPUT = "Unknown output format: {} (use XML or JSON)"
INTERNAL = "Internal error: nothing was changed"
BUSY = "The server is busy: nothing was changed, please retry"
NOT_INITIALISED = "The database has no tables yet: the operator must run flask --app app init-db"

# Domain error codes -> the legacy message.
MESSAGES = {
    "authentication_failed": AUTH_FAILED,
    "campaign_inactive": "Campaign is deactivated",
    "campaign_already_active": "Campaign is already active",
    "campaign_already_inactive": "Campaign is already deactivated",
    "reward_wrong_campaign_type": "Rewards are only available for points and events campaigns",
    "promo_wrong_campaign_type": "Promotions are only available for points campaigns",
    "item_wrong_campaign_type": "Items are only available for buyx campaigns",
    "fee_wrong_campaign_type": "Fees are only available for points and giftcard campaigns",
    "depreciation_wrong_campaign_type": "Depreciations are only available for points and giftcard campaigns",
    "promo_inactive": "Promo is not active at this time",
    "no_reward_ratio": "This campaign does not redeem by currency value (it has no reward_ratio)",
    "transaction_already_deleted": "Transaction already deleted",
    "delete_would_go_negative": "Cannot delete this transaction: the balance would become negative",
    "customer_code_taken": "Customer code already in use",
    "card_number_taken": "Card number already in use",
    "customer_username_taken": "Customer username already in use",
    "customer_identity_taken": "Customer code or card number already in use",
    "customer_already_registered": "Customer already registered",
    "customer_ambiguous": "More than one customer matches: give previous_code or previous_card",
    "duplicates_differ": "The new code and the new card number belong to two different customers",
    "bad_customer_credentials": "Customer credentials do not match",
    "no_free_campaign_id": "Could not allocate a campaign id, please retry",
    "no_free_customer_code": "Could not allocate a customer code, please retry",
    "no_free_card_number": "Could not find an unused card number: use more digits",
    "idempotency_key_reused": "Idempotency key already used with different fields",
    "throttled": THROTTLED,
    "user_name_taken": "User name already in use",
    "last_administrator": "The account's last administrator cannot be deleted",
    "grant_beyond_own": "Permission denied: a user cannot grant rights or campaigns it does not hold",
    "token_not_valid": "Token not valid",
    "token_expired": "Token expired",
    "token_other_account": "Token not valid for this account",
    "token_other_customer": "Token not valid for this customer",
    "token_other_campaign": "Token not valid for this campaign",
    "token_not_bound": "Token not bound to a customer: generate it with code",
}

# InvalidValue reasons -> the text after "Invalid value for field <name>: ".
REASONS = {
    "not_positive": "must be greater than 0",
    "not_an_amount": "Not a valid amount",
    "not_whole_points": "points campaigns take whole points",
    "too_few_random_digits": "must leave at least 4 random digits besides the prefix and suffix",
    "not_a_number": "this field takes numbers",
    "end_before_start": "the end date must be after the start date",
    "not_a_coalition": "this account is not a coalition account",
    "not_in_coalition": "the campaign does not share that coalition balance (another type, deactivated, or opted out)",
    "unknown_role": "must be one of A, M, S, N, G, I, K, P, F, C, O",
    # custom fields (gateway.domain.fields)
    "not_a_date": "not a date (use YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)",
    "not_a_field_number": "must be a number of at most {digits} digits and {places} decimals",
    "not_a_choice": "must be one of {choices}",
    "not_choices": "must be a comma list of {choices}",
    "too_long": "at most {maximum} characters",
    "taken": "already in use",
    "wrong_activity": "this field is for {activity_type} transactions only",
    "not_searchable": "this field is not searchable",
    "unknown_field_type": "must be one of {types}",
    "unknown_activity_type": "must be one of {types}",
    "only_text_unique": "only Text fields can be unique",
    "only_text_searchable": "only Text fields can be searchable",
    "too_many_choices": "at most {maximum} choices of at most 255 characters each",
    "comma_in_choice": "a List field's choices cannot contain commas",
    "field_exists": "the field already exists",
    "bad_field_name": "not a custom field name (e.g. {example})",
    "no_such_field": "no such field (add it first)",
    "not_a_field": "{name} is not a field",
    "default_field": "{name} is a default field and cannot be deleted",
    "unknown_currency": "not a currency code we know (ISO 4217, e.g. USD, EUR, GBP)",
    "unknown_language": "must be one of EN, DE, ES, FR, GE, IT, PT, NO, TR, PT-BR",
    "unknown_column": "not a field of the account",
    "out_of_range": "out of range",
}

# InvalidValue (field, reason) pairs whose legacy message is a sentence of its own.
SENTENCES = {
    ("changes", "nothing_to_update"): "Nothing to update: give at least one new value",
    ("choice", "more_than_one"): "Give only one of reward_to_redeem, custom_points_redeem, custom_dollars_redeem",
    ("match", "missing"): "Missing required field: previous_code, previous_card or a profile field to match",
    ("idempotency_key", "too_long"): "Idempotency key too long: at most 255 characters",
    ("type", "unknown_campaign_type"): "Unknown campaign type: {value}",
    ("fields", "missing"): "Missing required field: {prefix}N_label (or another setting of a field {prefix}N)",
}

# The domain's argument names -> the form fields every call names them by (a call may add its own).
FIELD_NAMES = {
    "search_value": "searchValue",
    "phrase": "find_customer",
    "end_date": "promo_end_date",
}


def wording(error: DomainError, fields: dict[str, str] | None = None) -> str:
    """The legacy message for a domain error; ``fields`` renames the domain's argument names as the
    call's form names them."""
    if isinstance(error, NotFound):
        return f"{error.what.capitalize()} not found"
    if isinstance(error, InsufficientBalance):
        if "available" not in error.details:
            return "Insufficient balance"
        kind = error.details["campaign_type"]
        return (f"Insufficient balance: {format_units(error.details['available'], kind)} available, "
                f"{format_units(error.details['needed'], kind)} needed")
    if isinstance(error, InvalidValue):
        sentence = SENTENCES.get((error.field, error.reason))
        if sentence is not None:
            return sentence.format(**error.details)
        name = {**FIELD_NAMES, **(fields or {})}.get(error.field, error.field)
        if error.reason == "missing":
            return MISSING_FIELD.format(name)
        return INVALID_FIELD.format(name, REASONS[error.reason].format(**error.details))
    return MESSAGES[error.code]
