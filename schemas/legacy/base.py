"""What every call's schema shares: legacy form conventions and legacy-shaped validation messages.

Form conventions the legacy clients rely on:
- unknown fields are ignored (jQuery adds ``_`` and ``callback``; ``type``/``action`` arrive too);
- a blank field is the same as an absent one (PHP sends ``""`` for empty inputs), except where a call
  gives blank its own meaning and lists the field in ``keep_blank``;
- surrounding white space is trimmed;
- amounts accept ``9.95`` and ``9,95``;
- ``custom_field_N``-style families are gathered from the form by pattern (``patterns``).
"""
from __future__ import annotations

import datetime as dt
import decimal
import re
from typing import Any

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, pre_load, validate

from gateway.legacy.messages import INVALID_FIELD, MISSING_FIELD

MAX_TEXT = 64000


class LegacySchema(Schema):
    class Meta:
        unknown = EXCLUDE

    #: fields whose blank value means something (e.g. "turn this setting off"): kept as ""
    keep_blank: tuple[str, ...] = ()

    @pre_load
    def _legacy_form(self, data, **kwargs):
        out = {}
        for key, value in data.items():
            if isinstance(value, str):
                value = value.strip()
                if value == "" and key not in self.keep_blank:
                    continue
            out[key] = value
        return out


class PatternSchema(LegacySchema):
    """A schema that gathers families of fields (``custom_field_N``) from the form by pattern."""

    #: result key -> regex of form keys gathered into a dict under that key
    patterns: dict[str, re.Pattern] = {}

    @post_load(pass_original=True)
    def _gather_patterns(self, data, original, **kwargs):
        for target, pattern in self.patterns.items():
            found = {}
            for key, value in original.items():
                if pattern.fullmatch(key) and isinstance(value, str):
                    if len(value) > MAX_TEXT:
                        raise ValidationError(f"{INVALID_FIELD.format(key, 'too long')}")
                    found[key] = value.strip()
            data[target] = found
        return data


def messages_of(error: ValidationError) -> list[str]:
    """Turn marshmallow's ``{field: [messages]}`` into the API's one-line messages, required first."""
    missing, invalid = [], []
    raw = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    for name, msgs in raw.items():
        for msg in msgs if isinstance(msgs, list) else [msgs]:
            if name == "_schema":
                invalid.append(str(msg))
            elif msg == "Missing data for required field.":
                missing.append(MISSING_FIELD.format(name))
            else:
                invalid.append(INVALID_FIELD.format(name, str(msg).rstrip(".")))
    return missing + invalid or ["Invalid request"]


# --- field types -------------------------------------------------------------------------------------

class Text(fields.String):
    def __init__(self, *, max_length: int = 255, **kwargs):
        kwargs.setdefault("validate", validate.Length(max=max_length, error="at most {max} characters"))
        super().__init__(**kwargs)


class Number(fields.Field):
    """A decimal number as a ``decimal.Decimal``; ``9,95`` is read as ``9.95``."""

    default_error_messages = {"invalid": "Not a valid number.", "range": "Must be between {min} and {max}."}

    def __init__(self, *, minimum=None, maximum=decimal.Decimal("1e12"), places: int | None = None, **kw):
        super().__init__(**kw)
        self.minimum = None if minimum is None else decimal.Decimal(minimum)
        self.maximum = decimal.Decimal(maximum)
        self.places = places

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid")
        text = value.replace(" ", "")
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            raise self.make_error("invalid")
        number = decimal.Decimal(text)
        low = self.minimum if self.minimum is not None else -self.maximum
        if not (low <= number <= self.maximum):
            raise self.make_error("range", min=low, max=self.maximum)
        if self.places is not None and number != number.quantize(decimal.Decimal(1).scaleb(-self.places), rounding=decimal.ROUND_DOWN):
            raise ValidationError(f"At most {self.places} decimal places.")
        return number


class Whole(fields.Integer):
    """An integer within sane bounds (the database stores 64-bit integers)."""

    def __init__(self, *, minimum: int | None = 0, maximum: int = 10**15, **kw):
        kw.setdefault("validate", validate.Range(min=minimum, max=maximum))
        super().__init__(strict=False, **kw)


class Id(fields.Integer):
    """An integer id of a reward, promo, item, fee, depreciation or transaction."""

    default_error_messages = {"invalid": "Not a valid id."}

    def __init__(self, **kw):
        super().__init__(strict=False, validate=validate.Range(min=1, max=2**63 - 1, error="Not a valid id."), **kw)


class Choice(fields.String):
    """One of a fixed set of words, matched without regard to case; loads as the canonical spelling."""

    def __init__(self, choices, **kw):
        super().__init__(**kw)
        self.choices = {c.lower(): c for c in choices}

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return self.choices[text.lower()]
        except KeyError:
            raise ValidationError("must be one of " + ", ".join(self.choices.values())) from None


class Flag(fields.Field):
    """A legacy yes/no: ``Y``, ``Yes``, ``true``, ``1`` are yes; ``N``, ``No``, ``false``, ``0`` no."""

    TRUE = {"y", "yes", "true", "1", "on"}
    FALSE = {"n", "no", "false", "0", "off"}

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValidationError("must be Y or N")


class DateTime(fields.Field):
    """``YYYY-MM-DD HH:MM:SS`` (as the legacy docs write it), ``YYYY-MM-DDTHH:MM:SS`` or ``YYYY-MM-DD``."""

    FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d")

    def _deserialize(self, value, attr, data, **kwargs) -> dt.datetime:
        text = str(value).strip()
        for fmt in self.FORMATS:
            try:
                return dt.datetime.strptime(text, fmt)
            except ValueError:
                continue
        raise ValidationError("not a date (use YYYY-MM-DD HH:MM:SS)")


class Date(fields.Field):
    def _deserialize(self, value, attr, data, **kwargs) -> dt.date:
        try:
            return dt.datetime.strptime(str(value).strip(), "%Y-%m-%d").date()
        except ValueError:
            raise ValidationError("not a date (use YYYY-MM-DD)") from None


class CommaList(fields.Field):
    """A comma-separated list of words: ``points,giftcard``."""

    def __init__(self, item: fields.Field | None = None, **kw):
        super().__init__(**kw)
        self.item = item

    def _deserialize(self, value, attr, data, **kwargs) -> list[Any]:
        parts = [p.strip() for p in str(value).split(",") if p.strip()]
        if self.item is None:
            return parts
        return [self.item.deserialize(p) for p in parts]


class Ignored(fields.Raw):
    """A field legacy clients send that is accepted with any value and deliberately not used; ``why`` is
    shown on /docs. A field that validates its value but is not used says so with
    ``metadata={"ignored": why}`` instead."""

    def __init__(self, why: str, **kw):
        super().__init__(metadata={"ignored": why}, **kw)


class EmptySchema(LegacySchema):
    """For calls that take nothing beyond the common fields."""
