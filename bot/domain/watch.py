"""What a tenant watches on X: its names, handles, competitors, sector, and what to leave out.

A `WatchProfile` is validated once, with every problem reported at its location
(`competitors[1].names: must not be empty`), and travels as YAML so that a comms team can
read and edit it. `bot/domain/queries.py` turns it into X search queries.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.ports.language import Vocabulary

MAX_TERM_LENGTH = 100

_HANDLE_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_TAG_RE = re.compile(r"^[#$]\w+$")
_LANG_RE = re.compile(r"^[a-z]{2,3}$")
_TENANT_RE = re.compile(r"^[A-Za-z0-9._=@-]{1,64}$")


class ProfileError(ValueError):
    """A watch profile cannot be used; `problems` lists every reason with its location."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"the watch profile has {len(problems)} problem(s):\n{lines}")


def _clean_term(value: str) -> str:
    term = unicodedata.normalize("NFC", value).strip()
    if not term:
        raise ValueError("must not be blank")
    if len(term) > MAX_TERM_LENGTH:
        raise ValueError(f"must be at most {MAX_TERM_LENGTH} characters")
    if any(ch in term for ch in "\n\r\t"):
        raise ValueError("must be on one line")
    if term[0] in "#$" and not _TAG_RE.match(term):
        raise ValueError("a hashtag or cashtag is one word: letters, digits or _ after # or $")
    return term


def _clean_handle(value: str) -> str:
    handle = value.strip().removeprefix("@")
    if not _HANDLE_RE.match(handle):
        raise ValueError("an X handle is 1 to 15 letters, digits or _ (an optional @ in front)")
    return handle


def _dedupe_check(values: list[str], what: str) -> list[str]:
    seen: dict[str, int] = {}
    for index, value in enumerate(values):
        key = value.casefold()
        if key in seen:
            raise ValueError(
                f"{what} {value!r} is listed twice (items {seen[key]} and {index}; "
                "X matching ignores case)"
            )
        seen[key] = index
    return values


def _terms(values: list[str]) -> list[str]:
    return _dedupe_check(values, "term")


def _handles(values: list[str]) -> list[str]:
    return _dedupe_check(values, "handle")


# Items are cleaned one by one, so that a problem is reported at `names[2]`, not `names`.
Term = Annotated[str, AfterValidator(_clean_term)]
Handle = Annotated[str, AfterValidator(_clean_handle)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Competitor(_Strict):
    """A competitor: its display name, the names and handles that designate it."""

    name: str = Field(min_length=1, max_length=MAX_TERM_LENGTH)
    names: list[Term]
    handles: list[Handle] = []
    exclusions: list[Term] = []  # the competitor's own homonyms

    @field_validator("names")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must not be empty")
        return _terms(value)

    @field_validator("exclusions")
    @classmethod
    def _exclusions(cls, value: list[str]) -> list[str]:
        return _terms(value)

    @field_validator("handles")
    @classmethod
    def _handles(cls, value: list[str]) -> list[str]:
        return _handles(value)


class Spokesperson(_Strict):
    """Someone who speaks for the company: what they say is about the company."""

    name: Term
    role: str = ""
    handles: list[Handle] = []

    @field_validator("handles")
    @classmethod
    def _handles(cls, value: list[str]) -> list[str]:
        return _handles(value)


class WatchProfile(_Strict):
    """Everything one tenant watches on X."""

    version: int = 1
    tenant_id: str = "demo"
    company: str = Field(min_length=1, max_length=MAX_TERM_LENGTH)  # display name
    names: list[Term]  # names and spellings that designate the company
    handles: list[Handle] = []  # the company's own accounts, without "@"
    keywords: list[Term] = []  # products, campaigns, #hashtags, $cashtags
    exclusions: list[Term] = []  # homonyms: posts containing one of these are left out
    competitors: list[Competitor] = []
    sector_terms: list[Term] = []
    spokespeople: list[Spokesperson] = []
    languages: list[str] = ["fr", "en"]

    @field_validator("version")
    @classmethod
    def _version(cls, value: int) -> int:
        if value != 1:
            raise ValueError("only version 1 is supported")
        return value

    @field_validator("tenant_id")
    @classmethod
    def _tenant(cls, value: str) -> str:
        if not _TENANT_RE.match(value):
            raise ValueError("1 to 64 characters among letters, digits and . _ = @ -")
        return value

    @field_validator("names")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must not be empty")
        return _terms(value)

    @field_validator("keywords", "exclusions", "sector_terms")
    @classmethod
    def _term_lists(cls, value: list[str]) -> list[str]:
        return _terms(value)

    @field_validator("handles")
    @classmethod
    def _own_handles(cls, value: list[str]) -> list[str]:
        return _handles(value)

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("must not be empty")
        cleaned = [v.strip().lower() for v in value]
        for lang in cleaned:
            if not _LANG_RE.match(lang):
                raise ValueError(f"{lang!r} is not a language code such as 'fr' or 'en'")
        return _dedupe_check(cleaned, "language")

    @model_validator(mode="after")
    def _no_self_exclusion(self) -> WatchProfile:
        wanted = {t.casefold() for t in [*self.names, *self.keywords]}
        wanted |= {f"@{h}".casefold() for h in self.handles}
        for exclusion in self.exclusions:
            if exclusion.casefold() in wanted:
                raise ValueError(
                    f"exclusions: {exclusion!r} is also a name or keyword: "
                    "it would exclude every post about the company"
                )
        return self

    # -- YAML ----------------------------------------------------------------------------

    @classmethod
    def from_data(cls, data: Any) -> WatchProfile:
        """Validate already-parsed data; raises `ProfileError` listing every problem."""
        if not isinstance(data, dict):
            raise ProfileError(["(root): must be a mapping of fields (company, names, ...)"])
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ProfileError(_problems(exc)) from None

    @classmethod
    def from_yaml(cls, text: str) -> WatchProfile:
        """Parse and validate a YAML profile; raises `ProfileError` listing every problem."""
        try:
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark
            where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "(yaml)"
            raise ProfileError([f"{where}: not valid YAML: {exc.problem}"]) from None
        except yaml.YAMLError as exc:
            raise ProfileError([f"(yaml): not valid YAML: {exc}"]) from None
        return cls.from_data(data)

    def vocabulary(self) -> Vocabulary:
        """The names that sharpen the reading of this tenant's questions."""
        return Vocabulary(
            own_names=tuple(dict.fromkeys([self.company, *self.names, *self.handles])),
            competitors=tuple(n for c in self.competitors for n in c.names),
            sector_terms=tuple(self.sector_terms),
            topics=tuple(k for k in self.keywords if k[:1] not in "#$"),
        )

    def to_yaml(self) -> str:
        return yaml.safe_dump(
            self.model_dump(mode="json"), allow_unicode=True, sort_keys=False, width=100
        )


_FRIENDLY = {
    "missing": "is required",
    "extra_forbidden": "unknown field",
    "string_type": "must be a text",
    "list_type": "must be a list",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping",
    "string_too_short": "must not be empty",
}


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(root)"


def _problems(exc: ValidationError) -> list[str]:
    problems: list[str] = []
    for error in exc.errors():
        kind = error["type"]
        if kind == "value_error":
            message = str(error["ctx"]["error"]) if "ctx" in error else error["msg"]
        else:
            message = _FRIENDLY.get(kind, error["msg"])
        location = _location(tuple(error["loc"]))
        if location == "(root)" and ": " in message:
            problems.append(message)  # model-level checks name their own location
        else:
            problems.append(f"{location}: {message}")
    return problems
