"""Campaign types and the units their balances are kept in.

Points, events and buy-X purchases are whole numbers. Gift-card and earned balances are money, kept
in cents. Everything is stored as an integer number of units, so sums are exact on every database.
"""
from __future__ import annotations

import functools
from decimal import ROUND_DOWN, ROUND_HALF_UP, ROUND_UP, Decimal

POINTS, GIFTCARD, EVENTS, EARNED, BUYX = "points", "giftcard", "events", "earned", "buyx"
CAMPAIGN_TYPES = (POINTS, GIFTCARD, EVENTS, EARNED, BUYX)

_SCALE = {POINTS: 0, GIFTCARD: 2, EVENTS: 0, EARNED: 2, BUYX: 0}

DEFAULT_POINTS_RATIO = Decimal(100)


def scale(campaign_type: str) -> int:
    return _SCALE[campaign_type]


def to_units(value: Decimal, campaign_type: str, rounding=ROUND_HALF_UP) -> int:
    """``Decimal`` in the campaign's display unit -> stored integer units."""
    return int((value * (10 ** scale(campaign_type))).to_integral_value(rounding=rounding))


def money_to_cents(value: Decimal) -> int:
    return int((value * 100).to_integral_value(rounding=ROUND_HALF_UP))


def format_units(units: int, campaign_type: str) -> str:
    """Stored integer units -> the text clients see (``"1250"`` points, ``"12.50"`` on a gift card)."""
    places = scale(campaign_type)
    return str(units) if places == 0 else _format_scaled(units, places)


def formatter(campaign_type: str):
    """``format_units`` for one campaign type, as a function of the units alone (``str`` for points)."""
    places = scale(campaign_type)
    return str if places == 0 else functools.partial(_format_scaled, places=places)


def _format_scaled(units: int, places: int) -> str:
    return str((Decimal(units) / (10**places)).quantize(Decimal(1).scaleb(-places)))


def decimal_text(value: Decimal | None) -> str | None:
    """A canonical decimal string for stored parameters: ``Decimal("1.50")`` -> ``"1.5"``."""
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


__all__ = [
    "CAMPAIGN_TYPES",
    "DEFAULT_POINTS_RATIO",
    "ROUND_DOWN",
    "ROUND_UP",
    "decimal_text",
    "format_units",
    "money_to_cents",
    "scale",
    "to_units",
]
