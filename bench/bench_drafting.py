"""Drafting on the demo corpus's themes: is every draft shown as compliant really compliant?

(a) 50 drafting requests (the demo themes, French and English, 3 variants each) through the real
    OpenAI engine against the local fake model, programmed to return plausible variants of
    which about half break the editorial line (forbidden hashtag, too many emoji, an avoided
    word, a link to a foreign site, too long) and to fix them right 60 % of the time when asked
    to repair. Reported: share of drafts shown as compliant that really are (re-checked
    independently; goal 100 %), share of drafts shown compliant, repairs, engine calls.
(b) The same 50 requests with the offline engine: the same share, and drafts per second.

Run: .venv/bin/python bench/bench_drafting.py
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.clients.llm import OpenAIConfig, OpenAIEngine  # noqa: E402
from bot.clients.store.local import LocalDirStore  # noqa: E402
from bot.domain.compliance import check  # noqa: E402
from bot.ports.clock import SystemClock  # noqa: E402
from bot.ports.language import LanguageEngine  # noqa: E402
from bot.services.drafting import DraftingService  # noqa: E402
from bot.services.editorial_store import EditorialStore  # noqa: E402
from tests.support.fake_openai import FAKE_API_KEY, ChatRequest, FakeOpenAI  # noqa: E402

REQUESTS = 50
TENANT = "bench"
LABELS = ROOT / "bot" / "clients" / "demo" / "labels.json"

GOOD = {
    "fr": [
        "Nos équipes de Saint-Étienne testent chaque vélo sur banc avant qu'il ne quitte "
        "l'atelier. Merci à elles pour ce travail précis. #FabriquéEnFrance",
        "Un technicien Velora répond à chaque demande sous 48 heures ouvrées. Merci pour vos "
        "retours, ils nous font progresser.",
        "Freins hydrauliques et éclairage intégré de série sur toute la gamme : la sécurité "
        "passe avant tout. #SécuritéRoutière",
    ],
    "en": [
        "Our Saint-Étienne teams bench-test every bike before it leaves the workshop. Thank "
        "you for this careful work. #MadeInFrance",
        "A Velora technician answers every request within two working days. Thank you for "
        "your feedback: it makes us better.",
        "Hydraulic brakes and built-in lights come standard across the range: safety comes "
        "first. #ebike",
    ],
}
BREAKS = [
    lambda t: t + " #promo",
    lambda t: t + " 🚲🔥🎉",
    lambda t: "Scandale ou pas, " + t[0].lower() + t[1:],
    lambda t: t + " https://deals.example.com/velora",
    lambda t: t + " " + "Vraiment. " * 25,
]


def themes() -> list[tuple[str, str]]:
    data = json.loads(LABELS.read_text(encoding="utf-8"))["themes"]
    return [(th[f"label_{lang}"], lang) for th in data for lang in ("fr", "en")]


def make_responder(seed: int) -> Any:
    rng = random.Random(seed)

    def responder(request: ChatRequest) -> dict[str, Any]:
        user = request.user
        lang = "en" if "Write in English" in request.system else "fr"
        count = (
            int(user.split("Posts to write: ", 1)[1].split()[0]) if "Posts to write" in user else 3
        )
        repair = "breaks the editorial line" in user
        posts = []
        for i in range(count):
            text = GOOD[lang][(i + rng.randrange(3)) % 3]
            if (repair and rng.random() < 0.4) or (not repair and rng.random() < 0.5):
                text = rng.choice(BREAKS)(text)
            posts.append({"text": text, "rationale": "Sober, concrete, one idea."})
        return {"posts": posts}

    return responder


async def run(label: str, engine: LanguageEngine, store_dir: Path) -> dict[str, Any]:
    editorial = EditorialStore(LocalDirStore(store_dir), SystemClock())
    service = DraftingService(editorial, engine)
    line = await editorial.current(TENANT)
    topics = themes()
    shown = shown_compliant = truly = 0
    started = time.perf_counter()
    for i in range(REQUESTS):
        topic, lang = topics[i % len(topics)]
        for variant in await service.propose(TENANT, topic, lang, 3):
            shown += 1
            if variant.compliant:
                shown_compliant += 1
                truly += check(variant.text, line, lang=lang).compliant
    elapsed = time.perf_counter() - started
    stats = service.stats
    return {
        "engine": label,
        "requests": REQUESTS,
        "drafts": shown,
        "shown_compliant": shown_compliant,
        "truly_compliant_share": truly / shown_compliant if shown_compliant else None,
        "shown_compliant_share": shown_compliant / shown if shown else None,
        "mechanical_repairs": stats.mechanical_repairs,
        "engine_repairs": stats.engine_repairs,
        "engine_calls": stats.engine_calls,
        "seconds": round(elapsed, 2),
        "drafts_per_s": round(shown / elapsed, 1),
    }


def report(result: dict[str, Any]) -> None:
    share = result["truly_compliant_share"]
    lines = [
        f"[{result['engine']}] {result['requests']} requests, {result['drafts']} drafts",
        f"  shown as compliant: {result['shown_compliant']} "
        f"({100 * (result['shown_compliant_share'] or 0):.0f} % of drafts)",
        f"  of which really compliant: {100 * share:.1f} % (goal 100 %)"
        if share is not None
        else "  none shown as compliant",
        f"  repairs: {result['mechanical_repairs']} mechanical, "
        f"{result['engine_repairs']} by the engine; engine calls: {result['engine_calls']}",
        f"  {result['seconds']} s, {result['drafts_per_s']} drafts/s",
    ]
    sys.stdout.write("\n".join(lines) + "\n")


async def main() -> None:
    logging.disable(logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeOpenAI(responder=make_responder(42)) as fake:
            engine = OpenAIEngine(
                OpenAIConfig(api_key=FAKE_API_KEY, base_url=fake.base_url, model="fake-model")
            )
            report(await run("openai (fake server)", engine, Path(tmp) / "a"))
        try:
            from bot.clients.offline_engine import OfflineEngine
        except ImportError:
            sys.stdout.write("[offline] bot/clients/offline_engine.py is not there yet\n")
            return
        report(await run("offline", OfflineEngine(), Path(tmp) / "b"))


if __name__ == "__main__":
    asyncio.run(main())
