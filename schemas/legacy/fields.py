"""Schemas of the custom-field calls: manage_fields (customer), transaction_fields, manage_reward_fields.

A field's settings arrive as ``<name>_<setting>`` (``custom_field_3_label``, ``card_number_show``), many
fields in one request; they are gathered into ``fields``: name -> {setting: value}. ``API`` (1.5 or 1.6)
is accepted and not checked, as on every call (docs/decisions.md).
"""
from __future__ import annotations

import re

from marshmallow import ValidationError, post_load

from .base import MAX_TEXT, Flag, LegacySchema, Text

DEFAULT_NAMES = ("card_number", "first_name", "last_name", "phone", "email", "street1", "street2", "city",
                 "state", "zip", "country", "customer_username", "customer_PIN", "customer_password",
                 "custom_date")
FLAGS = ("show", "searchable", "unique", "required")
# The customer-field update page prints custom_field_#__label (two underscores): both are read.
_SETTING = r"_{1,2}(label|show|type|choices|searchable|unique|required|activity_type)"
NAMES = {
    "customer": r"(custom_field_\d+|" + "|".join(DEFAULT_NAMES) + ")",
    "transaction": r"(custom_field_\d+)",
    # The reward pages write reward_custom_field_# and reward_custom_field## : both are read.
    "reward": r"(reward_custom_field_?\d+)",
}
SETTINGS = {
    "customer": ("label", "show", "type", "choices", "searchable", "unique", "required"),
    "transaction": ("label", "show", "type", "choices", "unique", "required", "activity_type"),
    "reward": ("label", "show", "type", "choices", "unique", "required"),
}
_FLAG = Flag()


def canonical(family: str, name: str) -> str:
    """``reward_custom_field3`` -> ``reward_custom_field_3``; a reward delete's ``custom_field_3`` (the
    legacy page's example) -> ``reward_custom_field_3``."""
    if family != "reward":
        return name
    match = re.fullmatch(r"(?:reward_)?custom_field_?(\d+)", name)
    return f"reward_custom_field_{match.group(1)}" if match else name


class _Fields(LegacySchema):
    family = "customer"

    @property
    def patterns(self) -> dict[str, re.Pattern]:
        """The settings' form names (/docs lists them as it lists other families of fields)."""
        return {"fields": re.compile(NAMES[self.family] + _SETTING)}

    @post_load(pass_original=True)
    def _gather_fields(self, data, original, **kwargs):
        pattern = self.patterns["fields"]
        found: dict[str, dict] = {}
        errors: dict[str, list[str]] = {}
        for key, raw in original.items():
            match = pattern.fullmatch(key)
            if not match or not isinstance(raw, str):
                continue
            name, setting = canonical(self.family, match.group(1)), match.group(2)
            if setting not in SETTINGS[self.family]:
                continue  # a setting this family does not have (a generic form sends every input)
            entry = found.setdefault(name, {})
            value = raw.strip()
            if not value:
                continue  # blank: unchanged, as everywhere
            if setting in FLAGS:
                try:
                    entry[setting] = _FLAG.deserialize(value)
                except ValidationError:
                    errors[key] = ["must be Y or N"]
            elif len(value) > (MAX_TEXT if setting == "choices" else 255):
                errors[key] = [f"at most {MAX_TEXT if setting == 'choices' else 255} characters"]
            else:
                entry[setting] = value
        if errors:
            raise ValidationError(errors)
        data["fields"] = found
        return data


class _Listed(LegacySchema):
    pass


class _Update(_Fields):
    # The legacy pages spell it web_udate [sic] in their notes: both are read.
    web_update = Flag(load_default=False)
    web_udate = Flag(load_default=False)


class _Delete(LegacySchema):
    family = "customer"
    field_list = Text(required=True, max_length=MAX_TEXT)

    @post_load
    def _names(self, data, **kwargs):
        names = [canonical(self.family, n.strip()) for n in re.split(r"[|,]", data["field_list"]) if n.strip()]
        data["field_list"] = list(dict.fromkeys(names))
        return data


class CustomerFieldsList(_Listed):
    pass


class CustomerFieldsAdd(_Fields):
    family = "customer"


class CustomerFieldsUpdate(_Update):
    family = "customer"


class CustomerFieldsDelete(_Delete):
    family = "customer"


class TransactionFieldsList(_Listed):
    pass


class TransactionFieldsAdd(_Fields):
    family = "transaction"


class TransactionFieldsUpdate(_Update):
    family = "transaction"


class TransactionFieldsDelete(_Delete):
    family = "transaction"


class RewardFieldsList(_Listed):
    pass


class RewardFieldsAdd(_Fields):
    family = "reward"


class RewardFieldsUpdate(_Update):
    family = "reward"


class RewardFieldsDelete(_Delete):
    family = "reward"
