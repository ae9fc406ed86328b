"""Handlers of the legacy calls, one module per concern; importing a module registers its calls."""
from __future__ import annotations

import importlib
import pkgutil


def load_all() -> None:
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
