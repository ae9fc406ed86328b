"""The legacy schemas report errors in marshmallow's shape and in the schema's order."""
from __future__ import annotations

from marshmallow import ValidationError

from schemas.legacy.transactions import RecordActivity


def outcome(form):
    # As lists: the order of fields and of messages is part of the answer (required fields first,
    # then the others in the schema's order: schemas.legacy.base.messages_of).
    try:
        return "ok", list(RecordActivity().load(form).items())
    except ValidationError as error:
        return "error", list(error.normalized_messages().items())


def test_errors_keep_marshmallows_shape_and_order():
    status, messages = outcome({"campaign_id": "x" * 300, "amount": "lots", "custom_field_1": "y" * 70000})
    assert status == "error" and [name for name, _ in messages] == ["campaign_id", "amount"], messages
    # A post_load hook's error (a custom field too long) is reported under _schema, as marshmallow does.
    status, messages = outcome({"campaign_id": "1234567890123456", "code": "C1", "amount": "1", "custom_field_1": "y" * 70000})
    assert status == "error" and [name for name, _ in messages] == ["_schema"], messages
