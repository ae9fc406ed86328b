"""What a user may do: one flag per right, as a merchant admin portal reads them (``user_permissions``)."""
from __future__ import annotations

# The portal's flags, in its order (legacy-clients.md §5).
FLAGS = (
    "access_reports", "activate_campaign", "add_buyx_items", "add_campaign", "add_customer",
    "add_depreciation", "add_rewards", "add_user", "deactivate_campaign", "delete_buyx_items",
    "delete_campaign", "delete_depreciation", "delete_rewards", "edit_account_info", "edit_buyx_items",
    "edit_customer_card_number", "edit_customer_info", "edit_depreciation", "edit_my_info", "edit_rewards",
    "import_customers", "import_transactions", "manage_fields", "open_campaign", "view_buyx_items",
    "view_depreciations", "view_promotions", "view_rewards", "view_user",
)

# --- role letters: each is a preset of flags (docs/users.md has the table) -----------------------------

_VIEW = frozenset({"view_rewards", "view_buyx_items", "view_depreciations", "view_promotions", "open_campaign"})
_CUSTOMERS = frozenset({"add_customer", "edit_customer_info", "edit_customer_card_number"})
_CAMPAIGN_PARTS = frozenset({
    "add_rewards", "edit_rewards", "delete_rewards", "add_buyx_items", "edit_buyx_items", "delete_buyx_items",
    "add_depreciation", "edit_depreciation", "delete_depreciation",
})
_ASSOCIATE = (_VIEW | _CUSTOMERS | _CAMPAIGN_PARTS
              | {"add_campaign", "activate_campaign", "deactivate_campaign", "access_reports", "view_user", "edit_my_info"})

ROLES: dict[str, tuple[str, frozenset[str]]] = {
    "A": ("Administrator", frozenset(FLAGS)),
    "M": ("Manager", frozenset(FLAGS) - {"edit_account_info"}),
    "S": ("Associate Manager", _ASSOCIATE),
    "N": ("Custom Manager", _ASSOCIATE),  # meant to be tailored flag by flag
    "G": ("Agency Client", _VIEW | {"access_reports", "edit_my_info"}),
    "I": ("Agency Client + Imports", _VIEW | {"access_reports", "edit_my_info", "import_customers", "import_transactions"}),
    "K": ("Clerk", _VIEW | _CUSTOMERS | {"access_reports", "edit_my_info"}),
    "P": ("Temp", _VIEW | {"add_customer"}),
    "F": ("Fulfillment Contractor", _VIEW | {"access_reports", "edit_my_info"}),
    "C": ("Accountant", _VIEW | {"access_reports", "edit_my_info"}),
    "O": ("Observer", _VIEW),
}
# Calls that no flag names (promotions, fees, deleting customers and transactions, the deactivated
# campaigns list...) need a manager-level role, as every call did before roles had letters.
MANAGER_LEVEL = frozenset({"A", "M"})
# The two roles of earlier versions, still accepted (create-user --role) and read from existing rows.
ALIASES = {"manager": "A", "staff": "K"}


def role_letter(stored: str) -> str:
    """The role letter of a stored role: a letter, or an earlier version's "manager"/"staff"."""
    return ALIASES.get(stored, stored if stored in ROLES else "O")


def flags_of(role: str, overrides: dict[str, bool] | None = None) -> frozenset[str]:
    """The flags a user holds: its role's preset with its own changes applied."""
    held = set(ROLES[role_letter(role)][1])
    for flag, on in (overrides or {}).items():
        if flag in FLAGS:
            (held.add if on else held.discard)(flag)
    return frozenset(held)
