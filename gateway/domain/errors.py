"""The domain's errors: which rule refused a request, in the domain's own words.

A door turns each into its own wire format and message (the legacy door: ``gateway.legacy.messages``).
``code`` is stable and names the rule; ``details`` hold what a message may quote.
"""
from __future__ import annotations


class DomainError(Exception):
    code = "error"

    def __init__(self, code: str | None = None, **details):
        self.code = code or self.code
        self.details = details
        super().__init__(self.code)


class NotFound(DomainError):
    """Something named does not exist in the caller's account (another account's id included)."""

    def __init__(self, what: str):
        super().__init__(f"{what}_not_found", what=what)
        self.what = what


class Conflict(DomainError):
    """The request contradicts the stored state: a value in use, a campaign on hold, a repeated delete."""


class InsufficientBalance(DomainError):
    """A debit would take the balance below what may be spent."""

    code = "insufficient_balance"


class InvalidValue(DomainError):
    """An argument's value is refused; ``field`` is the domain's name of the argument.

    ``reason`` is a code (``missing``, ``not_positive``...), which doors word for their callers.
    """

    def __init__(self, field: str, reason: str, **details):
        super().__init__("invalid_value", field=field, reason=reason, **details)
        self.field = field
        self.reason = reason


class Forbidden(DomainError):
    """The caller may not do this."""


class Unavailable(DomainError):
    """The request could not be served now and changed nothing; the same request may succeed later."""
