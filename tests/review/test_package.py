"""The console's packages hold product code only: every module of bot/review and bot/web is
reached from the two entry points (the web server and ``python -m bot.review``); test-data
generators and benchmarks live in bench/ or tests/."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Set

from tests.conftest import REPO_ROOT

ENTRY_POINTS = ("bot.web.__main__", "bot.review.__main__")


def module_path(name: str) -> Path:
    path = REPO_ROOT.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def imported(name: str) -> Set[str]:
    """The bot.* modules one module imports (at any level of its code)."""
    found = set()
    for node in ast.walk(ast.parse(module_path(name).read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {module for module in found if module.startswith("bot.") and module_path(module).exists()}


def reachable() -> Set[str]:
    seen: Set[str] = set()
    todo = list(ENTRY_POINTS)
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(imported(name) - seen)
    return seen


def test_every_console_module_is_used_by_the_product():
    modules = {
        ".".join(path.relative_to(REPO_ROOT).with_suffix("").parts)
        for folder in ("bot/review", "bot/web")
        for path in (REPO_ROOT / folder).glob("*.py")
        if path.name != "__init__.py"
    }
    assert modules - reachable() == set()
