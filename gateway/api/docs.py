"""GET /v1/openapi.json and GET /v1/docs: the OpenAPI document and a readable reference page."""
from __future__ import annotations

from flask import Blueprint


def register(bp: Blueprint) -> None:
    from . import openapi

    bp.add_url_rule("/openapi.json", "openapi", openapi.document_view, methods=["GET"])
    bp.add_url_rule("/docs", "docs", openapi.page_view, methods=["GET"])
