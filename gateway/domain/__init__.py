"""The domain: campaigns, customers, the ledger and reports. It knows no door (no Flask, lxml or marshmallow)."""
