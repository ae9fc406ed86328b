"""Operator commands (``flask --app app COMMAND``), one module per concern: each module's ``COMMANDS``
are registered on the app. Usable from scripts: the exit status says what happened."""
from __future__ import annotations

import importlib
import pkgutil

from flask import Flask


def init_app(app: Flask) -> None:
    for module in pkgutil.iter_modules(__path__):
        for command in importlib.import_module(f"{__name__}.{module.name}").COMMANDS:
            app.cli.add_command(command)
