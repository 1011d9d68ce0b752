"""The OpenAI-compatible engine: concurrency and input tokens, beside their baselines.

(a) 100 simultaneous `write_answer` calls against a local fake model (its own process) that
    takes 2 s to answer, through the real openai client: wall time beside the 200 s a bot
    answering one question at a time would take.
(b) Input tokens of one answer on a 10,000-post day: the budgeted request beside the naive
    prompt that quotes every post (estimated the same way, chars / 3.5).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clients.llm import OpenAIConfig, OpenAIEngine  # noqa: E402
from bot.clients.llm.prompts import PromptManager  # noqa: E402
from bot.domain.tokens import clean_post, estimate_messages  # noqa: E402
from tests.llm.conftest import answer_request, make_posts  # noqa: E402
from tests.support.fake_openai import FAKE_API_KEY, ChatRequest, FakeOpenAI  # noqa: E402

CONCURRENT = 100
MODEL_DELAY_S = 2.0
DAY_POSTS = 10_000


def responder(request: ChatRequest) -> dict[str, object]:
    return {
        "headline": "Journée calme",
        "summary": "On parle surtout de livraison.",
        "points": ["La livraison domine."],
        "cited_post_ids": [],
        "next_steps": [],
    }


async def concurrency() -> None:
    # The fake model runs in its own process, as a remote model would: its work is not ours.
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.support.fake_openai",
        str(MODEL_DELAY_S),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        url = (await server.stdout.readline()).decode().strip()
        engine = OpenAIEngine(
            OpenAIConfig(model="bench", api_key=FAKE_API_KEY, base_url=f"{url}/v1", timeout_s=30.0)
        )
        request = answer_request()
        await engine.write_answer(request)  # warm-up: imports, first connection
        started = time.perf_counter()
        results = await asyncio.gather(
            *(engine.write_answer(request) for _ in range(CONCURRENT)), return_exceptions=True
        )
        wall = time.perf_counter() - started
        await engine.aclose()
    finally:
        server.terminate()
        await server.wait()
    failures = [r for r in results if isinstance(r, BaseException)]
    serial = CONCURRENT * MODEL_DELAY_S
    print(f"(a) {CONCURRENT} simultaneous answers, model {MODEL_DELAY_S:.0f} s each")
    print(f"    Pulse (asyncio, one client):  {wall:6.2f} s wall   ({len(failures)} failed)")
    print(f"    serial bot (baseline):        {serial:6.2f} s wall")
    print(f"    goal < 6 s: {'met' if wall < 6 and not failures else 'NOT met'}")


async def tokens() -> None:
    posts = make_posts(DAY_POSTS)
    async with FakeOpenAI(responder=responder) as server:
        engine = OpenAIEngine(
            OpenAIConfig(model="bench", api_key=FAKE_API_KEY, base_url=server.base_url)
        )
        await engine.write_answer(answer_request(posts=posts))
        await engine.aclose()
        sent = server.last
    budgeted = estimate_messages(str(m["content"]) for m in sent.messages)
    reported = sent.prompt_chars // 4  # what the fake model bills: chars / 4
    request = answer_request(posts=posts)
    u = request.understanding
    naive = PromptManager().render(
        "answer_question",
        company="Velora",
        language="French",
        question=request.question,
        intent=u.intent.value,
        period=u.period.value,
        topic=None,
        competitor=None,
        figures=request.figures,
        themes=request.themes,
        notices=[],
        posts=[clean_post(p) for p in posts],
    )
    naive_tokens = estimate_messages(m.content for m in naive.messages)
    quoted = sent.user.count('{"id": ')
    print(f"(b) input tokens per answer on a {DAY_POSTS:,}-post day (estimate, chars / 3.5)")
    print(f"    Pulse (budgeted sample, {quoted} posts): {budgeted:8,d} tokens (limit 4,000)")
    print(f"    naive prompt (every post):        {naive_tokens:8,d} tokens")
    print(
        f"    ratio: {naive_tokens / budgeted:.0f}x fewer input tokens (fake bills {reported:,d})"
    )


def main() -> None:
    logging.disable(logging.INFO)
    asyncio.run(concurrency())
    asyncio.run(tokens())


if __name__ == "__main__":
    main()
