"""The registry of legacy calls: each ``(type, action)`` with its schema, handler and permission.

Modelled on Flask's ``add_url_rule`` and click's command groups: a decorator fills the registry at
import, a duplicate registration is an error at import time, and the registry is frozen once the app
is built. The single endpoint only ever asks the registry which call a form names.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator

from marshmallow import Schema

from ..domain.permissions import FLAGS
from .messages import MISSING_FIELD, UNKNOWN_ACTION, UNKNOWN_TYPE, LegacyError

# Who may make a call: "read" any user; "till" any user, and it writes customers or transactions (a
# shop's cashier must enrol and record); "manage" manager-level roles only (A, M); one of the portal's
# permission flags (gateway.domain.permissions.FLAGS); or "public": no key at all, the call checks
# credentials of its own (user_login). gateway.legacy.auth.authorize is the one check.
PERMISSIONS = ("read", "till", "manage", "public", *FLAGS)


@dataclass(frozen=True)
class Call:
    type: str
    action: str | None
    handler: Callable
    schema: Schema  # one instance serves every request: a schema keeps no state between loads
    permission: str
    writes: bool
    errors: tuple[str, ...]
    selector: tuple[str, ...]
    fields: dict[str, str]  # the domain's argument names -> this call's form fields, for error messages
    own: tuple[str, str] | None = None  # (form field, flag): a user naming itself there needs only that flag

    @property
    def summary(self) -> str:
        # White space folded: Python 3.13 strips docstrings' indentation, older Pythons keep it.
        return " ".join((self.handler.__doc__ or "").strip().split("\n\n")[0].split())

    @property
    def name(self) -> str:
        return f"{self.type}/{self.action}" if self.action else self.type

    @property
    def family(self) -> str:
        """The module that registers the call (``campaigns`` for ``calls/campaigns.py``): /docs groups by it."""
        return self.handler.__module__.rsplit(".", 1)[-1]


@dataclass
class Registry:
    calls: dict[tuple[str, str | None], Call] = field(default_factory=dict)
    selectors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    public_types: set[str] = field(default_factory=set)  # types whose calls take no key
    frozen: bool = False

    def call(
        self,
        type_: str,
        action: str | None = None,
        *,
        schema: type[Schema],
        permission: str = "read",
        writes: bool = False,
        errors: tuple[str, ...] = (),
        selector: tuple[str, ...] = ("action",),
        fields: dict[str, str] | None = None,
        own: tuple[str, str] | None = None,
    ) -> Callable[[Callable], Callable]:
        """Register the decorated handler; it is returned unchanged, so it stays a plain function."""
        if permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {permission!r}")
        if own is not None and own[1] not in FLAGS:
            raise ValueError(f"unknown permission {own[1]!r}")

        def decorator(handler: Callable) -> Callable:
            self.add(Call(type_, action, handler, schema(), permission, writes, tuple(errors), selector, dict(fields or {}),
                          own))
            return handler

        return decorator

    def add(self, call: Call) -> None:
        if self.frozen:
            raise AssertionError(f"registry is frozen: cannot add {call.name} after the app was built")
        key = (call.type.lower(), call.action.lower() if call.action else None)
        if key in self.calls:
            raise AssertionError(f"call {call.name} is registered twice ({self.calls[key].handler.__module__})")
        known = self.selectors.get(key[0])
        has_actions = call.action is not None
        if known is not None and (bool(known) != has_actions or (has_actions and known != call.selector)):
            raise AssertionError(f"type {call.type} mixes calls with and without {call.selector}")
        self.selectors[key[0]] = call.selector if has_actions else ()
        self.calls[key] = call
        if call.permission == "public":
            self.public_types.add(key[0])

    def freeze(self) -> None:
        """Refuse registrations from now on: a call added after start-up would be missing from /docs
        and from the workers that had already started."""
        self.frozen = True

    def alias(self, alias: str, type_: str) -> None:
        """Let clients name a type by another word (``balance`` for ``customer_balance``)."""
        if self.frozen:
            raise AssertionError(f"registry is frozen: cannot add alias {alias} after the app was built")
        if alias.lower() in self.selectors or alias.lower() in self.aliases:
            raise AssertionError(f"alias {alias} clashes with a registered type")
        self.aliases[alias.lower()] = type_.lower()

    def is_public(self, form: dict[str, str]) -> bool:
        """Whether the type a form names takes no key (its calls check credentials of their own)."""
        type_ = form.get("type", "").strip().lower()
        return self.aliases.get(type_, type_) in self.public_types

    def resolve(self, form: dict[str, str]) -> Call:
        """Find the call a form names, or raise the legacy error that says what is wrong."""
        raw_type = form.get("type", "").strip()
        if not raw_type:
            raise LegacyError(MISSING_FIELD.format("type"))
        type_ = raw_type.lower()
        type_ = self.aliases.get(type_, type_)
        if type_ not in self.selectors:
            raise LegacyError(UNKNOWN_TYPE.format(_shown(raw_type)))
        selector = self.selectors[type_]
        if not selector:
            return self.calls[(type_, None)]
        raw_action = next((form[f].strip() for f in selector if form.get(f, "").strip()), "")
        if not raw_action:
            raise LegacyError(MISSING_FIELD.format(selector[0]))
        call = self.calls.get((type_, raw_action.lower()))
        if call is None:
            raise LegacyError(UNKNOWN_ACTION.format(selector[0], _shown(raw_type), _shown(raw_action)))
        return call

    def __iter__(self) -> Iterator[Call]:
        return iter(sorted(self.calls.values(), key=lambda c: (c.type, c.action or "")))


def _shown(value: str, limit: int = 64) -> str:
    # Echo enough of a wrong name to recognise it, never a whole hostile megabyte.
    return value if len(value) <= limit else value[:limit] + "..."


registry = Registry()
call = registry.call
