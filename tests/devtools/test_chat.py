"""`make chat`: the terminal shows each draft's text and its checks (the real script, through
Pulse's HTTP endpoint and the local connector)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.devtools.connector import message_text
from scripts.chat import button_titles

ROOT = Path(__file__).resolve().parents[2]


def test_message_text_includes_the_exact_post_text() -> None:
    card = {
        "body": [
            {"type": "TextBlock", "text": "Proposition 1"},
            {"type": "RichTextBlock", "inlines": [{"type": "TextRun", "text": "Nos *freins*"}]},
        ],
        "actions": [{"type": "Action.Submit", "title": "Choisir"}],
    }
    activity = {"attachments": [{"content": card}]}
    assert message_text(activity) == "Proposition 1\nNos *freins*"
    assert button_titles(activity) == ["Choisir"]
    two = {"attachments": [{"content": {"body": [], "actions": card["actions"] * 2}}]}
    assert button_titles(two) == ["Choisir 1", "Choisir 2"]


@pytest.mark.timeout(180)
def test_make_chat_shows_drafts_and_their_checks(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULSE_", "X_", "OPENAI_"))}
    env["PULSE_DATA_DIR"] = str(tmp_path / "data")
    run = subprocess.run(
        [sys.executable, "scripts/chat.py", "--locale", "fr-FR"],
        input="propose un tweet sur nos freins\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=170,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = run.stdout
    assert "Freins hydrauliques" in out  # the draft's own text, not only "Proposition 1"
    assert "/280 caractères" in out and "Conforme à la ligne éditoriale" in out
    assert "[Choisir 1] [Choisir 2] [Choisir 3]" in out
