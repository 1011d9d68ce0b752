"""No layer imports one above it (issue 21): bot/domain is pure, services know nothing of Teams,
nothing under bot/ imports the dialogs or the web app's composition root (app.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# package → the packages it must never import (a prefix matches its submodules)
FORBIDDEN = {
    "bot": ("app", "dialogs"),
    "bot/domain": ("bot.services", "bot.teams", "bot.clients", "bot.composition"),
    "bot/services": ("bot.teams", "bot.composition"),
    "bot/teams": ("bot.composition", "bot.worker"),
}


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def test_no_layer_imports_one_above_it() -> None:
    wrong = []
    for folder, banned in FORBIDDEN.items():
        files = sorted((ROOT / folder).rglob("*.py"))
        assert files, folder
        for path in files:
            for module in imported_modules(path):
                if any(module == b or module.startswith(b + ".") for b in banned):
                    wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []
