"""Analysis of what is said about the company: pure domain code (standard library + numpy).

Entry point: `analyse(posts, counts, now, tz)` -> `Analysis`. The pieces are usable alone:
`fold_duplicates`, `find_themes`, `notable_voices`, `volume`, `assess_crisis`, `hour_scores`.
Every tunable figure lives in `thresholds`.
"""

from bot.domain.analysis.crisis import (
    Crisis,
    CrisisLevel,
    CrisisParts,
    HourScore,
    Reason,
    ReasonItem,
    assess_crisis,
    hour_scores,
    latest_hour,
    poisson_tail,
    predictive_tail,
    score_hour,
)
from bot.domain.analysis.dedupe import DuplicateGroup, Folding, fold_duplicates
from bot.domain.analysis.summary import Analysis, DataFlag, analyse
from bot.domain.analysis.themes import Theme, ThemePost, Themes, find_themes
from bot.domain.analysis.thresholds import (
    DEFAULT,
    CrisisThresholds,
    ThemeParams,
    Thresholds,
    VoiceParams,
    VolumeThresholds,
)
from bot.domain.analysis.types import AnalysedPost, Sentiment, SentimentSplit, to_sentiment
from bot.domain.analysis.voices import Voice, negative_reach, notable_voices
from bot.domain.analysis.volume import DayCount, Trend, Volume, VolumeLevel, volume

__all__ = [
    "DEFAULT",
    "AnalysedPost",
    "Analysis",
    "Crisis",
    "CrisisLevel",
    "CrisisParts",
    "CrisisThresholds",
    "DataFlag",
    "DayCount",
    "DuplicateGroup",
    "Folding",
    "HourScore",
    "Reason",
    "ReasonItem",
    "Sentiment",
    "SentimentSplit",
    "Theme",
    "ThemeParams",
    "ThemePost",
    "Themes",
    "Thresholds",
    "Trend",
    "Voice",
    "VoiceParams",
    "Volume",
    "VolumeLevel",
    "VolumeThresholds",
    "analyse",
    "assess_crisis",
    "find_themes",
    "fold_duplicates",
    "hour_scores",
    "latest_hour",
    "negative_reach",
    "notable_voices",
    "poisson_tail",
    "predictive_tail",
    "score_hour",
    "to_sentiment",
    "volume",
]
