"""Request schemas, one folder per door."""
