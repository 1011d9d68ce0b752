"""The editorial line's cards in Teams: view, edit form, history, export; and the form's data
back into a line. The editor around them is `bot/teams/editor.py`; the commands and verbs are
`bot/teams/editorial.py`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

from bot.domain.editorial import LANGS, EditorialLine, Problem, fold
from bot.i18n import t
from bot.teams.cards import Card, adaptive_card, text_block
from bot.teams.editor import DocumentKind, at_text, bullets, execute, heading

HISTORY_SHOWN: Final = 10

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


def _label(field_id: str, lang: str) -> str:
    return t(lang, f"editorial.form.{field_id}")


def _field_of(loc: str) -> tuple[str | None, int | None, str]:
    field_id, index = form_field_of(loc)
    return field_id, index, "item"


KIND: Final = DocumentKind(
    ns="editorial",
    field_of=_field_of,
    label=_label,
    base_key="base_version",
    number_name="version",
)


def _join(items: Iterable[str], lang: str) -> str:
    listed = [i for i in items if i]
    return ", ".join(listed) if listed else t(lang, "editorial.none")


def _pick(values: dict[Any, Any], lang: str) -> Any:
    """A per-language value in the user's language, else any."""
    if lang in values:
        return values[lang]
    return next(iter(values.values()), None)


def view_card(
    line: EditorialLine,
    lang: str,
    *,
    manage: bool,
    message: str | None = None,
    warning: bool = False,
) -> Card:
    """The whole line, readable, in the user's language (texts in both languages are labelled)."""
    r = line.resolved()
    rev = line.revision
    version = t(
        lang,
        "editorial.version",
        version=rev.version,
        name=rev.changed_by.name,
        at=at_text(rev.changed_at, lang),
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
        body.append(text_block(message, color="Attention" if warning else "Good"))
    s = "editorial.sections."
    descriptors = _pick(r.voice.descriptors, lang) or []
    body += [heading(t(lang, s + "voice")), text_block(_join(descriptors, lang))]
    for key, values in (("do", r.voice.do), ("dont", r.voice.dont)):
        items = _pick(values, lang) or []
        if items:
            body += [text_block(t(lang, s + key), weight="Bolder", size="Small"), bullets(items)]
    if r.pillars:
        body.append(heading(t(lang, s + "pillars")))
        for pillar in r.pillars:
            name = _pick(pillar.name, lang) or pillar.id
            messages = _pick(pillar.key_messages, lang) or []
            body.append(text_block(f"**{name}**", size="Small"))
            body.append(bullets(messages))
    body.append(heading(t(lang, s + "avoid")))
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
    body += [heading(t(lang, s + "hashtags")), bullets(tags)]
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
    body += [heading(t(lang, s + "mentions")), bullets(mentions)]
    links = [
        t(lang, f"editorial.links.{r.links.mode}", domains=_join(r.links.allowed_domains, lang)),
        t(lang, "editorial.links.required", domains=_join(r.links.required_domains, lang))
        if r.links.required_domains
        else "",
    ]
    body += [heading(t(lang, s + "links")), bullets(links)]
    body += [
        heading(t(lang, s + "emoji")),
        text_block(t(lang, f"editorial.emoji.{r.emoji.mode}", max=r.emoji.limit)),
    ]
    names = [t(lang, f"editorial.lang_names.{x}") for x in line.languages]
    body += [
        heading(t(lang, s + "languages")),
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
        body += [heading(t(lang, s + "disclosures")), bullets(rules)]
    guidance = _pick(r.crisis.guidance, lang)
    if guidance:
        body += [heading(t(lang, s + "crisis")), text_block(" ".join(str(guidance).split()))]
    if r.sample_posts:
        body.append(heading(t(lang, s + "samples")))
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
            execute(t(lang, "editorial.buttons.edit"), KIND.verb("edit")),
            execute(t(lang, "editorial.buttons.history"), KIND.verb("history")),
            execute(t(lang, "editorial.buttons.export"), KIND.verb("export")),
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
    body: list[dict[str, Any]] = []
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
    version = line.revision.version
    title = t(lang, f + "title", version=version)
    return KIND.form_card(lang, title, body, problems, version)


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
            at=at_text(rev.changed_at, lang),
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
                        execute(
                            t(lang, "editorial.buttons.rollback", version=rev.version),
                            KIND.verb("rollback"),
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
    return adaptive_card(body, [execute(t(lang, "editorial.buttons.view"), KIND.verb("view"))])


def export_card(line: EditorialLine, lang: str) -> Card:
    return KIND.export_card(lang, line.to_yaml(), line.revision.version)


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
