"""Briefing commands (French and English) and the subscription store."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from bot.clients.store import LocalDirStore
from bot.services.subscriptions import (
    EVERY_DAY,
    WEEKDAYS,
    Action,
    Recipient,
    Subscription,
    SubscriptionService,
    parse_command,
)
from tests.briefing.conftest import FakeClock

CASES = [
    ("abonne-moi au briefing", Action.SUBSCRIBE, None, None, None),
    ("Abonne-moi au briefing à 7h30", Action.SUBSCRIBE, time(7, 30), None, None),
    ("briefing à 7h30", Action.UPDATE, time(7, 30), None, None),
    ("briefing à 7 h 15 du lundi au jeudi", Action.UPDATE, time(7, 15), (0, 1, 2, 3), None),
    ("briefing tous les jours", Action.UPDATE, None, EVERY_DAY, None),
    ("briefing en semaine à 6h", Action.UPDATE, time(6, 0), WEEKDAYS, None),
    ("briefing lundi et mercredi", Action.UPDATE, None, (0, 2), None),
    ("briefing le week-end", Action.UPDATE, None, (5, 6), None),
    ("briefing en anglais", Action.UPDATE, None, None, "en"),
    ("désabonne-moi", Action.UNSUBSCRIBE, None, None, None),
    ("Je ne veux plus de briefing", Action.UNSUBSCRIBE, None, None, None),
    ("abonne ce canal au briefing", Action.SUBSCRIBE_CHANNEL, None, None, None),
    ("désabonne ce canal", Action.UNSUBSCRIBE_CHANNEL, None, None, None),
    ("mes paramètres du briefing", Action.SETTINGS, None, None, None),
    ("briefing maintenant", Action.NOW, None, None, None),
    ("subscribe me to the briefing", Action.SUBSCRIBE, None, None, None),
    (
        "subscribe me to the briefing at 6:45 pm on weekdays",
        Action.SUBSCRIBE,
        time(18, 45),
        WEEKDAYS,
        None,
    ),
    ("briefing at 7.30am every day", Action.UPDATE, time(7, 30), EVERY_DAY, None),
    ("briefing at 12am", Action.UPDATE, time(0, 0), None, None),
    ("briefing Monday to Wednesday", Action.UPDATE, None, (0, 1, 2), None),
    ("briefing in French", Action.UPDATE, None, None, "fr"),
    ("unsubscribe", Action.UNSUBSCRIBE, None, None, None),
    ("subscribe this channel", Action.SUBSCRIBE_CHANNEL, None, None, None),
    ("unsubscribe this channel", Action.UNSUBSCRIBE_CHANNEL, None, None, None),
    ("my briefing settings", Action.SETTINGS, None, None, None),
    ("briefing now", Action.NOW, None, None, None),
    ("send me the briefing", Action.NOW, None, None, None),
    ("briefing", Action.SETTINGS, None, None, None),
]


@pytest.mark.parametrize(("text", "action", "at", "days", "lang"), CASES)
def test_commands_are_parsed_in_french_and_english(
    text: str, action: Action, at: time | None, days: tuple[int, ...] | None, lang: str | None
) -> None:
    cmd = parse_command(text)
    assert (cmd.action, cmd.at, cmd.days, cmd.lang) == (action, at, days, lang)


def test_bare_numbers_are_not_times() -> None:
    assert parse_command("briefing sur 3 concurrents").at is None


def sub(**kw: object) -> Subscription:
    base = {"recipient": "r", "tenant_id": "t", "ref_key": "refs/t/r"}
    return Subscription(**{**base, **kw})  # type: ignore[arg-type]


def test_due_days_respect_time_zone_days_and_catch_up() -> None:
    s = sub(at=time(8, 0), tz="Europe/Paris")  # weekdays by default
    catch_up = timedelta(hours=3)
    monday_0800_paris = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert s.due_days(monday_0800_paris - timedelta(minutes=1), catch_up) == []
    assert [d.isoformat() for d in s.due_days(monday_0800_paris, catch_up)] == ["2026-11-23"]
    # down from 08:00 to 09:30: still sent at 09:30; not after 11:00
    assert s.due_days(monday_0800_paris + timedelta(hours=1, minutes=30), catch_up)
    assert s.due_days(monday_0800_paris + timedelta(hours=3), catch_up) == []
    saturday = monday_0800_paris - timedelta(days=2)
    assert s.due_days(saturday, catch_up) == []
    assert sub(days=EVERY_DAY).due_days(saturday, catch_up)
    ny = sub(at=time(8, 0), tz="America/New_York")
    assert ny.due_days(monday_0800_paris, catch_up) == []
    assert ny.due_days(datetime(2026, 11, 23, 13, 0, tzinfo=UTC), catch_up)


async def test_subscriptions_are_stored_per_tenant_with_defaults(tmp_path: object) -> None:
    from pathlib import Path

    store = LocalDirStore(Path(str(tmp_path)) / "s")
    clock = FakeClock(datetime(2026, 11, 23, 6, 0, tzinfo=UTC))
    subs = SubscriptionService(store, clock)
    alice = Recipient("refs/t1/aaa", "t1", "personal", "fr", None)  # no time zone known
    bob = Recipient("refs/t1/bbb", "t1", "personal", "en", "America/New_York")
    chan = Recipient("refs/t2/ccc", "t2", "channel", "fr", "Europe/Paris")
    s, created = await subs.upsert(alice, by="alice")
    assert created and (s.at, s.days, s.tz, s.lang) == (time(8, 0), WEEKDAYS, "Europe/Paris", "fr")
    s, created = await subs.upsert(bob, by="bob", at=time(7, 30), days=EVERY_DAY)
    assert created and s.tz == "America/New_York" and s.at == time(7, 30)
    s, created = await subs.upsert(alice, by="alice", at=time(6, 45))
    assert not created and s.at == time(6, 45) and s.days == WEEKDAYS
    await subs.upsert(chan, by="carol")
    assert sorted(t or "" for t in await subs.tenants()) == ["t1", "t2"]
    assert {x.recipient for x in await subs.all("t1")} == {"aaa", "bbb"}
    assert await subs.unsubscribe("t1", "aaa", by="alice")
    assert not await subs.unsubscribe("t1", "aaa", by="alice")
    assert {x.recipient for x in await subs.all("t1")} == {"bbb"}
    _, created = await subs.upsert(alice, by="alice")
    assert created  # re-activated


async def test_concurrent_changes_are_not_lost(tmp_path: object) -> None:
    import asyncio
    from pathlib import Path

    store = LocalDirStore(Path(str(tmp_path)) / "s")
    subs = SubscriptionService(store, FakeClock(datetime(2026, 11, 23, tzinfo=UTC)))
    people = [Recipient(f"refs/t/{i:03d}", "t", "personal", "fr", None) for i in range(20)]
    await asyncio.gather(*(subs.upsert(p, by=p.ref_key) for p in people))
    assert len(await subs.all("t")) == 20
