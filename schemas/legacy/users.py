"""Schemas of the user calls, with the field names a merchant admin portal sends (legacy-clients.md §5).

The managed user is ``user_name`` (the caller stays ``user_id`` + key). Each permission flag may be set
per user as ``<flag>=Yes|No``.
"""
from __future__ import annotations

from marshmallow import ValidationError, fields, post_load, validate

from gateway.domain.permissions import ALIASES, FLAGS, ROLES

from .base import Choice, CommaList, Flag, LegacySchema, Text

ROLE_CHOICES = (*ROLES, *ALIASES)


class AllowedCampaigns(fields.Field):
    """``all``, ``none``, or a comma list of campaign ids: loads as "all" or a list ([] for none)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = str(value).strip()
        if text.lower() == "all":
            return "all"
        if text.lower() == "none":
            return []
        ids = [p.strip() for p in text.split(",") if p.strip()]
        if not ids or any(len(i) > 32 for i in ids):
            raise ValidationError("must be all, none or a comma list of campaign ids")
        return ids


class UserName(LegacySchema):
    user_name = Text(max_length=128, required=True)


def _flag_fields() -> dict:
    return {flag: Flag() for flag in FLAGS}


class _UserFields(UserName):
    user_new_password = Text(max_length=255)
    user_first_name = Text()
    user_last_name = Text()
    user_custom1 = Text()
    user_PIN = Text(max_length=64)
    language_selector = Text(max_length=8)
    timezone_selector = Text(max_length=16)
    allowed_campaigns = AllowedCampaigns()

    @post_load
    def _flags(self, data, **kwargs):
        data["flags"] = {flag: data.pop(flag) for flag in FLAGS if flag in data}
        return data


UserUpdate = _UserFields.from_dict({**_flag_fields(), "user_role": Choice(ROLE_CHOICES)}, name="UserUpdate")
# A new user's name is what it will send as user_id: no commas (campaign_users takes comma lists), no spaces.
NEW_NAME = Text(max_length=128, required=True, validate=validate.Regexp(
    r"[A-Za-z0-9_.@-]{1,128}\Z", error="1-128 letters, digits, or . _ - @"))
UserNew = _UserFields.from_dict({**_flag_fields(), "user_role": Choice(ROLE_CHOICES, required=True),
                                 "user_name": NEW_NAME}, name="UserNew")


class UsersList(LegacySchema):
    pass


class CampaignUsers(UserName):
    user_name = CommaList(required=True)
    campaign_id = CommaList(required=True)


class UserLogin(LegacySchema):
    user_id = Text(max_length=128, required=True)
    user_password = Text(max_length=255, required=True)
