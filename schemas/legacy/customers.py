"""Schemas of the customer calls."""
from __future__ import annotations

import re

from marshmallow import ValidationError, post_load, pre_load, validates_schema

from .base import MAX_TEXT, Choice, CommaList, Date, Flag, Id, Ignored, LegacySchema, PatternSchema, Text, Whole

# C0 controls (tab, LF and CR aside) and DEL: PostgreSQL cannot store NUL, XML cannot carry the rest.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# custom_field_1 is the legacy custom1 (``custom_field``); the rest live in Customer.custom_fields.
CUSTOM_FIELD = re.compile(r"custom_field_[1-9][0-9]{0,2}")


def _no_controls(name: str, value: str) -> None:
    if _CONTROL.search(value):
        raise ValidationError({name: ["control characters are not allowed"]})


class Plain(Text):
    """Text without control characters."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if _CONTROL.search(text):
            raise ValidationError("control characters are not allowed")
        return text


class Digits(Text):
    def __init__(self, **kw):
        super().__init__(max_length=16, **kw)

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text.isascii() or not text.isdigit():
            raise ValidationError("digits only")
        return text


class DateText(Date):
    """``YYYY-MM-DD``, kept as that text."""

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        return super()._deserialize(value, attr, data, **kwargs).isoformat()


NOT_SEARCHABLE = "secrets cannot be searched; use validate_customer_password"


class NotSearchable(Text):
    def _deserialize(self, value, attr, data, **kwargs):
        raise ValidationError(NOT_SEARCHABLE)


class _CustomFields(PatternSchema):
    """Gathers ``custom_field_N``; blank ones are dropped like any blank field."""

    patterns = {"custom_fields": CUSTOM_FIELD}

    # marshmallow runs hooks in name order: this one must follow the base's ``_gather_patterns``.
    @post_load
    def _tidy_custom_fields(self, data, **kwargs):
        found = {}
        for key, value in data.get("custom_fields", {}).items():
            _no_controls(key, value)
            if value:
                found[key] = value
        # custom_field_1 is another name of custom_field; the explicit name wins. custom1 is the legacy
        # name of the same field (a customer-portal kit posts it), taken when neither other name is sent.
        first = found.pop("custom_field_1", None)
        legacy = data.pop("custom1", None)
        first = legacy if first is None else first
        if first is not None and "custom_field" in self.fields:
            data.setdefault("custom_field", first)
        elif first is not None:
            found["custom_field_1"] = first
        data["custom_fields"] = found
        return data


# MySQL's zero date: a customer-portal form with no birthday sends it, meaning "no date".
ZERO_DATES = ("0000-00-00", "0000-00-00 00:00:00")


class Profile(_CustomFields):
    @pre_load
    def _zero_date(self, data, **kwargs):
        if isinstance(data.get("custom_date"), str) and data["custom_date"].strip() in ZERO_DATES:
            data = {k: v for k, v in data.items() if k != "custom_date"}
        return data

    first_name = Plain()
    last_name = Plain()
    phone = Plain(max_length=64)
    email = Plain()
    street1 = Plain()
    street2 = Plain()
    city = Plain()
    state = Plain()
    postal_code = Plain(max_length=64)
    country = Plain(max_length=64)
    custom_date = DateText()
    custom_field = Plain(max_length=MAX_TEXT)
    custom1 = Plain(max_length=MAX_TEXT)  # the legacy name of custom_field
    customer_username = Plain()


class Secrets(LegacySchema):
    customer_password = Plain()
    customer_pin = Plain(data_key="customer_PIN", max_length=64)


class CardGeneration(LegacySchema):
    card_number_generate = Whole(minimum=4, maximum=64)
    card_number_prefix = Digits(load_default="")
    card_number_suffix = Digits(load_default="")


class RecordCustomer(Profile, Secrets, CardGeneration):
    code = Plain(max_length=128)
    card_number = Plain(max_length=128)
    new_code = Flag(load_default=False)
    campaign_id = CommaList(load_default=list)
    send_no_email = Flag(load_default=False)  # true: no welcome or registration mail (docs/mail.md)
    auto_add = Ignored("its meaning in the legacy API was never documented")

    @validates_schema
    def _one_card(self, data, **kwargs):
        if data.get("card_number") and data.get("card_number_generate"):
            raise ValidationError("Give card_number or card_number_generate, not both")


class RecordCustomerNew(RecordCustomer):
    pass


class RecordCustomerEdit(RecordCustomer):
    pass


class RecordCustomerRegister(RecordCustomer):
    customer_password = Plain(required=True)


class GenerateCardNumber(LegacySchema):
    how_many_digits = Whole(minimum=4, maximum=64, load_default=16)
    card_number_prefix = Digits(load_default="")
    card_number_suffix = Digits(load_default="")


class CustomerSearch(Profile):
    card_number = Plain(max_length=128)
    custom_date = Plain(max_length=32)  # partial dates ("1970-07") are searched as text
    exact_match = Choice(("sensitive", "insensitive"))
    include_balances = Flag(load_default=False)
    customer_password = NotSearchable()
    customer_pin = NotSearchable(data_key="customer_PIN")


class CustomerFind(LegacySchema):
    find_customer = Plain(required=True, max_length=1000)
    include_balances = Flag(load_default=False)


class _OneCustomer(LegacySchema):
    code = Plain(max_length=128)
    card_number = Plain(max_length=128)

    @validates_schema
    def _named(self, data, **kwargs):
        if not data.get("code") and not data.get("card_number"):
            raise ValidationError("Missing required field: code or card_number")


class CustomerInfo(_OneCustomer):
    include_balances = Flag(load_default=True)
    campaign_id = Plain(max_length=32)
    hide_custom_field = Flag(load_default=False)
    show_only_belong_to = Flag(load_default=False)
    include_fields = Flag(load_default=False)  # the fields set to show, with labels (docs/fields.md)


class CustomerDelete(LegacySchema):
    code = Plain(required=True, max_length=128)


class ValidateCustomerPassword(Secrets):
    code = Plain(max_length=128)
    card_number = Plain(max_length=128)
    customer_username = Plain()
    phone = Plain(max_length=64)

    @validates_schema
    def _complete(self, data, **kwargs):
        if not any(data.get(k) for k in ("code", "card_number", "customer_username")):
            raise ValidationError("Missing required field: code, card_number or customer_username")
        if not any(data.get(k) for k in ("customer_password", "customer_pin")):
            raise ValidationError("Missing required field: customer_password or customer_PIN")


class CardReplace(Profile, Secrets, CardGeneration):
    new_code = Plain(max_length=128)
    new_card_number = Plain(max_length=128)
    previous_code = Plain(max_length=128)
    previous_card = Plain(max_length=128)
    profile_uid = Id()  # the customer's internal id, as customer_info shows it (docs/customers.md)
    # check_override=Y merges with the customer who holds the new code or card, keeping keep_which.
    check_override = Flag(load_default=False)
    keep_which = Choice(("matched", "duplicate"), load_default="matched")

    @validates_schema
    def _something_new(self, data, **kwargs):
        if not any(data.get(k) for k in ("new_code", "new_card_number", "card_number_generate")):
            raise ValidationError("Missing required field: new_code, new_card_number or card_number_generate")
        if data.get("new_card_number") and data.get("card_number_generate"):
            raise ValidationError("Give new_card_number or card_number_generate, not both")

