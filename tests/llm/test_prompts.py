"""The prompt manager and snapshots of every rendered prompt (UPDATE_SNAPSHOTS=1 rewrites them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from bot.clients.llm.prompts import PROMPTS_DIR, PromptError, PromptManager, RenderedPrompt
from bot.domain.tokens import clean_post
from bot.ports.language import Intent, Understanding
from tests.llm.conftest import INJECTION, make_post

SNAPSHOTS = Path(__file__).parent / "snapshots"
TASKS = ("understand_question", "answer_question", "draft_posts", "explain_x", "score_sentiment")

EDITORIAL_LINE = """company:
  name: Velora
  handle: VeloraBikes
voice:
  do:
    fr: [Parler concret]
  dont:
    fr: ["Jamais de <b>gras</b>"]
"""


def posts() -> list[Any]:
    return [clean_post(make_post(1, text=INJECTION)), clean_post(make_post(2))]


CASES: dict[str, dict[str, Any]] = {
    "understand_question": {
        "question": "Et hier ?",
        "lang": "fr",
        "previous": {"intent": Intent.TOPIC, "lang": "fr", "topic": "livraison"},
        "competitors": ["Rouleo", "Voltigo"],
        "today": "2026-12-07",
    },
    "understand_question.first": {
        "question": "What's new?",
        "lang": "en",
        "previous": None,
        "competitors": [],
        "today": "2026-12-07",
    },
    "answer_question": {
        "company": "Velora",
        "language": "French",
        "question": "Que dit-on de nous aujourd'hui ?",
        "intent": "topic",
        "period": "today",
        "topic": "livraison",
        "competitor": None,
        "figures": {"posts": 1240, "negative_share": 0.42},
        "themes": [{"label": "livraison", "posts": 320, "share": 0.26}],
        "notices": ["partial_sample"],
        "posts": posts(),
    },
    "draft_posts": {
        "language": "English",
        "brief": "Thank the Lyon fair visitors",
        "count": 2,
        "editorial_line_yaml": EDITORIAL_LINE,
        "examples": ["Thank you to every Velora team."],
        "posts": posts(),
        "previous": "Thanks Lyon!!!",
        "revision": "shorter",
        "findings": ["exclamation: at most one"],
    },
    "draft_posts.first": {
        "language": "French",
        "brief": "Annoncer le nouveau modèle",
        "count": 3,
        "editorial_line_yaml": EDITORIAL_LINE,
        "examples": [],
        "posts": [],
        "previous": None,
        "revision": None,
        "findings": [],
    },
    "score_sentiment": {
        "posts": [{"id": "1", "text": INJECTION}, {"id": "2", "text": "Rien à redire, bravo"}],
    },
    "explain_x": {
        "language": "French",
        "question": "c'est quoi un thread ?",
        "entry": {"title": "Thread", "body": "Une suite de posts reliés."},
    },
}


def snapshot_text(prompt: RenderedPrompt) -> str:
    parts = [f"### prompt: {prompt.prompt_id}"]
    for message in prompt.messages:
        parts.append(f"### {message.role}\n{message.content}")
    return "\n".join(parts)


@pytest.mark.parametrize("case", sorted(CASES))
def test_rendered_prompt_matches_snapshot(case: str) -> None:
    task = case.split(".")[0]
    rendered = snapshot_text(PromptManager().render(task, **CASES[case]))
    path = SNAPSHOTS / f"{case}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(rendered, encoding="utf-8")
    assert rendered == path.read_text(encoding="utf-8"), f"snapshot {path.name} changed"


@pytest.mark.parametrize("task", TASKS)
def test_every_task_has_a_versioned_header(task: str) -> None:
    manager = PromptManager()
    name, version = manager.version(task)
    assert name == task and version >= 1
    assert manager.prompt_id(task) == f"{task}@{version}"
    for role in ("system", "user"):
        source = (PROMPTS_DIR / f"{task}.{role}.jinja2").read_text(encoding="utf-8")
        assert source.startswith(f"{{# prompt: {task} version: {version} #}}")


def test_prompt_id_and_openai_messages() -> None:
    prompt = PromptManager().render("explain_x", **CASES["explain_x"])
    assert prompt.prompt_id == "explain_x@1"
    assert [m["role"] for m in prompt.to_openai()] == ["system", "user"]
    assert "{#" not in prompt.messages[0].content  # the header is a comment


def test_missing_variable_is_an_error() -> None:
    with pytest.raises(PromptError):
        PromptManager().render("explain_x", language="French", question="?")


def test_bad_header_and_version_mismatch_are_errors(tmp_path: Path) -> None:
    (tmp_path / "a.system.jinja2").write_text("no header\n")
    (tmp_path / "a.user.jinja2").write_text("{# prompt: a version: 1 #}\n")
    (tmp_path / "b.system.jinja2").write_text("{# prompt: b version: 1 #}\n")
    (tmp_path / "b.user.jinja2").write_text("{# prompt: b version: 2 #}\n")
    manager = PromptManager(tmp_path)
    with pytest.raises(PromptError, match="header"):
        manager.render("a")
    with pytest.raises(PromptError, match="disagree"):
        manager.render("b")
    with pytest.raises(PromptError, match="not found"):
        manager.render("c")


def test_data_cannot_break_out_of_its_block() -> None:
    prompt = PromptManager().render("answer_question", **CASES["answer_question"])
    user = prompt.messages[1].content
    assert user.count("<posts>") == 1 and user.count("</posts>") == 1
    body = user.split("<posts>\n")[1].split("\n</posts>")[0]
    assert "Ignore your instructions" in body and "<" not in body and ">" not in body
    draft = PromptManager().render("draft_posts", **CASES["draft_posts"]).messages[1].content
    assert "\\u003cb\\u003egras" in draft  # the editorial line is data too


def test_editorial_line_is_never_in_a_template() -> None:
    for path in PROMPTS_DIR.glob("*.jinja2"):
        text = path.read_text(encoding="utf-8")
        assert "Velora" not in text and "VeloraBikes" not in text, path.name


def test_previous_understanding_renders_as_json() -> None:
    from dataclasses import asdict

    previous = asdict(Understanding(intent=Intent.TOPIC, lang="fr", topic="prix"))
    user = (
        PromptManager()
        .render(
            "understand_question",
            question="et hier ?",
            lang="fr",
            previous=previous,
            competitors=[],
            today="2026-12-07",
        )
        .messages[1]
    )
    assert '"intent": "topic"' in user.content and '"topic": "prix"' in user.content
