"""Legacy calls that show and change the account's own data (account_info, account_update)."""
from __future__ import annotations

from schemas.legacy import account as s

from ...domain import accounts as domain
from ...domain.models import Account
from ..messages import INVALID_FIELD, REASONS, SENTENCES
from ..registry import call
from ..tree import E, el, leaves

# The form's fields -> the account's columns; the order is account_info's.
TEXTS = {"agency": "agency", "contact_first_name": "contact_first_name", "contact_last_name": "contact_last_name",
         "contact_email": "contact_email", "contact_phone": "contact_phone", "client_email": "client_email",
         "biz_name": "name", "biz_address1": "biz_address1", "biz_address2": "biz_address2", "biz_city": "biz_city",
         "biz_state": "biz_state", "biz_zip": "biz_zip", "biz_country": "biz_country", "industry": "industry",
         "referrer_name": "referrer_name"}
NUMBERS = {"biz_locations": "biz_locations", "biz_employees": "biz_employees", "timezone_selector": "timezone"}
FIELDS = {"currency": "symbol_selector", "language": "language_selector", "name": "biz_name",
          "timezone": "timezone_selector", "password": "account_password"}


def account_node(a: Account, status: str | None = None) -> E:
    """The account as account_info shows it (legacy-api.md §2.5), then what account_update also sets;
    never the password."""
    node = el("account", status=status, account_id=a.id, biz_name=a.name, biz_address1=a.biz_address1,
              biz_address2=a.biz_address2, biz_city=a.biz_city, biz_state=a.biz_state, biz_zip=a.biz_zip,
              biz_country=a.biz_country, biz_locations=a.biz_locations, biz_online=a.biz_online,
              biz_employees=a.biz_employees, industry=a.industry, contact_first_name=a.contact_first_name,
              contact_last_name=a.contact_last_name, contact_email=a.contact_email, contact_phone=a.contact_phone,
              language=a.language, symbol=a.currency, glyph=a.glyph, timezone=a.timezone,
              created=a.created.strftime("%Y-%m-%d"))
    node.children += leaves(agency=a.agency, client_email=a.client_email, referrer_name=a.referrer_name)
    return node


@call("account_info", schema=s.AccountInfo)
def account_info(data: dict, caller) -> list:
    """The account's business, contact, language, currency (symbol and glyph) and time zone."""
    return [account_node(domain.get(caller.account_id))]


@call("account_update", schema=s.AccountUpdate, permission="edit_account_info", writes=True, fields=FIELDS,
      errors=(SENTENCES[("changes", "nothing_to_update")],
              INVALID_FIELD.format("symbol_selector", REASONS["unknown_currency"]),
              INVALID_FIELD.format("symbol_selector", "a three-letter currency code (e.g. USD)"),
              INVALID_FIELD.format("language_selector", "must be one of " + ", ".join(domain.LANGUAGES)),
              INVALID_FIELD.format("contact_email", "not an e-mail address"),
              INVALID_FIELD.format("client_email", "not an e-mail address"),
              INVALID_FIELD.format("account_password", "between 8 and 255 characters"),
              INVALID_FIELD.format("timezone_selector",
                                   "Must be greater than or equal to -999 and less than or equal to 999")))
def account_update(data: dict, caller) -> list:
    """Change the fields given (only if changed: the others keep their values); a new symbol_selector
    brings its glyph. Answers the account as account_info shows it."""
    account = domain.update(
        caller.account_id,
        texts={column: data[name] for name, column in TEXTS.items() if data.get(name) is not None},
        numbers={column: data[name] for name, column in NUMBERS.items() if data.get(name) is not None},
        online=data.get("biz_online"), language=data.get("language_selector"), currency=data.get("symbol_selector"),
        password=data.get("account_password"))
    return [account_node(account, status="updated")]
