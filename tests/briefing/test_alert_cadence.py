"""The alert check every 5 minutes on a synthetic stream (through the real instance, its store
and the local Bot Connector): a burst is alerted within minutes, once; the event's cards are
updated, then told it is calming down; a second burst after the cool-down is a new alert; a
rate-limited counts read is "unknown", never "calm"; and every check is kept, so that "was
there a crisis yesterday?" is answered from that history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

from app import COMPONENTS_KEY
from bot.clients.stream import StreamSource
from bot.ports.language import Intent, Period, Understanding
from bot.ports.posts import Author, CountSeries, Granularity, Post, Window
from bot.services.crisis_history import CrisisHistory
from tests.briefing.conftest import (
    TENANT,
    CountingConnector,
    FakeClock,
    InstanceFactory,
    make_insights,
    store_reference,
    subscribe,
)

COMMS = "19:comms-team@thread.tacv2"
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Paris: the first burst


def calm(start: datetime, end: datetime, every_s: int = 180) -> Iterable[Post]:
    """20 posts an hour, evenly spread, from `start` to `end`."""
    t, n = start, 0
    while t < end:
        n += 1
        yield post(f"c{n}", "Ordered again today, delivery on time as usual", t, 40)
        t += timedelta(seconds=every_s)


def burst(prefix: str, start: datetime, count: int, minutes: int) -> Iterable[Post]:
    for i in range(count):
        yield post(
            f"{prefix}{i}",
            "Battery fire reported, this is scandalous and dangerous, recall it now",
            start + timedelta(seconds=minutes * 60 * i / count),
            5000 + i,
        )


def post(pid: str, text: str, at: datetime, followers: int) -> Post:
    handle = f"user_{pid}"
    return Post(pid, text, at, Author(handle, handle, handle, followers))


def stream() -> list[Post]:
    posts = list(calm(T0 - timedelta(days=8), T0 + timedelta(days=2)))
    posts += burst("a", T0, 150, 15)  # 10 posts a minute against 1 every 3 minutes
    posts += burst("b", T0 + timedelta(hours=5), 150, 15)
    return posts


async def instance(
    make_instance: InstanceFactory, store: Any, clock: FakeClock, connector: CountingConnector
) -> Any:
    source = StreamSource(stream(), clock)
    inst = await make_instance(
        store,
        clock,
        insights=make_insights(store, clock, source),
        comms_conversation=COMMS,
        alert_cooldown_hours=2.0,
    )
    for conv, lang in (("exec-fr", "fr"), ("exec-en", "en")):
        key = await store_reference(store, connector.url, conv, lang=lang)
        await subscribe(inst.briefings.subscriptions, key, lang=lang)
    await store_reference(store, connector.url, COMMS, lang="fr", conversation_type="channel")
    return inst


async def walk(inst: Any, clock: FakeClock, start: datetime, end: datetime) -> list[Any]:
    reports = []
    t = start
    while t <= end:
        clock.set(t)
        reports.append(await inst.briefings.alerts.check(TENANT))
        t += timedelta(minutes=5)
    return reports


async def test_a_burst_is_alerted_within_minutes_once_then_calming_then_a_new_event(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
    connector: CountingConnector,
) -> None:
    clock.set(T0 - timedelta(hours=1))
    inst = await instance(make_instance, local_store, clock, connector)
    reports = await walk(inst, clock, T0 - timedelta(minutes=30), T0 + timedelta(hours=7))
    actions = [(r.at, r.action) for r in reports]
    alerted = [at for at, a in actions if a == "alerted"]
    assert len(alerted) == 2, actions
    assert alerted[0] - T0 <= timedelta(minutes=10)  # within minutes of the burst
    second = T0 + timedelta(hours=5)
    assert timedelta(0) < alerted[1] - second <= timedelta(minutes=10)
    assert all(a in ("calm", "watch") for at, a in actions if at < T0)
    assert [a for _, a in actions].count("calming") == 2  # each event ends with a calming down
    first_report = next(r for r in reports if r.action == "alerted")
    assert "volume_burst" in first_report.reasons
    posts = [r for r in connector.received if r.method == "POST"]
    puts = [r for r in connector.received if r.method == "PUT"]
    assert len(posts) == 6  # two events x (two executives + the comms channel)
    assert puts  # the calming-down updates replace the cards sent
    texts = [
        str(el.get("text", ""))
        for r in puts
        for el in r.activity["attachments"][0]["content"]["body"]
    ]
    assert any("calm" in t.lower() for t in texts)


async def test_counts_unavailable_is_unknown_not_calm(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
    connector: CountingConnector,
) -> None:
    class RateLimited(StreamSource):
        async def counts(self, query: str, window: Window, granularity: Granularity) -> Any:
            return CountSeries(query, granularity, (), 0, partial=True, reason="rate_limited")

    clock.set(T0)
    source = RateLimited(stream(), clock)
    inst = await make_instance(
        local_store, clock, insights=make_insights(local_store, clock, source)
    )
    key = await store_reference(local_store, connector.url, "exec-fr")
    await subscribe(inst.briefings.subscriptions, key)
    clock.set(T0 + timedelta(minutes=10))
    report = await inst.briefings.alerts.check(TENANT)
    assert report.level.value == "unknown" and report.action == "unknown"
    assert report.reasons == ["no_counts"]
    assert connector.received == []


async def test_past_crises_are_answered_from_the_kept_checks(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
    connector: CountingConnector,
) -> None:
    clock.set(T0 - timedelta(hours=1))
    inst = await instance(make_instance, local_store, clock, connector)
    await walk(inst, clock, T0 - timedelta(minutes=30), T0 + timedelta(hours=2))
    clock.set(T0 + timedelta(days=1))  # Wednesday: the burst was yesterday
    history = CrisisHistory(local_store, inst.briefings.alerts._insights, clock)
    day = Window(T0 - timedelta(hours=10), T0 + timedelta(hours=14))
    found = await history.events(TENANT, day)
    assert found.source == "checks" and found.checks > 0
    (event,) = found.events
    assert event.peak_level == "alert" and event.alerts_sent == 3
    assert event.start <= T0 + timedelta(minutes=5) and event.end is not None
    assert event.observed is not None and event.expected is not None
    assert event.observed > 5 * event.expected
    assert event.posts and all(p.url.startswith("https://x.com/") for p in event.posts)
    # nothing the day before
    before = await history.events(TENANT, Window(day.start - timedelta(days=1), day.start))
    assert before.source == "checks" or before.events == ()

    ask = inst.app[COMPONENTS_KEY].ask
    for lang, question in (
        ("en", "was there a crisis yesterday?"),
        ("fr", "y a-t-il eu une crise hier ?"),
    ):
        answer = await ask.answer(
            question, Understanding(Intent.CRISIS, lang, Period.YESTERDAY), tenant_id=TENANT
        )
        assert answer.history is not None and answer.history.events
        assert answer.figures["crisis_level"] == "alert"
        assert answer.figures["past_crisis_alerts"] == 3
        headline = answer.draft.headline.lower()
        assert ("crisis" in headline) if lang == "en" else ("crise" in headline)
        assert "no crisis" not in headline and "pas de crise" not in headline


async def test_the_demo_week_is_consistent_read_back_from_the_counts(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
) -> None:
    """No check kept yet (the demo): "was there a crisis this week?" and "anything I should
    worry about?" read the battery-fire event back from the counts, instead of "no crisis"."""
    inst = await make_instance(local_store, clock)
    ask = inst.app[COMPONENTS_KEY].ask
    week = await ask.answer(
        "was there a crisis this week?",
        Understanding(Intent.CRISIS, "en", Period.THIS_WEEK),
        tenant_id=TENANT,
    )
    assert week.history is not None and week.history.source == "counts"
    assert week.figures["crisis_level"] == "alert" and float(week.figures["crisis_score"]) > 0.5
    assert "no crisis" not in week.draft.headline.lower()
    assert "crisis" in week.draft.headline.lower()
    assert any(p.url.startswith("https://x.com/") for e in week.history.events for p in e.posts)
    now = await ask.answer(
        "y a-t-il quelque chose d'inquiétant ?",
        Understanding(Intent.CRISIS, "fr", Period.TODAY),
        tenant_id=TENANT,
    )
    assert now.figures["past_crisis_level"] == "alert"
    assert "crise" in now.draft.headline.lower() and "pas de crise" not in now.draft.headline


async def test_a_weeks_answer_never_states_a_days_ratio(
    make_instance: InstanceFactory,
    local_store: Any,
    clock: FakeClock,
) -> None:
    """The comparison with the usual is today's so far against the same hours of the previous
    days: a week's total must not be given "×0.5 the usual level" (it was, from today's ratio)."""
    inst = await make_instance(local_store, clock)
    ask = inst.app[COMPONENTS_KEY].ask
    week = await ask.answer(
        "what are people saying about us this week?",
        Understanding(Intent.PULSE, "en", Period.THIS_WEEK),
        tenant_id=TENANT,
    )
    assert int(week.figures["total_mentions"]) > int(week.figures["today_mentions"])
    for key in ("volume_ratio", "volume_level", "usual_mentions", "volume_change_pct"):
        assert key not in week.figures
    assert "usual" not in week.draft.summary and "×" not in week.draft.summary
    today = await ask.answer(
        "what are people saying about us today?",
        Understanding(Intent.PULSE, "en", Period.TODAY),
        tenant_id=TENANT,
    )
    assert "volume_level" in today.figures and "usual_mentions" in today.figures
