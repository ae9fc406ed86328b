"""``bench.bench_app`` with stages of the request path taken out, for ``bench/ablation.py`` only.

``REWARDGATE_ABLATE`` lists what to take out (comma-separated):

- ``validation``: the call's marshmallow schema is not run; the handler gets the form as it came.
- ``handler``: the call's handler is not run; the answer is an empty ``<response status="success"/>``.
- ``rendering``: the handler runs (its SQL, its response tree) but the tree is not rendered; the answer
  is an empty ``<response status="success"/>``.

What is left is the pipeline every call shares (reading the form, authenticating, looking the call up,
rendering, the Flask response), so the throughput of each variant shows what each stage costs when
gunicorn serves it, which in-process timings understate (bench/ablation.py's docstring).
"""
from __future__ import annotations

import dataclasses
import os

from bench.bench_app import app  # noqa: F401  (gunicorn serves bench.ablation_app:app)
from gateway.legacy import endpoint as views
from gateway.legacy.registry import Registry

ABLATE = {part.strip() for part in os.environ.get("REWARDGATE_ABLATE", "").split(",") if part.strip()}
unknown = ABLATE - {"validation", "handler", "rendering"}
if unknown:
    raise SystemExit(f"REWARDGATE_ABLATE: unknown stages {sorted(unknown)}")

if "validation" in ABLATE:
    class _PassThrough:
        def load_form(self, form: dict) -> dict:
            return dict(form)

    views._schema = lambda schema_class: _PassThrough()

if "handler" in ABLATE:
    _resolve = Registry.resolve

    def _resolve_without_handler(self, form):
        return dataclasses.replace(_resolve(self, form), handler=lambda data, caller: [])

    Registry.resolve = _resolve_without_handler

if "rendering" in ABLATE:
    _EMPTY = [b'<?xml version="1.0" encoding="UTF-8"?>\n<response status="success"/>\n']
    views.render = lambda fmt, status, children: _EMPTY
