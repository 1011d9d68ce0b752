"""Watch profile → X API v2 search queries (`GET /2/tweets/search/recent`, `counts/recent`).

Choices, so that the code can be read against them:

- A post is *about the company* when it contains one of its names or spellings, keywords
  (products, #hashtags, $cashtags), spokespeople's names, or mentions one of its handles
  (`@velora`) or a spokesperson's handle. The company's own posts are left out
  (`-from:velora`): executives ask what *others* say; replies to the company still count.
- A competitor is watched the same way with its own names, handles and exclusions; its own
  posts are *kept* (what a competitor announces is news).
- The sector query is the sector terms alone, without exclusions.
- Terms are OR-ed inside parentheses (X evaluates AND before OR, so the parentheses matter),
  followed by the exclusions (`-"Villa Velora"`) and the language filter
  (`lang:fr` or `(lang:fr OR lang:en)`).
- A term is written bare when it is one plain word, as an operator when it is a #hashtag,
  $cashtag or @handle, and quoted otherwise (spaces, hyphens, apostrophes, a leading `-`, the
  reserved words OR/AND): `"Velora Cargo"`, `"e-bike"`. A double quote inside a phrase is
  escaped as `\\"`. Accents are kept as written: X matching is accent-sensitive, so a profile
  lists both spellings when both are used (`vélo`, `velo`).
- Terms are matched case-insensitively by X, so duplicates differing only by case are dropped.
- A query is at most 512 characters. When the terms do not fit, they are split over several
  queries, each repeating the exclusions and language filter; every term appears in exactly
  one of them. If the exclusions and filter alone leave no room for a term, `QueryTooLong`
  says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.domain.documents import Problem
from bot.domain.watch import WatchProfile

MAX_QUERY_LENGTH = 512

_PLAIN_WORD_RE = re.compile(r"^\w+$")
_TAG_RE = re.compile(r"^[#$]\w+$")
_RESERVED = {"OR", "AND", "NOT"}


class QueryTooLong(ValueError):
    """The profile cannot be expressed within X's query length limit.

    `problem` says so as a coded problem of the profile (`query_empty`, `query_exclusions`,
    `query_term`), at the field to shorten."""

    def __init__(self, message: str, problem: Problem | None = None) -> None:
        super().__init__(message)
        self.problem = problem or Problem("", message, "other")


@dataclass(frozen=True, slots=True)
class QuerySet:
    """The queries for one target: together they cover every term exactly once."""

    target: str  # "company", "competitor", "sector"
    label: str  # the company's or competitor's display name, or "sector"
    queries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WatchQueries:
    company: QuerySet
    competitors: tuple[QuerySet, ...]
    sector: QuerySet | None  # None when the profile lists no sector terms

    def all(self) -> tuple[QuerySet, ...]:
        sets = [self.company, *self.competitors]
        if self.sector is not None:
            sets.append(self.sector)
        return tuple(sets)


def quote(phrase: str) -> str:
    """An exact-phrase operator, with backslashes and double quotes escaped."""
    escaped = phrase.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def term_operator(term: str) -> str:
    """One profile term as an X query operand."""
    if _TAG_RE.match(term):
        return term  # hashtag / cashtag operator
    if term.startswith("@") and _PLAIN_WORD_RE.match(term[1:]):
        return term  # mention of a handle
    if _PLAIN_WORD_RE.match(term) and term.upper() not in _RESERVED:
        return term
    return quote(term)


def handle_operator(handle: str) -> str:
    return f"@{handle.removeprefix('@')}"


def language_filter(languages: list[str]) -> str:
    if not languages:
        return ""
    parts = [f"lang:{lang}" for lang in languages]
    return parts[0] if len(parts) == 1 else f"({' OR '.join(parts)})"


def _dedupe(operands: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for operand in operands:
        key = operand.casefold()
        if key not in seen:
            seen.add(key)
            out.append(operand)
    return out


def _group(operands: list[str]) -> str:
    return operands[0] if len(operands) == 1 else f"({' OR '.join(operands)})"


def pack(
    operands: list[str], suffix: str, *, what: str, locs: tuple[str, str] = ("", "")
) -> tuple[str, ...]:
    """OR-groups of `operands`, each followed by `suffix`, each query ≤ 512 characters.

    Greedy in the given order; every operand lands in exactly one query.
    """
    operands = _dedupe(operands)
    if not operands:
        message = "nothing to search for (no names, handles or terms)"
        raise QueryTooLong(f"{what}: {message}", Problem(locs[0], message, "query_empty"))
    tail = f" {suffix}" if suffix else ""
    # Room left for the OR group: the smallest group is one operand without parentheses.
    room = MAX_QUERY_LENGTH - len(tail)
    shortest = min(len(o) for o in operands)
    if shortest > room:
        message = (
            f"the exclusions and language filter alone take {len(tail)} of the "
            f"{MAX_QUERY_LENGTH} characters of an X query; shorten the exclusion list"
        )
        params = {"taken": len(tail), "max": MAX_QUERY_LENGTH}
        problem = Problem(locs[1], message, "query_exclusions", params=params)
        raise QueryTooLong(f"{what}: {message}", problem)
    queries: list[str] = []
    current: list[str] = []
    for operand in operands:
        if len(operand) > room:
            length = len(operand) + len(tail)
            message = (
                f"the term {operand} does not fit in one X query next to the "
                f"exclusions ({length} > {MAX_QUERY_LENGTH} characters)"
            )
            term = {"value": operand, "length": length, "max": MAX_QUERY_LENGTH}
            problem = Problem(locs[0], message, "query_term", params=term)
            raise QueryTooLong(f"{what}: {message}", problem)
        candidate = [*current, operand]
        if current and len(_group(candidate)) > room:
            queries.append(_group(current) + tail)
            current = [operand]
        else:
            current = candidate
    queries.append(_group(current) + tail)
    return tuple(queries)


def _suffix(exclusions: list[str], own_handles: list[str], languages: list[str]) -> str:
    parts = [f"-{term_operator(t)}" for t in _dedupe(exclusions)]
    parts += [f"-from:{h}" for h in own_handles]
    lang = language_filter(languages)
    if lang:
        parts.append(lang)
    return " ".join(parts)


def company_queries(profile: WatchProfile) -> QuerySet:
    operands = [term_operator(n) for n in profile.names]
    operands += [handle_operator(h) for h in profile.handles]
    operands += [term_operator(k) for k in profile.keywords]
    for person in profile.spokespeople:
        operands.append(term_operator(person.name))
        operands += [handle_operator(h) for h in person.handles]
    suffix = _suffix(profile.exclusions, profile.handles, profile.languages)
    locs = ("names", "exclusions")
    queries = pack(operands, suffix, what=f"company {profile.company!r}", locs=locs)
    return QuerySet(target="company", label=profile.company, queries=queries)


def competitor_queries(profile: WatchProfile) -> tuple[QuerySet, ...]:
    sets: list[QuerySet] = []
    for index, competitor in enumerate(profile.competitors):
        operands = [term_operator(n) for n in competitor.names]
        operands += [handle_operator(h) for h in competitor.handles]
        suffix = _suffix(competitor.exclusions, [], profile.languages)
        what, loc = f"competitors[{index}] {competitor.name!r}", f"competitors[{index}]"
        queries = pack(operands, suffix, what=what, locs=(loc, loc))
        sets.append(QuerySet(target="competitor", label=competitor.name, queries=queries))
    return tuple(sets)


def sector_queries(profile: WatchProfile) -> QuerySet | None:
    if not profile.sector_terms:
        return None
    operands = [term_operator(t) for t in profile.sector_terms]
    locs = ("sector_terms", "sector_terms")
    queries = pack(operands, _suffix([], [], profile.languages), what="sector", locs=locs)
    return QuerySet(target="sector", label="sector", queries=queries)


def build_queries(profile: WatchProfile) -> WatchQueries:
    """Every query set of a profile; raises `QueryTooLong` if one cannot be built."""
    return WatchQueries(
        company=company_queries(profile),
        competitors=competitor_queries(profile),
        sector=sector_queries(profile),
    )
