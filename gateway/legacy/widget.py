"""GET /widget.js: the embeddable balance widget (static/widget.js, docs/account.md), served by the app
itself so that a merchant's page needs no other host."""
from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response

bp = Blueprint("widget", __name__)
SCRIPT = Path(__file__).with_name("static") / "widget.js"


@bp.route("/widget.js", methods=["GET"])
def widget() -> Response:
    # Read per request: a file of a few kilobytes, and an operator's edit shows without a restart.
    body = SCRIPT.read_bytes()
    # Any page may embed it; it carries no secret. A short cache: a fix reaches pages within minutes.
    return Response(body, content_type="text/javascript; charset=utf-8",
                    headers={"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"})
