"""The registry of JSON API routes: method, path, schemas, key kind, whether it writes, its errors.

A decorator fills the registry at import (a duplicate method and path is an error at import time);
handlers stay plain functions ``handler(caller, data, **path_params) -> dict`` returning the answer's
``data``. The blueprint (gateway.api) serves every route from here, and the OpenAPI document
(gateway.api.openapi) is generated from the same entries.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

from marshmallow import Schema

from .errors import ApiError

METHODS = ("GET", "POST", "PATCH", "PUT", "DELETE")
KEYS = ("secret", "public")
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # under /v1, OpenAPI style: "/campaigns/{slug}/events"
    handler: Callable
    body: Schema | None
    query: Schema | None
    response: Schema | None
    key: str  # "secret": secret keys only; "public": public or secret keys
    writes: bool
    errors: tuple[ApiError, ...]
    reference: Callable[[dict], str] | None  # the request's idempotency reference, from its loaded body
    status: int

    @property
    def summary(self) -> str:
        return " ".join((self.handler.__doc__ or "").strip().split("\n\n")[0].split())

    @property
    def description(self) -> str:
        parts = (self.handler.__doc__ or "").strip().split("\n\n")
        return "\n\n".join(" ".join(p.split()) for p in parts[1:])

    @property
    def tag(self) -> str:
        return self.handler.__module__.rsplit(".", 1)[-1]

    @property
    def params(self) -> list[str]:
        return _PARAM.findall(self.path)

    @property
    def flask_rule(self) -> str:
        return _PARAM.sub(r"<\1>", self.path)

    @property
    def endpoint(self) -> str:
        return f"{self.method.lower()}_{self.handler.__module__.rsplit('.', 1)[-1]}_{self.handler.__name__}"


@dataclass
class Registry:
    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    frozen: bool = False

    def route(self, method: str, path: str, *, body: type[Schema] | None = None, query: type[Schema] | None = None,
              response: type[Schema] | None = None, key: str = "secret", writes: bool = False,
              errors: tuple[ApiError, ...] = (), reference: Callable[[dict], str] | None = None,
              status: int = 200) -> Callable[[Callable], Callable]:
        """Register the decorated handler (returned unchanged)."""
        method = method.upper()
        if method not in METHODS:
            raise ValueError(f"unknown method {method!r}")
        if key not in KEYS:
            raise ValueError(f"unknown key kind {key!r}")
        if not path.startswith("/"):
            raise ValueError(f"path must start with /: {path!r}")

        def decorator(handler: Callable) -> Callable:
            self.add(Route(method, path, handler, body() if body else None, query() if query else None,
                           response() if response else None, key, writes, tuple(errors), reference, status))
            return handler

        return decorator

    def add(self, route: Route) -> None:
        if self.frozen:
            raise RuntimeError(f"registry is frozen: cannot add {route.method} {route.path}")
        if (route.method, route.path) in self.routes:
            raise ValueError(f"duplicate route {route.method} {route.path}")
        self.routes[(route.method, route.path)] = route

    def freeze(self) -> None:
        self.frozen = True

    def ordered(self) -> list[Route]:
        order = {m: n for n, m in enumerate(METHODS)}
        return sorted(self.routes.values(), key=lambda r: (r.path, order[r.method]))


registry = Registry()
route = registry.route
