"""The offline language engine: deterministic, extractive, bilingual (the demo default).

- `understand` is the question reader (`bot.domain.understanding`): a learned classifier over
  multilingual sentence embeddings, with rule-based slots.
- `write_answer` builds a headline, a 1–3 sentence summary, points, cited posts and next steps
  from the *computed* figures only. Nothing is invented: a figure that is absent means the
  sentence that needs it is left out. Post texts are never copied into the answer (they are
  untrusted); posts are only cited by id.
- `write_posts` offers template suggestions built from the editorial line's key messages and
  the brief, labelled as such in their rationale.

Every user-facing phrase is in `bot/locales/<lang>.offline.json` (top-level key `offline`).

Figures contract of `AnswerRequest.figures` (every key optional)
-----------------------------------------------------------------

Counts (int, or float rounded for display; shown with thousands separators):
    total_mentions        posts about the subject over the period (from the counts)
    today_mentions        posts since local midnight (used when total_mentions is absent and
                          the period is today)
    usual_mentions        the usual volume for the same span (e.g. the median of previous days)
    sample_size           posts read to compute the tone (shares below)
    competitor_mentions   posts about `competitor` over the period
    campaign_copies       size of the largest copy-paste group
    top_voice_followers   followers of `top_voice_handle`
Shares (float in [0, 1], shown as whole percents):
    negative_share, positive_share, neutral_share   tone of the sample
    usual_negative_share                             the usual negative share
    competitor_negative_share                        tone of the competitor's posts
    share_of_voice                                   our share of (us + competitors) mentions
Ratio (float, shown with one decimal as "×2.3"):
    volume_ratio          total (or today) / usual
Score (float in [0, 1], shown as "/100"):
    crisis_score
Codes (str, rendered through the catalogue; an unknown code is ignored):
    crisis_level          "calm" | "watch" | "alert"
    volume_level          "much_higher" | "higher" | "usual" | "lower" | "much_lower" | "unknown"
    trend                 "rising" | "stable" | "falling" | "unknown"
    decision              should-respond advice: "ignore" | "watch" | "respond" |
                          "escalate_to_comms"
Labels (str, shown as given, control characters removed, at most 60 characters):
    subject               what the figures are about (default: the understanding's topic or
                          competitor, else "us")
    period_label          overrides the period wording (default: from understanding.period)
    top_theme             label of the main theme
    competitor            competitor name (default: understanding.competitor)
    top_voice_handle      handle (without "@") of the most influential author
    peak_time             e.g. "18:00"

`AnswerRequest.themes`: dicts with `label` (str, "" = other), `size` (int, distinct posts),
optional `key` (the value of `SamplePost.theme` for its posts; default: the label), `share`,
`negative_share`, `positive_share` (floats in [0, 1]) and `representative_id` (a post id).

`AnswerRequest.notices`: data caveat codes, e.g. the analysis `DataFlag` values (`no_counts`,
`counts_partial`, `no_today`, `baseline_short`, `no_baseline`, `early_in_day`, `no_posts`,
`small_sample`, `sample_partial`, `future_posts_ignored`) and `demo_corpus`; unknown codes get
a generic caveat. They are rendered as the last points.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from bot.clients.encoder import shared_encoder
from bot.clients.offline.answers import answer, period_words
from bot.clients.offline.drafts import posts
from bot.clients.offline.figures import (
    COUNT_KEYS,
    ENGINE_NAME,
    RATIO_KEYS,
    SCORE_KEYS,
    SHARE_KEYS,
    format_figure,
)
from bot.domain.grounding import no_posts_found
from bot.domain.understanding import understand as read_question
from bot.domain.understanding import warm_up
from bot.ports.embeddings import SentenceEncoder
from bot.ports.language import (
    AnswerDraft,
    AnswerRequest,
    DraftRequest,
    PostDraft,
    Understanding,
    Vocabulary,
)

__all__ = [
    "COUNT_KEYS",
    "RATIO_KEYS",
    "SCORE_KEYS",
    "SHARE_KEYS",
    "OfflineEngine",
    "format_figure",
    "no_posts_found",
    "period_words",
]


class OfflineEngine:
    """`LanguageEngine` without a model. Tenant context sharpens the classifier."""

    def __init__(
        self,
        *,
        competitors: Sequence[str] = (),
        topics_hint: Sequence[str] = (),
        own_names: Sequence[str] = (),
        sector_terms: Sequence[str] = (),
        preload: bool = False,
        encoder: SentenceEncoder | None = None,
        use_encoder: bool = True,
    ) -> None:
        """`encoder` ranks the editorial line's key messages by closeness to a draft's topic
        (default: the process's shared multilingual encoder, loaded on first use);
        `use_encoder=False` ranks them by shared words only."""
        self._given_encoder = encoder
        self._use_encoder = use_encoder
        self._vocabulary = Vocabulary(
            own_names=tuple(own_names),
            competitors=tuple(competitors),
            sector_terms=tuple(sector_terms),
            topics=tuple(topics_hint),
        )
        self._encoder = shared_encoder()
        if preload:
            self.warm_up()

    def warm_up(self) -> None:
        """Load the encoder and the classifier now (about 2 s), not on the first question."""
        self._encoder.warm_up()
        warm_up()

    def _draft_encoder(self) -> SentenceEncoder | None:
        """The encoder that ranks key messages for drafts (None: shared words only)."""
        if not self._use_encoder:
            return None
        return self._given_encoder or self._encoder

    @property
    def name(self) -> str:
        return ENGINE_NAME

    @property
    def offline(self) -> bool:
        return True

    async def understand(
        self,
        text: str,
        lang: str,
        previous: Understanding | None,
        vocabulary: Vocabulary | None = None,
    ) -> Understanding:
        # A few milliseconds of NumPy (the sentence encoder): off the event loop.
        return await asyncio.to_thread(self.understand_sync, text, lang, previous, vocabulary)

    def understand_sync(
        self,
        text: str,
        lang: str | None,
        previous: Understanding | None,
        vocabulary: Vocabulary | None = None,
    ) -> Understanding:
        """`vocabulary`, the asking tenant's names, replaces the ones given at construction."""
        return read_question(text, lang, previous, self._encoder, vocabulary or self._vocabulary)

    async def write_answer(self, request: AnswerRequest) -> AnswerDraft:
        return self.answer(request)

    def answer(self, request: AnswerRequest) -> AnswerDraft:
        """The deterministic answer (synchronous form of `write_answer`)."""
        return answer(request)

    async def write_posts(self, request: DraftRequest) -> list[PostDraft]:
        return self.posts(request)

    def posts(self, request: DraftRequest) -> list[PostDraft]:
        """Template suggestions (synchronous form of `write_posts`)."""
        return posts(request, self._draft_encoder())
