"""The rules stay pure: standard library, pydantic, pendulum and the calendar libraries only; no
I/O, no settings, no clock; and no import circle among the rules modules (function-local imports
included, so a circle cannot hide inside a function)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "yinhui" / "rules"
ALLOWED_THIRD_PARTY = {"pydantic", "pendulum", "lunar_python", "chinese_calendar"}
# Calls that read a file, the environment or the clock.
FORBIDDEN_CALLS = {"open", "read_text", "read_bytes", "getenv", "now", "today", "utcnow", "time", "load_dotenv"}
FORBIDDEN_NAMES = {"environ"}


def _modules() -> dict[str, ast.Module]:
    return {path.stem: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(RULES.glob("*.py"))}


def _imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from yinhui.rules import cadence` names a module too.
            found.update(f"{node.module}.{alias.name}" for alias in node.names if node.module == "yinhui.rules")
    return found


def _rules_edges() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: {imp.removeprefix("yinhui.rules.") for imp in _imports(tree)
               if imp.startswith("yinhui.rules.") and imp.removeprefix("yinhui.rules.") in modules}
        for name, tree in modules.items()
    }


def test_rules_import_only_the_standard_library_pydantic_pendulum_and_the_calendars() -> None:
    wrong = {}
    for name, tree in _modules().items():
        for imp in _imports(tree):
            top = imp.split(".")[0]
            if imp.startswith("yinhui.rules") or top == "__future__" or top in sys.stdlib_module_names:
                continue
            if top not in ALLOWED_THIRD_PARTY:
                wrong.setdefault(name, []).append(imp)
    assert not wrong, f"rules modules importing outside the rules: {wrong}"


def test_rules_read_no_file_environment_or_clock() -> None:
    wrong = []
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if called in FORBIDDEN_CALLS:
                    wrong.append(f"{name}.py:{node.lineno} calls {called}()")
            elif isinstance(node, ast.Attribute | ast.Name):
                named = node.attr if isinstance(node, ast.Attribute) else node.id
                if named in FORBIDDEN_NAMES:
                    wrong.append(f"{name}.py:{node.lineno} reads {named}")
    assert not wrong, wrong


def test_no_import_circle_among_the_rules() -> None:
    edges = _rules_edges()
    circles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        for nxt in sorted(edges[node]):
            if nxt in path:
                circles.append([*path[path.index(nxt):], nxt])
            else:
                visit(nxt, [*path, nxt])

    for start in edges:
        visit(start, [start])
    assert not circles, f"import circles: {circles[:3]}"


def test_the_playbook_model_sits_below_the_rules_that_read_it() -> None:
    edges = _rules_edges()
    below = {"playbook", "playbook_sections", "playbook_roster", "playbook_values"}
    for name in below:
        assert edges[name] <= below | {"calendar_nodes", "workdays"}, (name, edges[name])
