"""Every tunable of the analysis, in one place. Change a figure here, and only here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ThemeParams:
    max_themes: int = 10  # shown themes; the rest goes to "other"
    min_theme_share: float = 0.03  # smaller clusters dissolve into the others...
    min_theme_size: int = 3  # ...and so do clusters of fewer distinct posts
    min_k: int = 5  # k-means for k in [min_k, max_k], bounded by the posts' number:...
    max_k: int = 8
    posts_per_min_k: int = (
        20  # ...at least 2, at most one per this many distinct posts, up to min_k,
    )
    k_per_sqrt: float = 1.5  # ...and at most k_per_sqrt * sqrt(distinct posts)
    k_penalty: float = 0.0  # subtracted per cluster from the silhouette (favours fewer themes)
    n_init: int = 2  # k-means restarts per k
    fit_sample: int = 1500  # k is chosen and centres fitted on at most this many posts
    centre_vectors: bool = True  # subtract the mean vector before clustering
    # "average": agglomerative clustering (average linkage, cosine), the tree cut where it holds
    # k themes of at least the minimum size; "kmeans": k-means (issue 17's first version). On
    # the brand days' day 1, average linkage: ARI 0.43, purity 0.70; k-means 0.22-0.30, 0.49-0.54
    # (seed-dependent); CrisisLex 2012: 0.158 / 0.583 against 0.145 / 0.562. Sentence vectors
    # concatenated with an SVD of the posts' TF-IDF (weights 0.3-1) lowered both.
    algorithm: str = "average"
    merge_similarity: float = 0.9  # cosine between centroids above which themes merge
    min_member_similarity: float = 0.2  # a post matching no theme this well goes to "other"...
    max_other_share: float = 0.2  # ...but "other" never holds more than this share
    # A theme's key phrases that count in the matching besides its centre: 0, as on CrisisLex
    # (development events) they lowered ARI: a theme's top phrase is often event-wide.
    match_keywords: int = 0
    # A post is about a topic asked about when its relevance (cosine to the topic's vector plus
    # the keyword bonus) reaches this: any post that names it, or one close in meaning.
    topic_similarity: float = 0.45
    label_min_share: float = 0.05  # a label term is in at least this share of the theme's posts
    # A term in this share of the window's posts labels a theme only when the theme holds it at
    # least twice as often ("train" for a rail operator names nothing).
    label_max_share: float = 0.2
    phrase_bonus: float = 0.3  # label score bonus per extra word of a phrase
    representatives: int = 3
    keywords: int = 5
    seed: int = 7


@dataclass(frozen=True, slots=True)
class VolumeThresholds:
    baseline_days: int = 7
    much_higher: float = 2.0  # ratio today / usual (median of the same hours)
    higher: float = 1.25
    lower: float = 0.8
    much_lower: float = 0.5
    trend_change: float = 0.3  # fitted change over the period, relative to the mean day
    trend_days: int = 14  # complete days the daily trend is fitted on
    min_coverage: float = 0.9  # share of a window the hourly buckets must cover to be compared


@dataclass(frozen=True, slots=True)
class CrisisThresholds:
    # Spike detector: an hour against the same hour (+/- neighbours) of previous days.
    baseline_days: int = 7
    neighbour_hours: int = 1
    min_baseline_samples: int = 6
    spike_z: float = 4.5  # robust z-score (MAD) at or above which an hour is a spike...
    spike_p: float = 1e-5  # ...and predictive tail probability at or below which...
    spike_ratio: float = 2.0  # ...and observed / expected at or above which...
    spike_min_count: int = 10  # ...and at least this many posts in the hour.
    # Crisis score in [0, 1]: weights of the three parts, and where each part saturates.
    weight_spike: float = 0.45
    weight_negative: float = 0.35
    weight_reach: float = 0.20
    spike_z_full: float = 10.0  # spike part is 1 at this z-score (0 below spike_z / 2)
    negative_share_floor: float = 0.30  # negative part is 0 at or below this share...
    negative_share_full: float = 0.65  # ...and 1 at or above this one
    negative_reach_floor: int = 10_000  # reach part: followers of negative authors, log scale
    negative_reach_full: int = 1_000_000
    min_sample: int = 20  # fewer distinct recent posts: the sample part is flagged as thin
    recent_hours: int = 3  # the "recent" sample for the negative share
    alert_score: float = 0.55  # crisis alert at or above this score...
    alert_needs_spike: bool = True  # ...and only with a volume spike
    watch_score: float = (
        0.35  # "watch" between this and the alert score, volume up (z >= spike_z/2)
    )
    campaign_min_size: int = 5  # a folded group this big is reported as a coordinated campaign


@dataclass(frozen=True, slots=True)
class VoiceParams:
    max_voices: int = 5
    verified_bonus: float = 1.5  # reach multiplier for verified authors
    engagement_weight: float = 1.0  # of log10(1 + engagement) against log10(1 + followers)


@dataclass(frozen=True, slots=True)
class Thresholds:
    themes: ThemeParams = ThemeParams()
    volume: VolumeThresholds = VolumeThresholds()
    crisis: CrisisThresholds = CrisisThresholds()
    voices: VoiceParams = VoiceParams()
    small_sample: int = 30  # a sample of fewer posts is flagged as small


DEFAULT = Thresholds()
