"""Rewardgate: a loyalty and rewards server speaking the legacy form-post loyalty API."""
from __future__ import annotations

import os

from flask import Flask

DEFAULT_MAX_BODY = 1024 * 1024


def create_app(test_config: dict | None = None) -> Flask:
    """The application factory.

    Configuration, lowest to highest: defaults, ``REWARDGATE_*`` environment variables (JSON-decoded by
    Flask), ``DATABASE_URL``, then ``test_config``.
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        DATABASE_URL=f"sqlite:///{os.path.join(app.instance_path, 'rewardgate.db')}",
        MAX_BODY_BYTES=DEFAULT_MAX_BODY,
    )
    app.config.from_prefixed_env("REWARDGATE")
    if os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if test_config:
        app.config.update(test_config)
    # Werkzeug enforces this while the body is read; the endpoint turns it into an error envelope.
    app.config["MAX_CONTENT_LENGTH"] = int(app.config["MAX_BODY_BYTES"])

    from . import cli, database_app
    from .legacy import calls, docs_page, endpoint, widget

    calls.load_all()
    from .domain import throttle  # guessing of passwords, PINs and keys (docs/users.md)

    settings = {"failures": "THROTTLE_FAILURES", "key_failures": "THROTTLE_KEY_FAILURES",
                "window": "THROTTLE_WINDOW", "lock": "THROTTLE_LOCK"}
    throttle.configure(**{name: int(app.config[key]) for name, key in settings.items() if key in app.config})
    database_app.init_app(app)
    cli.init_app(app)
    app.register_blueprint(endpoint.bp)
    app.register_blueprint(docs_page.bp)
    app.register_blueprint(widget.bp)
    from . import api  # the JSON API door, at /v1 (docs/api.md)

    app.register_blueprint(api.blueprint())
    return app
