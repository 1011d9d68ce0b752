"""The language engine on any OpenAI-compatible endpoint: OpenAI, Azure OpenAI, a local server.

- Structured outputs: `chat.completions.parse(response_format=<pydantic model>)`; the parsed
  result is then checked (`_check_*`): cited post ids must be in the sample, links and @handles
  must come from the material given, markup is removed, lengths are bounded, and a figure that
  appears nowhere in the data invalidates the answer (the service falls back to the offline
  engine, whose figures are exact).
- Time: one overall deadline per call (`timeout_s`, at most 30 s: Teams will not wait longer),
  and at most `max_retries` quick retries on a 5xx or a dropped connection, within that deadline.
  Rate limits are not retried: the executive gets the offline answer now rather than a late one.
- Size: `max_completion_tokens` is sent on every call, and a response body over
  `max_response_bytes` (or compressed) is refused before it is parsed (`transport.py`):
  `EngineError("response_too_large")`, and the services fall back to the offline engine.
- Tokens: the request is estimated before the call and the posts sample is budgeted so that the
  whole request stays under `max_input_tokens`; the usage reported by the model is logged with
  the prompt id.
- Errors: every failure is an `EngineError` with a code from `errors.ErrorCode`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any, Final, Literal, TypeVar, cast

import openai
from pydantic import BaseModel

from bot.clients.llm.errors import ErrorCode, map_error
from bot.clients.llm.prompts import PromptManager, RenderedPrompt
from bot.clients.llm.sanitize import (
    Allowed,
    allowed_numbers,
    clean_output,
    unsupported_numbers,
)
from bot.clients.llm.transport import DEFAULT_MAX_RESPONSE_BYTES, SizeCappedTransport
from bot.domain.tokens import budget_sample, clean_text, estimate_messages, theme_names
from bot.ports.language import (
    AnswerDraft,
    AnswerRequest,
    DraftRequest,
    EngineError,
    Intent,
    Period,
    PostDraft,
    PostSentiment,
    SamplePost,
    SentimentScores,
    Understanding,
    Vocabulary,
)

__all__ = ["OpenAIConfig", "OpenAIEngine"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
TokenProvider = Callable[[], "str | Awaitable[str]"]

AZURE_SCOPE: Final = "https://cognitiveservices.azure.com/.default"
LANGUAGE_NAMES: Final = {"fr": "French", "en": "English"}
MAX_THEMES: Final = 8
MAX_CITED: Final = 5
MAX_POSTS: Final = 5
MAX_SENTIMENT_POSTS: Final = 100
SENTIMENT_POST_CHARS: Final = 400
SENTIMENT_TOKENS_PER_POST: Final = 30  # output budget per item: {"id", "sentiment", ...}
RETRY_DELAY_S: Final = 0.3
_RETRYABLE: Final = (openai.InternalServerError,)


@dataclass(frozen=True, slots=True)
class OpenAIConfig:
    """How to reach the model. Azure OpenAI when `azure_endpoint` is set (then `deployment` is
    the model name sent; the key, or Microsoft Entra ID through DefaultAzureCredential when no
    key is given); otherwise the OpenAI API or any compatible server at `base_url`."""

    model: str = "gpt-4.1-mini"
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    azure_endpoint: str | None = None
    azure_deployment: str | None = None
    azure_api_version: str = "2024-10-21"
    timeout_s: float = 20.0
    max_retries: int = 1
    max_input_tokens: int = 4000
    max_output_tokens: int = 800
    temperature: float | None = 0.2
    max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES  # a bigger body is never parsed

    def __post_init__(self) -> None:
        if not 0 < self.timeout_s <= 30:
            raise ValueError("timeout_s must be in (0, 30]")
        if not 0 <= self.max_retries <= 3:
            raise ValueError("max_retries must be in [0, 3]")
        if self.azure_endpoint and not self.azure_deployment:
            raise ValueError("azure_endpoint needs azure_deployment")
        if self.max_input_tokens < 1000:
            raise ValueError("max_input_tokens must be at least 1000")
        if not 0 < self.max_output_tokens <= 16_000:
            raise ValueError("max_output_tokens must be in (0, 16000]")
        if self.max_response_bytes < 1024:
            raise ValueError("max_response_bytes must be at least 1024")

    @property
    def is_azure(self) -> bool:
        return bool(self.azure_endpoint)

    @property
    def model_name(self) -> str:
        return self.azure_deployment if self.is_azure and self.azure_deployment else self.model


# -- structured outputs -------------------------------------------------------------------------


class _UnderstandingOut(BaseModel):
    intent: Intent
    lang: Literal["fr", "en"]
    period: Period
    topic: str | None
    competitor: str | None
    post_ref: str | None
    follow_up: bool
    confidence: float
    # Newer fields (prompt v3) default, so that an older deployment's answer still parses.
    date: str | None = None
    daypart: Literal["morning", "afternoon", "evening", "night"] | None = None
    reason: Literal["out_of_scope", "smalltalk", "injection", "unclear"] | None = None
    alternatives: list[Intent] = []


class _AnswerOut(BaseModel):
    headline: str
    summary: str
    points: list[str]
    cited_post_ids: list[str]
    next_steps: list[str]


class _PostOut(BaseModel):
    text: str
    rationale: str


class _PostsOut(BaseModel):
    posts: list[_PostOut]


class _ThemeNameOut(BaseModel):
    id: int
    name: str


class _ThemeNamesOut(BaseModel):
    names: list[_ThemeNameOut]


class _ExplanationOut(BaseModel):
    text: str


class _SentimentItemOut(BaseModel):
    id: str
    sentiment: Literal["negative", "neutral", "positive"]
    mixed: bool
    confidence: float


class _SentimentOut(BaseModel):
    items: list[_SentimentItemOut]


@dataclass(frozen=True, slots=True)
class _Result:
    value: BaseModel
    prompt_id: str
    input_tokens: int
    output_tokens: int


# -- the engine ---------------------------------------------------------------------------------


class OpenAIEngine:
    """`LanguageEngine` on an OpenAI-compatible chat completions endpoint."""

    def __init__(
        self,
        config: OpenAIConfig,
        *,
        prompts: PromptManager | None = None,
        azure_ad_token_provider: TokenProvider | None = None,
        company: str = "",
    ) -> None:
        self._config = config
        self._prompts = prompts or PromptManager()
        self._company = company
        self._credential: Any = None
        self._client: openai.AsyncOpenAI = self._build_client(azure_ad_token_provider)

    def _build_client(self, token_provider: TokenProvider | None) -> openai.AsyncOpenAI:
        cfg = self._config
        # Every response body goes through a size cap before the client parses it.
        http_client = openai.DefaultAsyncHttpxClient(
            transport=SizeCappedTransport(cfg.max_response_bytes), timeout=cfg.timeout_s
        )
        common: dict[str, Any] = {
            "timeout": cfg.timeout_s,
            "max_retries": 0,
            "http_client": http_client,
        }
        if cfg.is_azure:
            if cfg.api_key is None and token_provider is None:
                from azure.identity.aio import DefaultAzureCredential, get_bearer_token_provider

                self._credential = DefaultAzureCredential()
                token_provider = get_bearer_token_provider(self._credential, AZURE_SCOPE)
            return openai.AsyncAzureOpenAI(
                azure_endpoint=cast(str, cfg.azure_endpoint),
                azure_deployment=cfg.azure_deployment,
                api_version=cfg.azure_api_version,
                api_key=cfg.api_key,
                azure_ad_token_provider=None if cfg.api_key else token_provider,
                **common,
            )
        # A local server needs no key, but the client insists on one.
        return openai.AsyncOpenAI(api_key=cfg.api_key or "no-key", base_url=cfg.base_url, **common)

    @property
    def name(self) -> str:
        return self._config.model_name

    @property
    def offline(self) -> bool:
        return False

    async def aclose(self) -> None:
        await self._client.close()
        if self._credential is not None:
            await self._credential.close()

    # -- LanguageEngine ------------------------------------------------------------------------

    async def understand(
        self,
        text: str,
        lang: str,
        previous: Understanding | None,
        vocabulary: Vocabulary | None = None,
    ) -> Understanding:
        prompt = self._prompts.render(
            "understand_question",
            question=clean_text(text, 1000),
            lang=lang,
            previous=asdict(previous) if previous is not None else None,
            competitors=[clean_text(c, 80) for c in (vocabulary.competitors if vocabulary else ())],
            today=date.today().isoformat(),
        )
        result = await self._call(prompt, _UnderstandingOut)
        out = cast(_UnderstandingOut, result.value)
        return Understanding(
            intent=out.intent,
            lang=out.lang if out.lang in LANGUAGE_NAMES else lang,
            period=out.period,
            topic=_slot(out.topic),
            competitor=_slot(out.competitor),
            post_ref=_post_ref(out.post_ref, text),
            follow_up=out.follow_up,
            confidence=min(1.0, max(0.0, out.confidence)),
            date=_iso_date(out.date) if out.period is Period.DATE else None,
            daypart=out.daypart,
            reason=out.reason if out.intent is Intent.UNKNOWN else None,
            alternatives=tuple(a for a in out.alternatives if a is not Intent.UNKNOWN)[:3]
            if out.intent is Intent.UNKNOWN
            else (),
        )

    async def write_answer(self, request: AnswerRequest) -> AnswerDraft:
        u = request.understanding
        variables: dict[str, Any] = {
            "company": self._company,
            "language": _language(u.lang),
            "question": clean_text(request.question, 1000),
            "intent": u.intent.value,
            # "date 2026-12-03 evening": the model must know which day, not just "date"
            "period": " ".join(p for p in (u.period.value, u.date, u.daypart) if p),
            "topic": u.topic,
            "competitor": u.competitor,
            "figures": request.figures,
            "themes": request.themes[:MAX_THEMES],
            "notices": request.notices,
        }
        posts = self._budgeted(
            "answer_question", variables, request.posts, theme_names(request.themes)
        )
        prompt = self._prompts.render("answer_question", **variables, posts=posts)
        result = await self._call(prompt, _AnswerOut)
        return self._check_answer(cast(_AnswerOut, result.value), request, posts, result)

    async def write_posts(self, request: DraftRequest) -> list[PostDraft]:
        variables: dict[str, Any] = {
            "language": _language(request.lang),
            "brief": clean_text(request.brief, 1000),
            "count": _post_count(request),
            "editorial_line_yaml": request.editorial_line_yaml,
            "examples": [clean_text(p, 600) for p in request.sample_posts[:5]],
            "previous": request.previous,
            "revision": clean_text(request.revision, 300) if request.revision else None,
            "findings": [clean_text(f, 300) for f in request.findings],
        }
        posts = self._budgeted("draft_posts", variables, request.context_posts, ())
        prompt = self._prompts.render("draft_posts", **variables, posts=posts)
        result = await self._call(prompt, _PostsOut)
        return self._check_posts(cast(_PostsOut, result.value), request, result)

    async def explain(self, question: str, title: str, body: str, lang: str) -> str:
        """A coach entry rephrased to answer `question`, with no fact added."""
        entry = {"title": title, "body": body}
        prompt = self._prompts.render(
            "explain_x", language=_language(lang), question=clean_text(question, 500), entry=entry
        )
        result = await self._call(prompt, _ExplanationOut)
        text = clean_output(cast(_ExplanationOut, result.value).text, Allowed(), 800)
        numbers = allowed_numbers([title, body, question])
        if not text or unsupported_numbers(text, numbers):
            raise EngineError(ErrorCode.INVALID_OUTPUT, "explanation empty or with new figures")
        return text

    async def name_themes(
        self, themes: list[tuple[list[str], list[str]]], lang: str
    ) -> list[str | None]:
        """A name for each theme, given as (key phrases, representative post texts), in one
        batched structured call; None where the model's name is unusable (the caller keeps the
        key phrases). Names are checked: plain, short, no handle, link or figure of their own."""
        if not themes:
            return []
        payload = [
            {
                "id": i,
                "key_phrases": [clean_text(k, 60) for k in keys[:5]],
                "posts": [clean_text(t, 280) for t in texts[:3]],
            }
            for i, (keys, texts) in enumerate(themes)
        ]
        prompt = self._prompts.render("name_themes", language=_language(lang), themes=payload)
        result = await self._call(prompt, _ThemeNamesOut)
        out: list[str | None] = [None] * len(themes)
        for item in cast(_ThemeNamesOut, result.value).names:
            if not 0 <= item.id < len(themes) or out[item.id] is not None:
                continue
            raw = item.name
            material = " ".join([*themes[item.id][0], *themes[item.id][1]])
            if any(c in raw for c in "@#") or "://" in raw:
                continue  # a handle, hashtag or link: the key phrases are safer
            if any(d not in material for d in re.findall(r"\d+", raw)):
                continue  # a figure of its own
            name = clean_output(raw, Allowed(), 40).strip(" .")
            if name:
                out[item.id] = name
        return out

    async def score_sentiment(self, posts: list[tuple[str, str]]) -> SentimentScores:
        """Sentiment of (id, text) posts in one structured call (`SentimentScorer`).

        At most 100 posts, each cut to 400 characters, and as many as fit `max_input_tokens`;
        the others, and any the model leaves out or names wrongly, are absent from the result
        (the caller keeps its local label for them).
        """
        items = [
            {"id": clean_text(pid, 40), "text": clean_text(text, SENTIMENT_POST_CHARS)}
            for pid, text in posts[:MAX_SENTIMENT_POSTS]
        ]
        fixed = self._prompts.render("score_sentiment", posts=[])
        used = estimate_messages(m.content for m in fixed.messages)
        kept: list[dict[str, str]] = []
        for item in items:
            cost = estimate_messages([f"{item}"]) + 2
            if used + cost > self._config.max_input_tokens:
                break
            kept.append(item)
            used += cost
        if not kept:
            raise EngineError(ErrorCode.CONTEXT_LENGTH, "no post fits the input budget")
        prompt = self._prompts.render("score_sentiment", posts=kept)
        max_out = max(self._config.max_output_tokens, SENTIMENT_TOKENS_PER_POST * len(kept) + 50)
        result = await self._call(prompt, _SentimentOut, max_output_tokens=max_out)
        known = {item["id"] for item in kept}
        out: dict[str, PostSentiment] = {}
        for got in cast(_SentimentOut, result.value).items:
            pid = got.id.strip()
            if pid in known and pid not in out:
                confidence = min(1.0, max(0.0, got.confidence))
                out[pid] = PostSentiment(pid, got.sentiment, confidence, got.mixed)
        if not out:
            raise EngineError(ErrorCode.INVALID_OUTPUT, "no usable sentiment item")
        if len(out) < len(kept):
            log.info("llm %s: %d of %d posts labelled", result.prompt_id, len(out), len(kept))
        return SentimentScores(
            out, self.name, result.prompt_id, result.input_tokens, result.output_tokens
        )

    # -- budget, call, checks ------------------------------------------------------------------

    def _budgeted(
        self,
        task: str,
        variables: Mapping[str, Any],
        posts: list[SamplePost],
        themes: Iterable[str],
    ) -> list[SamplePost]:
        """The posts that fit in the input budget beside the rest of the prompt."""
        fixed = self._prompts.render(task, **variables, posts=[])
        used = estimate_messages(m.content for m in fixed.messages)
        budget = self._config.max_input_tokens - used
        if budget < 0:
            raise EngineError(ErrorCode.CONTEXT_LENGTH, f"{fixed.prompt_id}: {used} tokens")
        return budget_sample(posts, list(themes), budget)

    async def _call(
        self,
        prompt: RenderedPrompt,
        response_format: type[M],
        *,
        max_output_tokens: int | None = None,
    ) -> _Result:
        cfg = self._config
        estimate = estimate_messages(m.content for m in prompt.messages)
        started = time.monotonic()
        extra: dict[str, Any] = {}
        if cfg.temperature is not None:
            extra["temperature"] = cfg.temperature
        try:
            async with asyncio.timeout(cfg.timeout_s):
                completion = await self._with_retries(
                    lambda: self._client.chat.completions.parse(
                        model=cfg.model_name,
                        messages=cast(Any, prompt.to_openai()),
                        response_format=response_format,
                        max_completion_tokens=max_output_tokens or cfg.max_output_tokens,
                        **extra,
                    ),
                    started,
                )
            choice = completion.choices[0]
            if choice.message.refusal:
                raise EngineError(ErrorCode.CONTENT_FILTER, "the model refused")
            parsed = choice.message.parsed
            if parsed is None:
                raise EngineError(ErrorCode.INVALID_OUTPUT, "no structured output")
        except Exception as exc:
            error = map_error(exc)
            log.warning(
                "llm %s failed: %s (model=%s, est_in=%d, %.0f ms)",
                prompt.prompt_id,
                error.code,
                cfg.model_name,
                estimate,
                (time.monotonic() - started) * 1000,
            )
            raise error from exc
        usage = completion.usage
        tokens_in = usage.prompt_tokens if usage else estimate
        tokens_out = usage.completion_tokens if usage else 0
        log.info(
            "llm %s ok (model=%s, in=%d, out=%d, est_in=%d, %.0f ms)",
            prompt.prompt_id,
            cfg.model_name,
            tokens_in,
            tokens_out,
            estimate,
            (time.monotonic() - started) * 1000,
            extra={
                "prompt": prompt.name,
                "prompt_version": prompt.version,
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
            },
        )
        return _Result(parsed, prompt.prompt_id, tokens_in, tokens_out)

    async def _with_retries(self, send: Callable[[], Awaitable[T]], started: float) -> T:
        attempt = 0
        while True:
            try:
                return await send()
            except (*_RETRYABLE, openai.APIConnectionError) as exc:
                if isinstance(exc, openai.APITimeoutError) or attempt >= self._config.max_retries:
                    raise
                remaining = self._config.timeout_s - (time.monotonic() - started)
                if remaining < 2 * RETRY_DELAY_S:
                    raise
                attempt += 1
                log.info("llm retry %d after %s", attempt, type(exc).__name__)
                await asyncio.sleep(RETRY_DELAY_S * attempt)

    def _check_answer(
        self, out: _AnswerOut, request: AnswerRequest, sample: list[SamplePost], result: _Result
    ) -> AnswerDraft:
        allowed = _allowed(sample, [request.question])
        numbers = allowed_numbers(
            [
                *request.figures.values(),
                *(v for t in request.themes for v in t.values()),
                request.question,
                *(p.text for p in sample),
            ]
        )
        headline = clean_output(out.headline, allowed, 160)
        summary = clean_output(out.summary, allowed, 700)
        if not headline or not summary:
            raise EngineError(ErrorCode.INVALID_OUTPUT, "empty headline or summary")
        if unsupported_numbers(f"{headline} {summary}", numbers):
            raise EngineError(ErrorCode.INVALID_OUTPUT, "figures not found in the data")

        def bullets(items: list[str], limit: int, max_chars: int) -> list[str]:
            kept = []
            for item in items:
                text = clean_output(item, allowed, max_chars)
                if text and not unsupported_numbers(text, numbers):
                    kept.append(text)
            return kept[:limit]

        known = {p.id for p in request.posts}
        cited = list(dict.fromkeys(i.strip() for i in out.cited_post_ids if i.strip() in known))
        if len(cited) < len(out.cited_post_ids):
            log.info("llm %s: dropped unknown cited post ids", result.prompt_id)
        return AnswerDraft(
            headline=headline,
            summary=summary,
            points=bullets(out.points, 5, 300),
            cited_post_ids=cited[:MAX_CITED],
            next_steps=bullets(out.next_steps, 3, 200),
            engine=self.name,
            prompt=result.prompt_id,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
        )

    def _check_posts(
        self, out: _PostsOut, request: DraftRequest, result: _Result
    ) -> list[PostDraft]:
        # A post may only carry links and handles the company gave: a context post is no source.
        allowed = Allowed.from_texts(
            [request.brief, request.editorial_line_yaml, *request.sample_posts]
        )
        drafts: list[PostDraft] = []
        for post in out.posts[: _post_count(request)]:
            text = clean_output(post.text, allowed, 1000, multiline=True)
            if not text:
                continue
            drafts.append(
                PostDraft(
                    text=text,
                    rationale=clean_output(post.rationale, allowed, 200),
                    engine=self.name,
                    input_tokens=result.input_tokens,
                    output_tokens=result.output_tokens,
                )
            )
        if not drafts:
            raise EngineError(ErrorCode.INVALID_OUTPUT, "no usable post")
        return drafts


def _post_count(request: DraftRequest) -> int:
    return max(1, min(request.count, MAX_POSTS))


def _language(lang: str) -> str:
    return LANGUAGE_NAMES.get(lang, "the language of the question")


def _allowed(sample: list[SamplePost], sources: list[str]) -> Allowed:
    texts = [*sources, *(p.text for p in sample), *(p.url for p in sample)]
    return Allowed.from_texts(texts, handles=[p.author for p in sample])


def _iso_date(value: str | None) -> str | None:
    """A YYYY-MM-DD date from the model, or None when it is not one."""
    try:
        return date.fromisoformat(value).isoformat() if value else None
    except ValueError:
        return None


def _slot(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = clean_text(value, 120)
    return cleaned or None


def _post_ref(value: str | None, text: str) -> str | None:
    """A post reference only if the user wrote it: never one the model made up."""
    if not value:
        return None
    value = value.strip()
    return value if value and value in text else None
