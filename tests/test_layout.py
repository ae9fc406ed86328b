"""The layout's rules: the domain knows no door, and no module of gateway imports one that imports it back."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GATEWAY = ROOT / "gateway"
# What the domain must not reach: the web, the wire formats, the request schemas, and the doors.
FORBIDDEN_IN_DOMAIN = ("flask", "lxml", "marshmallow", "schemas", "gateway.legacy", "gateway.api", "gateway.cli",
                       "gateway.database_app")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every module ``path`` imports, at module level or inside a function, relative ones resolved."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            found.add(target)
            # "from . import db" names a module too
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def gateway_graph() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in GATEWAY.rglob("*.py")}
    return {name: {m for m in imports_of(path) if m in modules and m != name} for name, path in modules.items()}


def test_the_domain_imports_no_door_nor_web_library():
    offenders = []
    for path in (GATEWAY / "domain").rglob("*.py"):
        for name in imports_of(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN_IN_DOMAIN):
                offenders.append(f"{module_name(path)} imports {name}")
    assert offenders == []


def test_the_check_sees_imports_of_every_kind(tmp_path):
    # The rule above is only as good as imports_of: it must see absolute, relative and nested imports.
    sample = GATEWAY / "domain" / "service.py"
    assert {"gateway.domain.db", "gateway.domain.errors", "peewee"} <= imports_of(sample)
    assert "gateway.domain.units" in imports_of(GATEWAY / "legacy" / "messages.py")


def test_no_module_imports_one_that_imports_it_back():
    graph = gateway_graph()
    # Packages import their modules' names; a cycle through a package's __init__ is not a cycle of code.
    graph = {name: {m for m in deps if not name.startswith(m + ".")} for name, deps in graph.items()}
    cycles = []

    def visit(node, path):
        for nxt in sorted(graph.get(node, ())):
            if nxt in path:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif len(path) < 12:
                visit(nxt, path + [nxt])

    for start in graph:
        visit(start, [start])
    assert cycles == [], cycles[:5]


def test_every_package_is_installed():
    # A package missing from pyproject.toml works in the editable checkout and is lost in a real install.
    import tomllib

    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {module_name(init) for top in ("gateway", "schemas") for init in (ROOT / top).rglob("__init__.py")}
    assert found == listed
