"""`scripts/replay_alerts.py` as a comms team runs it: a JSON-lines stream on stdin, one JSON
line per check on stdout, from the production check path. A small synthetic stream: two calm
days, then a burst; calm before it, an alert within minutes of it."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BURST = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)


def stream() -> str:
    lines = []
    t, n = BURST - timedelta(days=2), 0
    while t < BURST + timedelta(hours=1):
        n += 1
        lines.append(
            {
                "id": str(n),
                "text": "Ordered again, delivery on time",
                "created_at": t.isoformat().replace("+00:00", "Z"),
                "author": f"user{n % 97}",
                "followers": 30,
            }
        )
        t += timedelta(minutes=4)
    for i in range(120):  # 120 posts in 12 minutes, against about 3
        n += 1
        at = BURST + timedelta(seconds=6 * i)
        lines.append(
            {
                "id": str(n),
                "text": "Battery fire: the product is dangerous, recall it now",
                "created_at": at.isoformat(),
                "author": f"critic{i}",
                "followers": 1000 + i,
            }
        )
    return "\n".join(json.dumps(line) for line in lines) + "\n"


def test_replay_prints_one_json_line_per_check() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "replay_alerts.py"), "--every", "10"],
        input=stream(),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=True,
    )
    checks = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(checks) > 250  # every 10 minutes over two days and an hour
    for c in checks:
        assert set(c) == {"at", "level", "score", "reasons"}
        assert c["level"] in ("calm", "watch", "alert")
        assert isinstance(c["score"], int | float) and 0 <= c["score"] <= 1
        assert isinstance(c["reasons"], list)
    times = [datetime.fromisoformat(c["at"].replace("Z", "+00:00")) for c in checks]
    assert all(b - a == timedelta(minutes=10) for a, b in itertools.pairwise(times))
    before = [c for c, t in zip(checks, times, strict=True) if t <= BURST]
    assert {c["level"] for c in before} == {"calm"}
    alerts = [t for c, t in zip(checks, times, strict=True) if c["level"] == "alert"]
    assert alerts and alerts[0] - BURST <= timedelta(minutes=10)
    first = checks[times.index(alerts[0])]
    assert "volume_burst" in first["reasons"] and first["score"] > 0.5


def test_the_fast_replay_of_the_evaluation_gives_the_service_levels() -> None:
    """`scripts/eval_crisis.py` replays its many calm days with `FastReplay` (the detector and
    the counts the stream implies, without the service around them): on the same stream it
    must give the very levels of `replay_alerts.replay`, check by check."""
    import asyncio

    sys.path.insert(0, str(ROOT / "scripts"))
    from eval_crisis import FastReplay
    from replay_alerts import parse_post, replay

    posts = [parse_post(json.loads(line)) for line in stream().splitlines()]
    every = timedelta(minutes=10)
    start = BURST - timedelta(hours=20)

    async def service_levels() -> list[tuple[datetime, str]]:
        found = []
        async for line in replay(posts, every, start=start):
            found.append((datetime.fromisoformat(line["at"].replace("Z", "+00:00")), line["level"]))
        return found

    slow = asyncio.run(service_levels())
    times = sorted(p.created_at for p in posts)
    fast = [(t, d.level.value) for t, d in FastReplay(times).run(start, slow[-1][0], every)]
    assert fast == slow
    assert {level for _, level in slow} >= {"calm", "alert"}
