"""Wires the database proxy into a Flask app: bind from the URL, connect per worker thread."""
from __future__ import annotations

from flask import Flask

from .domain import db


def init_app(app: Flask) -> None:
    # Seconds between background WAL checkpoints on SQLite (db.Checkpointer); 0 turns them off.
    interval = float(app.config.get("CHECKPOINT_INTERVAL", db.CHECKPOINT_INTERVAL))
    # PostgreSQL: statements prepared once per connection (db.PostgresqlDatabase); off behind a pooler
    # that does not keep sessions.
    prepare = bool(app.config.get("PG_PREPARE", True))
    db.bind(app.config["DATABASE_URL"], checkpoint_interval=interval, prepare=prepare)
    app.before_request(db.ensure_connection)
