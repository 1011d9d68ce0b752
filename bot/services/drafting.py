"""Drafting posts for X that follow the tenant's editorial line. No botbuilder here.

`DraftingService.propose(...)`:

1. builds the `DraftRequest`: the line (resolved, as complete YAML data), its
   approved sample posts as examples (the brief's language first), and a bounded set of
   context posts from the insights on the brief's topic (a failure there only drops them);
2. asks the engine (on `EngineError`, the fallback engine when one is given, with a notice);
3. checks every variant with the compliance checker, then repairs the ones that break the line:
   first mechanically where the fix is certain (a forbidden or extra hashtag, emoji or link
   removed, an avoided term replaced by the line's own suggestion, hidden characters dropped),
   then by asking the engine again with the findings (`DraftRequest.findings`), at most
   `MAX_REPAIR_ROUNDS` rounds. A repaired text replaces the original only when it has fewer
   errors.

Figures: a number in a variant that appears nowhere in what the engine was given (the brief,
the line, its sample posts, the context posts, the revision asked) was invented: the sentences
holding it are removed (`strip_invented_figures`), and a variant left empty is dropped; when
every variant is dropped, the fallback engine writes them, with the notice
`engine.invented_figures`. Claims about a company and instructions are flagged by the
compliance check itself (`claim.*` warnings): such a draft is never shown as plainly compliant.

Whatever happens, a `Variant` carries the `ComplianceReport` of *its own final text*, computed
here (`Variant.compliant` is `report.compliant`): a draft is never shown as compliant when it is
not. With an offline engine the variants are template suggestions (`Variant.template`).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Final, Literal

from bot.domain.compliance import ComplianceReport, Finding, check
from bot.domain.editorial import EditorialLine, Severity
from bot.domain.grounding import allowed_numbers, unsupported_numbers
from bot.domain.text import fold_words
from bot.ports.language import DraftRequest, EngineError, LanguageEngine, PostDraft, SamplePost
from bot.services.editorial_store import EditorialStore

if TYPE_CHECKING:
    from bot.services.insights import InsightsService

logger = logging.getLogger(__name__)

Source = Literal["request", "answer", "alert"]
SOURCES: Final = ("request", "answer", "alert")
MAX_REPAIR_ROUNDS: Final = 2
MAX_VARIANTS: Final = 5
MAX_CONTEXT_POSTS: Final = 8
MAX_EXAMPLES: Final = 5
MAX_BRIEF_CHARS: Final = 600
MAX_TOPIC_WORDS: Final = 6

ContextProvider = Callable[[str | None, str, str], Awaitable[list[SamplePost]]]
"""`(tenant_id, topic, lang) -> context posts` (e.g. from `InsightsService`)."""

# Findings the service repairs mechanically: the fix is certain and keeps the sense.
_REMOVABLE: Final = frozenset(
    {
        "hashtag.forbidden",
        "hashtag.not_allowed",
        "hashtag.too_many",
        "emoji.forbidden",
        "emoji.too_many",
        "link.forbidden",
        "link.domain_not_allowed",
        "text.hidden_character",
    }
)


@dataclass(frozen=True, slots=True)
class Variant:
    """One proposed post, with the compliance report of exactly this text."""

    text: str
    rationale: str
    report: ComplianceReport
    engine: str
    template: bool = False  # written by the offline engine: a template suggestion
    repair_rounds: int = 0  # engine repair rounds used (0: none needed or none helped)
    repaired: bool = False  # the text was changed to follow the line
    notice: str | None = None  # e.g. "engine.timeout": the fallback engine wrote it

    @property
    def compliant(self) -> bool:
        return self.report.compliant

    @property
    def weighted_length(self) -> int:
        return self.report.weighted_length

    def to_data(self) -> dict[str, Any]:
        """JSON-ready (dialog state, card data); the report is recomputed on reading."""
        return {
            "text": self.text,
            "rationale": self.rationale,
            "engine": self.engine,
            "template": self.template,
            "repair_rounds": self.repair_rounds,
            "repaired": self.repaired,
            "notice": self.notice,
        }


@dataclass(frozen=True, slots=True)
class Revision:
    """A revision asked in the user's words, as an instruction for the engine."""

    instruction: str
    lang: str | None = None  # the language the post must now be in, when the user asked


_REVISIONS: Final[tuple[tuple[tuple[str, ...], str, str | None], ...]] = (
    (("en anglais", "in english", "english", "anglais", "translate"), "in English", "en"),
    (("en francais", "in french", "french", "francais", "traduire"), "in French", "fr"),
    (("plus court", "shorter", "raccourcir", "raccourcis", "plus concis", "more concise"),
     "shorter", None),
    (("plus long", "longer", "developpe", "more detail"), "longer, with more detail", None),
    (("moins formel", "less formal", "plus decontracte", "more casual", "plus detendu"),
     "less formal", None),
    (("plus formel", "more formal", "plus soutenu"), "more formal", None),
    (("plus chaleureux", "warmer", "plus chaleureuse"), "warmer", None),
    (("sans hashtag", "no hashtag", "without hashtags", "sans hashtags"), "without hashtags", None),
    (("sans emoji", "no emoji", "without emoji"), "without emoji", None),
)  # fmt: skip


def revision_of(text: str) -> Revision:
    """ "plus court" → shorter; "en anglais" → in English (and lang "en"); anything else is
    passed to the engine as written (bounded)."""
    folded = fold_words(text)
    for cues, instruction, lang in _REVISIONS:
        if folded in cues or any(re.search(rf"\b{re.escape(c)}\b", folded) for c in cues):
            return Revision(instruction, lang)
    return Revision(" ".join(text.split())[:300])


def describe_finding(finding: Finding, text: str) -> str:
    """A finding for the engine (English, with the offending excerpt): data, not prose."""
    params = ", ".join(
        f"{k}={'/'.join(v) if isinstance(v, tuple) else v}"
        for k, v in finding.params.items()
        if v not in (None, "", ())
    )
    where = ""
    if finding.start is not None and finding.end is not None and finding.end > finding.start:
        where = f' at "{text[finding.start : finding.end]}"'
    return f"{finding.code} ({finding.severity.value}){where}" + (f": {params}" if params else "")


def _tidy(text: str) -> str:
    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r" +([,.;:!?)])", r"\1", text)
    text = re.sub(r"\(\s*\)", "", text)
    text = re.sub(r" *\n *", "\n", text)
    return text.strip()


def _with_case(replacement: str, matched: str) -> str:
    if matched[:1].isupper() and replacement[:1].islower():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def mechanical_repair(report: ComplianceReport) -> str | None:
    """The text with the findings whose fix is certain fixed; None when nothing changed."""
    text = report.text
    edits: list[tuple[int, int, str]] = []
    for f in report.findings:
        if f.start is None or f.end is None or f.end <= f.start:
            continue
        if f.code in _REMOVABLE:
            edits.append((f.start, f.end, ""))
        elif f.code == "term.avoided" and f.severity is Severity.ERROR:
            suggestion = f.params.get("suggestion")
            if isinstance(suggestion, str) and suggestion:
                edits.append((f.start, f.end, _with_case(suggestion, text[f.start : f.end])))
    if not edits:
        return None
    edits.sort(key=lambda e: (e[0], -e[1]))
    kept: list[tuple[int, int, str]] = []
    for edit in edits:  # overlapping spans: the first (outermost) wins
        if kept and edit[0] < kept[-1][1]:
            continue
        kept.append(edit)
    for start, end, replacement in reversed(kept):
        text = text[:start] + replacement + text[end:]
    text = _tidy(text)
    return text if text != report.text else None


def topic_of(brief: str) -> str | None:
    """A short brief is its own topic for the insights; a long one is not a search topic."""
    words = brief.split()
    return " ".join(words) if 0 < len(words) <= MAX_TOPIC_WORDS else None


@dataclass(frozen=True, slots=True)
class _Attempt:
    text: str
    rationale: str
    report: ComplianceReport


@dataclass
class DraftingStats:
    """Counters for the benchmark and the logs."""

    requests: int = 0
    engine_calls: int = 0
    mechanical_repairs: int = 0
    engine_repairs: int = 0
    shown: int = 0
    shown_compliant: int = 0
    fallbacks: int = 0
    figures_removed: int = 0  # invented figures removed from model drafts
    per_round: list[int] = field(default_factory=lambda: [0] * (MAX_REPAIR_ROUNDS + 1))


class DraftingService:
    def __init__(
        self,
        editorial: EditorialStore,
        engine: LanguageEngine,
        *,
        fallback: LanguageEngine | None = None,
        context: ContextProvider | None = None,
        max_context_posts: int = MAX_CONTEXT_POSTS,
        context_timeout_s: float = 8.0,
    ) -> None:
        self._editorial = editorial
        self._engine = engine
        self._fallback = fallback
        self._context = context
        self._max_context = max_context_posts
        self._context_timeout = context_timeout_s
        self.stats = DraftingStats()
        self._yaml: tuple[EditorialLine, str] | None = None  # the last line given as YAML

    @property
    def engine(self) -> LanguageEngine:
        return self._engine

    async def line(self, tenant_id: str) -> EditorialLine:
        return await self._editorial.current(tenant_id)

    async def check(
        self, tenant_id: str, text: str, lang: str, *, source: Source = "request"
    ) -> ComplianceReport:
        """The report of a text the user wrote or edited, against the current line."""
        line = await self._editorial.current(tenant_id)
        return check(text, line, lang=lang, flags=self._flags(line, source))

    async def variant_from_data(
        self, tenant_id: str, data: dict[str, Any], lang: str, *, source: Source = "request"
    ) -> Variant:
        """A variant read back from dialog state or card data: its report is recomputed."""
        text = str(data.get("text") or "")
        report = await self.check(tenant_id, text, lang, source=source)
        return Variant(
            text=text,
            rationale=str(data.get("rationale") or ""),
            report=report,
            engine=str(data.get("engine") or "user"),
            template=bool(data.get("template")),
            repair_rounds=int(data.get("repair_rounds") or 0),
            repaired=bool(data.get("repaired")),
            notice=str(data["notice"]) if data.get("notice") else None,
        )

    async def propose(
        self,
        tenant_id: str,
        brief: str,
        lang: str,
        count: int = 3,
        revision: str | None = None,
        previous: str | None = None,
        source: Source = "request",
        *,
        topic: str | None = None,
    ) -> list[Variant]:
        """`count` variants (at most 5), each checked (and repaired) against the line."""
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}")
        count = max(1, min(count, MAX_VARIANTS))
        brief = " ".join(brief.split())[:MAX_BRIEF_CHARS]
        self.stats.requests += 1
        line = await self._editorial.current(tenant_id)
        if lang not in line.languages:
            lang = line.default_language
        flags = self._flags(line, source)
        context = await self._context_posts(tenant_id, topic or topic_of(brief), lang)
        request = DraftRequest(
            brief=brief,
            lang=lang,
            count=count,
            editorial_line_yaml=self._line_yaml(line),
            sample_posts=self._examples(line, lang),
            context_posts=context,
            revision=revision,
            previous=previous,
        )
        engine, drafts, notice = await self._write(request)
        variants = await self._variants(engine, request, drafts, line, flags, notice)
        if not variants and drafts and self._fallback is not None and engine is not self._fallback:
            logger.warning("drafting: every variant had invented figures; fallback engine")
            self.stats.fallbacks += 1
            drafts = await self._fallback.write_posts(request)
            notice = "engine.invented_figures"
            variants = await self._variants(self._fallback, request, drafts, line, flags, notice)
        self.stats.shown += len(variants)
        self.stats.shown_compliant += sum(v.compliant for v in variants)
        return variants

    # -- steps ------------------------------------------------------------------------------

    async def _variants(
        self,
        engine: LanguageEngine,
        request: DraftRequest,
        drafts: Sequence[PostDraft],
        line: EditorialLine,
        flags: frozenset[str],
        notice: str | None,
    ) -> list[Variant]:
        out = []
        for draft in self._distinct(drafts)[: request.count]:
            variant = await self._variant(engine, request, draft, line, flags, notice)
            if variant is not None:
                out.append(variant)
        return out

    @staticmethod
    def _flags(line: EditorialLine, source: Source) -> frozenset[str]:
        return frozenset({line.crisis.flag}) if source == "alert" else frozenset()

    def _line_yaml(self, line: EditorialLine) -> str:
        """The resolved line as complete YAML (engines may validate it); lines are immutable
        and the store hands out the same object until it changes, so the last one is kept."""
        if self._yaml is not None and self._yaml[0] is line:
            return self._yaml[1]
        text = line.resolved().to_yaml()
        self._yaml = (line, text)
        return text

    @staticmethod
    def _examples(line: EditorialLine, lang: str) -> list[str]:
        resolved = line.resolved()
        posts = sorted(resolved.sample_posts, key=lambda p: p.lang != lang)
        return [p.text for p in posts[:MAX_EXAMPLES]]

    async def _context_posts(
        self, tenant_id: str | None, topic: str | None, lang: str
    ) -> list[SamplePost]:
        if self._context is None or not topic:
            return []
        try:
            async with asyncio.timeout(self._context_timeout):
                posts = await self._context(tenant_id, topic, lang)
        except Exception as exc:  # context is a bonus: drafting goes on without it
            logger.warning("drafting without context posts (%s)", type(exc).__name__)
            return []
        return list(posts[: self._max_context])

    async def _write(
        self, request: DraftRequest
    ) -> tuple[LanguageEngine, list[PostDraft], str | None]:
        self.stats.engine_calls += 1
        try:
            return self._engine, await self._engine.write_posts(request), None
        except EngineError as exc:
            if self._fallback is None:
                raise
            logger.warning("drafting fell back to %s (%s)", self._fallback.name, exc.code)
            self.stats.fallbacks += 1
            self.stats.engine_calls += 1
            drafts = await self._fallback.write_posts(request)
            return self._fallback, drafts, f"engine.{exc.code}"

    @staticmethod
    def _distinct(drafts: Sequence[PostDraft]) -> list[PostDraft]:
        seen: set[str] = set()
        out: list[PostDraft] = []
        for d in drafts:
            key = " ".join(d.text.split()).casefold()
            if key and key not in seen:
                seen.add(key)
                out.append(d)
        return out

    def _attempt(
        self, text: str, rationale: str, line: EditorialLine, lang: str, flags: Iterable[str]
    ) -> _Attempt:
        return _Attempt(text, rationale, check(text, line, lang=lang, flags=flags))

    async def _variant(
        self,
        engine: LanguageEngine,
        request: DraftRequest,
        draft: PostDraft,
        line: EditorialLine,
        flags: frozenset[str],
        notice: str | None,
    ) -> Variant | None:
        lang = request.lang
        known = known_figures(request)
        original = draft.text.strip()
        text, invented = strip_invented_figures(original, known)
        if invented:
            logger.info("drafting: removed invented figures %s", invented)
            self.stats.figures_removed += len(invented)
        if not text:
            return None
        best = self._attempt(text, draft.rationale, line, lang, flags)
        rounds = 0
        best = self._mechanical(best, line, lang, flags)
        while not best.report.compliant and rounds < MAX_REPAIR_ROUNDS:
            rounds += 1
            repair = replace(
                request,
                count=1,
                previous=best.text,
                findings=[describe_finding(f, best.text) for f in best.report.errors],
            )
            self.stats.engine_calls += 1
            try:
                fixed = await engine.write_posts(repair)
            except EngineError as exc:
                logger.info("repair round %d failed (%s)", rounds, exc.code)
                break
            if not fixed:
                continue
            fixed_text, _ = strip_invented_figures(fixed[0].text.strip(), known)
            if not fixed_text:
                continue
            candidate = self._attempt(
                fixed_text, fixed[0].rationale or best.rationale, line, lang, flags
            )
            candidate = self._mechanical(candidate, line, lang, flags)
            if len(candidate.report.errors) < len(best.report.errors):
                best = candidate
                self.stats.engine_repairs += 1
        if best.report.compliant:
            self.stats.per_round[min(rounds, MAX_REPAIR_ROUNDS)] += 1
        return Variant(
            text=best.text,
            rationale=" ".join(best.rationale.split())[:200],
            report=best.report,  # the report of this very text
            engine=engine.name,
            template=engine.offline,
            repair_rounds=rounds,
            repaired=best.text != original,
            notice=notice,
        )

    def _mechanical(
        self, attempt: _Attempt, line: EditorialLine, lang: str, flags: Iterable[str]
    ) -> _Attempt:
        if attempt.report.compliant:
            return attempt
        fixed = mechanical_repair(attempt.report)
        if fixed is None:
            return attempt
        candidate = self._attempt(fixed, attempt.rationale, line, lang, flags)
        if len(candidate.report.errors) < len(attempt.report.errors):
            self.stats.mechanical_repairs += 1
            return candidate
        return attempt


_SENTENCE_END_RE: Final = re.compile(r"(?<=[.!?…])\s+|\n+")


def known_figures(request: DraftRequest) -> frozenset[float]:
    """Every number a draft may state: those in what the engine was given."""
    return allowed_numbers(
        [
            request.brief,
            request.editorial_line_yaml,
            request.revision or "",
            *request.sample_posts,
            *(p.text for p in request.context_posts),
        ]
    )


def strip_invented_figures(text: str, known: frozenset[float]) -> tuple[str, list[float]]:
    """`text` without the sentences that state a number found nowhere in `known`, and those
    numbers (empty when there were none: the text is then returned as it was)."""
    invented = unsupported_numbers(text, known)
    if not invented:
        return text, []
    kept = [s for s in _SENTENCE_END_RE.split(text) if s and not unsupported_numbers(s, known)]
    return " ".join(kept).strip(), invented


def insights_context(insights: InsightsService) -> ContextProvider:
    """A `ContextProvider` on `InsightsService`: posts on the topic (today, company focus)."""
    from bot.services.ask import sample_posts

    async def provide(tenant_id: str | None, topic: str, lang: str) -> list[SamplePost]:
        result = await insights.compute(tenant_id, topic=topic)
        posts = sample_posts(result.analysis)
        posts.sort(key=lambda p: (p.lang != lang, -p.engagement))
        return posts

    return provide


__all__ = [
    "MAX_REPAIR_ROUNDS",
    "ContextProvider",
    "DraftingService",
    "Revision",
    "Source",
    "Variant",
    "describe_finding",
    "insights_context",
    "mechanical_repair",
    "revision_of",
    "strip_invented_figures",
]
