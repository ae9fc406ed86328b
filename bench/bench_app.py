"""The production app plus ``/__bare``: the baseline every benchmark figure is divided by.

gunicorn serves ``bench.bench_app:app`` exactly as it serves ``app:app`` (same config, workers,
database and before-request hooks), so a scenario's ratio to the bare route is what Rewardgate's own
work costs, independent of how fast this particular machine is at the moment.
"""
from __future__ import annotations

from flask import Response

from gateway import create_app

BARE_BODY = b'<?xml version="1.0" encoding="UTF-8"?>\n<response status="success"/>\n'

app = create_app()


@app.route("/__bare", methods=["GET", "POST"])
def bare() -> Response:
    return Response(BARE_BODY, content_type="text/xml; charset=utf-8")
