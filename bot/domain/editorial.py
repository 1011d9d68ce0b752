"""The editorial line: how a tenant's executives speak on X, as decided by the comms team.

One `EditorialLine` per tenant and per version. It is plain data (pydantic v2, frozen), loaded
from and saved to YAML. Every validation problem is *located* (`hashtags.forbidden[2]: ...`)
and, when the line came from YAML, carries its line and column.

Texts may use placeholders so that renaming the company is a one-field change:
`{company}`, `{company_handle}`, `{spokesperson}`, `{initials}`. `EditorialLine.resolved()`
substitutes them (in hashtags, `{company}` becomes the name without spaces or punctuation).

`EditorialHistory` keeps every version of a tenant's line: append, get version N, roll back to
N (a new version with N's content). It is pure: the caller gives the time and the editor.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from twitter_text import parse_tweet

Lang = Literal["fr", "en"]
LANGS: tuple[Lang, ...] = ("fr", "en")
MAX_POST_LENGTH = 280

# A located path inside the line: ("hashtags", "forbidden", 2) is `hashtags.forbidden[2]`.
Loc = tuple[str | int, ...]

_SLUG_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
_HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_HASHTAG_RE = re.compile(r"^[#＃]\w*[^\W\d_]\w*$")
_DOMAIN_RE = re.compile(
    r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}[a-z0-9]$"
)


# --------------------------------------------------------------------------------------------
# Problems and errors
# --------------------------------------------------------------------------------------------


def format_loc(loc: Sequence[str | int]) -> str:
    """`("hashtags", "forbidden", 2)` → `hashtags.forbidden[2]`; pydantic's `[key]` is dropped."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part == "[key]":
            continue
        else:
            out += f".{part}" if out else part
    return out


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an editorial line, and where.

    `loc` is a dotted path (`hashtags.forbidden[2]`, empty for the whole document), `code` a
    stable identifier (ours, e.g. `hashtag.conflict`, or pydantic's error type, or
    `yaml.syntax`), `line` / `column` are 1-based positions in the YAML text when known.
    """

    loc: str
    message: str
    code: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = f"{self.loc}: " if self.loc else ""
        at = ""
        if self.line is not None:
            at = f" (line {self.line}" + (
                f", column {self.column})" if self.column is not None else ")"
            )
        return f"{where}{self.message}{at}"


class EditorialError(ValueError):
    """An editorial line that cannot be accepted; `problems` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        count = len(self.problems)
        head = f"invalid editorial line ({count} problem{'s' if count != 1 else ''})"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class _Problems(ValueError):
    """Raised by model validators: several problems, each relative to the model's location."""

    def __init__(self, items: Sequence[tuple[Loc, str, str]]) -> None:
        self.items = tuple(items)
        super().__init__("; ".join(f"{format_loc(loc)}: {msg}" for loc, msg, _ in self.items))


class _Collector:
    def __init__(self) -> None:
        self.items: list[tuple[Loc, str, str]] = []

    def add(self, loc: Loc, code: str, message: str) -> None:
        self.items.append((loc, message, code))

    def raise_if_any(self) -> None:
        if self.items:
            raise _Problems(self.items)


def _problems_from_validation_error(exc: ValidationError) -> list[tuple[Loc, str, str]]:
    out: list[tuple[Loc, str, str]] = []
    for err in exc.errors():
        base: Loc = tuple(err["loc"])
        inner = err.get("ctx", {}).get("error") if err["type"] == "value_error" else None
        if isinstance(inner, _Problems):
            out.extend((base + loc, msg, code) for loc, msg, code in inner.items)
        elif isinstance(inner, ValueError):
            out.append((base, str(inner), "value_error"))
        else:
            out.append((base, err["msg"], err["type"]))
    return out


# --------------------------------------------------------------------------------------------
# Text folding shared with the compliance checker
# --------------------------------------------------------------------------------------------

_EXTRA_FOLD = {"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "đ": "d", "ı": "i"}
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u034f")
_DASHES = "‐‑‒–—―−"
_APOSTROPHES = "’‘ʼ´`′"


def fold_char(ch: str) -> str:
    """Case-, accent- and compatibility-folded form of one character ("" for invisible ones)."""
    if unicodedata.category(ch) == "Cf" or "\ufe00" <= ch <= "\ufe0f" or ch in _INVISIBLE:
        return ""
    if ch in _DASHES:
        return "-"
    if ch in _APOSTROPHES:
        return "'"
    if ch.isspace():
        return " "
    out = []
    for c in unicodedata.normalize("NFKD", ch):
        if unicodedata.combining(c):
            continue
        c = c.casefold()
        out.append(_EXTRA_FOLD.get(c, c))
    return "".join(out)


def fold(text: str) -> str:
    """Case-, accent-folded text without invisible characters: "Scandalé" → "scandale"."""
    return "".join(fold_char(c) for c in text)


def hashtag_key(tag: str) -> str:
    """Comparison key of a hashtag: "#Vélo" and "#velo" are the same tag."""
    return fold(tag.lstrip("#＃"))


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Editor(_Model):
    """Who changed the line: the Teams (AAD) user id and display name."""

    user_id: str = Field(min_length=1)
    name: str = Field(min_length=1)


class Revision(_Model):
    version: int = Field(ge=1)
    changed_by: Editor
    changed_at: datetime
    note: str = ""
    restored_from: int | None = Field(default=None, ge=1)  # set when this version is a roll-back

    @model_validator(mode="after")
    def _check(self) -> Self:
        c = _Collector()
        if self.changed_at.tzinfo is None:
            c.add(("changed_at",), "revision.naive_time", "must be timezone-aware")
        if self.restored_from is not None and self.restored_from >= self.version:
            c.add(
                ("restored_from",),
                "revision.restored_from",
                f"must be an earlier version than {self.version}",
            )
        c.raise_if_any()
        return self


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
        c = _Collector()
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
        c = _Collector()
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
        c = _Collector()
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
        c = _Collector()
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
        c = _Collector()
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


class EditorialLine(_Model):
    tenant_id: str = Field(min_length=1)
    revision: Revision
    company: Company
    spokesperson: Spokesperson | None = None
    languages: list[Lang] = Field(min_length=1)
    default_language: Lang
    voice: Voice = Field(default_factory=Voice)
    pillars: list[Pillar] = Field(default_factory=list)
    avoid: dict[Lang, list[AvoidTerm]] = Field(default_factory=dict)
    hashtags: HashtagPolicy = Field(default_factory=HashtagPolicy)
    mentions: MentionPolicy = Field(default_factory=MentionPolicy)
    links: LinkPolicy = Field(default_factory=LinkPolicy)
    emoji: EmojiPolicy = Field(default_factory=EmojiPolicy)
    disclosures: list[DisclosureRule] = Field(default_factory=list)
    crisis: CrisisGuidance = Field(default_factory=CrisisGuidance)
    sample_posts: list[SamplePost] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Self:
        c = _Collector()
        langs = set(self.languages)
        for i, lang in enumerate(self.languages):
            if lang in self.languages[:i]:
                c.add(("languages", i), "language.duplicate", f'"{lang}" is listed twice')
        if self.default_language not in langs:
            c.add(
                ("default_language",),
                "language.default_not_allowed",
                f'"{self.default_language}" is not in languages',
            )
        pillar_ids: dict[str, int] = {}
        for i, pillar in enumerate(self.pillars):
            if pillar.id in pillar_ids:
                c.add(
                    ("pillars", i, "id"),
                    "pillar.duplicate",
                    f'"{pillar.id}" duplicates pillars[{pillar_ids[pillar.id]}].id',
                )
            pillar_ids.setdefault(pillar.id, i)
            for lang in self.languages:
                if not pillar.name.get(lang):
                    c.add(("pillars", i, "name"), "pillar.missing_name", f'no "{lang}" name')
        for lang, terms in self.avoid.items():
            keys: dict[str, int] = {}
            for i, term in enumerate(terms):
                key = fold(term.term)
                if key in keys:
                    c.add(
                        ("avoid", lang, i),
                        "avoid.duplicate",
                        f'"{term.term}" duplicates avoid.{lang}[{keys[key]}]',
                    )
                keys.setdefault(key, i)
        required = {hashtag_key(t): t for t in self.hashtags.required}
        for lang, terms in self.avoid.items():
            for i, term in enumerate(terms):
                if fold(term.term) in required:
                    c.add(
                        ("avoid", lang, i),
                        "avoid.required_hashtag",
                        f'"{term.term}" is avoided but {required[fold(term.term)]} is required',
                    )
        rule_ids: dict[str, int] = {}
        for i, rule in enumerate(self.disclosures):
            if rule.id in rule_ids:
                c.add(
                    ("disclosures", i, "id"),
                    "disclosure.duplicate",
                    f'"{rule.id}" duplicates disclosures[{rule_ids[rule.id]}].id',
                )
            rule_ids.setdefault(rule.id, i)
        resolved = self._resolved_texts()
        for i, post in enumerate(self.sample_posts):
            if post.lang not in langs:
                c.add(
                    ("sample_posts", i, "lang"),
                    "language.not_allowed",
                    f'"{post.lang}" is not in languages',
                )
            if post.pillar is not None and post.pillar not in pillar_ids:
                c.add(
                    ("sample_posts", i, "pillar"),
                    "pillar.unknown",
                    f'"{post.pillar}" is not a pillar id',
                )
            length = parse_tweet(unicodedata.normalize("NFC", resolved(post.text))).weightedLength
            if length > MAX_POST_LENGTH:
                c.add(
                    ("sample_posts", i, "text"),
                    "sample.too_long",
                    f"weighted length {length} is over {MAX_POST_LENGTH}",
                )
        c.raise_if_any()
        return self

    # ---- placeholders ----------------------------------------------------------------------

    def _replacements(self, *, in_hashtag: bool = False) -> dict[str, str]:
        company = self.company.hashtag_name if in_hashtag else self.company.name
        out = {"{company}": company}
        if self.company.handle:
            out["{company_handle}"] = "@" + self.company.handle
        if self.spokesperson is not None:
            out["{spokesperson}"] = self.spokesperson.name
            if self.spokesperson.initials:
                out["{initials}"] = self.spokesperson.initials
        return out

    def _resolved_texts(self) -> Any:
        repl = self._replacements()

        def resolve(text: str) -> str:
            for key, value in repl.items():
                text = text.replace(key, value)
            return text

        return resolve

    def resolve(self, text: str) -> str:
        """`text` with `{company}`, `{company_handle}`, `{spokesperson}`, `{initials}` filled."""
        resolved: str = self._resolved_texts()(text)
        return resolved

    def resolved(self) -> EditorialLine:
        """A copy with every placeholder filled (hashtags get the name without spaces)."""
        cached = _RESOLVED.get(id(self))
        if cached is not None and cached[0] is self:
            return cached[1]
        text_repl = self._replacements()
        tag_repl = self._replacements(in_hashtag=True)

        def walk(node: Any, repl: dict[str, str]) -> Any:
            if isinstance(node, str):
                for key, value in repl.items():
                    node = node.replace(key, value)
                return node
            if isinstance(node, list):
                return [walk(x, repl) for x in node]
            if isinstance(node, dict):
                return {k: walk(v, tag_repl if k == "hashtags" else repl) for k, v in node.items()}
            return node

        data = walk(self.model_dump(mode="json"), text_repl)
        resolved = EditorialLine.model_validate(data)
        _RESOLVED[id(self)] = (self, resolved)
        _RESOLVED[id(resolved)] = (resolved, resolved)
        while len(_RESOLVED) > _RESOLVED_MAX:
            del _RESOLVED[next(iter(_RESOLVED))]
        return resolved

    # ---- convenience -----------------------------------------------------------------------

    def avoid_terms(self) -> list[tuple[Lang, AvoidTerm]]:
        return [(lang, term) for lang, terms in self.avoid.items() for term in terms]

    def pillar(self, pillar_id: str) -> Pillar | None:
        return next((p for p in self.pillars if p.id == pillar_id), None)

    def content(self) -> dict[str, Any]:
        """Everything but the revision: what a roll-back restores."""
        return self.model_dump(mode="json", exclude={"revision"})

    def same_content(self, other: EditorialLine) -> bool:
        return self.content() == other.content()

    def with_revision(self, revision: Revision) -> EditorialLine:
        return EditorialLine.model_validate({**self.content(), "revision": revision.model_dump()})

    # ---- (de)serialisation -----------------------------------------------------------------

    @classmethod
    def parse(cls, data: object) -> EditorialLine:
        """Validate already-loaded data (e.g. JSON from the store); raises `EditorialError`."""
        return _validate(data, None)

    @classmethod
    def from_yaml(cls, text: str) -> EditorialLine:
        """Load from YAML; raises `EditorialError` listing every problem, located."""
        try:
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            message = exc.problem or str(exc)
            if exc.context:
                message = f"{exc.context}: {message}"
            raise EditorialError(
                [
                    Problem(
                        "",
                        f"YAML syntax error: {message}",
                        "yaml.syntax",
                        mark.line + 1 if mark else None,
                        mark.column + 1 if mark else None,
                    )
                ]
            ) from None
        except yaml.YAMLError as exc:
            raise EditorialError([Problem("", f"YAML error: {exc}", "yaml.syntax")]) from None
        duplicates = list(_duplicate_keys(node, ()))
        if duplicates:
            raise EditorialError(
                [
                    Problem(
                        format_loc(loc),
                        f'duplicate key "{key}"',
                        "yaml.duplicate_key",
                        mark.line + 1,
                        mark.column + 1,
                    )
                    for loc, key, mark in duplicates
                ]
            )
        return _validate(data, node)

    def to_data(self) -> dict[str, Any]:
        """JSON-ready data (for the store); `parse(to_data())` gives back an equal line."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        dumped: str = yaml.safe_dump(
            self.to_data(), sort_keys=False, allow_unicode=True, width=100, indent=2
        )
        return dumped


# Resolved copies of the last lines used (lines are frozen): keyed by id, holding the line.
_RESOLVED: dict[int, tuple[EditorialLine, EditorialLine]] = {}
_RESOLVED_MAX = 32


def _validate(data: object, node: yaml.Node | None) -> EditorialLine:
    if not isinstance(data, dict):
        kind = "nothing" if data is None else type(data).__name__
        raise EditorialError(
            [
                Problem(
                    "",
                    f"expected a mapping at the top level, got {kind}",
                    "document.type",
                    *_mark(node, ()),
                )
            ]
        )
    try:
        return EditorialLine.model_validate(data)
    except ValidationError as exc:
        problems = [
            Problem(format_loc(loc), msg, code, *_mark(node, loc))
            for loc, msg, code in _problems_from_validation_error(exc)
        ]
        raise EditorialError(problems) from None


def _mark(node: yaml.Node | None, loc: Loc) -> tuple[int | None, int | None]:
    """1-based line and column of the deepest YAML node along `loc`."""
    if node is None:
        return None, None
    current = node
    for part in loc:
        child: yaml.Node | None = None
        if part == "[key]":
            break
        if isinstance(current, yaml.MappingNode):
            for key_node, value_node in current.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == str(part):
                    child = value_node
                    break
        elif (
            isinstance(current, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(current.value)
        ):
            child = current.value[part]
        if child is None:
            break
        current = child
    return current.start_mark.line + 1, current.start_mark.column + 1


def _duplicate_keys(node: yaml.Node | None, loc: Loc) -> Iterable[tuple[Loc, str, yaml.Mark]]:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                yield loc, key, key_node.start_mark
            seen.add(key)
            yield from _duplicate_keys(value_node, (*loc, key))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*loc, i))


def _slug(v: str) -> str:
    if not _SLUG_RE.match(v):
        raise ValueError(f"{v!r} must be lowercase letters, digits, _ or -, starting with a letter")
    return v


def _clean_handle(v: str) -> str:
    v = v.strip().lstrip("@＠")
    if not _HANDLE_RE.match(v):
        raise ValueError(f"{v!r} is not an X handle (1 to 15 letters, digits or _)")
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


# --------------------------------------------------------------------------------------------
# History
# --------------------------------------------------------------------------------------------


class UnknownVersion(LookupError):
    def __init__(self, version: int) -> None:
        self.version = version
        super().__init__(f"no editorial line version {version}")


class EditorialHistory(_Model):
    """Every version of one tenant's editorial line, oldest first, numbered 1, 2, 3, ...

    Pure and immutable: `append` and `rollback` return a new history."""

    tenant_id: str = Field(min_length=1)
    versions: tuple[EditorialLine, ...] = ()

    @model_validator(mode="after")
    def _check(self) -> Self:
        c = _Collector()
        for i, line in enumerate(self.versions):
            if line.revision.version != i + 1:
                c.add(
                    ("versions", i, "revision", "version"),
                    "history.numbering",
                    f"expected version {i + 1}, got {line.revision.version}",
                )
            if line.tenant_id != self.tenant_id:
                c.add(
                    ("versions", i, "tenant_id"),
                    "history.tenant",
                    f'"{line.tenant_id}" is not the history\'s tenant "{self.tenant_id}"',
                )
        c.raise_if_any()
        return self

    @property
    def latest_version(self) -> int:
        return len(self.versions)

    @property
    def current(self) -> EditorialLine:
        if not self.versions:
            raise UnknownVersion(0)
        return self.versions[-1]

    def get(self, version: int) -> EditorialLine:
        if not 1 <= version <= len(self.versions):
            raise UnknownVersion(version)
        return self.versions[version - 1]

    def append(
        self, line: EditorialLine, *, by: Editor, at: datetime, note: str = ""
    ) -> EditorialHistory:
        """A history with `line`'s content as the next version (its revision is replaced)."""
        return self._add(
            line, Revision(version=len(self.versions) + 1, changed_by=by, changed_at=at, note=note)
        )

    def rollback(
        self, to_version: int, *, by: Editor, at: datetime, note: str = ""
    ) -> EditorialHistory:
        """A new version whose content is version `to_version`'s (`restored_from` records it)."""
        source = self.get(to_version)
        revision = Revision(
            version=len(self.versions) + 1,
            changed_by=by,
            changed_at=at,
            note=note,
            restored_from=to_version,
        )
        return self._add(source, revision)

    def _add(self, line: EditorialLine, revision: Revision) -> EditorialHistory:
        if line.tenant_id != self.tenant_id:
            raise ValueError(
                f'line of tenant "{line.tenant_id}" added to the history of "{self.tenant_id}"'
            )
        return EditorialHistory(
            tenant_id=self.tenant_id, versions=(*self.versions, line.with_revision(revision))
        )

    def to_data(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    @classmethod
    def parse(cls, data: object) -> EditorialHistory:
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise EditorialError(
                [
                    Problem(format_loc(loc), msg, code)
                    for loc, msg, code in _problems_from_validation_error(exc)
                ]
            ) from None
