"""What every JSON API schema shares: unknown fields are refused (naming them), types are strict (a
number is not a string and the reverse), field names are the API's camelCase (``data_key``)."""
from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate


class ApiSchema(Schema):
    class Meta:
        unknown = RAISE


def text(key: str | None = None, *, required: bool = False, min_length: int = 0, max_length: int = 255, **kw):
    return fields.String(data_key=key, required=required, validate=validate.Length(min=min_length, max=max_length), **kw)


def integer(key: str | None = None, *, required: bool = False, minimum: int | None = None, maximum: int | None = None, **kw):
    return fields.Integer(data_key=key, required=required, strict=True,
                          validate=validate.Range(min=minimum, max=maximum), **kw)


class Ok(ApiSchema):
    """Nothing but success."""
