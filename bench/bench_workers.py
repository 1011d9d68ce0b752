"""Answers per second with 1, 2 and 4 worker processes, side by side, on this machine.

    .venv/bin/python bench/bench_workers.py [--questions 100] [--workers 1 2 4]

Same setup as tests/scale: Azurite (blob + queue), the fake X server, the fake model (~0.2 s a
call), a local Bot Connector, `python -m bot.worker` subprocesses (concurrency 8 each). For each
worker count, a fresh container and queue:

- "workers only": the questions are enqueued directly (the payload the web instances enqueue),
  the clock runs from the first enqueue to the last card: what the workers sustain;
- "end to end": the same number of questions posted at once to 3 web instances (in this
  process) — turn, understanding call, enqueue, "je regarde…", then the card from a worker.

Each run starts with cold workers (the first answer of a process computes the analysis; later
ones reuse it for a minute), as after a scale-out.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from botbuilder.schema import ChannelAccount, ConversationAccount, ConversationReference

from bot.ports.language import Intent, Period, Understanding
from bot.teams.answer_jobs import ANSWER_JOB
from bot.teams.ask import AnswerTask
from tests.support.azurite import Azurite, start_azurite
from tests.support.scale import QUESTION, Rig
from tests.support.teams import BOT_ID, TENANT


def task_for(conversation_id: str, service_url: str) -> AnswerTask:
    return AnswerTask(
        question=QUESTION,
        understanding=Understanding(intent=Intent.PULSE, lang="fr", period=Period.TODAY),
        tenant_id=TENANT,
        tz="Europe/Paris",
        roles=frozenset(),
        activity_id=f"act-{conversation_id}",
        reference=ConversationReference(
            activity_id=f"act-{conversation_id}",
            user=ChannelAccount(id=f"29:user-{conversation_id}"),
            bot=ChannelAccount(id=BOT_ID, name="Pulse"),
            conversation=ConversationAccount(
                id=conversation_id, tenant_id=TENANT, conversation_type="personal"
            ),
            channel_id="msteams",
            locale="fr-FR",
            service_url=service_url,
        ),
    )


async def run(blob: Azurite, queue: Azurite, workers: int, questions: int, e2e: bool) -> float:
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        rig = Rig(blob, queue, Path(tmp))
        try:
            await rig.start(web_instances=3 if e2e else 0, workers=workers)
            conversations = {f"conv-{i:03d}" for i in range(questions)}
            started = time.monotonic()
            if e2e:
                await asyncio.gather(
                    *(rig.ask(c, instance=i) for i, c in enumerate(sorted(conversations)))
                )
            else:
                q = rig.queue()
                try:
                    await asyncio.gather(
                        *(
                            q.enqueue(ANSWER_JOB, task_for(c, rig.connector.url).to_json())
                            for c in sorted(conversations)
                        )
                    )
                finally:
                    await q.close()
            await rig.wait_cards(conversations, timeout=600)
            elapsed = time.monotonic() - started
            duplicates = {c: n for c, n in rig.cards().items() if n != 1}
            if duplicates:
                raise AssertionError(f"duplicate cards: {duplicates}")
            return questions / elapsed
        finally:
            await rig.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    blob, queue = start_azurite("blob"), start_azurite("queue")
    rows: list[tuple[int, float, float]] = []
    try:
        for n in args.workers:
            alone = await run(blob, queue, n, args.questions, e2e=False)
            e2e = await run(blob, queue, n, args.questions, e2e=True)
            rows.append((n, alone, e2e))
    finally:
        blob.stop()
        queue.stop()
    print(f"\n{args.questions} questions, fake model ~0.2 s/call, worker concurrency 8")
    print(f"{'workers':>8} | {'workers only (q/s)':>18} | {'end to end, 3 web (q/s)':>23}")
    print(f"{'-' * 8}-+-{'-' * 18}-+-{'-' * 23}")
    base = rows[0][1] if rows else 1.0
    for n, alone, e2e in rows:
        print(f"{n:>8} | {alone:>10.1f} (x{alone / base:.1f}) | {e2e:>23.1f}")


if __name__ == "__main__":
    asyncio.run(main())
