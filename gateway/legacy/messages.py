"""API-level errors: raised anywhere below the view, rendered in the caller's format with HTTP 200.

Legacy clients read the ``status`` of the answer, never the HTTP code, and a browser does not run a
JSONP script served with an error status; so every error the API means to give is a 200 with
``status="error"``. Messages are part of the contract (docs/calls.md lists them): keep them stable.
"""
from __future__ import annotations


class LegacyError(Exception):
    """An error answer. ``messages`` are shown in order; the first is the ``<error>`` text."""

    def __init__(self, *messages: str):
        super().__init__(messages[0])
        self.messages = list(messages)

    @property
    def message(self) -> str:
        return self.messages[0]


class NotFound(LegacyError):
    """Something the caller named does not exist *in the caller's account*."""

    def __init__(self, what: str):
        super().__init__(f"{what} not found")


# Messages used in more than one place; call-specific messages live beside their rule.
AUTH_FAILED = "Authentication failed"
PERMISSION_DENIED = "Permission denied: this call needs a manager-level user"
MISSING_FIELD = "Missing required field: {}"
INVALID_FIELD = "Invalid value for field {}: {}"
UNKNOWN_TYPE = "Unknown type: {}"
UNKNOWN_ACTION = "Unknown {} for type {}: {}"
BODY_TOO_LARGE = "Request body too large: the limit is {} bytes"
BAD_CALLBACK = "Invalid callback: it must be a dotted JavaScript identifier of at most 128 characters"
BAD_OUTPUT = "Unknown output format: {} (use XML or JSON)"
INTERNAL = "Internal error: nothing was changed"
