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
