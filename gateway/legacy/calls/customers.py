"""Legacy calls that enrol, change, find, show, check and remove customers."""
from __future__ import annotations

from flask import current_app

from schemas.legacy import customers as s

from ...domain import customers as domain, mail
from ...domain import fields as field_rules
from ...domain.models import Customer
from ...domain.units import format_units
from ..messages import INVALID_FIELD, MESSAGES, MISSING_FIELD, REASONS
from ..registry import call, registry
from ..tree import E, Items, el, leaf, leaves

CODE_IN_USE, CARD_IN_USE = MESSAGES["customer_code_taken"], MESSAGES["card_number_taken"]
# Only "new" can answer CODE_IN_USE: edit and register update the customer a code names, or create one
# with that code, which is then free.
RECORD_ERRORS = (CARD_IN_USE, MESSAGES["customer_username_taken"], "Campaign not found",
                 "Give card_number or card_number_generate, not both",
                 # what the customer fields' definitions refuse (docs/fields.md)
                 "Invalid value for field custom_field_2: must be one of Single, Married",
                 "Invalid value for field custom_field_3: already in use", MISSING_FIELD.format("phone"))
NOT_FOUND = "Customer not found"
SELECTOR = ("customer_action", "action")
# The profile's form fields -> the domain's columns, in the order answers show them.
PROFILE = {**{column: column for column in domain.PROFILE if column != "username"}, "customer_username": "username"}


def _profile(data: dict) -> dict[str, str]:
    """The profile columns a form gave (a blank field leaves its value unchanged)."""
    return {column: data[name] for name, column in PROFILE.items() if data.get(name) is not None}


def _card_request(data: dict) -> domain.CardRequest | None:
    if not data.get("card_number_generate"):
        return None
    return domain.CardRequest(data["card_number_generate"], data.get("card_number_prefix", ""),
                              data.get("card_number_suffix", ""))


def _changes(data: dict) -> domain.CustomerChanges:
    return domain.CustomerChanges(
        code=data.get("code"), card_number=data.get("card_number"), generate_card=_card_request(data),
        random_code=bool(data.get("new_code")), profile=_profile(data), custom_fields=data.get("custom_fields") or {},
        password=data.get("customer_password"), pin=data.get("customer_pin"), campaign_ids=data.get("campaign_id", []))

registry.alias("find_customer", "customer_find")


# --- shapes -------------------------------------------------------------------------------------------

def customer_node(c: Customer, *, hide_custom_field: bool = False) -> E:
    """A customer as customer_info, customer_search and customer_find show it; never a secret."""
    node = el("customer", code=c.code, card_number=c.card_number)
    node.children += [leaf(key, getattr(c, column)) for key, column in PROFILE.items()
                      if not (hide_custom_field and key == "custom_field")]
    node.children.append(leaf("registered", c.registered))
    node.children += [leaf(key, value) for key, value in domain.custom_fields_of(c)]
    return node


def balance_node(b: domain.Balance, *, with_rewards: bool = False) -> E:
    node = el("campaign", id=b.campaign.id, name=b.campaign.name, type=b.campaign.type,
              balance=format_units(b.available, b.campaign.type))
    if with_rewards and b.campaign.type in domain.REWARD_TYPES:
        node.children.append(Items("rewards", [_reward_node(r) for r in b.rewards]))
    return node


def _reward_node(r) -> E:
    node = el("reward", id=r.id, level=r.level, description=r.description)
    if r.identifier:
        node.children += leaves(reward_id=r.identifier)
    return node


def _listing(customers, caller, include_balances: bool) -> list:
    """Matches as repeated ``<customer>`` under ``<response>`` (a ``customers`` array in JSON),
    streamed; each with its balances when asked."""
    campaigns = domain.campaigns_for(caller.account_id, reach=caller.reach) if include_balances else []

    def build(c: Customer) -> E:
        node = customer_node(c)
        if include_balances:
            node.children.append(Items("campaigns", [balance_node(b) for b in domain.balances(c, campaigns)]))
        return node

    return [Items("customers", (build(c) for c in customers), wrapped=False)]


def _recorded(data: dict, caller, mode: str) -> list:
    """record_customer: write, then queue the customer's mail in the same transaction unless
    ``send_no_email`` (and only when an SMTP server is configured: docs/mail.md)."""
    customer, status = domain.record(caller.account_id, mode, _changes(data), reach=caller.reach)
    if not data.get("send_no_email") and mail.settings_from(current_app.config) is not None:
        mail.customer_mail(caller.account_id, customer, created=status == "new", registered=mode == domain.REGISTER)
    return _saved(customer, status)


def _saved(customer: Customer, status: str) -> list:
    return [el("customer", status=status, code=customer.code, card_number=customer.card_number)]


# --- record_customer ----------------------------------------------------------------------------------

# The customer fields' names (gateway.domain.fields) that this call names otherwise.
RECORD_FIELDS = {"digits": "card_number_generate", "zip": "postal_code", "custom_field_1": "custom_field"}


@call("record_customer", "new", schema=s.RecordCustomerNew, permission="add_customer", writes=True,
      errors=(CODE_IN_USE, *RECORD_ERRORS), selector=SELECTOR, fields=RECORD_FIELDS)
def record_customer_new(data: dict, caller) -> list:
    """Create a customer; answers its code (caller's code, else the card number, else 16 random digits)."""
    return _recorded(data, caller, domain.NEW)


@call("record_customer", "edit", schema=s.RecordCustomerEdit, permission="edit_customer_info", writes=True,
      errors=RECORD_ERRORS, selector=SELECTOR, fields=RECORD_FIELDS)
def record_customer_edit(data: dict, caller) -> list:
    """Update the customer named by code (or card_number); with no match, create one."""
    return _recorded(data, caller, domain.EDIT)


@call("record_customer", "register", schema=s.RecordCustomerRegister, permission="edit_customer_info", writes=True,
      errors=(*RECORD_ERRORS, MISSING_FIELD.format("customer_password"), MESSAGES["customer_already_registered"]),
      selector=SELECTOR, fields=RECORD_FIELDS)
def record_customer_register(data: dict, caller) -> list:
    """Register (activate with a password) the customer named by code or card, or a new one."""
    return _recorded(data, caller, domain.REGISTER)


@call("generate_card_number", schema=s.GenerateCardNumber, permission="till", fields={"digits": "how_many_digits"},
      errors=(INVALID_FIELD.format("how_many_digits", REASONS["too_few_random_digits"]), MESSAGES["no_free_card_number"]))
def generate_card_number(data: dict, caller) -> list:
    """An unused random card number: how_many_digits digits in all, prefix and suffix included."""
    request = domain.CardRequest(data["how_many_digits"], data["card_number_prefix"], data["card_number_suffix"])
    return [el("customer", card_number=domain.generate_card_number(caller.account_id, request))]


# --- reading ------------------------------------------------------------------------------------------

@call("customer_search", schema=s.CustomerSearch,
      errors=(INVALID_FIELD.format("exact_match", "must be one of sensitive, insensitive"),
              INVALID_FIELD.format("customer_password", s.NOT_SEARCHABLE),
              INVALID_FIELD.format("custom_field_2", REASONS["not_searchable"])))
def customer_search(data: dict, caller) -> list:
    """Customers matching every field given: partial and case-insensitive unless exact_match."""
    criteria = _profile(data) | ({"card_number": data["card_number"]} if data.get("card_number") is not None else {})
    found = domain.search(caller.account_id, criteria, data["custom_fields"], data.get("exact_match"))
    return _listing(found, caller, data["include_balances"])


@call("customer_find", schema=s.CustomerFind, errors=(MISSING_FIELD.format("find_customer"),))
def customer_find(data: dict, caller) -> list:
    """Customers matching a phrase over all fields: space = AND, comma = OR (ANDs first)."""
    return _listing(domain.find_phrase(caller.account_id, data["find_customer"]), caller, data["include_balances"])


def shown_fields(account_id: str, customer: Customer) -> Items:
    """``include_fields=Y``: the customer fields set to show, in the field list's order, each with its
    label and this customer's value; never a secret (customer_PIN, customer_password)."""
    values = domain.field_values(customer)
    return Items("fields", [el("field", name=d.name, label=d.label, type=d.type, value=values.get(d.name, ""))
                            for d in field_rules.definitions(account_id, field_rules.CUSTOMER)
                            if d.show and d.name not in ("customer_PIN", "customer_password")])


@call("customer_info", schema=s.CustomerInfo, errors=(NOT_FOUND, "Campaign not found"))
def customer_info(data: dict, caller) -> list:
    """One customer's record and, unless include_balances=N, balances and available rewards."""
    customer = domain.get(caller.account_id, code=data.get("code"), card_number=data.get("card_number"))
    answer = [customer_node(customer, hide_custom_field=data["hide_custom_field"])]
    answer[0].children.insert(2, leaf("profile_uid", customer.id))  # after card_number: card_replace's profile_uid
    if data.get("include_fields"):
        answer.append(shown_fields(caller.account_id, customer))
    if data["include_balances"]:
        campaigns = domain.campaigns_for(caller.account_id, customer, campaign_id=data.get("campaign_id"), reach=caller.reach,
                                         only_member=data["show_only_belong_to"])
        held = domain.balances(customer, campaigns, with_rewards=True)
        answer.append(Items("campaigns", [balance_node(b, with_rewards=True) for b in held]))
    return answer


@call("validate_customer_password", schema=s.ValidateCustomerPassword,
      errors=(MESSAGES["bad_customer_credentials"], MESSAGES["throttled"]))
def validate_customer_password(data: dict, caller) -> list:
    """Succeed, with an empty answer, only when every credential given matches the customer."""
    domain.validate_credentials(
        caller.account_id, code=data.get("code"), card_number=data.get("card_number"),
        username=data.get("customer_username"), password=data.get("customer_password"), pin=data.get("customer_pin"),
        phone=data.get("phone"))
    return []


# --- changing identity, removing ----------------------------------------------------------------------

@call("card_replace", schema=s.CardReplace, permission="edit_customer_card_number", writes=True, fields={"digits": "card_number_generate"},
      errors=(NOT_FOUND, MESSAGES["customer_ambiguous"], CODE_IN_USE, CARD_IN_USE, MESSAGES["duplicates_differ"],
              INVALID_FIELD.format("profile_uid", "Not a valid id")))
def card_replace(data: dict, caller) -> list:
    """Give a customer a new code and/or card number (by previous code, previous card, profile_uid, or
    profile); with check_override=Y, merge with the customer who holds it, keeping keep_which."""
    match = domain.CustomerMatch(previous_code=data.get("previous_code"), previous_card=data.get("previous_card"),
                                 uid=data.get("profile_uid"), profile=_profile(data),
                                 password=data.get("customer_password"), pin=data.get("customer_pin"))
    customer = domain.replace_card(caller.account_id, match, new_code=data.get("new_code"),
                                   new_card_number=data.get("new_card_number"), generate_card=_card_request(data),
                                   merge=data["keep_which"] if data["check_override"] else None)
    return _saved(customer, "updated")


@call("customer_delete", schema=s.CustomerDelete, permission="manage", writes=True, errors=(NOT_FOUND,))
def customer_delete(data: dict, caller) -> list:
    """Remove a customer with all their balances and transactions."""
    domain.delete(caller.account_id, data["code"])
    return [el("customer", status="deleted", code=data["code"])]
