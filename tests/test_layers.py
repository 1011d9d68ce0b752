"""No layer imports one above it (issue 21): bot/domain is pure, services know nothing of Teams,
the Bot Framework SDK stays at the edge (bot/teams, dialogs, app.py), nothing under bot/ but the
composition root imports the dialogs, and nothing imports the web app (app.py)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SDK = ("botbuilder", "botframework")

# package → the packages it must never import (a prefix matches its submodules)
FORBIDDEN = {
    "bot": ("app",),
    "bot/domain": ("bot.services", "bot.teams", "bot.clients", "bot.composition", *SDK),
    "bot/ports": ("bot.services", "bot.teams", "bot.clients", "bot.composition", *SDK),
    "bot/services": ("bot.teams", "bot.composition", *SDK),
    "bot/clients": ("bot.services", "bot.teams", "bot.composition", *SDK),
    "bot/teams": ("bot.composition", "bot.worker", "dialogs"),
    "bot/composition": ("app", "bot.worker", *SDK),
    "dialogs": ("app", "bot.composition"),
}
# Under bot/, only the composition root may import the dialogs.
DIALOGS_ALLOWED = ("bot/composition",)


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _matches(module: str, banned: tuple[str, ...]) -> bool:
    return any(module == b or module.startswith(b + ".") for b in banned)


def test_no_layer_imports_one_above_it() -> None:
    wrong = []
    for folder, banned in FORBIDDEN.items():
        files = sorted((ROOT / folder).rglob("*.py"))
        assert files, folder
        for path in files:
            for module in imported_modules(path):
                if _matches(module, banned):
                    wrong.append(f"{path.relative_to(ROOT)} imports {module}")
    assert wrong == []


def test_only_the_composition_root_under_bot_imports_the_dialogs() -> None:
    wrong = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(DIALOGS_ALLOWED):
            continue
        wrong += [
            f"{relative} imports {m}" for m in imported_modules(path) if _matches(m, ("dialogs",))
        ]
    assert wrong == []


def test_the_sdk_stays_at_the_edge() -> None:
    """botbuilder is imported only by bot/teams, bot/devtools (the local connector), the
    dialogs and app.py."""
    edge = ("bot/teams/", "bot/devtools/")
    wrong = []
    for path in sorted((ROOT / "bot").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(edge):
            continue
        wrong += [f"{relative} imports {m}" for m in imported_modules(path) if _matches(m, SDK)]
    assert wrong == []


def test_the_worker_imports_nothing_from_the_web_app() -> None:
    assert not any(_matches(m, ("app",)) for m in imported_modules(ROOT / "bot" / "worker.py"))


def test_the_sentinel_catches_a_wrong_import(tmp_path: Path) -> None:
    """The checks above would see an import hidden in a function body."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from botbuilder.core import TurnContext\n", encoding="utf-8")
    assert "botbuilder.core" in imported_modules(module)
