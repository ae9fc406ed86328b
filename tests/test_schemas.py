"""``LegacySchema.load_form``, the loader every request uses, against marshmallow's own ``load``."""
from __future__ import annotations

import random

import pytest
from marshmallow import ValidationError

from gateway.legacy import calls
from gateway.legacy.registry import registry
from schemas.legacy.base import LegacySchema
from schemas.legacy.transactions import RecordActivity

calls.load_all()

# Values a legacy form sends, valid and not, for any kind of field.
VALUES = ["", "  ", "abc", " 12 ", "12", "12.5", "9,95", "-3", "0", "1e5", "Y", "N", "yes", "off", "x" * 300,
          "2026-01-02", "2026-01-02 03:04:05", "02/01/2026", "[COF]", "1,2,3", "a,,b", "\u00e9t\u00e9",
          "99999999999999999999", "5572710471666503", "points", "giftcard", "x", "+", "days", "  Y  ", "0.001"]
EXTRA = ["custom_field_1", "custom_field_12", "custom_field_x", "unknown", "type", "callback", "_"]


def outcome(load, form):
    # As lists: the order of fields and of messages is part of the answer (required fields first,
    # then the others in the schema's order: schemas.base.messages_of).
    try:
        return "ok", list(load(form).items())
    except ValidationError as error:
        return "error", list(error.normalized_messages().items())


def random_form(rng: random.Random, schema: LegacySchema) -> dict[str, str]:
    names = [f.data_key or name for name, f in schema.load_fields.items()] + EXTRA
    return {name: rng.choice(VALUES) for name in names if rng.random() < 0.6}


SCHEMAS = sorted({call.schema for call in registry}, key=lambda cls: (cls.__module__, cls.__name__))


@pytest.mark.parametrize("schema_class", SCHEMAS, ids=lambda cls: cls.__name__)
def test_load_form_answers_as_marshmallow_load_does(schema_class):
    schema = schema_class()
    rng = random.Random(schema_class.__name__)
    forms = [{}] + [random_form(rng, schema) for _ in range(400)]
    for form in forms:
        assert outcome(schema.load_form, form) == outcome(schema.load, form), form


def test_the_calls_a_till_makes_all_day_take_the_direct_path():
    # A schema with hooks of its own (validates_schema, another pre_load) takes marshmallow's load;
    # the calls bench/run.py measures must not, or load_form would only add a lookup.
    hot = {registry.resolve({"type": t, "action": a}).schema for t, a in (
        ("customer_balance", ""), ("record_activity", ""), ("redeem", ""), ("campaign_rewards", ""),
        ("campaign_new", "reward"))}
    assert all(cls()._load_plan() is not None for cls in hot), hot
    assert sum(cls()._load_plan() is not None for cls in SCHEMAS) >= 20


def test_errors_keep_marshmallows_shape_and_order():
    schema = RecordActivity()
    form = {"campaign_id": "x" * 300, "amount": "lots", "custom_field_1": "y" * 70000}
    assert outcome(schema.load_form, form) == outcome(schema.load, form)
    status, messages = outcome(schema.load_form, form)
    assert status == "error" and [name for name, _ in messages] == ["campaign_id", "amount"], messages
    # A post_load hook's error (a custom field too long) is reported under _schema, as marshmallow does.
    form = {"campaign_id": "1234567890123456", "code": "C1", "amount": "1", "custom_field_1": "y" * 70000}
    assert outcome(schema.load_form, form) == outcome(schema.load, form)
    assert [name for name, _ in outcome(schema.load_form, form)[1]] == ["_schema"]
