"""Marshmallow schemas of the legacy calls: one schema per call, grouped by concern."""
