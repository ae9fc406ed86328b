"""Schemas of the account calls (account_info, account_update) and the time-token calls."""
from __future__ import annotations

import re

from marshmallow import ValidationError, validate

from gateway.domain.accounts import LANGUAGES
from gateway.domain.tokens import DEFAULT_INTERVAL, MAX_INTERVAL

from .base import Choice, EmptySchema, Flag, LegacySchema, Text, Whole
from .customers import Plain

# One "@" between two non-empty parts, no white space: enough to catch a field posted into the wrong
# box; whether the address exists only a mail can tell.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


class Email(Plain):
    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if text and not _EMAIL.fullmatch(text):
            raise ValidationError("not an e-mail address")
        return text


class Currency(Text):
    """A currency code (``AUD``): three letters; whether it is one the server knows is the domain's rule."""

    def __init__(self, **kw):
        super().__init__(max_length=3, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not re.fullmatch(r"[A-Za-z]{3}", text):
            raise ValidationError("a three-letter currency code (e.g. USD)")
        return text.upper()


class AccountInfo(EmptySchema):
    pass


class AccountUpdate(LegacySchema):
    # A portal posts its whole form: a blank text box means "now empty", not "unchanged".
    keep_blank = ("agency", "contact_first_name", "contact_last_name", "contact_email", "contact_phone",
                  "client_email", "biz_address1", "biz_address2", "biz_city", "biz_state", "biz_zip",
                  "biz_country", "industry", "referrer_name")

    agency = Plain()
    contact_first_name = Plain()
    contact_last_name = Plain()
    contact_email = Email()
    contact_phone = Plain(max_length=64)
    client_email = Email()
    biz_name = Plain()  # blank is not kept: an account always has a name
    biz_address1 = Plain()
    biz_address2 = Plain()
    biz_city = Plain()
    biz_state = Plain()
    biz_zip = Plain(max_length=64)
    biz_country = Plain(max_length=64)
    biz_locations = Whole(maximum=10**9)
    biz_online = Flag()
    biz_employees = Whole(maximum=10**9)
    industry = Plain()
    referrer_name = Plain()
    # Blank is "unchanged" (a portal leaves the password box empty); never echoed, stored hashed.
    account_password = Text(validate=validate.Length(min=8, max=255, error="between 8 and 255 characters"))
    language_selector = Choice(LANGUAGES)
    symbol_selector = Currency()
    timezone_selector = Whole(minimum=-999, maximum=999)


class GenerateTimeToken(LegacySchema):
    token_interval = Whole(minimum=1, maximum=MAX_INTERVAL, load_default=DEFAULT_INTERVAL)
    code = Plain(max_length=128)
    card_number = Plain(max_length=128)
    campaign_id = Plain(max_length=32)


class ValidateTimeToken(LegacySchema):
    token = Text(required=True, max_length=64)
