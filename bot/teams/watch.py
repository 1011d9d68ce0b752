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

Validation: every problem is shown located (YAML: line, column and path; form: the field and
the item or line number) and phrased in the user's language. A profile that cannot be turned
into X queries of at most 512 characters (`QueryTooLong`) is refused too. A form opened on an
older revision is refused (`ProfileConflict`), never merged.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import yaml
from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.domain.editorial import fold
from bot.domain.queries import MAX_QUERY_LENGTH, QueryTooLong, WatchQueries, build_queries
from bot.domain.watch import ProfileError, WatchProfile
from bot.i18n import t
from bot.services.profiles import ProfileConflict, ProfileRepository, StoredProfile
from bot.teams.actions import ActionResult, Actor, CardActionRouter
from bot.teams.activity import strip_mentions
from bot.teams.cards import Card, adaptive_card, card_activity, text_block
from bot.teams.editorial import (
    FILE_DOWNLOAD_TYPE,
    FileFetcher,
    FileRefused,
    html_to_text,
    is_comms,
    tenant_of,
)

logger = logging.getLogger(__name__)

VERB_VIEW: Final = "watch.view"
VERB_EDIT: Final = "watch.edit"
VERB_SAVE: Final = "watch.save"
VERB_EXPORT: Final = "watch.export"
MAX_PROBLEMS_SHOWN: Final = 12
MAX_YAML_CHARS: Final = 200_000

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


def _first_line(text: str) -> str:
    stripped = strip_mentions(text, leading_only=True).strip()
    return fold(stripped.split("\n", 1)[0]).strip()


def is_watch_command(text: str) -> bool:
    """Whether a message is a watch-profile command (judged on its first line)."""
    first = _first_line(text)
    return any(p.search(first) for p in _WATCH_PATTERNS)


def _file_attachments(activity: Activity) -> list[Any]:
    return [
        a
        for a in activity.attachments or []
        if getattr(a, "content_type", None) == FILE_DOWNLOAD_TYPE
    ]


_FENCE_RE: Final = re.compile(r"```[ \t]*(?:ya?ml)?[ \t]*\n(.*?)```", re.IGNORECASE | re.DOTALL)
_HTML_RE: Final = re.compile(r"<(?:p|br|div|pre|code)\b", re.IGNORECASE)


def command_of(text: str, activity: Activity | None = None) -> str:
    """view | edit | export | import."""
    if activity is not None and _file_attachments(activity):
        return "import"
    first = _first_line(text)
    if re.match(r"^(?:import|importer|importe)\b", first) or _FENCE_RE.search(text or ""):
        return "import"
    if re.search(r"\b(?:export|exporter|exporte|yaml)\b", first):
        return "export"
    if re.search(r"\b(?:modifier|modifie|editer|edite|edit|change|changer|update)\b", first):
        return "edit"
    return "view"


def yaml_block_of(text: str, attachments: Sequence[Any] = ()) -> str | None:
    """The YAML pasted after the command line (fenced or not, plain text or Teams HTML)."""
    candidates = [text or ""]
    for a in attachments:
        if getattr(a, "content_type", None) == "text/html" and isinstance(a.content, str):
            candidates.insert(0, a.content)
    for raw in candidates:
        plain = html_to_text(raw) if _HTML_RE.search(raw) else raw
        plain = plain.replace("\r\n", "\n")
        fenced = _FENCE_RE.search(plain)
        if fenced:
            body = fenced.group(1)
        else:
            head, _, rest = strip_mentions(plain, leading_only=True).lstrip("\n").partition("\n")
            body = rest if is_watch_command(head) else ""
        body = body.strip("\n")
        if body.strip() and ":" in body:
            return body[:MAX_YAML_CHARS]
    return None


# -- problems, located and phrased ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    """One reason a profile was refused: where (`loc`, a path such as `competitors[1].names`;
    `line`/`column` in the YAML) and what (`code` and its `params`, or the raw `message`)."""

    loc: str
    code: str
    message: str
    params: dict[str, Any] = field(default_factory=dict)
    line: int | None = None
    column: int | None = None


_Q: Final = r"(?P<q>['\"])(?P<value>.*)(?P=q)"
_CODES: Final[tuple[tuple[str, re.Pattern[str]], ...]] = tuple(
    (code, re.compile(pattern))
    for code, pattern in (
        ("yaml", r"^not valid YAML: (?P<detail>.*)$"),
        ("root_mapping", r"^must be a mapping of fields"),
        ("blank", r"^must not be blank$"),
        ("too_long", r"at most (?P<max>\d+) characters$"),
        ("one_line", r"^must be on one line$"),
        ("tag", r"^a hashtag or cashtag is one word"),
        ("handle", r"^an X handle is"),
        (
            "duplicate",
            rf"^(?:term|handle|language) {_Q} is listed twice \(items (?P<first>\d+) "
            r"and (?P<second>\d+)",
        ),
        ("empty", r"^must not be empty$"),
        ("version", r"^only version 1 is supported$"),
        ("tenant", r"^1 to 64 characters"),
        ("language", rf"^{_Q} is not a language code"),
        ("self_exclusion", rf"^{_Q} is also a name or keyword"),
        ("required", r"^is required$"),
        ("unknown_field", r"^unknown field$"),
        ("text", r"^must be a text$"),
        ("list", r"^must be a list$"),
        ("number", r"^must be a whole number$"),
        ("mapping", r"^must be a mapping$"),
        ("query_exclusions", r"alone take (?P<taken>\d+) of the (?P<max>\d+) characters"),
        (
            "query_term",
            r"the term (?P<value>.+) does not fit in one X query next to the exclusions "
            r"\((?P<length>\d+) > (?P<max>\d+)",
        ),
        ("query_empty", r"nothing to search for"),
    )
)
_YAML_AT_RE: Final = re.compile(r"^line (?P<line>\d+), column (?P<column>\d+): (?P<rest>.*)$")
_QUERY_WHAT_RE: Final = re.compile(r"^(?P<what>company|competitors\[(?P<index>\d+)\]|sector)\b")


def _coded(loc: str, message: str, **where: int | None) -> Problem:
    for code, pattern in _CODES:
        match = pattern.search(message)
        if match:
            params = {k: v for k, v in match.groupdict().items() if k != "q" and v is not None}
            for key in ("first", "second"):
                if key in params:
                    params[key] = int(params[key]) + 1  # 1-based, as shown in the form
            return Problem(loc, code, message, params, where.get("line"), where.get("column"))
    return Problem(loc, "other", message, {}, where.get("line"), where.get("column"))


def problems_of_error(exc: ProfileError) -> list[Problem]:
    """`ProfileError.problems` ("competitors[1].names: must not be empty", ...) as `Problem`s."""
    out: list[Problem] = []
    for raw in exc.problems:
        at = _YAML_AT_RE.match(raw)
        if at:
            out.append(_coded("", at["rest"], line=int(at["line"]), column=int(at["column"])))
            continue
        loc, sep, message = raw.partition(": ")
        if not sep:
            loc, message = "", raw
        out.append(_coded("" if loc in ("(root)", "(yaml)") else loc, message))
    return out


def problem_of_queries(exc: QueryTooLong) -> Problem:
    """`QueryTooLong` ("company 'Velora': the exclusions ... alone take ...") as a `Problem`."""
    message = str(exc)
    match = _QUERY_WHAT_RE.match(message)
    problem = _coded("", message)
    if match is None:
        return problem
    if match["what"] == "sector":
        loc = "sector_terms"
    elif match["index"] is not None:
        loc = f"competitors[{match['index']}]"
    else:
        loc = "exclusions" if problem.code == "query_exclusions" else "names"
    return Problem(loc, problem.code, message, problem.params)


_PATH_RE: Final = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def yaml_position(text: str, loc: str) -> tuple[int, int] | None:
    """Line and column (1-based) of the YAML node at `loc`, or of its closest parent found."""
    if not loc:
        return None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None
    mark = None
    for name, index in _PATH_RE.findall(loc):
        if name and isinstance(node, yaml.MappingNode):
            found = next((kv for kv in node.value if getattr(kv[0], "value", None) == name), None)
            if found is None:
                break
            mark, node = found[0].start_mark, found[1]
        elif index and isinstance(node, yaml.SequenceNode) and int(index) < len(node.value):
            node = node.value[int(index)]
            mark = node.start_mark
        else:
            break
    if mark is None:
        return None
    return mark.line + 1, mark.column + 1


def locate(problems: Iterable[Problem], yaml_text: str) -> list[Problem]:
    out: list[Problem] = []
    for p in problems:
        position = yaml_position(yaml_text, p.loc) if p.line is None else None
        if position is not None:
            p = Problem(p.loc, p.code, p.message, p.params, position[0], position[1])
        out.append(p)
    return out


def _what(problem: Problem, lang: str) -> str:
    if problem.code != "other":
        try:
            return t(lang, f"watch.problems.{problem.code}", **problem.params)
        except (KeyError, IndexError):
            pass
    return t(lang, "watch.problems.other", message=problem.message)


def yaml_problem_line(problem: Problem, lang: str) -> str:
    parts: list[str] = []
    if problem.line is not None and problem.column is not None:
        parts.append(t(lang, "watch.located", line=problem.line, column=problem.column))
    if problem.loc:
        parts.append(f"`{problem.loc}`")
    where = " · ".join(parts) or "—"
    return t(lang, "watch.problem", where=where, what=_what(problem, lang))


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


def form_problem_line(problem: Problem, lang: str) -> str:
    field_id, index = form_field_of(problem.loc)
    f = "watch.form."
    if field_id is None:
        where = t(lang, f + "field_other", path=problem.loc or "—")
    else:
        label = t(lang, f + f"labels.{field_id}")
        if index is None:
            where = label
        else:
            kind = "line" if field_id in _LINE_FIELDS else "item"
            where = t(lang, f + kind, field=label, number=index + 1)
    return t(lang, "watch.problem", where=where, what=_what(problem, lang))


def problems_text(problems: Sequence[Problem], lang: str) -> str:
    lines = [yaml_problem_line(p, lang) for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"(+{len(problems) - MAX_PROBLEMS_SHOWN})")
    head = t(lang, "watch.import.failed", count=len(problems))
    return head + "\n\n" + "\n".join(f"- {x}" for x in lines)


# -- validation ----------------------------------------------------------------------------------


_TENANT_RE: Final = re.compile(r"^[A-Za-z0-9._=@-]{1,64}$")


def _with_tenant(data: Any, tenant: str) -> Any:
    """The profile is always the reader's tenant's, whatever the YAML says (when the tenant id
    fits the profile format)."""
    if isinstance(data, dict) and _TENANT_RE.match(tenant):
        return {**data, "tenant_id": tenant}
    return data


def checked(data: Any, tenant: str) -> tuple[WatchProfile | None, list[Problem]]:
    """Validate profile data and its X queries: the profile, or every problem."""
    try:
        profile = WatchProfile.from_data(_with_tenant(data, tenant))
    except ProfileError as exc:
        return None, problems_of_error(exc)
    try:
        build_queries(profile)
    except QueryTooLong as exc:
        return None, [problem_of_queries(exc)]
    return profile, []


def parse_yaml(text: str, tenant: str) -> tuple[WatchProfile | None, list[Problem]]:
    """A profile from YAML, or its problems located (line, column, path)."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        try:
            WatchProfile.from_yaml(text)  # the same failure, located and worded
        except ProfileError as exc:
            return None, problems_of_error(exc)
        raise  # pragma: no cover - safe_load and from_yaml agree
    profile, problems = checked(data, tenant)
    return profile, locate(problems, text)


# -- phrasing ------------------------------------------------------------------------------------


def _at(value: datetime, lang: str) -> str:
    if lang == "fr":
        return value.strftime("%d/%m/%Y à %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _join(items: Iterable[str], lang: str) -> str:
    listed = [i for i in items if i]
    return ", ".join(listed) if listed else t(lang, "watch.none")


def _lang_name(code: str, lang: str) -> str:
    try:
        return t(lang, f"watch.lang_names.{code}")
    except KeyError:
        return code


def _heading(text: str) -> dict[str, Any]:
    return text_block(text, weight="Bolder", spacing="Medium")


def _bullets(items: Iterable[str]) -> dict[str, Any]:
    return text_block("\n".join(f"- {i}" for i in items))


def _mono(text: str) -> dict[str, Any]:
    return {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": text, "fontType": "Monospace", "size": "Small"}],
    }


def _execute(title: str, verb: str, **data: Any) -> dict[str, Any]:
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": data}


def _version_line(stored: StoredProfile, lang: str) -> str:
    if stored.is_default or stored.at is None:
        return t(lang, "watch.default", revision=stored.revision)
    return t(
        lang,
        "watch.revision",
        revision=stored.revision,
        name=stored.by_name or stored.by or "?",
        at=_at(stored.at, lang),
    )


def queries_blocks(profile: WatchProfile, lang: str) -> list[dict[str, Any]]:
    """The X queries the profile gives: how many, how long; or why there are none."""
    q = "watch.queries."
    try:
        sets: WatchQueries = build_queries(profile)
    except QueryTooLong as exc:
        problem = form_problem_line(problem_of_queries(exc), lang)
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
    return [text_block(summary), _bullets(lines)]


# -- cards ---------------------------------------------------------------------------------------


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
    body: list[dict[str, Any]] = [
        text_block(t(lang, "watch.title", company=p.company), size="Large", weight="Bolder"),
        text_block(_version_line(stored, lang), isSubtle=True, size="Small"),
    ]
    if message:
        body.append(text_block(message, color="Attention" if warning else "Good"))
    body += [
        _heading(t(lang, s + "names")),
        text_block(_join(p.names, lang)),
        _heading(t(lang, s + "handles")),
        text_block(_join((f"@{h}" for h in p.handles), lang)),
        _heading(t(lang, s + "keywords")),
        text_block(_join(p.keywords, lang)),
        _heading(t(lang, s + "exclusions")),
        text_block(_join(p.exclusions, lang)),
        _heading(t(lang, s + "competitors")),
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
        body.append(_bullets(rows))
    else:
        body.append(text_block(t(lang, "watch.none")))
    body += [_heading(t(lang, s + "sector_terms")), text_block(_join(p.sector_terms, lang))]
    body.append(_heading(t(lang, s + "spokespeople")))
    if p.spokespeople:
        rows = []
        for person in p.spokespeople:
            row = person.name + (f" ({person.role})" if person.role else "")
            if person.handles:
                row += " · " + ", ".join(f"@{h}" for h in person.handles)
            rows.append(row)
        body.append(_bullets(rows))
    else:
        body.append(text_block(t(lang, "watch.none")))
    body += [
        _heading(t(lang, s + "languages")),
        text_block(", ".join(_lang_name(x, lang) for x in p.languages)),
        _heading(t(lang, s + "queries")),
        *queries_blocks(p, lang),
    ]
    actions = [_execute(t(lang, "watch.buttons.export"), VERB_EXPORT)]
    if manage:
        body.append(text_block(t(lang, "watch.import_hint"), isSubtle=True, size="Small"))
        actions.insert(0, _execute(t(lang, "watch.buttons.edit"), VERB_EDIT))
    return adaptive_card(body, actions)


def export_card(stored: StoredProfile, lang: str) -> Card:
    body = [
        text_block(t(lang, "watch.export.title", revision=stored.revision), weight="Bolder"),
        text_block(t(lang, "watch.export.hint"), isSubtle=True, size="Small"),
        _mono(stored.profile.to_yaml()),
    ]
    return adaptive_card(body)


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
    body: list[dict[str, Any]] = [
        text_block(t(lang, f + "title", revision=stored.revision), size="Large", weight="Bolder"),
        text_block(t(lang, f + "intro"), isSubtle=True, size="Small"),
    ]
    if problems:
        body.append(
            text_block(
                t(lang, f + "errors_title", count=len(problems)), color="Attention", weight="Bolder"
            )
        )
        lines = [form_problem_line(p, lang) for p in problems[:MAX_PROBLEMS_SHOWN]]
        body.append(text_block("\n".join(f"- {x}" for x in lines), color="Attention", size="Small"))
    for field_id in FORM_FIELDS:
        body.append(
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
    actions = [
        _execute(t(lang, f + "save"), VERB_SAVE, base_revision=stored.revision),
        _execute(t(lang, f + "cancel"), VERB_VIEW),
    ]
    return adaptive_card(body, actions)


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


def _revision_of(data: dict[str, Any]) -> int | None:
    base = data.get("base_revision")
    if isinstance(base, bool):
        return None
    if isinstance(base, int):
        return base
    if isinstance(base, str) and base.isdigit():
        return int(base)
    return None


# -- the Teams side ------------------------------------------------------------------------------


@dataclass
class WatchServices:
    profiles: ProfileRepository
    fetcher: FileFetcher = field(default_factory=FileFetcher)


class WatchTeams:
    def __init__(self, services: WatchServices) -> None:
        self._profiles = services.profiles
        self._fetcher = services.fetcher

    def register(self, router: CardActionRouter) -> None:
        router.register(VERB_VIEW, self.on_view)
        router.register(VERB_EDIT, self.on_edit)
        router.register(VERB_SAVE, self.on_save)
        router.register(VERB_EXPORT, self.on_export)

    # -- the message command ---------------------------------------------------------------

    async def handle_command(self, turn_context: TurnContext, actor: Actor, text: str) -> None:
        activity = turn_context.activity
        lang = actor.lang
        command = command_of(text, activity)
        if command in ("edit", "import") and not is_comms(actor):
            await turn_context.send_activity(t(lang, "watch.refused"))
            return
        if command == "import":
            await self._import(turn_context, actor, text)
            return
        stored = await self._profiles.current(tenant_of(actor))
        if command == "export":
            card = export_card(stored, lang)
        elif command == "edit":
            card = form_card(stored, lang)
        else:
            card = view_card(stored, lang, manage=is_comms(actor))
        await turn_context.send_activity(card_activity(card))

    async def _import(self, turn_context: TurnContext, actor: Actor, text: str) -> None:
        lang = actor.lang
        activity = turn_context.activity
        files = _file_attachments(activity)
        yaml_text: str | None
        if files:
            try:
                yaml_text = await self._read_file(activity, files[0])
            except FileRefused as exc:
                reason = t(lang, f"watch.import.reasons.{exc.reason}")
                await turn_context.send_activity(
                    t(lang, "watch.import.file_refused", reason=reason)
                )
                return
        else:
            yaml_text = yaml_block_of(text, activity.attachments or [])
        if not yaml_text:
            await turn_context.send_activity(t(lang, "watch.import.missing"))
            return
        tenant = tenant_of(actor)
        profile, problems = parse_yaml(yaml_text, tenant)
        if profile is None:
            await turn_context.send_activity(problems_text(problems, lang))
            return
        outcome = await self._profiles.save(
            tenant, profile, by=actor.key or "unknown", by_name=actor.name, source="import"
        )
        key = "watch.unchanged" if outcome.unchanged else "watch.import.done"
        message = t(lang, key, revision=outcome.stored.revision)
        await turn_context.send_activity(
            card_activity(view_card(outcome.stored, lang, manage=True, message=message))
        )

    async def _read_file(self, activity: Activity, attachment: Any) -> str:
        return await self._fetcher.read_yaml_attachment(activity, attachment)

    # -- card verbs --------------------------------------------------------------------------

    def _refused(self, actor: Actor) -> ActionResult:
        return ActionResult(message=t(actor.lang, "watch.refused"))

    async def on_view(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        stored = await self._profiles.current(tenant_of(actor))
        return ActionResult(card=view_card(stored, actor.lang, manage=is_comms(actor)))

    async def on_export(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        stored = await self._profiles.current(tenant_of(actor))
        return ActionResult(card=export_card(stored, actor.lang))

    async def on_edit(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        if not is_comms(actor):
            return self._refused(actor)
        stored = await self._profiles.current(tenant_of(actor))
        return ActionResult(card=form_card(stored, actor.lang))

    async def on_save(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        if not is_comms(actor):
            return self._refused(actor)
        lang = actor.lang
        tenant = tenant_of(actor)
        current = await self._profiles.current(tenant)
        expected = _revision_of(data)
        if expected is not None and expected != current.revision:
            return self._conflict(current, lang, expected)
        values = {k: str(data[k]) for k in FORM_FIELDS if data.get(k) is not None}
        profile, problems = checked(profile_data_from_form(current.profile, data), tenant)
        if profile is None:
            return ActionResult(card=form_card(current, lang, values=values, problems=problems))
        try:
            outcome = await self._profiles.save(
                tenant,
                profile,
                by=actor.key or "unknown",
                by_name=actor.name,
                expected_revision=expected,
                source="form",
            )
        except ProfileConflict as exc:
            latest = await self._profiles.current(tenant)
            return self._conflict(latest, lang, exc.expected)
        key = "watch.unchanged" if outcome.unchanged else "watch.saved"
        message = t(lang, key, revision=outcome.stored.revision)
        return ActionResult(card=view_card(outcome.stored, lang, manage=True, message=message))

    @staticmethod
    def _conflict(latest: StoredProfile, lang: str, expected: int) -> ActionResult:
        message = t(lang, "watch.conflict", current=latest.revision, expected=expected)
        return ActionResult(
            card=view_card(latest, lang, manage=True, message=message, warning=True)
        )


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
