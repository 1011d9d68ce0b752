"""The watch profile in Teams: view, edit (card form), import / export YAML.

The watch profile says what Pulse listens to on X for a tenant: the company's names and
spellings, its handles, keywords, exclusions (homonyms), competitors, sector terms,
spokespeople and languages (`bot/domain/watch.py`); `bot/domain/queries.py` turns it into the
X search queries.

Who: everyone in the tenant may *view* and *export* it; changing it (form or import) is for the
comms team and admins (`actor.roles` ∩ {"admin", "approver"}); others get a refusal, and the
view card offers them no edit button.

Entry points:

- `is_watch_command(text)`: whether a message is about the watch profile ("profil de veille",
  "modifier la veille", "watch profile", "import watch profile", ...). The root dialog hands
  such messages to `WatchTeams.handle_command(turn_context, actor, text)`, before the intent
  classifier (which has no intent for it, and reads "la veille" as "yesterday").
- Commands, in French or English: view (default), "modifier" / "edit", "exporter" / "export",
  "importer profil de veille" / "import watch profile" followed by a YAML block in the same
  message (fenced or not, plain text or Teams HTML), or with a `.yaml` file attached in
  personal chat (fetched by the editorial line's `FileFetcher`: HTTPS, allowed hosts only).
- `register_watch(router, services)`: the card verbs `watch.view`, `watch.edit`, `watch.save`,
  `watch.export` (Action.Execute; the Action.Submit fallback reaches the same handlers).

The editor itself (commands, import, the form's save, problems phrased from their codes) is
`bot/teams/editor.py`, shared with the editorial line. Validation: every problem is shown
located (YAML: line, column and path; form: the field and the item or line number) and phrased
in the user's language. A profile that cannot be turned
into X queries of at most 512 characters (`QueryTooLong`) is refused too. A form opened on an
older revision is refused (`ProfileConflict`), never merged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from bot.domain.documents import LocatedYaml, Problem
from bot.domain.queries import MAX_QUERY_LENGTH, QueryTooLong, WatchQueries, build_queries
from bot.domain.watch import ProfileError, WatchProfile
from bot.i18n import t
from bot.services.profiles import ProfileConflict, ProfileRepository, StoredProfile
from bot.teams.actions import Actor, CardActionRouter
from bot.teams.cards import Card, adaptive_card, text_block
from bot.teams.editor import (
    DocumentEditor,
    DocumentKind,
    Saved,
    at_text,
    bullets,
    execute,
    first_line,
    heading,
    tenant_of,
)
from bot.teams.files import FileFetcher

logger = logging.getLogger(__name__)

# -- recognising the command ---------------------------------------------------------------------

_VERBS: Final = (
    r"(?:montre|montrer|affiche|afficher|voir|vois|modifier|modifie|editer|edite|changer|change|"
    r"mettre a jour|importer|importe|import|exporter|exporte|export|show|see|view|edit|update)"
)
_WATCH_PATTERNS: Final = (
    re.compile(r"\bprofile?s?\s+de\s+(?:la\s+)?veille\b"),
    re.compile(r"\bwatch[\s-]*profiles?\b"),
    re.compile(
        rf"^{_VERBS}(?:[\s-]*moi)?\s+(?:(?:la|le|les|ma|mon|mes|notre|nos)\s+)?"
        r"(?:(?:parametres?|reglages?)\s+de\s+(?:la\s+)?)?veille\b"
    ),
    re.compile(r"^(?:(?:ma|notre)\s+)?veille\s*[?.!]*$"),
    re.compile(r"^(?:parametres?|reglages?)\s+de\s+(?:la\s+)?veille\b"),
)


def is_watch_command(text: str) -> bool:
    """Whether a message is a watch-profile command (judged on its first line)."""
    first = first_line(text)
    return any(p.search(first) for p in _WATCH_PATTERNS)


# -- problems ------------------------------------------------------------------------------------

_LIST_FIELDS: Final = ("names", "handles", "keywords", "exclusions", "sector_terms", "languages")
_LINE_FIELDS: Final = ("competitors", "spokespeople")


def form_field_of(loc: str) -> tuple[str | None, int | None]:
    """The form field showing `loc`, and the item (lists) or line (competitors...) number."""
    match = re.match(r"^([a-z_]+)(?:\[(\d+)\])?", loc)
    if match is None:
        return None, None
    name, index = match.group(1), match.group(2)
    if name == "company" or name in _LIST_FIELDS or name in _LINE_FIELDS:
        return name, int(index) if index is not None else None
    return None, None


def _field_of(loc: str) -> tuple[str | None, int | None, str]:
    field_id, index = form_field_of(loc)
    return field_id, index, "line" if field_id in _LINE_FIELDS else "item"


def _label(field_id: str, lang: str) -> str:
    return t(lang, f"watch.form.labels.{field_id}")


KIND: Final = DocumentKind(
    ns="watch",
    field_of=_field_of,
    label=_label,
    base_key="base_revision",
    number_name="revision",
)


def query_problems(profile: WatchProfile) -> list[Problem]:
    """Why the profile cannot be turned into X queries of at most 512 characters, if so."""
    try:
        build_queries(profile)
    except QueryTooLong as exc:
        return [exc.problem]
    return []


def checked(data: Any, tenant: str) -> tuple[WatchProfile | None, list[Problem]]:
    """Validate profile data and its X queries: the profile, or every problem."""
    try:
        profile = WatchProfile.from_data(data, tenant_id=tenant)
    except ProfileError as exc:
        return None, list(exc.problems)
    problems = query_problems(profile)
    return (None, problems) if problems else (profile, [])


def parse_yaml(text: str, tenant: str) -> tuple[WatchProfile | None, list[Problem]]:
    """A profile from YAML, or its problems located (line, column, path)."""
    try:
        source = LocatedYaml.parse(text, ProfileError)
        profile = WatchProfile.from_located(source, tenant_id=tenant)
    except ProfileError as exc:
        return None, list(exc.problems)
    problems = [source.place(p) for p in query_problems(profile)]
    return (None, problems) if problems else (profile, [])


# -- cards ---------------------------------------------------------------------------------------


def _join(items: Iterable[str], lang: str) -> str:
    listed = [i for i in items if i]
    return ", ".join(listed) if listed else t(lang, "watch.none")


def _lang_name(code: str, lang: str) -> str:
    try:
        return t(lang, f"watch.lang_names.{code}")
    except KeyError:
        return code


def _version_line(stored: StoredProfile, lang: str) -> str:
    if stored.is_default or stored.at is None:
        return t(lang, "watch.default", revision=stored.revision)
    return t(
        lang,
        "watch.revision",
        revision=stored.revision,
        name=stored.by_name or stored.by or "?",
        at=at_text(stored.at, lang),
    )


def queries_blocks(profile: WatchProfile, lang: str) -> list[dict[str, Any] | None]:
    """The X queries the profile gives: how many, how long; or why there are none."""
    q = "watch.queries."
    try:
        sets: WatchQueries = build_queries(profile)
    except QueryTooLong as exc:
        problem = KIND.form_problem_line(exc.problem, lang)
        return [text_block(t(lang, q + "too_long", problem=problem), color="Attention")]
    lengths = [len(query) for qs in sets.all() for query in qs.queries]
    lines = []
    for qs in sets.all():
        label = t(lang, q + "sector_label") if qs.target == "sector" else qs.label
        lines.append(
            t(
                lang,
                q + "set",
                label=label,
                count=len(qs.queries),
                lengths=" + ".join(str(len(query)) for query in qs.queries),
            )
        )
    summary = t(lang, q + "summary", count=len(lengths), max=max(lengths), limit=MAX_QUERY_LENGTH)
    return [text_block(summary), bullets(lines)]


def view_card(
    stored: StoredProfile,
    lang: str,
    *,
    manage: bool,
    message: str | None = None,
    warning: bool = False,
) -> Card:
    p = stored.profile
    s = "watch.sections."
    body: list[dict[str, Any] | None] = [
        text_block(t(lang, "watch.title", company=p.company), size="Large", weight="Bolder"),
        text_block(_version_line(stored, lang), isSubtle=True, size="Small"),
    ]
    if message:
        body.append(text_block(message, color="Attention" if warning else "Good"))
    body += [
        heading(t(lang, s + "names")),
        text_block(_join(p.names, lang)),
        heading(t(lang, s + "handles")),
        text_block(_join((f"@{h}" for h in p.handles), lang)),
        heading(t(lang, s + "keywords")),
        text_block(_join(p.keywords, lang)),
        heading(t(lang, s + "exclusions")),
        text_block(_join(p.exclusions, lang)),
        heading(t(lang, s + "competitors")),
    ]
    if p.competitors:
        rows = []
        for c in p.competitors:
            row = t(lang, "watch.competitor", name=c.name, names=", ".join(c.names))
            if c.handles:
                row += " · " + ", ".join(f"@{h}" for h in c.handles)
            if c.exclusions:
                row += t(lang, "watch.competitor_exclusions", terms=", ".join(c.exclusions))
            rows.append(row)
        body.append(bullets(rows))
    else:
        body.append(text_block(t(lang, "watch.none")))
    body += [heading(t(lang, s + "sector_terms")), text_block(_join(p.sector_terms, lang))]
    body.append(heading(t(lang, s + "spokespeople")))
    if p.spokespeople:
        rows = []
        for person in p.spokespeople:
            row = person.name + (f" ({person.role})" if person.role else "")
            if person.handles:
                row += " · " + ", ".join(f"@{h}" for h in person.handles)
            rows.append(row)
        body.append(bullets(rows))
    else:
        body.append(text_block(t(lang, "watch.none")))
    body += [
        heading(t(lang, s + "languages")),
        text_block(", ".join(_lang_name(x, lang) for x in p.languages)),
        heading(t(lang, s + "queries")),
        *queries_blocks(p, lang),
    ]
    actions = [execute(t(lang, "watch.buttons.export"), KIND.verb("export"))]
    if manage:
        body.append(text_block(t(lang, "watch.import_hint"), isSubtle=True, size="Small"))
        actions.insert(0, execute(t(lang, "watch.buttons.edit"), KIND.verb("edit")))
    return adaptive_card([b for b in body if b is not None], actions)


def export_card(stored: StoredProfile, lang: str) -> Card:
    return KIND.export_card(lang, stored.profile.to_yaml(), stored.revision)


FORM_FIELDS: Final = (
    "company", "names", "handles", "keywords", "exclusions", "competitors", "sector_terms",
    "spokespeople", "languages",
)  # fmt: skip
_MULTILINE: Final = frozenset({"competitors", "spokespeople", "keywords", "sector_terms"})


def competitor_line(
    name: str, names: Sequence[str], handles: Sequence[str], excl: Sequence[str]
) -> str:
    line = f"{name}: {', '.join(names)}"
    line += "".join(f" @{h}" for h in handles)
    line += "".join(f", -{e}" for e in excl)
    return line


def form_values(profile: WatchProfile) -> dict[str, str]:
    return {
        "company": profile.company,
        "names": ", ".join(profile.names),
        "handles": ", ".join(f"@{h}" for h in profile.handles),
        "keywords": ", ".join(profile.keywords),
        "exclusions": ", ".join(profile.exclusions),
        "competitors": "\n".join(
            competitor_line(c.name, c.names, c.handles, c.exclusions) for c in profile.competitors
        ),
        "sector_terms": ", ".join(profile.sector_terms),
        "spokespeople": "\n".join(
            person.name
            + (f" ({person.role})" if person.role else "")
            + (": " + ", ".join(f"@{h}" for h in person.handles) if person.handles else "")
            for person in profile.spokespeople
        ),
        "languages": ", ".join(profile.languages),
    }


def form_card(
    stored: StoredProfile,
    lang: str,
    *,
    values: dict[str, str] | None = None,
    problems: Sequence[Problem] = (),
) -> Card:
    """The edit form; `values`: what the user typed (shown again with the problems)."""
    filled = {**form_values(stored.profile), **(values or {})}
    f = "watch.form."
    inputs: list[dict[str, Any]] = []
    for field_id in FORM_FIELDS:
        inputs.append(
            {
                "type": "Input.Text",
                "id": field_id,
                "label": t(lang, f + f"labels.{field_id}"),
                "placeholder": t(lang, f + f"hints.{field_id}"),
                "value": filled.get(field_id, ""),
                "isMultiline": field_id in _MULTILINE,
                "maxLength": 8000 if field_id in _MULTILINE else 2000,
            }
        )
    title = t(lang, f + "title", revision=stored.revision)
    return KIND.form_card(lang, title, inputs, problems, stored.revision)


# -- the form's data back into a profile ---------------------------------------------------------


def _items(value: object) -> list[str]:
    return [x.strip() for x in re.split(r"[,\n;]+", str(value or "")) if x.strip()]


def _lines(value: object) -> list[str]:
    return [x.strip() for x in str(value or "").splitlines() if x.strip()]


_HANDLE_TOKEN_RE: Final = re.compile(r"(?<!\S)@(\S+)")


def parse_competitor(line: str) -> dict[str, Any]:
    """ "Name: name1, name2 @handle, -homonym" → a competitor's data (validated later)."""
    name, sep, rest = line.partition(":")
    name = name.strip()
    if not sep:
        rest = name
    names: list[str] = []
    handles: list[str] = []
    exclusions: list[str] = []
    for chunk in rest.split(","):
        chunk = chunk.strip()
        if chunk.startswith("-"):
            if chunk[1:].strip():
                exclusions.append(chunk[1:].strip())
            continue
        handles += _HANDLE_TOKEN_RE.findall(chunk)
        remainder = " ".join(_HANDLE_TOKEN_RE.sub(" ", chunk).split())
        if remainder:
            names.append(remainder)
    return {"name": name, "names": names, "handles": handles, "exclusions": exclusions}


_SPOKESPERSON_RE: Final = re.compile(
    r"^(?P<name>[^(:]*?)\s*(?:\((?P<role>[^)]*)\))?\s*(?::(?P<handles>.*))?$"
)


def parse_spokesperson(line: str) -> dict[str, Any]:
    """ "Camille Arnaud (CEO): @camille_arnaud" → a spokesperson's data."""
    match = _SPOKESPERSON_RE.match(line.strip())
    if match is None:
        return {"name": line.strip(), "role": "", "handles": []}
    handles = [h for h in re.split(r"[,\s]+", match["handles"] or "") if h]
    return {"name": match["name"], "role": (match["role"] or "").strip(), "handles": handles}


def profile_data_from_form(profile: WatchProfile, data: dict[str, Any]) -> dict[str, Any]:
    """The profile's data with the form's fields applied (to be validated)."""
    out = profile.model_dump(mode="json")
    if "company" in data:
        out["company"] = str(data.get("company") or "").strip()
    for name in _LIST_FIELDS:
        if name in data:
            out[name] = _items(data[name])
    if "competitors" in data:
        out["competitors"] = [parse_competitor(x) for x in _lines(data["competitors"])]
    if "spokespeople" in data:
        out["spokespeople"] = [parse_spokesperson(x) for x in _lines(data["spokespeople"])]
    return out


# -- the Teams side ------------------------------------------------------------------------------


@dataclass
class WatchServices:
    profiles: ProfileRepository
    fetcher: FileFetcher = field(default_factory=FileFetcher)


class WatchTeams(DocumentEditor[StoredProfile]):
    kind = KIND
    form_fields = FORM_FIELDS
    open_commands = frozenset({"view", "export"})

    def __init__(self, services: WatchServices) -> None:
        super().__init__(services.fetcher)
        self._profiles = services.profiles

    def is_import_head(self, line: str) -> bool:
        return is_watch_command(line)

    async def current(self, tenant: str) -> StoredProfile:
        return await self._profiles.current(tenant)

    def number(self, doc: StoredProfile) -> int:
        return doc.revision

    view_card = staticmethod(view_card)
    form_card = staticmethod(form_card)
    export_card = staticmethod(export_card)

    def from_form(
        self, doc: StoredProfile, data: dict[str, Any], tenant: str
    ) -> tuple[WatchProfile | None, Sequence[Problem]]:
        return checked(profile_data_from_form(doc.profile, data), tenant)

    async def store(
        self, actor: Actor, content: Any, *, expected: int | None, note: str
    ) -> Saved[StoredProfile]:
        return await self._save(actor, content, expected, "form")

    async def store_yaml(self, actor: Actor, text: str) -> Saved[StoredProfile]:
        profile, problems = parse_yaml(text, tenant_of(actor))
        if profile is None:
            return Saved(problems=problems)
        return await self._save(actor, profile, None, "import")

    async def _save(
        self, actor: Actor, profile: WatchProfile, expected: int | None, source: str
    ) -> Saved[StoredProfile]:
        try:
            outcome = await self._profiles.save(
                tenant_of(actor),
                profile,
                by=actor.key or "unknown",
                by_name=actor.name,
                expected_revision=expected,
                source=source,
            )
        except ProfileConflict as exc:
            return Saved(conflict=exc.expected)
        return Saved(outcome.stored, unchanged=outcome.unchanged)


def register_watch(router: CardActionRouter, services: WatchServices) -> WatchTeams:
    """Route the watch-profile verbs; the returned object's `handle_command` is for the root
    dialog (for messages where `is_watch_command(text)`)."""
    teams = WatchTeams(services)
    teams.register(router)
    return teams


__all__ = [
    "WatchServices",
    "WatchTeams",
    "is_watch_command",
    "register_watch",
]
