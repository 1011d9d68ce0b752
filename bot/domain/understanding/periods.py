"""Periods named in a question, and the time window each one means.

Named periods ("aujourd'hui", "last 24 hours", "cette semaine"…), a weekday ("lundi", "last
Tuesday": the most recent such day, today included), "depuis mercredi" / "since Wednesday",
"ce matin" / "this morning", an explicit date ("le 3 décembre", "Dec 3", "03/12"), and a part of
the day ("mardi soir"). Phrases live in `content/understanding/lexicon.yaml`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Final

from bot.domain.understanding.lexicon import Lexicon
from bot.ports.language import Period

__all__ = ["FoundPeriod", "find_period", "period_bounds"]

_WEEKDAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_NUMERIC_DATE_RE: Final = re.compile(
    r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)|(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?(?![\d/])"
)
_DAY_WORD_RE: Final = re.compile(r"^(\d{1,2})(?:er|st|nd|rd|th|e)?$")
_DAYPART_HOURS: Final = {
    "morning": (5, 12),
    "afternoon": (12, 18),
    "evening": (18, 24),
    "night": (0, 6),
}


@dataclass(frozen=True, slots=True)
class FoundPeriod:
    period: Period
    day: date | None = None  # for DATE
    daypart: str | None = None  # "morning", "afternoon", "evening", "night"


def _weekday(canon_tokens: list[str], lex: Lexicon) -> tuple[str, bool] | None:
    """(weekday, since) of the first weekday named."""
    for i, tok in enumerate(canon_tokens):
        day = lex.weekdays.get(tok)
        if day is None:
            continue
        prev = canon_tokens[i - 1] if i else ""
        if tok in lex.weekday_short and prev not in lex.weekday_leads:
            continue
        before = " " + " ".join(canon_tokens[max(0, i - 3) : i]) + " "
        since = bool(lex.since_leads.search(before)) and (
            prev in ("depuis", "since", "from")
            or before.rstrip().endswith(("partir de", "starting"))
        )
        return day, since
    return None


def _explicit_date(tokens: list[str], original: str, lex: Lexicon, today: date) -> date | None:
    m = _NUMERIC_DATE_RE.search(original)
    if m is not None:
        try:
            if m.group(1):
                return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
            day, month = int(m.group(4)), int(m.group(5))
            year = int(m.group(6)) if m.group(6) else today.year
            year = year + 2000 if year < 100 else year
            found = date(year, month, day)
            if not m.group(6) and found > today:
                found = date(year - 1, month, day)
            return found
        except ValueError:
            return None
    for i, tok in enumerate(tokens):
        named = lex.months.get(tok)
        if named is None or (
            tok in ("mar", "may", "mai", "jun", "sept", "sep") and not _near_day(tokens, i)
        ):
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(tokens):
                dm = _DAY_WORD_RE.match(tokens[j])
                if dm is not None:
                    try:
                        found = date(today.year, named, int(dm.group(1)))
                    except ValueError:
                        return None
                    return found if found <= today else date(today.year - 1, named, found.day)
    return None


def _near_day(tokens: list[str], i: int) -> bool:
    return any(
        0 <= j < len(tokens) and _DAY_WORD_RE.match(tokens[j]) is not None for j in (i - 1, i + 1)
    )


def find_period(canon: str, original: str, lex: Lexicon, today: date) -> FoundPeriod | None:
    """The period a question names, or None."""
    tokens = canon.split()
    daypart = None
    for name, regex in lex.dayparts:
        if regex.search(canon):
            daypart = name
            break
    explicit = _explicit_date(tokens, original, lex, today)
    if explicit is not None:
        return FoundPeriod(Period.DATE, explicit, daypart)
    wd = _weekday(tokens, lex)
    if wd is not None:
        day, since = wd
        if since:
            return FoundPeriod(Period.THIS_WEEK if day == "monday" else Period(f"since_{day}"))
        return FoundPeriod(Period(day), None, daypart)
    best: tuple[int, str] | None = None
    for name, regex in lex.periods:
        m = regex.search(canon)
        if m is not None and (best is None or m.end() - m.start() > best[0]):
            best = (m.end() - m.start(), name)
    if best is None:
        return None
    return FoundPeriod(Period(best[1]), None, None)


def _last(weekday: str, today: date) -> date:
    back = (today.weekday() - _WEEKDAYS.index(weekday)) % 7
    return today - timedelta(days=back)


def period_bounds(
    period: Period,
    now: datetime,
    tz: tzinfo,
    day: date | None = None,
    daypart: str | None = None,
) -> tuple[datetime, datetime]:
    """[start, end) of a period in the user's time zone, never past `now` (end > start)."""
    local = now.astimezone(tz)
    today = local.date()

    def at(d: date, hour: int = 0) -> datetime:
        return datetime.combine(d, time(0), tzinfo=tz) + timedelta(hours=hour)

    midnight = at(today)
    if period is Period.YESTERDAY:
        start, end = midnight - timedelta(days=1), midnight
    elif period is Period.LAST_24H:
        start, end = now - timedelta(hours=24), now
    elif period in (Period.THIS_WEEK, Period.LAST_7_DAYS):
        start, end = now - timedelta(days=7), now
    elif period is Period.THIS_MORNING:
        start, end = midnight, min(now, at(today, 12))
    elif period.value in _WEEKDAYS or (period is Period.DATE and day is not None):
        d = day if period is Period.DATE and day is not None else _last(period.value, today)
        start, end = at(d), at(d + timedelta(days=1))
        if daypart in _DAYPART_HOURS:
            lo, hi = _DAYPART_HOURS[daypart]
            start, end = at(d, lo), at(d, hi)
    elif period.value.startswith("since_"):
        start, end = at(_last(period.value.removeprefix("since_"), today)), now
    else:
        start, end = midnight, now
    end = min(end, now)
    if end <= start:
        start = end - timedelta(minutes=1)
    return start, end
