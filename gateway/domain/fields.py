"""Custom fields: an account's field definitions in three families, and the check of values written.

Families: ``customer`` (the default profile fields, then ``custom_field_N`` with N > 1), ``transaction``
(``custom_field_N``) and ``reward`` (``reward_custom_field_N``). A definition has a label, ``show``, a
type (Text, Date, Pick, List; transaction fields also Number and Monetary), choices (Pick, List),
``searchable`` (customer Text fields), ``unique`` (Text), ``required`` and, for transaction fields, the
activity it applies to (record, redeem, all).

Rules kept here and nowhere else:
- a new field is Show=No, Type=Text unless told; its type and ``unique`` are fixed once set (an update
  ignores them);
- only Text fields can be unique or searchable; a Text value is at most 64000 characters, 255 when the
  field is searchable or unique (255 always for transaction fields); Pick and List need choices;
- the default customer fields always exist, may be changed (label, show, required...) but never
  deleted; they have a row only once changed;
- ``check_values`` checks and normalises the values a write gives (type, choices, required);
  ``claim_unique`` records unique values in the same transaction as the write, and the unique index of
  ``UniqueFieldValue`` refuses the second of two concurrent writes of one value. Values of fields that
  are not defined are not checked.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation

import peewee as pw

from .db import Statement, database, is_sqlite
from .errors import InvalidValue
from .models import Customer, FieldDefinition, LedgerEntry, Reward, UniqueFieldValue

CUSTOMER, TRANSACTION, REWARD = "customer", "transaction", "reward"
FAMILIES = (CUSTOMER, TRANSACTION, REWARD)
PREFIX = {CUSTOMER: "custom_field_", TRANSACTION: "custom_field_", REWARD: "reward_custom_field_"}

TEXT, DATE, PICK, LIST, NUMBER, MONETARY = "Text", "Date", "Pick", "List", "Number", "Monetary"
TYPES = {CUSTOMER: (TEXT, DATE, PICK, LIST), TRANSACTION: (TEXT, NUMBER, MONETARY, DATE, PICK, LIST),
         REWARD: (TEXT, DATE, PICK, LIST)}
ACTIVITY_TYPES = ("record", "redeem", "all")
RECORD, REDEEM = "record", "redeem"

MAX_TEXT = 64000
MAX_SHORT_TEXT = 255  # searchable or unique Text, and every transaction Text field
MAX_CHOICES = 200
# Number: 16 digits and 5 decimals; Monetary: 14 digits and 2 decimals (the legacy pages' limits).
NUMERIC = {NUMBER: (16, 5), MONETARY: (14, 2)}

# The default customer fields, in the order the list shows them, with their labels. They are Text.
DEFAULTS = {
    "card_number": "Card #", "first_name": "First Name", "last_name": "Last Name", "phone": "Phone",
    "email": "Email", "street1": "Street 1", "street2": "Street 2", "city": "City", "state": "State",
    "zip": "Zip", "country": "Country", "customer_username": "Username", "customer_PIN": "PIN",
    "customer_password": "Password", "custom_date": "Custom Date", "custom_field_1": "Custom Field 1",
}


@dataclass(frozen=True, slots=True)
class Definition:
    name: str
    label: str = ""
    show: bool = False
    type: str = TEXT
    choices: tuple[str, ...] = ()
    searchable: bool = False
    unique: bool = False
    required: bool = False
    activity_type: str = "all"
    default: bool = False  # a default customer field: cannot be deleted

    @property
    def number(self) -> int:
        return int(self.name.rsplit("_", 1)[1])

    def applies_to(self, activity_type: str | None) -> bool:
        return activity_type is None or self.activity_type in ("all", activity_type)

    @property
    def max_length(self) -> int:
        return MAX_SHORT_TEXT if self.searchable or self.unique else MAX_TEXT


@dataclass(slots=True)
class Changes:
    """What an add or update says of one field; None leaves a setting as it is (or its default)."""

    label: str | None = None
    show: bool | None = None
    type: str | None = None
    choices: str | None = None  # as sent: "A|B|C" or "A, B, C"
    searchable: bool | None = None
    unique: bool | None = None
    required: bool | None = None
    activity_type: str | None = None


def custom_name(family: str, number: int) -> str:
    return f"{PREFIX[family]}{number}"


_NAME = {family: re.compile(re.escape(prefix) + r"([1-9][0-9]{0,2})") for family, prefix in PREFIX.items()}


def is_custom_name(family: str, name: str) -> bool:
    return bool(_NAME[family].fullmatch(name))


# --- reading definitions ------------------------------------------------------------------------------

def _definition(row: FieldDefinition) -> Definition:
    return Definition(row.name, row.label, row.show, row.type, tuple(json.loads(row.choices or "[]")),
                      row.searchable, row.unique, row.required, row.activity_type,
                      default=row.family == CUSTOMER and row.name in DEFAULTS)


def _default(name: str) -> Definition:
    return Definition(name, DEFAULTS[name], show=True, default=True)


def _rows(account_id: str, family: str):
    return FieldDefinition.select().where((FieldDefinition.account == account_id) & (FieldDefinition.family == family))


# Every record_customer, record_activity and redeem reads its family's definitions.
_DEFINITIONS = Statement(_rows)


def definitions(account_id: str, family: str) -> list[Definition]:
    """The family's fields in list order: the customer defaults first, then custom fields by number."""
    stored = {row.name: _definition(row) for row in _DEFINITIONS(account_id, family)}
    found = [stored.pop(name, None) or _default(name) for name in DEFAULTS] if family == CUSTOMER else []
    return found + sorted(stored.values(), key=lambda d: d.number)


def defined(account_id: str, family: str) -> dict[str, Definition]:
    """name -> definition, the customer defaults included."""
    return {d.name: d for d in definitions(account_id, family)}


def defined_for(campaign, family: str) -> dict[str, Definition]:
    """``defined`` for the campaign's account (transaction or reward fields), without a query when the
    campaign was read with campaigns.CAMPAIGN_FACTS and its account defines no field."""
    if family != CUSTOMER and not getattr(campaign, "defines_fields", True):
        return {}
    return defined(campaign.account_id, family)


def custom_defined(account_id: str, family: str) -> dict[str, Definition]:
    """name -> definition of the stored fields only (no default customer field that was never changed)."""
    return {d.name: d for d in map(_definition, _rows(account_id, family))}


# --- managing definitions -----------------------------------------------------------------------------

def parse_choices(text: str) -> tuple[str, ...]:
    """``New|Used|Other`` or ``Single, Married, Other``: split at ``|`` when there is one, else at commas;
    blanks and repeats dropped."""
    parts = text.split("|") if "|" in text else text.split(",")
    seen: dict[str, None] = {}
    for part in (p.strip() for p in parts):
        if part:
            seen.setdefault(part, None)
    return tuple(seen)


def _settled(family: str, current: Definition, changes: Changes, *, creating: bool, web_update: bool) -> Definition:
    """``current`` with ``changes`` applied and every rule checked."""
    name = current.name
    if web_update:
        # An HTML form does not send an unticked checkbox: with web_update=Y a field the form names
        # has every checkbox it did not send turned off.
        for flag in ("show", "searchable", "required"):
            if getattr(changes, flag) is None:
                setattr(changes, flag, False)
    settings: dict = {}
    if changes.label is not None:
        settings["label"] = changes.label
    for flag in ("show", "searchable", "required"):
        if getattr(changes, flag) is not None:
            settings[flag] = getattr(changes, flag)
    if creating:
        kind = changes.type or TEXT
        match = {t.lower(): t for t in TYPES[family]}.get(kind.lower())
        if match is None:
            raise InvalidValue(f"{name}_type", "unknown_field_type", types=", ".join(TYPES[family]))
        settings["type"] = match
        if changes.unique:
            settings["unique"] = True
    if family == TRANSACTION and changes.activity_type is not None:
        activity = changes.activity_type.lower()
        if activity not in ACTIVITY_TYPES:
            raise InvalidValue(f"{name}_activity_type", "unknown_activity_type", types=", ".join(ACTIVITY_TYPES))
        settings["activity_type"] = activity
    if family != CUSTOMER:
        settings.pop("searchable", None)
    result = replace(current, **settings)
    if result.type in (PICK, LIST):
        if changes.choices is not None:
            choices = parse_choices(changes.choices)
            if len(choices) > MAX_CHOICES or any(len(c) > MAX_SHORT_TEXT for c in choices):
                raise InvalidValue(f"{name}_choices", "too_many_choices", maximum=MAX_CHOICES)
            if result.type == LIST and any("," in c for c in choices):
                # A List value is a comma list of choices: a choice holding a comma could not be told apart.
                raise InvalidValue(f"{name}_choices", "comma_in_choice")
            result = replace(result, choices=choices)
        if not result.choices:
            raise InvalidValue(f"{name}_choices", "missing")
    else:
        result = replace(result, choices=())
    if result.type != TEXT:
        if result.unique:
            raise InvalidValue(f"{name}_unique", "only_text_unique")
        if result.searchable:
            raise InvalidValue(f"{name}_searchable", "only_text_searchable")
    return result


def _columns(family: str, d: Definition) -> dict:
    return dict(label=d.label, show=d.show, type=d.type, choices=json.dumps(list(d.choices), ensure_ascii=False),
                searchable=d.searchable, unique=d.unique, required=d.required, activity_type=d.activity_type)


def add(account_id: str, family: str, fields: dict[str, Changes]) -> None:
    """Add new fields (name -> settings). A name in use (a default customer field included) is refused,
    also when another request adds it at the same time. Call inside a write transaction."""
    if not fields:
        raise InvalidValue("fields", "missing", prefix=PREFIX[family])
    for name in sorted(fields, key=_order):
        changes = fields[name]
        if family == CUSTOMER and name in DEFAULTS:
            raise InvalidValue(name, "field_exists")
        if not is_custom_name(family, name):
            raise InvalidValue(name, "bad_field_name", example=custom_name(family, 2 if family == CUSTOMER else 1))
        if family in (CUSTOMER, REWARD) and not changes.label:
            raise InvalidValue(f"{name}_label", "missing")
        settled = _settled(family, Definition(name), changes, creating=True, web_update=False)
        try:
            with database.atomic():
                FieldDefinition.create(account=account_id, family=family, name=name, **_columns(family, settled))
        except pw.IntegrityError:
            raise InvalidValue(name, "field_exists") from None


def update(account_id: str, family: str, fields: dict[str, Changes], *, web_update: bool = False) -> None:
    """Change existing fields (label, show, choices, searchable, required, activity type); their type
    and ``unique`` stay as they are. Call inside a write transaction."""
    if not fields:
        raise InvalidValue("fields", "missing", prefix=PREFIX[family])
    for name in sorted(fields, key=_order):
        row = _rows(account_id, family).where(FieldDefinition.name == name)
        if not is_sqlite():
            row = row.for_update()
        row = row.first()
        if row is None and not (family == CUSTOMER and name in DEFAULTS):
            raise InvalidValue(name, "no_such_field")
        current = _definition(row) if row is not None else _default(name)
        settled = _settled(family, current, fields[name], creating=False, web_update=web_update)
        if row is not None:
            FieldDefinition.update(**_columns(family, settled)).where(FieldDefinition.id == row.id).execute()
            continue
        try:  # a default customer field's first change: its row is made now
            with database.atomic():
                FieldDefinition.create(account=account_id, family=family, name=name, **_columns(family, settled))
        except pw.IntegrityError:  # made by a concurrent update meanwhile: apply ours over it
            FieldDefinition.update(**_columns(family, settled)).where(
                (FieldDefinition.account == account_id) & (FieldDefinition.family == family)
                & (FieldDefinition.name == name)).execute()


def delete(account_id: str, family: str, names: list[str]) -> None:
    """Delete custom fields; the values already stored stay with their customers, transactions and
    rewards (they are no longer checked). Default customer fields cannot be deleted."""
    if not names:
        raise InvalidValue("field_list", "missing")
    for name in names:
        if family == CUSTOMER and name in DEFAULTS:
            raise InvalidValue("field_list", "default_field", name=name)
        deleted = FieldDefinition.delete().where(
            (FieldDefinition.account == account_id) & (FieldDefinition.family == family)
            & (FieldDefinition.name == name)).execute()
        if not deleted:
            raise InvalidValue("field_list", "not_a_field", name=name)
        UniqueFieldValue.delete().where(
            (UniqueFieldValue.account == account_id) & (UniqueFieldValue.family == family)
            & (UniqueFieldValue.name == name)).execute()


def _order(name: str):
    tail = name.rsplit("_", 1)[-1]
    return (int(tail) if tail.isdigit() else 0, name)


# --- checking values ----------------------------------------------------------------------------------

_DATE_FORMATS = ("%Y-%m-%d", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S")


def _date(text: str) -> bool:
    # The legacy pages write dates 2012-01-01 14:45:04 and 2012.07.28 22:59:59: - / . all separate.
    normal = re.sub(r"^(\d{4})[./](\d{1,2})[./](\d{1,2})", r"\1-\2-\3", text)
    for fmt in _DATE_FORMATS:
        try:
            dt.datetime.strptime(normal, fmt)
            return True
        except ValueError:
            continue
    return False


def _numeric(text: str, kind: str) -> str:
    """A Number or Monetary value in its canonical text (``9,95`` -> ``9.95``), or InvalidValue."""
    digits, places = NUMERIC[kind]
    cleaned = text.replace(",", ".") if text.count(",") == 1 and "." not in text else text
    match = re.fullmatch(r"([+-]?)(\d*)(?:\.(\d*))?", cleaned)
    if not match or not (match.group(2) or match.group(3)):
        raise ValueError
    whole, fraction = match.group(2).lstrip("0"), (match.group(3) or "").rstrip("0")
    if len(whole) > digits or len(fraction) > places:
        raise ValueError
    try:
        return str(Decimal(cleaned))
    except InvalidOperation:
        raise ValueError from None


def check_value(definition: Definition, value: str, family: str = CUSTOMER) -> str:
    """``value`` (not blank) checked against its field: the text to store, or InvalidValue naming the field."""
    name, kind = definition.name, definition.type
    if kind == TEXT:
        limit = MAX_SHORT_TEXT if family == TRANSACTION else definition.max_length
        if len(value) > limit:
            raise InvalidValue(name, "too_long", maximum=limit)
        return value
    if kind == DATE:
        if not _date(value):
            raise InvalidValue(name, "not_a_date")
        return value
    if kind in NUMERIC:
        try:
            return _numeric(value, kind)
        except ValueError:
            digits, places = NUMERIC[kind]
            raise InvalidValue(name, "not_a_field_number", digits=digits, places=places) from None
    by_fold = {c.lower(): c for c in definition.choices}
    if kind == PICK:
        if value.lower() not in by_fold:
            raise InvalidValue(name, "not_a_choice", choices=", ".join(definition.choices))
        return by_fold[value.lower()]
    picked = [p.strip() for p in value.split(",") if p.strip()]
    if not picked or any(p.lower() not in by_fold for p in picked):
        raise InvalidValue(name, "not_choices", choices=", ".join(definition.choices))
    return ",".join(dict.fromkeys(by_fold[p.lower()] for p in picked))


def check_values(account_id: str, family: str, values: dict[str, str], *, activity_type: str | None = None,
                 complete: dict[str, str] | None = None,
                 known: dict[str, Definition] | None = None) -> dict[str, str]:
    """The values a write gives (name -> text), checked against the family's definitions: each defined
    field's value by its type and choices (a blank value is not checked), fields of undefined names as
    sent. Returns the values to store (Pick and List in their choices' spelling, numbers canonical).

    ``activity_type`` (transaction fields: record or redeem): a value for a field of the other activity
    is refused. ``complete``: every value the record holds after the write (name -> text), to check
    the required fields; None skips that check. ``known``: the definitions, when the caller has them.
    """
    known = defined(account_id, family) if known is None else known
    out = dict(values)
    for name, value in values.items():
        definition = known.get(name)
        if definition is None or definition.default or not value:
            continue
        if not definition.applies_to(activity_type):
            raise InvalidValue(name, "wrong_activity", activity_type=definition.activity_type)
        out[name] = check_value(definition, value, family)
    if complete is not None:
        for definition in known.values():
            if definition.required and definition.applies_to(activity_type) and not complete.get(definition.name):
                raise InvalidValue(definition.name, "missing")
    return out


def unique_values(known: dict[str, Definition], values: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in values.items()
            if value and name in known and known[name].unique}


def claim_unique(account_id: str, family: str, owner: int, values: dict[str, str],
                 known: dict[str, Definition]) -> None:
    """Record that ``owner`` (a customer, ledger entry or reward id) holds these values of unique fields,
    releasing the values it held before; a value another owner still holds is refused
    (InvalidValue ``taken``). Call in the write's transaction, after the owner has its id."""
    for name, value in unique_values(known, values).items():
        scope = ((UniqueFieldValue.account == account_id) & (UniqueFieldValue.family == family)
                 & (UniqueFieldValue.name == name))
        UniqueFieldValue.delete().where(scope & (UniqueFieldValue.owner == owner) & (UniqueFieldValue.value != value)).execute()
        _claim(account_id, family, owner, name, value, scope)


def _claim(account_id: str, family: str, owner: int, name: str, value: str, scope) -> None:
    for _ in range(3):
        try:
            with database.atomic():
                UniqueFieldValue.create(account=account_id, family=family, name=name, value=value, owner=owner)
            return
        except pw.IntegrityError:
            pass
        # The value has a row: ours, another owner's, or left by an owner that no longer holds it.
        held = UniqueFieldValue.get_or_none(scope & (UniqueFieldValue.value == value))
        if held is None:
            continue  # released meanwhile by a committed write: try again
        if held.owner == owner:
            return
        if _still_holds(family, held.owner, name, value):
            raise InvalidValue(name, "taken")
        # Conditional, so that of two writes taking over one stale row only one succeeds.
        taken_over = UniqueFieldValue.update(owner=owner).where(
            (UniqueFieldValue.id == held.id) & (UniqueFieldValue.owner == held.owner)).execute()
        if taken_over:
            return
        raise InvalidValue(name, "taken")
    raise InvalidValue(name, "taken")


def _still_holds(family: str, owner: int, name: str, value: str) -> bool:
    model = {CUSTOMER: Customer, TRANSACTION: LedgerEntry, REWARD: Reward}[family]
    row = model.get_or_none(model.id == owner)
    if row is None:
        return False
    if family == TRANSACTION:
        reversed_ = LedgerEntry.select().where(LedgerEntry.reverses == owner).exists()
        if reversed_:  # a deleted transaction gives its value back
            return False
    return json.loads(row.custom_fields or "{}").get(name) == value
