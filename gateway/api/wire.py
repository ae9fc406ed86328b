"""Small helpers for the JSON API's wire format."""
from __future__ import annotations

import datetime as dt


def iso(when: dt.datetime | None) -> str | None:
    """A stored naive-UTC time as ISO 8601 with ``Z`` (``2025-07-01T10:00:00Z``)."""
    if when is None:
        return None
    return when.replace(microsecond=0).isoformat() + "Z"
