"""Wires the database proxy into a Flask app: bind from the URL, connect per worker thread."""
from __future__ import annotations

from flask import Flask

from . import db


def init_app(app: Flask) -> None:
    db.bind(app.config["DATABASE_URL"])
    app.before_request(db.ensure_connection)
