"""The parts of an editorial line: company, voice, pillars, words to avoid, and the policies
(hashtags, mentions, links, emoji, disclosures, crisis guidance, sample posts).

Each part validates itself; its problems are coded and located relative to the part
(`bot/domain/documents`), and the whole line adds the part's place (`hashtags.forbidden[2]`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.domain.documents import Collector, invalid
from bot.domain.editorial.folding import fold, hashtag_key

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")
MAX_POST_LENGTH = 280

_SLUG_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_HASHTAG_RE = re.compile(r"^[#＃]\w*[^\W\d_]\w*$")
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}[a-z0-9]$"
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Company(_Model):
    name: str = Field(min_length=1)  # the one field to change to rename the company
    handle: str | None = None  # X handle, without "@"
    website: str | None = None  # main domain, e.g. "velora.fr"

    @field_validator("handle")
    @classmethod
    def _handle(cls, v: str | None) -> str | None:
        return _clean_handle(v) if v is not None else None

    @field_validator("website")
    @classmethod
    def _website(cls, v: str | None) -> str | None:
        return _clean_domain(v) if v is not None else None

    @property
    def hashtag_name(self) -> str:
        """The name as it can appear in a hashtag: letters, digits and underscores only."""
        return "".join(c for c in self.name if c.isalnum() or c == "_")


class Spokesperson(_Model):
    name: str = Field(min_length=1)
    title: dict[Lang, str] = Field(default_factory=dict)
    initials: str | None = None
    handle: str | None = None

    @field_validator("handle")
    @classmethod
    def _handle(cls, v: str | None) -> str | None:
        return _clean_handle(v) if v is not None else None


class Voice(_Model):
    """Voice and tone: descriptors ("sober", "warm") and do / don't guidance, per language."""

    descriptors: dict[Lang, list[str]] = Field(default_factory=dict)
    do: dict[Lang, list[str]] = Field(default_factory=dict)
    dont: dict[Lang, list[str]] = Field(default_factory=dict)


class Pillar(_Model):
    id: str
    name: dict[Lang, str]
    key_messages: dict[Lang, list[str]] = Field(default_factory=dict)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _slug(v)


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


class AvoidTerm(_Model):
    """A word or phrase to avoid. YAML may give just the term as a string.

    `match: inflected` (default) also catches plurals, French feminines and English -ed/-ing;
    `exact` only the term itself (both ignore case and accents)."""

    term: str = Field(min_length=1)
    severity: Severity = Severity.ERROR
    match: Literal["inflected", "exact"] = "inflected"
    reason: str | None = None
    suggestion: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_string(cls, data: Any) -> Any:
        return {"term": data} if isinstance(data, str) else data

    @field_validator("term")
    @classmethod
    def _term(cls, v: str) -> str:
        v = " ".join(v.split())
        if not any(c.isalnum() for c in fold(v)):
            raise ValueError("must contain at least one letter or digit")
        return v


class HashtagPolicy(_Model):
    required: list[str] = Field(default_factory=list)  # all must be present
    allowed: list[str] = Field(default_factory=list)  # when not empty: only these (and required)
    forbidden: list[str] = Field(default_factory=list)
    max_count: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _check(self) -> Self:
        c = Collector()
        seen: dict[str, dict[str, int]] = {}
        for name in ("required", "allowed", "forbidden"):
            keys: dict[str, int] = {}
            for i, tag in enumerate(getattr(self, name)):
                if not _HASHTAG_RE.match(tag.replace("{company}", "Company")):
                    c.add(
                        (name, i),
                        "hashtag.invalid",
                        f"{tag!r} is not a hashtag (expected # followed by letters, digits or _)",
                    )
                    continue
                key = hashtag_key(tag)
                if key in keys:
                    c.add(
                        (name, i),
                        "hashtag.duplicate",
                        f'"{tag}" duplicates hashtags.{name}[{keys[key]}]',
                    )
                    continue
                keys[key] = i
            seen[name] = keys
        for name in ("required", "allowed"):
            for key, i in seen["forbidden"].items():
                if key in seen[name]:
                    c.add(
                        ("forbidden", i),
                        "hashtag.conflict",
                        f'"{self.forbidden[i]}" is also in hashtags.{name}',
                    )
        if self.max_count is not None and len(self.required) > self.max_count:
            c.add(
                ("max_count",),
                "hashtag.max_below_required",
                f"{self.max_count} is less than the {len(self.required)} required hashtags",
            )
        c.raise_if_any()
        return self


class MentionPolicy(_Model):
    """`mode`: none (no @mentions), allowlist (only `allowed_handles`), free.

    `individuals: false` flags (as a warning to verify) any mention that is not a known
    organisation (`organisation_handles` or `allowed_handles`)."""

    mode: Literal["none", "allowlist", "free"] = "free"
    allowed_handles: list[str] = Field(default_factory=list)
    organisation_handles: list[str] = Field(default_factory=list)
    individuals: bool = True
    max_count: int | None = Field(default=None, ge=0)

    @field_validator("allowed_handles", "organisation_handles", mode="before")
    @classmethod
    def _strip_at(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [h.lstrip("@＠") if isinstance(h, str) else h for h in v]
        return v

    @model_validator(mode="after")
    def _check(self) -> Self:
        c = Collector()
        for name in ("allowed_handles", "organisation_handles"):
            keys: dict[str, int] = {}
            for i, handle in enumerate(getattr(self, name)):
                if not _HANDLE_RE.match(handle):
                    c.add(
                        (name, i),
                        "mention.invalid_handle",
                        f"{handle!r} is not an X handle (1 to 15 letters, digits or _)",
                    )
                elif handle.lower() in keys:
                    c.add(
                        (name, i),
                        "mention.duplicate",
                        f'"@{handle}" duplicates mentions.{name}[{keys[handle.lower()]}]',
                    )
                else:
                    keys[handle.lower()] = i
        if self.mode == "allowlist" and not self.allowed_handles:
            c.add(
                ("allowed_handles",),
                "mention.empty_allowlist",
                'must not be empty when mentions.mode is "allowlist"',
            )
        if self.mode == "none" and self.allowed_handles:
            c.add(
                ("allowed_handles",),
                "mention.unused_allowlist",
                'must be empty when mentions.mode is "none"',
            )
        c.raise_if_any()
        return self


class LinkPolicy(_Model):
    """`mode`: none (no links), allowlist (only links to `allowed_domains`), free.

    `required_domains`: when not empty, a post must link to one of them. Subdomains count
    (`shop.velora.fr` is in `velora.fr`)."""

    mode: Literal["none", "allowlist", "free"] = "free"
    allowed_domains: list[str] = Field(default_factory=list)
    required_domains: list[str] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _lower(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for name in ("allowed_domains", "required_domains"):
                if isinstance(data.get(name), list):
                    data[name] = [_clean_domain(d) if isinstance(d, str) else d for d in data[name]]
        return data

    @model_validator(mode="after")
    def _check(self) -> Self:
        c = Collector()
        for name in ("allowed_domains", "required_domains"):
            keys: dict[str, int] = {}
            for i, domain in enumerate(getattr(self, name)):
                if not _DOMAIN_RE.match(domain):
                    c.add((name, i), "link.invalid_domain", f"{domain!r} is not a domain name")
                elif domain in keys:
                    c.add(
                        (name, i),
                        "link.duplicate",
                        f'"{domain}" duplicates links.{name}[{keys[domain]}]',
                    )
                else:
                    keys[domain] = i
        if self.mode == "allowlist" and not self.allowed_domains:
            c.add(
                ("allowed_domains",),
                "link.empty_allowlist",
                'must not be empty when links.mode is "allowlist"',
            )
        if self.mode == "none":
            for name in ("allowed_domains", "required_domains"):
                if getattr(self, name):
                    c.add((name,), "link.unused", 'must be empty when links.mode is "none"')
        if self.mode == "allowlist":
            for i, domain in enumerate(self.required_domains):
                if not any(domain_matches(domain, d) for d in self.allowed_domains):
                    c.add(
                        ("required_domains", i),
                        "link.required_not_allowed",
                        f'"{domain}" is not in links.allowed_domains',
                    )
        c.raise_if_any()
        return self


class EmojiPolicy(_Model):
    mode: Literal["none", "sparing", "free"] = "free"
    max_count: int | None = Field(default=None, ge=1)  # for "sparing"; default 1

    @model_validator(mode="after")
    def _check(self) -> Self:
        c = Collector()
        if self.max_count is not None and self.mode != "sparing":
            c.add(
                ("max_count",),
                "emoji.unused_max",
                f'is only used when emoji.mode is "sparing" (it is "{self.mode}")',
            )
        c.raise_if_any()
        return self

    @property
    def limit(self) -> int | None:
        """How many emoji a post may hold (None: no limit)."""
        if self.mode == "none":
            return 0
        if self.mode == "sparing":
            return self.max_count if self.max_count is not None else 1
        return None


class DisclosureRule(_Model):
    """A text a post must carry: a disclosure ("#ad", "(sponsorisé)") or a sign-off ("— CL").

    Applies when any of `when_flags` is given to the check (always when empty), and only to
    posts in `langs` (all when empty). Any one of `any_of` satisfies it, compared ignoring
    case and accents, at `position`."""

    id: str
    kind: Literal["disclosure", "sign_off"] = "disclosure"
    when_flags: list[str] = Field(default_factory=list)
    langs: list[Lang] = Field(default_factory=list)
    any_of: list[str] = Field(min_length=1)
    position: Literal["anywhere", "start", "end"] = "anywhere"

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return _slug(v)

    @field_validator("when_flags")
    @classmethod
    def _flags(cls, v: list[str]) -> list[str]:
        for flag in v:
            _slug(flag)
        return v

    @model_validator(mode="after")
    def _check(self) -> Self:
        c = Collector()
        for i, text in enumerate(self.any_of):
            if not fold(text).strip():
                c.add(("any_of", i), "disclosure.empty", "must not be empty")
        c.raise_if_any()
        return self

    def applies(self, flags: Iterable[str], lang: str | None) -> bool:
        flag_set = set(flags)
        if self.when_flags and not flag_set.intersection(self.when_flags):
            return False
        return not (self.langs and lang is not None and lang not in self.langs)


class CrisisGuidance(_Model):
    """How to speak while a crisis builds: guidance text and a holding-statement template.

    Templates may hold placeholders such as `{company}`, `{topic}`, `{next_update}`."""

    guidance: dict[Lang, str] = Field(default_factory=dict)
    template: dict[Lang, str] = Field(default_factory=dict)
    flag: str = "crisis"

    @field_validator("flag")
    @classmethod
    def _flag(cls, v: str) -> str:
        return _slug(v)


class SamplePost(_Model):
    """An approved post, as an example of the line for the writing model."""

    text: str = Field(min_length=1)
    lang: Lang
    pillar: str | None = None
    flags: list[str] = Field(default_factory=list)
    note: str | None = None


def _slug(v: str) -> str:
    if not _SLUG_RE.match(v):
        raise invalid(
            "id.invalid",
            f"{v!r} must be lowercase letters, digits, _ or -, starting with a letter",
            value=v,
        )
    return v


def _clean_handle(v: str) -> str:
    v = v.strip().lstrip("@＠")
    if not _HANDLE_RE.match(v):
        raise invalid(
            "handle.invalid", f"{v!r} is not an X handle (1 to 15 letters, digits or _)", value=v
        )
    return v


def _clean_domain(v: str) -> str:
    v = v.strip().lower()
    for prefix in ("https://", "http://"):
        if v.startswith(prefix):
            v = v[len(prefix) :]
    v = v.split("/", 1)[0]
    return v[4:] if v.startswith("www.") else v


def domain_matches(host: str, domain: str) -> bool:
    """`shop.velora.fr` is in `velora.fr`; `notvelora.fr` is not."""
    host = host.lower().rstrip(".")
    host = host[4:] if host.startswith("www.") else host
    return host == domain or host.endswith("." + domain)
