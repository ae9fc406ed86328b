"""Legacy calls that manage custom fields: manage_fields (customer), transaction_fields and
manage_reward_fields, each list/add/update/delete. Every action answers the family's fields as they
are afterwards: ``<account><account_id/><fields><field>…<choices><choice/>…</choices></field></fields></account>``."""
from __future__ import annotations

from schemas.legacy import fields as s

from ...domain import fields as domain
from ..messages import MISSING_FIELD
from ..registry import call
from ..tree import E, Items, el, leaf, leaves

NO_FIELDS = "Missing required field: {0}N_label (or another setting of a field {0}N)"
BAD_FLAG = "Invalid value for field {}_show: must be Y or N"
ONLY_TEXT_UNIQUE = "Invalid value for field {}_unique: only Text fields can be unique"


def field_node(d: domain.Definition, family: str) -> E:
    """One field. Customer fields show required and searchable, transaction fields their activity
    type; ``unique`` is Yes or No as the legacy list writes it; choices are a list (empty but for
    Pick and List)."""
    node = el("field", name=d.name, label=d.label, show=d.show)
    if family == domain.CUSTOMER:
        node.children += leaves(required=d.required, type=d.type, searchable=d.searchable)
    else:
        node.children += leaves(type=d.type, required=d.required)
    node.children.append(leaf("unique", "Yes" if d.unique else "No"))
    if family == domain.TRANSACTION:
        node.children.append(leaf("activity_type", d.activity_type))
    node.children.append(Items("choices", [leaf("choice", c) for c in d.choices]))
    return node


def fields_answer(caller, family: str) -> list:
    found = domain.definitions(caller.account_id, family)
    return [el("account", leaf("account_id", caller.account_id), Items("fields", [field_node(d, family) for d in found]))]


def _changes(data: dict) -> dict[str, domain.Changes]:
    return {name: domain.Changes(**settings) for name, settings in data["fields"].items()}


def _web_update(data: dict) -> bool:
    return bool(data.get("web_update") or data.get("web_udate"))


def _errors_add(family: str, example: str, types: str, more: tuple = ()) -> tuple:
    prefix = domain.PREFIX[family]
    errors = (NO_FIELDS.format(prefix), f"Invalid value for field {example}: the field already exists",
              f"Invalid value for field {prefix}0: not a custom field name (e.g. {example})",
              f"Invalid value for field {example}_type: must be one of {types}",
              MISSING_FIELD.format(f"{example}_choices"), ONLY_TEXT_UNIQUE.format(example), BAD_FLAG.format(example),
              f"Invalid value for field {example}_choices: a List field's choices cannot contain commas")
    return errors + more


def _errors_update(family: str, example: str, more: tuple = ()) -> tuple:
    prefix = domain.PREFIX[family]
    return (NO_FIELDS.format(prefix), f"Invalid value for field {prefix}9: no such field (add it first)",
            MISSING_FIELD.format(f"{example}_choices"), BAD_FLAG.format(example)) + more


def _errors_delete(family: str, more: tuple = ()) -> tuple:
    return (MISSING_FIELD.format("field_list"),
            f"Invalid value for field field_list: {domain.PREFIX[family]}9 is not a field") + more


# --- customer fields ------------------------------------------------------------------------------------

C = domain.CUSTOMER


@call("manage_fields", "list", schema=s.CustomerFieldsList)
def customer_fields_list(data: dict, caller) -> list:
    """The customer fields: the defaults (card_number ... custom_field_1), then custom_field_N."""
    return fields_answer(caller, C)


@call("manage_fields", "add", schema=s.CustomerFieldsAdd, permission="manage_fields", writes=True,
      errors=_errors_add(C, "custom_field_2", "Text, Date, Pick, List", (
          MISSING_FIELD.format("custom_field_2_label"),
          "Invalid value for field custom_field_2_searchable: only Text fields can be searchable")))
def customer_fields_add(data: dict, caller) -> list:
    """Add customer fields custom_field_N (N > 1): ``_label`` and ``_type`` (Text, Date, Pick, List),
    ``_show``, ``_choices``, ``_searchable``, ``_unique``, ``_required``; answers every field."""
    domain.add(caller.account_id, C, _changes(data))
    return fields_answer(caller, C)


@call("manage_fields", "update", schema=s.CustomerFieldsUpdate, permission="manage_fields", writes=True,
      errors=_errors_update(C, "custom_field_2", (
          "Invalid value for field custom_field_2_searchable: only Text fields can be searchable",)))
def customer_fields_update(data: dict, caller) -> list:
    """Change customer fields, the defaults included (``card_number_label``, ``country_show``...); a
    field's type and unique stay as set. ``web_update=Y``: unsent checkboxes are N."""
    domain.update(caller.account_id, C, _changes(data), web_update=_web_update(data))
    return fields_answer(caller, C)


@call("manage_fields", "delete", schema=s.CustomerFieldsDelete, permission="manage_fields", writes=True,
      errors=_errors_delete(C, ("Invalid value for field field_list: card_number is a default field and cannot be deleted",)))
def customer_fields_delete(data: dict, caller) -> list:
    """Delete custom customer fields (``field_list``: ``custom_field_3|custom_field_4``); answers the
    fields that remain. The defaults cannot be deleted."""
    domain.delete(caller.account_id, C, data["field_list"])
    return fields_answer(caller, C)


# --- transaction fields ---------------------------------------------------------------------------------

T = domain.TRANSACTION


@call("transaction_fields", "list", schema=s.TransactionFieldsList)
def transaction_fields_list(data: dict, caller) -> list:
    """The transaction fields custom_field_N."""
    return fields_answer(caller, T)


@call("transaction_fields", "add", schema=s.TransactionFieldsAdd, permission="manage_fields", writes=True,
      errors=_errors_add(T, "custom_field_1", "Text, Number, Monetary, Date, Pick, List", (
          "Invalid value for field custom_field_1_activity_type: must be one of record, redeem, all",)))
def transaction_fields_add(data: dict, caller) -> list:
    """Add transaction fields custom_field_N: ``_type`` (Text, Number, Monetary, Date, Pick, List),
    ``_label``, ``_show``, ``_choices``, ``_unique``, ``_required``, ``_activity_type`` (record, redeem,
    all); answers every field."""
    domain.add(caller.account_id, T, _changes(data))
    return fields_answer(caller, T)


@call("transaction_fields", "update", schema=s.TransactionFieldsUpdate, permission="manage_fields", writes=True,
      errors=_errors_update(T, "custom_field_1", (
          "Invalid value for field custom_field_1_activity_type: must be one of record, redeem, all",)))
def transaction_fields_update(data: dict, caller) -> list:
    """Change transaction fields (label, show, choices, required, activity type); type and unique stay
    as set. ``web_update=Y``: unsent checkboxes are N."""
    domain.update(caller.account_id, T, _changes(data), web_update=_web_update(data))
    return fields_answer(caller, T)


@call("transaction_fields", "delete", schema=s.TransactionFieldsDelete, permission="manage_fields", writes=True,
      errors=_errors_delete(T))
def transaction_fields_delete(data: dict, caller) -> list:
    """Delete transaction fields (``field_list``: ``custom_field_3|custom_field_4``); answers the fields
    that remain."""
    domain.delete(caller.account_id, T, data["field_list"])
    return fields_answer(caller, T)


# --- reward fields --------------------------------------------------------------------------------------

R = domain.REWARD


@call("manage_reward_fields", "list", schema=s.RewardFieldsList)
def reward_fields_list(data: dict, caller) -> list:
    """The reward fields reward_custom_field_N."""
    return fields_answer(caller, R)


@call("manage_reward_fields", "add", schema=s.RewardFieldsAdd, permission="manage_fields", writes=True,
      errors=_errors_add(R, "reward_custom_field_1", "Text, Date, Pick, List",
                         (MISSING_FIELD.format("reward_custom_field_1_label"),)))
def reward_fields_add(data: dict, caller) -> list:
    """Add reward fields reward_custom_field_N: ``_label`` and ``_type`` (Text, Date, Pick, List),
    ``_show``, ``_choices``, ``_unique``, ``_required``; answers every field."""
    domain.add(caller.account_id, R, _changes(data))
    return fields_answer(caller, R)


@call("manage_reward_fields", "update", schema=s.RewardFieldsUpdate, permission="manage_fields", writes=True,
      errors=_errors_update(R, "reward_custom_field_1"))
def reward_fields_update(data: dict, caller) -> list:
    """Change reward fields (label, show, choices, required); type and unique stay as set.
    ``web_update=Y`` (or ``web_udate``): unsent checkboxes are N."""
    domain.update(caller.account_id, R, _changes(data), web_update=_web_update(data))
    return fields_answer(caller, R)


@call("manage_reward_fields", "delete", schema=s.RewardFieldsDelete, permission="manage_fields", writes=True,
      errors=_errors_delete(R))
def reward_fields_delete(data: dict, caller) -> list:
    """Delete reward fields (``field_list``: ``reward_custom_field_3|reward_custom_field_4``, or
    ``custom_field_3`` as the legacy page writes it); answers the fields that remain."""
    domain.delete(caller.account_id, R, data["field_list"])
    return fields_answer(caller, R)
