"""Every period has a window and its words; what the drafting dialog takes as an edit and what
it lets go of (issue 16, the conversation side)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.clients.offline_engine import OfflineEngine, no_posts_found, period_words
from bot.ports.language import AnswerRequest, Intent, Period, Understanding
from bot.services.ask import nothing_found
from bot.services.insights import X_RECENT_LIMIT, beyond_reach, period_window
from bot.teams.clarify import as_reading, clarify_choice, readings_of
from dialogs.drafting_dialog import draft_command, is_new_question

PARIS = ZoneInfo("Europe/Paris")
# Thursday 10 December 2026, 15:30 in Paris.
NOW = datetime(2026, 12, 10, 15, 30, tzinfo=PARIS)


def local(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, tzinfo=PARIS)


@pytest.mark.parametrize("period", list(Period))
def test_every_period_has_a_window_inside_x_reach_and_never_past_now(period: Period) -> None:
    day = NOW.date() - timedelta(days=2) if period is Period.DATE else None
    window, history = period_window(period, NOW, PARIS, day)
    assert window.start < window.end <= NOW
    assert window.start >= NOW - X_RECENT_LIMIT - timedelta(seconds=1)
    assert history >= timedelta(0)


@pytest.mark.parametrize(
    ("period", "start", "end"),
    [
        (Period.THIS_MORNING, local(10), local(10, 12)),
        (Period.MONDAY, local(7), local(8)),
        (Period.THURSDAY, local(10), NOW),  # today's weekday: today so far
        (Period.FRIDAY, local(4), local(5)),
        (Period.SINCE_TUESDAY, local(8), NOW),
    ],
)
def test_new_periods_windows(period: Period, start: datetime, end: datetime) -> None:
    window, _ = period_window(period, NOW, PARIS)
    assert (window.start, window.end) == (start, end)


def test_a_date_and_a_part_of_the_day() -> None:
    day = local(8).date()
    window, history = period_window(Period.DATE, NOW, PARIS, day, "evening")
    assert (window.start, window.end) == (local(8, 18), local(9))
    assert history > timedelta(0)


def test_a_date_out_of_x_reach_is_an_empty_window_not_today() -> None:
    day = local(1).date()
    window, history = period_window(Period.DATE, NOW, PARIS, day)
    assert window.end - window.start == timedelta(minutes=1)
    assert window.end < NOW - timedelta(days=6)
    assert history == timedelta(0)


def test_a_period_beyond_x_reach_is_said_so_not_as_no_posts() -> None:
    window, _ = period_window(Period.DATE, NOW, PARIS, local(1).date())
    assert beyond_reach(window, NOW)
    assert not beyond_reach(period_window(Period.MONDAY, NOW, PARIS)[0], NOW)
    for lang, headline in (
        ("fr", "Je ne peux pas lire ce qui s'est dit sur nous le 1er décembre"),
        ("en", "I can't read what was said about us on 1 December"),
    ):
        u = Understanding(Intent.PULSE, lang, Period.DATE, date="2026-12-01")
        request = AnswerRequest("?", u, {"sample_size": 0}, [], [], ["beyond_reach"])
        assert OfflineEngine().answer(request).headline == headline


def test_old_periods_keep_their_windows() -> None:
    today, _ = period_window(Period.TODAY, NOW, PARIS)
    yesterday, _ = period_window(Period.YESTERDAY, NOW, PARIS)
    week, _ = period_window(Period.THIS_WEEK, NOW, PARIS)
    assert (today.start, today.end) == (local(10), NOW)
    assert (yesterday.start, yesterday.end) == (local(9), local(10))
    assert week.start == NOW - X_RECENT_LIMIT


@pytest.mark.parametrize(
    ("period", "date", "daypart", "fr", "en"),
    [
        (Period.MONDAY, None, None, "lundi", "on Monday"),
        (Period.SINCE_TUESDAY, None, None, "depuis mardi", "since Tuesday"),
        (Period.THIS_MORNING, None, None, "ce matin", "this morning"),
        (Period.DATE, "2026-12-03", None, "le 3 décembre", "on 3 December"),
        (Period.DATE, "2026-12-01", None, "le 1er décembre", "on 1 December"),
        (Period.TUESDAY, None, "evening", "mardi soir", "on Tuesday evening"),
        (Period.DATE, "not a date", None, "ce jour-là", "on that day"),
    ],
)
def test_period_words_in_both_languages(
    period: Period, date: str | None, daypart: str | None, fr: str, en: str
) -> None:
    for lang, expected in (("fr", fr), ("en", en)):
        u = Understanding(Intent.PULSE, lang, period, date=date, daypart=daypart)
        assert period_words(lang, u) == expected


def test_every_period_has_words_in_both_languages() -> None:
    for period in Period:
        for lang in ("fr", "en"):
            u = Understanding(Intent.PULSE, lang, period, date="2026-12-03")
            assert period_words(lang, u)


def _request(lang: str, figures: dict[str, str | int | float]) -> AnswerRequest:
    u = Understanding(Intent.TOPIC, lang, Period.MONDAY, topic="zeppelins")
    return AnswerRequest("?", u, figures, [], [])


@pytest.mark.parametrize(
    ("lang", "headline"),
    [
        ("fr", "Je n'ai trouvé aucun post sur zeppelins lundi"),
        ("en", "I found no posts about zeppelins on Monday"),
    ],
)
def test_no_posts_is_said_plainly(lang: str, headline: str) -> None:
    figures: dict[str, str | int | float] = {
        "sample_size": 0,
        "total_mentions": 0,
        "volume_level": "usual",
        "crisis_level": "calm",
    }
    assert no_posts_found(figures) and nothing_found(figures)
    draft = OfflineEngine().answer(_request(lang, figures))
    assert draft.headline == headline
    assert not draft.cited_post_ids and len(draft.next_steps) == 2


def test_counted_posts_are_not_no_posts() -> None:
    assert not nothing_found({"sample_size": 0, "total_mentions": 12})
    assert not nothing_found({"sample_size": 5, "total_mentions": 0})
    assert nothing_found({"sample_size": 0})


def test_readings_offered_and_chosen() -> None:
    u = Understanding(
        Intent.UNKNOWN,
        "fr",
        Period.YESTERDAY,
        topic="batterie",
        reason="unclear",
        alternatives=(Intent.TOPIC, Intent.UNKNOWN, Intent.TOPIC, Intent.CRISIS, Intent.HELP),
    )
    assert readings_of(u) == [Intent.TOPIC, Intent.CRISIS, Intent.HELP]
    chosen = as_reading(u, Intent.TOPIC)
    assert (chosen.intent, chosen.period, chosen.topic, chosen.lang) == (
        Intent.TOPIC,
        Period.YESTERDAY,
        "batterie",
        "fr",
    )
    assert chosen.reason is None and chosen.alternatives == ()
    assert clarify_choice({"clarify": "crisis", "question": " et  hier ? "}) == (
        Intent.CRISIS,
        "et hier ?",
    )
    for bad in (None, {}, {"clarify": "unknown", "question": "x"}, {"clarify": "nope"}):
        assert clarify_choice(bad) is None


def _read(intent: Intent, confidence: float = 0.9, **kw: object) -> Understanding:
    return Understanding(intent, "en", confidence=confidence, **kw)  # type: ignore[arg-type]


def test_what_the_drafting_lets_go_of() -> None:
    brief = "our new battery"
    assert not is_new_question(_read(Intent.DRAFT, follow_up=True), brief)  # "shorter"
    assert not is_new_question(_read(Intent.DRAFT, topic="our new battery"), brief)
    assert is_new_question(_read(Intent.DRAFT, topic="safety"), brief)  # a new draft
    assert is_new_question(_read(Intent.CRISIS, 0.99), brief)
    assert is_new_question(_read(Intent.BRIEFING, 0.81), brief)
    assert not is_new_question(_read(Intent.EDITORIAL_LINE, 0.63), brief)  # unsure: an edit
    assert not is_new_question(_read(Intent.PULSE, 0.9, follow_up=True), brief)
    assert is_new_question(_read(Intent.UNKNOWN, 0.9, reason="injection"), brief)
    assert not is_new_question(_read(Intent.UNKNOWN, 0.9, reason="unclear"), brief)
    # Asked "on what subject?", a topic-like answer is the subject.
    assert not is_new_question(_read(Intent.TOPIC, 0.95), None)
    assert is_new_question(_read(Intent.CRISIS, 0.99), None)


def test_resume_the_draft_words() -> None:
    assert draft_command("Reprendre le brouillon !") == "fr"
    assert draft_command("resume the draft") == "en"
    assert draft_command("shorter") is None
