"""An account's own data: business, contact, agency, language, currency and time zone.

The currency is a code (``USD``) and its glyph (``$``) goes with it: ``GLYPHS`` is the table, and a
change of currency changes both in one write, so every answer that shows them (campaign lists,
transaction reports) shows the new pair from the next request on.
"""
from __future__ import annotations

from .customers import hash_secret
from .errors import InvalidValue, NotFound
from .models import Account

# The portal's language selector (legacy-clients.md §5); GE is the portal's own spelling beside DE.
LANGUAGES = ("EN", "DE", "ES", "FR", "GE", "IT", "PT", "NO", "TR", "PT-BR")

# ISO 4217 codes -> the glyph shown beside amounts. A code whose sign is ambiguous abroad keeps its
# usual local sign: the account chose the code, its customers read the glyph.
GLYPHS = {
    "USD": "$", "AUD": "$", "CAD": "$", "NZD": "$", "SGD": "$", "HKD": "$", "MXN": "$", "ARS": "$",
    "CLP": "$", "COP": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CNY": "¥", "INR": "₹", "BRL": "R$",
    "CHF": "CHF", "SEK": "kr", "NOK": "kr", "DKK": "kr", "ISK": "kr", "PLN": "zł", "CZK": "Kč",
    "HUF": "Ft", "RUB": "₽", "TRY": "₺", "ZAR": "R", "KRW": "₩", "ILS": "₪", "THB": "฿", "PHP": "₱",
    "MYR": "RM", "IDR": "Rp", "AED": "د.إ", "SAR": "﷼", "NGN": "₦", "KES": "KSh", "EGP": "E£",
    "VND": "₫", "TWD": "NT$", "UAH": "₴", "RON": "lei", "BGN": "лв",
}

# Columns account_update sets from text as given ("" clears them).
TEXT_COLUMNS = (
    "agency", "contact_first_name", "contact_last_name", "contact_email", "contact_phone", "client_email",
    "name", "biz_address1", "biz_address2", "biz_city", "biz_state", "biz_zip", "biz_country", "industry",
    "referrer_name",
)
NUMBER_COLUMNS = ("biz_locations", "biz_employees", "timezone")


def get(account_id: str) -> Account:
    account = Account.get_or_none(Account.id == account_id)
    if account is None:
        raise NotFound("account")
    return account


def glyph_of(currency: str) -> str:
    try:
        return GLYPHS[currency.upper()]
    except KeyError:
        raise InvalidValue("currency", "unknown_currency") from None


def update(account_id: str, *, texts: dict[str, str] | None = None, numbers: dict[str, int] | None = None,
           online: bool | None = None, language: str | None = None, currency: str | None = None,
           password: str | None = None) -> Account:
    """Change what is given (None leaves a value as it is) and answer the account as stored.

    ``texts`` and ``numbers`` map columns of ``TEXT_COLUMNS`` and ``NUMBER_COLUMNS`` to their new
    values. The password is kept only as a salted scrypt hash. Runs inside the caller's write
    transaction."""
    changes: dict = {}
    for column, value in (texts or {}).items():
        if column not in TEXT_COLUMNS:
            raise InvalidValue(column, "unknown_column")
        changes[column] = value
    for column, value in (numbers or {}).items():
        if column not in NUMBER_COLUMNS:
            raise InvalidValue(column, "unknown_column")
        changes[column] = value
    if online is not None:
        changes["biz_online"] = online
    if language is not None:
        if language.upper() not in LANGUAGES:
            raise InvalidValue("language", "unknown_language")
        changes["language"] = language.upper()
    if currency is not None:
        changes["glyph"] = glyph_of(currency)
        changes["currency"] = currency.upper()
    if password is not None:
        changes["password_hash"] = hash_secret(password)
    if not changes:
        raise InvalidValue("changes", "nothing_to_update")
    updated = Account.update({getattr(Account, k): v for k, v in changes.items()}).where(Account.id == account_id).execute()
    if not updated:
        raise NotFound("account")
    return get(account_id)


def receipt_agency(account: Account) -> tuple[str, str]:
    """Who a receipt names as the merchant ("agency"), and the address customers may write to: the
    account's agency if it has one, else its business name; its client e-mail, else its contact's."""
    return (account.agency or account.name, account.client_email or account.contact_email)
