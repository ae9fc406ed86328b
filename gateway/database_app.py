"""Wires the database proxy into a Flask app: bind from the URL, connect per worker thread."""
from __future__ import annotations

from flask import Flask

from .domain import db


def init_app(app: Flask) -> None:
    # Seconds between background WAL checkpoints on SQLite (db.Checkpointer); 0 turns them off.
    interval = float(app.config.get("CHECKPOINT_INTERVAL", db.CHECKPOINT_INTERVAL))
    db.bind(app.config["DATABASE_URL"], checkpoint_interval=interval)
    app.before_request(db.ensure_connection)
