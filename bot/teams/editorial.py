"""The editorial line in Teams: view, edit (card form), import / export YAML, history, roll-back.

Who: everyone in the tenant may *view* the line (executives write by it); changing it, importing,
exporting, the history and roll-back are for the comms team and admins (`actor.roles` ∩
{"admin", "approver"}); others get a refusal, and the view card shows them no buttons.

Entry points:

- `EditorialTeams.handle_editorial_command(turn_context, actor, text)`: the root dialog calls it
  for `Intent.EDITORIAL_LINE` (a file attached to the command is read as an import).
  Commands, in French or English: view (default), "modifier" / "edit", "historique" /
  "history", "exporter" / "export", "revenir à la version 3" / "roll back to 3",
  "import ligne éditoriale" / "import editorial line" followed by a YAML block in the same
  message (fenced or not, plain text or Teams HTML), or a `.yaml` attachment in personal chat.
- `register_editorial(router, services)`: the card verbs `editorial.view`, `editorial.edit`,
  `editorial.save`, `editorial.history`, `editorial.rollback`, `editorial.export`
  (Action.Execute; the Action.Submit fallback reaches the same handlers).

Files: Teams gives a file sent in personal chat as an attachment of type
`application/vnd.microsoft.teams.file.download.info` with a pre-authenticated `downloadUrl`.
It is fetched only over HTTPS from an allowed host (`*.sharepoint.com` by default: SharePoint and
OneDrive for Business), without following redirects, within a size limit and a timeout.

Validation problems are shown located (YAML: line, column and path; form: the field and item
number), phrased in the user's language from their codes.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final
from urllib.parse import urlsplit

import aiohttp
from botbuilder.core import TurnContext
from botbuilder.schema import Activity

from bot.domain.editorial import (
    LANGS,
    Editor,
    EditorialError,
    EditorialLine,
    Problem,
    UnknownVersion,
    fold,
)
from bot.i18n import t
from bot.services.editorial_store import EditorialStore, SaveResult, VersionConflict
from bot.teams.actions import ActionResult, Actor, CardActionRouter
from bot.teams.activity import strip_mentions
from bot.teams.cards import Card, adaptive_card, card_activity, text_block

logger = logging.getLogger(__name__)

COMMS_ROLES: Final = frozenset({"admin", "approver"})
FILE_DOWNLOAD_TYPE: Final = "application/vnd.microsoft.teams.file.download.info"
VERB_VIEW: Final = "editorial.view"
VERB_EDIT: Final = "editorial.edit"
VERB_SAVE: Final = "editorial.save"
VERB_HISTORY: Final = "editorial.history"
VERB_ROLLBACK: Final = "editorial.rollback"
VERB_EXPORT: Final = "editorial.export"
HISTORY_SHOWN: Final = 10
MAX_PROBLEMS_SHOWN: Final = 12
MAX_YAML_CHARS: Final = 200_000
DEFAULT_TENANT: Final = "demo"


def is_comms(actor: Actor) -> bool:
    return bool(actor.roles & COMMS_ROLES)


def tenant_of(actor: Actor) -> str:
    return actor.tenant_id or DEFAULT_TENANT


def editor_of(actor: Actor) -> Editor:
    key = actor.key or "unknown"
    return Editor(user_id=key, name=actor.name or key)


# -- file downloads ----------------------------------------------------------------------------


class FileRefused(Exception):
    """A file we will not read; `reason` is a catalogue key (host, type, size, http...)."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class FileFetcher:
    """Fetches a Teams file download URL, only from allowed hosts, bounded."""

    allowed_hosts: tuple[str, ...] = ("*.sharepoint.com",)
    max_bytes: int = 256 * 1024
    timeout_s: float = 10.0
    require_https: bool = True

    def host_allowed(self, url: str) -> bool:
        try:
            parts = urlsplit(url)
            host = (parts.hostname or "").lower().rstrip(".")
            _ = parts.port  # raises on a malformed port
        except ValueError:
            return False
        if parts.username or parts.password or not host:
            return False
        if parts.scheme != "https" and (self.require_https or parts.scheme != "http"):
            return False
        for pattern in self.allowed_hosts:
            pattern = pattern.lower()
            if pattern.startswith("*."):
                if host.endswith(pattern[1:]) and host != pattern[2:]:
                    return True
            elif host == pattern:
                return True
        return False

    async def fetch(self, url: str) -> bytes:
        if not self.host_allowed(url):
            raise FileRefused("host")
        timeout = aiohttp.ClientTimeout(total=self.timeout_s)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url, allow_redirects=False) as resp,
            ):
                if resp.status != 200:
                    raise FileRefused("http")
                if resp.content_length is not None and resp.content_length > self.max_bytes:
                    raise FileRefused("size")
                data = bytearray()
                async for chunk in resp.content.iter_chunked(16 * 1024):
                    data.extend(chunk)
                    if len(data) > self.max_bytes:
                        raise FileRefused("size")
                return bytes(data)
        except (aiohttp.ClientError, TimeoutError):
            raise FileRefused("http") from None

    async def read_yaml_attachment(self, activity: Activity, attachment: Any) -> str:
        """The text of a `.yaml` file sent in a personal chat (Teams file download info)."""
        conversation = activity.conversation
        if getattr(conversation, "conversation_type", None) not in (None, "personal"):
            raise FileRefused("personal")
        content = attachment.content if isinstance(attachment.content, dict) else {}
        name = str(getattr(attachment, "name", "") or "").lower()
        file_type = str(content.get("fileType") or "").lower()
        if file_type not in ("yaml", "yml") and not name.endswith((".yaml", ".yml")):
            raise FileRefused("type")
        url = content.get("downloadUrl")
        if not isinstance(url, str):
            raise FileRefused("http")
        data = await self.fetch(url)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileRefused("encoding") from None


def _file_attachments(activity: Activity) -> list[Any]:
    return [
        a
        for a in activity.attachments or []
        if getattr(a, "content_type", None) == FILE_DOWNLOAD_TYPE
    ]


# -- reading a YAML block out of a message -------------------------------------------------------

_IMPORT_RE: Final = re.compile(
    r"^\s*(?:import(?:er)?|importe)\s+(?:(?:la|ma|une|the|an|my)\s+)?"
    r"(?:(?:ligne\s+[ée]ditoriale|editorial\s+line)\s*)?(?:\(?ya?ml\)?\s*)?[:：]?[ \t]*\n?",
    re.IGNORECASE,
)
_FENCE_RE: Final = re.compile(r"```[ \t]*(?:ya?ml)?[ \t]*\n(.*?)```", re.IGNORECASE | re.DOTALL)
_TAG_RE: Final = re.compile(r"<[^>]+>")


def html_to_text(text: str) -> str:
    """Teams rich text (HTML) as plain text, keeping line breaks and indentation."""
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"</(?:p|div|li|pre)>", "\n", text, flags=re.IGNORECASE)
    text = _TAG_RE.sub("", text)
    return html.unescape(text).replace("\xa0", " ")


def yaml_block_of(activity: Activity) -> str | None:
    """The YAML the user pasted after "import ligne éditoriale", or None."""
    candidates = [activity.text or ""]
    for a in activity.attachments or []:
        if getattr(a, "content_type", None) == "text/html" and isinstance(a.content, str):
            candidates.insert(0, a.content)
    for raw in candidates:
        text = html_to_text(raw) if re.search(r"<(?:p|br|div|pre|code)\b", raw, re.I) else raw
        text = strip_mentions(text.replace("\r\n", "\n"), leading_only=True)
        fenced = _FENCE_RE.search(text)
        body = fenced.group(1) if fenced else _IMPORT_RE.sub("", text, count=1)
        if _IMPORT_RE.match(text) or fenced:
            body = body.strip("\n")
            if body.strip() and ":" in body:
                return body[:MAX_YAML_CHARS]
    return None


# -- commands ---------------------------------------------------------------------------------

_ROLLBACK_RE: Final = re.compile(
    r"\b(?:rollback|roll back|revenir|restaurer|restore|retour)\b\D*(\d{1,5})\b"
)


@dataclass(frozen=True, slots=True)
class Command:
    kind: str  # view | edit | history | export | import | rollback
    version: int | None = None


def command_of_text(text: str, activity: Activity | None = None) -> Command:
    folded = fold(text or "")
    first = folded.strip().split("\n", 1)[0]
    if activity is not None and _file_attachments(activity):
        return Command("import")
    if re.match(r"^\s*(?:import|importer|importe)\b", strip_mentions(first, leading_only=True)):
        return Command("import")
    match = _ROLLBACK_RE.search(first)
    if match:
        return Command("rollback", int(match.group(1)))
    if re.search(r"\b(?:export|exporter|exporte|yaml)\b", first):
        return Command("export")
    if re.search(r"\b(?:historique|history|versions?)\b", first):
        return Command("history")
    if re.search(r"\b(?:modifier|modifie|editer|edite|edit|change|changer)\b", first):
        return Command("edit")
    return Command("view")


# -- phrasing ---------------------------------------------------------------------------------


def _has_key(lang: str, key: str) -> bool:
    try:
        t(lang, key)
    except (KeyError, IndexError):
        return False
    return True


def _what(problem: Problem, lang: str) -> str:
    key = f"editorial.problems.{problem.code}"
    if _has_key(lang, key):
        try:
            return t(lang, key, message=problem.message)
        except (KeyError, IndexError):
            pass
    return t(lang, "editorial.problems.other", message=problem.message)


def yaml_problem_line(problem: Problem, lang: str) -> str:
    parts: list[str] = []
    if problem.line is not None and problem.column is not None:
        parts.append(t(lang, "editorial.located", line=problem.line, column=problem.column))
    elif problem.line is not None:
        parts.append(t(lang, "editorial.located_line", line=problem.line))
    if problem.loc:
        parts.append(f"`{problem.loc}`")
    where = " · ".join(parts) or "—"
    return t(lang, "editorial.problem", where=where, what=_what(problem, lang))


# Form fields and the paths of the line they edit.
_FORM_PATHS: Final[tuple[tuple[str, str], ...]] = (
    ("voice.descriptors.fr", "descriptors_fr"),
    ("voice.descriptors.en", "descriptors_en"),
    ("voice.do.fr", "do_fr"),
    ("voice.do.en", "do_en"),
    ("voice.dont.fr", "dont_fr"),
    ("voice.dont.en", "dont_en"),
    ("avoid.fr", "avoid_fr"),
    ("avoid.en", "avoid_en"),
    ("hashtags.required", "hashtags_required"),
    ("hashtags.forbidden", "hashtags_forbidden"),
    ("emoji.max_count", "emoji_max"),
    ("emoji.mode", "emoji_mode"),
    ("emoji", "emoji_mode"),
    ("default_language", "default_language"),
    ("languages", "languages"),
)


def form_field_of(loc: str) -> tuple[str | None, int | None]:
    for prefix, field_id in _FORM_PATHS:
        if loc == prefix or loc.startswith((prefix + "[", prefix + ".")):
            rest = loc[len(prefix) :]
            match = re.match(r"^\[(\d+)\]", rest)
            return field_id, int(match.group(1)) if match else None
    return None, None


def form_problem_line(problem: Problem, lang: str) -> str:
    field_id, index = form_field_of(problem.loc)
    if field_id is not None:
        label = t(lang, f"editorial.form.{field_id}")
        where = (
            t(lang, "editorial.form.item", field=label, number=index + 1)
            if index is not None
            else label
        )
    else:
        where = t(lang, "editorial.form.field_other", path=problem.loc or "—")
    return t(lang, "editorial.problem", where=where, what=_what(problem, lang))


def _at(value: datetime, lang: str) -> str:
    if lang == "fr":
        return value.strftime("%d/%m/%Y à %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _join(items: Iterable[str], lang: str) -> str:
    listed = [i for i in items if i]
    return ", ".join(listed) if listed else t(lang, "editorial.none")


def _pick(values: dict[Any, Any], lang: str) -> Any:
    """A per-language value in the user's language, else any."""
    if lang in values:
        return values[lang]
    return next(iter(values.values()), None)


# -- cards ------------------------------------------------------------------------------------


def _heading(text: str) -> dict[str, Any]:
    return text_block(text, weight="Bolder", spacing="Medium")


def _bullets(items: Iterable[str]) -> dict[str, Any] | None:
    listed = [" ".join(i.split()) for i in items if i]
    return text_block("\n".join(f"- {i}" for i in listed)) if listed else None


def _mono(text: str) -> dict[str, Any]:
    return {
        "type": "RichTextBlock",
        "inlines": [{"type": "TextRun", "text": text, "fontType": "Monospace", "size": "Small"}],
    }


def _execute(title: str, verb: str, **data: Any) -> dict[str, Any]:
    return {"type": "Action.Execute", "title": title, "verb": verb, "data": data}


def view_card(line: EditorialLine, lang: str, *, manage: bool, message: str | None = None) -> Card:
    """The whole line, readable, in the user's language (texts in both languages are labelled)."""
    r = line.resolved()
    rev = line.revision
    version = t(
        lang,
        "editorial.version",
        version=rev.version,
        name=rev.changed_by.name,
        at=_at(rev.changed_at, lang),
    )
    if rev.restored_from:
        version += t(lang, "editorial.restored", version=rev.restored_from)
    body: list[dict[str, Any] | None] = [
        text_block(
            t(lang, "editorial.title", company=r.company.name), size="Large", weight="Bolder"
        ),
        text_block(version, isSubtle=True, size="Small"),
    ]
    if message:
        body.append(text_block(message, color="Good"))
    s = "editorial.sections."
    descriptors = _pick(r.voice.descriptors, lang) or []
    body += [_heading(t(lang, s + "voice")), text_block(_join(descriptors, lang))]
    for key, values in (("do", r.voice.do), ("dont", r.voice.dont)):
        items = _pick(values, lang) or []
        if items:
            body += [text_block(t(lang, s + key), weight="Bolder", size="Small"), _bullets(items)]
    if r.pillars:
        body.append(_heading(t(lang, s + "pillars")))
        for pillar in r.pillars:
            name = _pick(pillar.name, lang) or pillar.id
            messages = _pick(pillar.key_messages, lang) or []
            body.append(text_block(f"**{name}**", size="Small"))
            body.append(_bullets(messages))
    body.append(_heading(t(lang, s + "avoid")))
    for term_lang in line.languages:
        terms = [term.term for term in r.avoid.get(term_lang, [])]
        body.append(
            text_block(
                f"{term_lang.upper()} : {_join(terms, lang)}"
                if lang == "fr"
                else f"{term_lang.upper()}: {_join(terms, lang)}"
            )
        )
    h = r.hashtags
    tags = [
        t(lang, "editorial.hashtags.required", tags=_join(h.required, lang)),
        t(lang, "editorial.hashtags.allowed", tags=_join(h.allowed, lang)) if h.allowed else "",
        t(lang, "editorial.hashtags.forbidden", tags=_join(h.forbidden, lang)),
        t(lang, "editorial.hashtags.max", max=h.max_count) if h.max_count is not None else "",
    ]
    body += [_heading(t(lang, s + "hashtags")), _bullets(tags)]
    m = r.mentions
    allowed = _join(("@" + x for x in m.allowed_handles), lang)
    organisations = _join(("@" + x for x in m.organisation_handles), lang)
    mentions = [
        t(lang, f"editorial.mentions.{m.mode}", handles=allowed),
        t(lang, "editorial.mentions.organisations", handles=organisations)
        if m.organisation_handles
        else "",
        t(lang, "editorial.mentions.individuals") if not m.individuals else "",
        t(lang, "editorial.mentions.max", max=m.max_count) if m.max_count is not None else "",
    ]
    body += [_heading(t(lang, s + "mentions")), _bullets(mentions)]
    links = [
        t(lang, f"editorial.links.{r.links.mode}", domains=_join(r.links.allowed_domains, lang)),
        t(lang, "editorial.links.required", domains=_join(r.links.required_domains, lang))
        if r.links.required_domains
        else "",
    ]
    body += [_heading(t(lang, s + "links")), _bullets(links)]
    body += [
        _heading(t(lang, s + "emoji")),
        text_block(t(lang, f"editorial.emoji.{r.emoji.mode}", max=r.emoji.limit)),
    ]
    names = [t(lang, f"editorial.lang_names.{x}") for x in line.languages]
    body += [
        _heading(t(lang, s + "languages")),
        text_block(
            t(
                lang,
                "editorial.languages_value",
                languages=", ".join(names),
                default=t(lang, f"editorial.lang_names.{line.default_language}"),
            )
        ),
    ]
    if r.disclosures:
        rules = []
        for rule in r.disclosures:
            when = (
                t(lang, "editorial.disclosure_when", flags=", ".join(rule.when_flags))
                if rule.when_flags
                else t(lang, "editorial.disclosure_always")
            )
            if rule.langs:
                when += " · " + ", ".join(x.upper() for x in rule.langs)
            rules.append(
                t(
                    lang,
                    "editorial.disclosure",
                    kind=t(lang, f"editorial.disclosure_kinds.{rule.kind}"),
                    texts=" / ".join(rule.any_of),
                    when=when,
                )
            )
        body += [_heading(t(lang, s + "disclosures")), _bullets(rules)]
    guidance = _pick(r.crisis.guidance, lang)
    if guidance:
        body += [_heading(t(lang, s + "crisis")), text_block(" ".join(str(guidance).split()))]
    if r.sample_posts:
        body.append(_heading(t(lang, s + "samples")))
        samples = sorted(r.sample_posts, key=lambda p: p.lang != lang)[:4]
        for post in samples:
            body.append(
                {
                    "type": "RichTextBlock",
                    "inlines": [
                        {"type": "TextRun", "text": f"[{post.lang.upper()}] ", "isSubtle": True},
                        {"type": "TextRun", "text": " ".join(post.text.split()), "italic": True},
                    ],
                }
            )
    actions = None
    if manage:
        actions = [
            _execute(t(lang, "editorial.buttons.edit"), VERB_EDIT),
            _execute(t(lang, "editorial.buttons.history"), VERB_HISTORY),
            _execute(t(lang, "editorial.buttons.export"), VERB_EXPORT),
        ]
    return adaptive_card([b for b in body if b is not None], actions)


def form_values(line: EditorialLine) -> dict[str, str]:
    """The form's fields filled from a line (not resolved: placeholders stay)."""
    v = line.voice
    return {
        "descriptors_fr": ", ".join(v.descriptors.get("fr", [])),
        "descriptors_en": ", ".join(v.descriptors.get("en", [])),
        "do_fr": "\n".join(v.do.get("fr", [])),
        "do_en": "\n".join(v.do.get("en", [])),
        "dont_fr": "\n".join(v.dont.get("fr", [])),
        "dont_en": "\n".join(v.dont.get("en", [])),
        "avoid_fr": "\n".join(term.term for term in line.avoid.get("fr", [])),
        "avoid_en": "\n".join(term.term for term in line.avoid.get("en", [])),
        "hashtags_required": ", ".join(line.hashtags.required),
        "hashtags_forbidden": ", ".join(line.hashtags.forbidden),
        "emoji_mode": line.emoji.mode,
        "emoji_max": str(line.emoji.max_count) if line.emoji.max_count is not None else "",
        "languages": ",".join(line.languages),
        "default_language": line.default_language,
        "note": "",
    }


FORM_FIELDS: Final = (
    "descriptors_fr", "descriptors_en", "do_fr", "do_en", "dont_fr", "dont_en", "avoid_fr",
    "avoid_en", "hashtags_required", "hashtags_forbidden", "emoji_mode", "emoji_max",
    "languages", "default_language", "note",
)  # fmt: skip
_MULTILINE: Final = frozenset({"do_fr", "do_en", "dont_fr", "dont_en", "avoid_fr", "avoid_en"})


def form_card(
    line: EditorialLine,
    lang: str,
    *,
    values: dict[str, str] | None = None,
    problems: Sequence[Problem] = (),
) -> Card:
    """The edit form; `values`: what the user typed (shown again with the problems)."""
    filled = {**form_values(line), **(values or {})}
    f = "editorial.form."
    body: list[dict[str, Any]] = [
        text_block(
            t(lang, f + "title", version=line.revision.version), size="Large", weight="Bolder"
        ),
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
        label = t(lang, f + field_id)
        value = filled.get(field_id, "")
        if field_id == "emoji_mode":
            body.append(
                {
                    "type": "Input.ChoiceSet",
                    "id": field_id,
                    "label": label,
                    "value": value,
                    "choices": [
                        {"title": t(lang, f + f"emoji_{mode}"), "value": mode}
                        for mode in ("none", "sparing", "free")
                    ],
                }
            )
        elif field_id in ("languages", "default_language"):
            body.append(
                {
                    "type": "Input.ChoiceSet",
                    "id": field_id,
                    "label": label,
                    "value": value,
                    "isMultiSelect": field_id == "languages",
                    "style": "expanded" if field_id == "languages" else "compact",
                    "choices": [
                        {"title": t(lang, f"editorial.lang_names.{x}"), "value": x}
                        for x in ("fr", "en")
                    ],
                }
            )
        else:
            body.append(
                {
                    "type": "Input.Text",
                    "id": field_id,
                    "label": label,
                    "value": value,
                    "isMultiline": field_id in _MULTILINE,
                    "maxLength": 4000 if field_id in _MULTILINE else 1000,
                }
            )
    actions = [
        _execute(t(lang, f + "save"), VERB_SAVE, base_version=line.revision.version),
        _execute(t(lang, f + "cancel"), VERB_VIEW),
    ]
    return adaptive_card(body, actions)


def history_card(
    line_versions: Sequence[EditorialLine], lang: str, *, message: str | None = None
) -> Card:
    latest = line_versions[-1].revision.version
    body: list[dict[str, Any]] = [
        text_block(t(lang, "editorial.history.title"), size="Large", weight="Bolder")
    ]
    if message:
        body.append(text_block(message, color="Good"))
    shown = list(reversed(line_versions))[:HISTORY_SHOWN]
    for line in shown:
        rev = line.revision
        entry = t(
            lang,
            "editorial.history.entry",
            version=rev.version,
            at=_at(rev.changed_at, lang),
            name=rev.changed_by.name,
            note=f" — {rev.note}" if rev.note else "",
            restored=t(lang, "editorial.restored", version=rev.restored_from)
            if rev.restored_from
            else "",
        )
        if rev.version == latest:
            entry += t(lang, "editorial.history.current")
        item: dict[str, Any] = {
            "type": "Container",
            "separator": True,
            "items": [text_block(entry, size="Small")],
        }
        if rev.version != latest:
            item["items"].append(
                {
                    "type": "ActionSet",
                    "actions": [
                        _execute(
                            t(lang, "editorial.buttons.rollback", version=rev.version),
                            VERB_ROLLBACK,
                            version=rev.version,
                            base_version=latest,
                        )
                    ],
                }
            )
        body.append(item)
    if len(line_versions) > HISTORY_SHOWN:
        body.append(
            text_block(
                t(lang, "editorial.history.more", count=len(line_versions) - HISTORY_SHOWN),
                isSubtle=True,
                size="Small",
            )
        )
    return adaptive_card(body, [_execute(t(lang, "editorial.buttons.view"), VERB_VIEW)])


def export_card(line: EditorialLine, lang: str) -> Card:
    body = [
        text_block(
            t(lang, "editorial.export.title", version=line.revision.version), weight="Bolder"
        ),
        text_block(t(lang, "editorial.export.hint"), isSubtle=True, size="Small"),
        _mono(line.to_yaml()),
    ]
    return adaptive_card(body)


def problems_text(problems: Sequence[Problem], lang: str) -> str:
    lines = [yaml_problem_line(p, lang) for p in problems[:MAX_PROBLEMS_SHOWN]]
    if len(problems) > MAX_PROBLEMS_SHOWN:
        lines.append(f"(+{len(problems) - MAX_PROBLEMS_SHOWN})")
    head = t(lang, "editorial.import.failed", count=len(problems))
    return head + "\n\n" + "\n".join(f"- {x}" for x in lines)


# -- the form's data back into a line -------------------------------------------------------------


def _lines(value: object) -> list[str]:
    return [x.strip() for x in str(value or "").splitlines() if x.strip()]


def _items(value: object) -> list[str]:
    return [x.strip() for x in re.split(r"[,\n;]+", str(value or "")) if x.strip()]


def _tags(value: object) -> list[str]:
    return [x.strip() for x in re.split(r"[,\s;]+", str(value or "")) if x.strip()]


def line_data_from_form(line: EditorialLine, data: dict[str, Any]) -> dict[str, Any]:
    """The line's data with the form's fields applied (to be validated)."""
    out = line.to_data()
    voice = out["voice"]
    for key in ("descriptors", "do", "dont"):
        split = _items if key == "descriptors" else _lines
        for lang in ("fr", "en"):
            field_id = f"{key}_{lang}"
            if field_id not in data:
                continue
            values = split(data[field_id])
            if values:
                voice[key][lang] = values
            else:
                voice[key].pop(lang, None)
    for lang in LANGS:
        field_id = f"avoid_{lang}"
        if field_id not in data:
            continue
        existing = {
            fold(term.term): term.model_dump(mode="json") for term in line.avoid.get(lang, [])
        }
        terms = [existing.get(fold(term), {"term": term}) for term in _lines(data[field_id])]
        if terms:
            out["avoid"][lang] = terms
        else:
            out["avoid"].pop(lang, None)
    if "hashtags_required" in data:
        out["hashtags"]["required"] = _tags(data["hashtags_required"])
    if "hashtags_forbidden" in data:
        out["hashtags"]["forbidden"] = _tags(data["hashtags_forbidden"])
    if "emoji_mode" in data:
        mode = str(data.get("emoji_mode") or "").strip()
        out["emoji"]["mode"] = mode
        raw_max = str(data.get("emoji_max") or "").strip()
        if mode == "sparing" and raw_max:
            out["emoji"]["max_count"] = int(raw_max) if raw_max.isdigit() else raw_max
        else:
            out["emoji"]["max_count"] = None
    if "languages" in data:
        out["languages"] = _items(data["languages"])
    if "default_language" in data:
        out["default_language"] = str(data.get("default_language") or "").strip()
    return out


# -- the Teams side --------------------------------------------------------------------------------


@dataclass
class EditorialServices:
    store: EditorialStore
    fetcher: FileFetcher = field(default_factory=FileFetcher)


class EditorialTeams:
    def __init__(self, services: EditorialServices) -> None:
        self._store = services.store
        self._fetcher = services.fetcher

    def register(self, router: CardActionRouter) -> None:
        router.register(VERB_VIEW, self.on_view)
        router.register(VERB_EDIT, self.on_edit)
        router.register(VERB_SAVE, self.on_save)
        router.register(VERB_HISTORY, self.on_history)
        router.register(VERB_ROLLBACK, self.on_rollback)
        router.register(VERB_EXPORT, self.on_export)

    # -- the message command ------------------------------------------------------------------

    async def handle_editorial_command(
        self, turn_context: TurnContext, actor: Actor, text: str
    ) -> None:
        activity = turn_context.activity
        lang = actor.lang
        command = command_of_text(text, activity)
        if command.kind == "view":
            line = await self._store.current(tenant_of(actor))
            await turn_context.send_activity(
                card_activity(view_card(line, lang, manage=is_comms(actor)))
            )
            return
        if not is_comms(actor):
            await turn_context.send_activity(t(lang, "editorial.refused"))
            return
        if command.kind == "import":
            await self._import(turn_context, actor, text)
            return
        result = await self._run(actor, command, {})
        if result.message:
            await turn_context.send_activity(result.message)
        if result.card is not None:
            await turn_context.send_activity(card_activity(result.card))

    async def _import(self, turn_context: TurnContext, actor: Actor, text: str) -> None:
        lang = actor.lang
        activity = turn_context.activity
        yaml_text: str | None
        files = _file_attachments(activity)
        if files:
            try:
                yaml_text = await self._read_file(activity, files[0])
            except FileRefused as exc:
                reason = t(lang, f"editorial.import.reasons.{exc.reason}")
                await turn_context.send_activity(
                    t(lang, "editorial.import.file_refused", reason=reason)
                )
                return
        else:
            yaml_text = yaml_block_of(activity) if activity.text == text else None
            if yaml_text is None:
                proxy = Activity(text=text, attachments=activity.attachments)
                yaml_text = yaml_block_of(proxy)
        if not yaml_text:
            await turn_context.send_activity(t(lang, "editorial.import.missing"))
            return
        tenant = tenant_of(actor)
        result = await self._store.save(tenant, yaml_text, editor_of(actor), note="YAML import")
        if not result.ok:
            await turn_context.send_activity(problems_text(result.problems, lang))
            return
        assert result.line is not None
        key = "editorial.unchanged" if result.unchanged else "editorial.import.done"
        message = t(lang, key, version=result.line.revision.version)
        await turn_context.send_activity(
            card_activity(view_card(result.line, lang, manage=True, message=message))
        )

    async def _read_file(self, activity: Activity, attachment: Any) -> str:
        return await self._fetcher.read_yaml_attachment(activity, attachment)

    # -- card verbs -------------------------------------------------------------------------

    async def _run(self, actor: Actor, command: Command, data: dict[str, Any]) -> ActionResult:
        lang = actor.lang
        tenant = tenant_of(actor)
        if command.kind == "edit":
            line = await self._store.current(tenant)
            return ActionResult(card=form_card(line, lang))
        if command.kind == "history":
            history = await self._store.history(tenant)
            return ActionResult(card=history_card(history.versions, lang))
        if command.kind == "export":
            line = await self._store.current(tenant)
            return ActionResult(card=export_card(line, lang))
        if command.kind == "rollback" and command.version is not None:
            base = data.get("base_version")
            expected = int(base) if isinstance(base, int | str) and str(base).isdigit() else None
            try:
                line = await self._store.rollback(
                    tenant, command.version, editor_of(actor), expected_version=expected
                )
            except UnknownVersion:
                return ActionResult(
                    message=t(lang, "editorial.unknown_version", version=command.version)
                )
            except VersionConflict as exc:
                history = await self._store.history(tenant)
                message = t(lang, "editorial.conflict", current=exc.current, expected=exc.expected)
                return ActionResult(card=history_card(history.versions, lang, message=message))
            history = await self._store.history(tenant)
            message = t(
                lang,
                "editorial.rolled_back",
                from_version=command.version,
                version=line.revision.version,
            )
            return ActionResult(card=history_card(history.versions, lang, message=message))
        line = await self._store.current(tenant)
        return ActionResult(card=view_card(line, lang, manage=is_comms(actor)))

    def _refused(self, actor: Actor) -> ActionResult:
        return ActionResult(message=t(actor.lang, "editorial.refused"))

    async def on_view(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        return await self._run(actor, Command("view"), data)

    async def on_edit(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        if not is_comms(actor):
            return self._refused(actor)
        return await self._run(actor, Command("edit"), data)

    async def on_history(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        if not is_comms(actor):
            return self._refused(actor)
        return await self._run(actor, Command("history"), data)

    async def on_export(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        if not is_comms(actor):
            return self._refused(actor)
        return await self._run(actor, Command("export"), data)

    async def on_rollback(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        if not is_comms(actor):
            return self._refused(actor)
        version = data.get("version")
        if not (isinstance(version, int) or (isinstance(version, str) and version.isdigit())):
            return ActionResult(status=400, message="missing version")
        return await self._run(actor, Command("rollback", int(version)), data)

    async def on_save(
        self, turn_context: TurnContext, actor: Actor, data: dict[str, Any]
    ) -> ActionResult:
        if not is_comms(actor):
            return self._refused(actor)
        lang = actor.lang
        tenant = tenant_of(actor)
        current = await self._store.current(tenant)
        values: dict[str, str] = {
            k: str(data[k]) for k in FORM_FIELDS if k in data and data[k] is not None
        }
        try:
            line = EditorialLine.parse(line_data_from_form(current, data))
        except EditorialError as exc:
            return ActionResult(card=form_card(current, lang, values=values, problems=exc.problems))
        base = data.get("base_version")
        expected = int(base) if isinstance(base, int | str) and str(base).isdigit() else None
        note = str(data.get("note") or "")
        try:
            result: SaveResult = await self._store.save(
                tenant, line, editor_of(actor), note, expected_version=expected
            )
        except VersionConflict as exc:
            latest = await self._store.current(tenant)
            message = t(lang, "editorial.conflict", current=exc.current, expected=exc.expected)
            return ActionResult(card=view_card(latest, lang, manage=True, message=message))
        if not result.ok:
            return ActionResult(
                card=form_card(current, lang, values=values, problems=result.problems)
            )
        assert result.line is not None
        key = "editorial.unchanged" if result.unchanged else "editorial.saved"
        message = t(lang, key, version=result.line.revision.version)
        return ActionResult(card=view_card(result.line, lang, manage=True, message=message))


def register_editorial(router: CardActionRouter, services: EditorialServices) -> EditorialTeams:
    """Route the editorial verbs; the returned object's `handle_editorial_command` is for the
    root dialog."""
    teams = EditorialTeams(services)
    teams.register(router)
    return teams


__all__ = [
    "COMMS_ROLES",
    "EditorialServices",
    "EditorialTeams",
    "FileFetcher",
    "FileRefused",
    "register_editorial",
]
