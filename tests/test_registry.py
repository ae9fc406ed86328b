"""The call registry: registration rules, freezing, aliases, case-insensitive resolution."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from gateway.legacy.messages import LegacyError
from gateway.legacy.registry import Registry, registry
from schemas.legacy.base import EmptySchema

ROOT = Path(__file__).resolve().parent.parent


def handler(data, caller):
    """A handler for registry tests."""
    return []


def other_handler(data, caller):
    return []


def fresh() -> Registry:
    reg = Registry()
    reg.call("thing", "make", schema=EmptySchema, writes=True)(handler)
    reg.call("thing", "drop", schema=EmptySchema)(other_handler)
    reg.call("thing_list", schema=EmptySchema)(handler)
    reg.call("report", "sales", schema=EmptySchema, selector=("report",))(handler)
    return reg


def resolve_error(reg: Registry, **form) -> str:
    with pytest.raises(LegacyError) as info:
        reg.resolve(form)
    return info.value.message


def test_decorator_returns_the_plain_function():
    reg = Registry()
    assert reg.call("x", schema=EmptySchema)(handler) is handler
    assert reg.resolve({"type": "x"}).handler is handler


@pytest.mark.parametrize("type_, action", [("thing", "make"), ("THING", "Make"), ("thing_list", None)])
def test_duplicates_are_refused_whatever_their_case(type_, action):
    reg = fresh()
    with pytest.raises(AssertionError, match="registered twice"):
        reg.call(type_, action, schema=EmptySchema)(other_handler)


def test_a_type_cannot_mix_calls_with_and_without_actions():
    reg = fresh()
    with pytest.raises(AssertionError, match="mixes"):
        reg.call("thing", schema=EmptySchema)(handler)
    with pytest.raises(AssertionError, match="mixes"):
        reg.call("thing_list", "x", schema=EmptySchema)(handler)
    with pytest.raises(AssertionError, match="mixes"):
        reg.call("report", "stock", schema=EmptySchema)(handler)  # selector "action" where "report" was used


def test_unknown_permission_is_refused():
    with pytest.raises(ValueError):
        Registry().call("x", schema=EmptySchema, permission="admin")


def test_types_and_actions_resolve_without_regard_to_case_or_spaces():
    reg = fresh()
    assert reg.resolve({"type": " THING ", "action": "MAKE "}).handler is handler
    assert reg.resolve({"type": "Thing", "action": "drop"}).handler is other_handler
    assert reg.resolve({"type": "thing_LIST", "action": "ignored"}).name == "thing_list"
    assert reg.resolve({"type": "report", "report": "Sales", "action": "x"}).name == "report/sales"


def test_resolution_errors_name_what_is_wrong():
    reg = fresh()
    assert resolve_error(reg) == "Missing required field: type"
    assert resolve_error(reg, type="  ") == "Missing required field: type"
    assert resolve_error(reg, type="Nope") == "Unknown type: Nope"
    assert resolve_error(reg, type="thing") == "Missing required field: action"
    assert resolve_error(reg, type="thing", action="Melt") == "Unknown action for type thing: Melt"
    assert resolve_error(reg, type="report", action="sales") == "Missing required field: report"


def test_a_huge_unknown_name_is_not_echoed_whole():
    message = resolve_error(fresh(), type="z" * 100_000)
    assert message == "Unknown type: " + "z" * 64 + "..."


def test_aliases_name_a_type_by_another_word():
    reg = fresh()
    reg.alias("Goods", "THING_list")
    assert reg.resolve({"type": "goods"}).name == "thing_list"
    reg.alias("stuff", "thing")
    assert reg.resolve({"type": "STUFF", "action": "drop"}).handler is other_handler
    with pytest.raises(AssertionError):
        reg.alias("thing", "thing_list")
    with pytest.raises(AssertionError):
        reg.alias("goods", "thing")


def test_a_frozen_registry_refuses_calls_and_aliases():
    reg = fresh()
    reg.freeze()
    with pytest.raises(AssertionError, match="frozen"):
        reg.call("late", schema=EmptySchema)(handler)
    with pytest.raises(AssertionError, match="frozen"):
        reg.alias("later", "thing")
    assert reg.resolve({"type": "thing", "action": "make"}).writes


def test_the_registry_is_frozen_once_the_app_is_built(app):
    assert registry.frozen
    with pytest.raises(AssertionError, match="frozen"):
        registry.call("late_call", schema=EmptySchema)(handler)


def test_iteration_is_sorted_and_calls_know_their_name_and_summary():
    reg = fresh()
    assert [c.name for c in reg] == ["report/sales", "thing/drop", "thing/make", "thing_list"]
    assert reg.resolve({"type": "thing_list"}).summary == "A handler for registry tests."


def test_a_module_registering_an_existing_call_fails_at_import(tmp_path):
    module = tmp_path / "dup_call.py"
    module.write_text(
        "from gateway.legacy import calls\n"
        "from gateway.legacy.registry import call\n"
        "from schemas.legacy.base import EmptySchema\n"
        "calls.load_all()\n"
        "@call('CAMPAIGNS_LIST', schema=EmptySchema)\n"
        "def again(data, caller):\n"
        "    return []\n"
    )
    result = subprocess.run([sys.executable, "-c", "import dup_call"], cwd=tmp_path, capture_output=True, text=True,
                            env={"PYTHONPATH": f"{ROOT}:{tmp_path}", "PATH": "/usr/bin:/bin"}, timeout=60)
    assert result.returncode != 0
    assert "AssertionError: call CAMPAIGNS_LIST is registered twice" in result.stderr


def test_http_types_and_actions_are_case_insensitive(api):
    doc = api.ok("CAMPAIGN_NEW", action="Campaign", campaign_type="POINTS", campaign_name="Loud")
    assert doc["campaign"]["type"] == "points"
    assert [c["name"] for c in api.ok("Campaigns_List")["campaigns"]] == ["Loud"]


def test_every_registered_alias_names_a_registered_type(app):
    for alias, target in registry.aliases.items():
        assert target in registry.selectors, (alias, target)
        assert alias not in registry.selectors


def test_balance_is_an_alias_of_customer_balance(app):
    # The legacy portal kit and a CakePHP app still send type=balance.
    assert registry.resolve({"type": "BALANCE"}) is registry.resolve({"type": "customer_balance"})
