"""Briefing subscriptions: who gets the morning briefing, when, on which days, in which language.

A recipient is a conversation Pulse can write to: a person's chat with the bot, or a channel
(the comms team's). Its id is the digest part of the conversation reference key
(`refs/<tenant>/<digest>`, see `bot.teams.references.conversation_key`), so a subscription and
the reference that delivers it always match.

Storage: one record per tenant, `briefing-subs/<tenant>` (kind `briefing-subscriptions`,
schema 1), updated with compare-and-set so that several instances and several people can change
settings at once. `list("briefing-subs/")` gives the tenants to brief.

Commands (French and English) are parsed by `parse_command`; the Teams glue turns them into
calls on `SubscriptionService`. Pure apart from the store: no botbuilder here.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.clients.store.records import cas_update, make_record, parse_record
from bot.domain.text import fold
from bot.ports.clock import Clock
from bot.ports.store import JSON, Store

logger = logging.getLogger(__name__)

PREFIX = "briefing-subs"
KIND = "briefing-subscriptions"
SCHEMA = 1
DEFAULT_TIME = time(8, 0)
DEFAULT_TZ = "Europe/Paris"
WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)
EVERY_DAY: tuple[int, ...] = (0, 1, 2, 3, 4, 5, 6)
WEEKEND: tuple[int, ...] = (5, 6)
NO_TENANT = "no-tenant"


def tenant_segment(tenant_id: str | None) -> str:
    return tenant_id or NO_TENANT


def subscriptions_key(tenant_id: str | None) -> str:
    return f"{PREFIX}/{tenant_segment(tenant_id)}"


def recipient_of(ref_key: str) -> str:
    """The recipient id of a conversation reference key (`refs/<tenant>/<digest>`)."""
    return ref_key.rsplit("/", 1)[-1]


def valid_tz(name: str | None, default: str = DEFAULT_TZ) -> str:
    if not name:
        return default
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return default
    return name


def parse_hhmm(value: str) -> time:
    hours, minutes = value.strip().split(":", 1)
    return time(int(hours), int(minutes[:2]))


@dataclass(frozen=True, slots=True)
class Subscription:
    recipient: str
    tenant_id: str | None
    ref_key: str
    kind: str = "personal"  # "personal" | "channel" | "groupChat"
    active: bool = True
    at: time = DEFAULT_TIME
    days: tuple[int, ...] = WEEKDAYS  # Monday = 0
    lang: str = "fr"
    tz: str = DEFAULT_TZ
    user_aad_id: str | None = None
    name: str = ""
    updated_at: str = ""
    updated_by: str = ""

    @property
    def is_channel(self) -> bool:
        return self.kind != "personal"

    def due_at(self, day: date) -> datetime:
        """When the briefing of local `day` is due (aware, in the subscription's zone)."""
        return datetime.combine(day, self.at, tzinfo=ZoneInfo(self.tz))

    def due_days(self, now: datetime, catch_up: timedelta) -> list[date]:
        """Local days whose briefing is due at `now`: due time passed, within the catch-up
        window. Today and yesterday are the only candidates (catch-up stays under a day)."""
        local = now.astimezone(ZoneInfo(self.tz))
        found: list[date] = []
        for day in (local.date() - timedelta(days=1), local.date()):
            if day.weekday() not in self.days:
                continue
            due = self.due_at(day)
            if due <= now < due + catch_up:
                found.append(day)
        return found

    def to_json(self) -> JSON:
        return {
            "recipient": self.recipient,
            "tenant_id": self.tenant_id,
            "ref_key": self.ref_key,
            "kind": self.kind,
            "active": self.active,
            "time": self.at.strftime("%H:%M"),
            "days": list(self.days),
            "lang": self.lang,
            "tz": self.tz,
            "user_aad_id": self.user_aad_id,
            "name": self.name,
            "updated_at": self.updated_at,
            "updated_by": self.updated_by,
        }

    @classmethod
    def from_json(cls, raw: JSON) -> Subscription:
        return cls(
            recipient=str(raw["recipient"]),
            tenant_id=raw.get("tenant_id"),
            ref_key=str(raw["ref_key"]),
            kind=str(raw.get("kind", "personal")),
            active=bool(raw.get("active", True)),
            at=parse_hhmm(str(raw.get("time", "08:00"))),
            days=tuple(sorted({int(d) for d in raw.get("days", WEEKDAYS) if 0 <= int(d) <= 6})),
            lang=str(raw.get("lang", "fr")),
            tz=valid_tz(raw.get("tz")),
            user_aad_id=raw.get("user_aad_id"),
            name=str(raw.get("name", "")),
            updated_at=str(raw.get("updated_at", "")),
            updated_by=str(raw.get("updated_by", "")),
        )


# --------------------------------------------------------------------------- commands


class Action(StrEnum):
    SUBSCRIBE = "subscribe"
    UNSUBSCRIBE = "unsubscribe"
    UPDATE = "update"  # time, days or language given: set them (and subscribe)
    SUBSCRIBE_CHANNEL = "subscribe_channel"
    UNSUBSCRIBE_CHANNEL = "unsubscribe_channel"
    SETTINGS = "settings"
    NOW = "now"  # send my briefing right away (no marker)


@dataclass(frozen=True, slots=True)
class BriefingCommand:
    action: Action
    at: time | None = None
    days: tuple[int, ...] | None = None
    lang: str | None = None

    @property
    def changes(self) -> bool:
        return self.at is not None or self.days is not None or self.lang is not None


_DAY_NAMES: dict[str, int] = {
    "lundi": 0, "lundis": 0, "monday": 0, "mondays": 0, "lun": 0, "mon": 0,
    "mardi": 1, "mardis": 1, "tuesday": 1, "tuesdays": 1, "mar": 1, "tue": 1, "tues": 1,
    "mercredi": 2, "mercredis": 2, "wednesday": 2, "wednesdays": 2, "mer": 2, "wed": 2,
    "jeudi": 3, "jeudis": 3, "thursday": 3, "thursdays": 3, "jeu": 3, "thu": 3, "thurs": 3,
    "vendredi": 4, "vendredis": 4, "friday": 4, "fridays": 4, "ven": 4, "fri": 4,
    "samedi": 5, "samedis": 5, "saturday": 5, "saturdays": 5, "sam": 5, "sat": 5,
    "dimanche": 6, "dimanches": 6, "sunday": 6, "sundays": 6, "dim": 6, "sun": 6,
}  # fmt: skip
_LONG_DAY = r"(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)"  # noqa: E501
_RANGE_RE = re.compile(rf"(?:du |from )?{_LONG_DAY}s? ?(?:au|a|to|through|thru|-) ?{_LONG_DAY}s?")
_TIME_RE = re.compile(
    r"(?<![\w:])(?P<h>[01]?\d|2[0-3])"
    r"(?:(?: ?h ?| ?heures? ?)(?P<m1>[0-5]\d)?|[:.](?P<m2>[0-5]\d))?"
    r" ?(?P<ampm>am|pm|a\.m\.|p\.m\.)?(?!\w)"
)


def _norm(text: str) -> str:
    folded = fold(text)
    folded = re.sub(r"[!?,;«»\"()]", " ", folded)
    return re.sub(r"\s+", " ", folded).strip()


def _has(text: str, *patterns: str) -> bool:
    return any(re.search(p, text) for p in patterns)


def parse_time(text: str) -> time | None:
    """The first time of day in `text` (already normalised): 7h30, 7 h, 07:30, 7.30, 7am, 7:30 pm,
    19h, midi. A bare number is not a time (too ambiguous)."""
    if re.search(r"\bmidi\b|\bnoon\b", text):
        return time(12, 0)
    for m in _TIME_RE.finditer(text):
        has_sep = m.group(0).strip() != m.group("h")
        if not has_sep and not m.group("ampm"):
            continue
        raw = m.group(0)
        if not (m.group("ampm") or "h" in raw or ":" in raw or "." in raw):
            continue
        hour = int(m.group("h"))
        minute = int(m.group("m1") or m.group("m2") or 0)
        ampm = (m.group("ampm") or "").replace(".", "")
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        if hour > 23:
            continue
        return time(hour, minute)
    return None


def parse_days(text: str) -> tuple[int, ...] | None:
    """Days named in `text` (normalised): every day, weekdays, weekend, ranges and lists."""
    if _has(
        text,
        r"tous les jours",
        r"chaque jour",
        r"7 ?j(?:ours)? ?(?:sur|/) ?7",
        r"\b7/7\b",
        r"every ?day",
        r"\bdaily\b",
        r"seven days",
        r"y compris le week-?end",
        r"including (?:the )?weekends?",
    ):
        return EVERY_DAY
    found: set[int] = set()
    for m in _RANGE_RE.finditer(text):
        start, end = _DAY_NAMES[m.group(1)], _DAY_NAMES[m.group(2)]
        span = range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)]
        found.update(span)
    if _has(
        text,
        r"en semaine",
        r"jours? ouvr",
        r"weekdays?",
        r"working days?",
        r"business days?",
        r"\bmon-fri\b",
    ):
        found.update(WEEKDAYS)
    if _has(text, r"week-?ends?"):
        found.update(WEEKEND)
    for word in re.findall(r"[a-z]+", text):
        # short forms only when unambiguous in the sentence ("mar" / "sun" are words too)
        if word in _DAY_NAMES and (len(word) > 4 or word in ("mon", "tue", "wed", "thu", "fri")):
            found.add(_DAY_NAMES[word])
    return tuple(sorted(found)) or None


def parse_lang(text: str) -> str | None:
    if _has(text, r"en anglais", r"in english", r"\benglish\b", r"\banglais\b"):
        return "en"
    if _has(text, r"en francais", r"in french", r"\bfrench\b", r"\bfrancais\b"):
        return "fr"
    return None


_CHANNEL = (r"\bcanal\b", r"\bchaine\b", r"\bchannel\b", r"\bequipe\b", r"\bthis team\b")
_NOW = (
    r"\bbriefing (?:maintenant|tout de suite|now|right now)\b",
    r"\b(?:maintenant|now)\b.*\bbriefing\b",
    r"\b(?:envoie|envoyez|send)(?:[- ]moi| me)? (?:le |mon |my |the )?briefing\b(?!.* (?:a|at|chaque|every|tous) )",  # noqa: E501
)
_UNSUB = (
    r"desabonn",
    r"desinscri",
    r"\bunsubscribe",
    r"\bopt[- ]?out\b",
    r"\bstop (?:the |my |le |mon )?briefing",
    r"\barret(?:e|ez|er) (?:le |mon )?briefing",
    r"\bplus de briefing",
    r"\bno more briefing",
    r"\bne (?:plus|pas) (?:recevoir|m'envoyer)",
)
_SUB = (
    r"\babonn",
    r"\binscri",
    r"\bsubscribe",
    r"\bsign (?:me|us) up",
    r"\bopt[- ]?in\b",
    r"\bje veux (?:le|un|recevoir le) briefing",
    r"\bi want (?:the|a) (?:daily )?briefing",
)
_SETTINGS = (
    r"\bsettings?\b",
    r"\bparametres?\b",
    r"\breglages?\b",
    r"\bpreferences?\b",
    r"\bconfigur",
    r"\boptions?\b",
)


def parse_command(text: str) -> BriefingCommand:
    """A briefing command from a message (French or English). What is not understood asks for
    the settings card, which shows the current state and lets the person choose."""
    norm = _norm(text)
    at, days, lang = parse_time(norm), parse_days(norm), parse_lang(norm)
    channel = _has(norm, *_CHANNEL)
    if _has(norm, *_UNSUB):
        return BriefingCommand(Action.UNSUBSCRIBE_CHANNEL if channel else Action.UNSUBSCRIBE)
    if _has(norm, *_NOW) and at is None and days is None:
        return BriefingCommand(Action.NOW, lang=lang)
    if _has(norm, *_SUB):
        action = Action.SUBSCRIBE_CHANNEL if channel else Action.SUBSCRIBE
        return BriefingCommand(action, at, days, lang)
    if at is not None or days is not None or lang is not None:
        return BriefingCommand(Action.UPDATE, at, days, lang)
    return BriefingCommand(Action.SETTINGS)


# --------------------------------------------------------------------------- storage


@dataclass(frozen=True, slots=True)
class Defaults:
    at: time = DEFAULT_TIME
    days: tuple[int, ...] = WEEKDAYS
    tz: str = DEFAULT_TZ


@dataclass(frozen=True, slots=True)
class Recipient:
    """Who a subscription is for, from the conversation the command came from."""

    ref_key: str
    tenant_id: str | None
    kind: str  # "personal" | "channel" | "groupChat"
    lang: str
    tz: str | None
    user_aad_id: str | None = None
    name: str = ""


@dataclass
class _Change:
    result: Subscription | None = None
    created: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


class SubscriptionService:
    def __init__(self, store: Store, clock: Clock, defaults: Defaults | None = None) -> None:
        self._store = store
        self._clock = clock
        self.defaults = defaults or Defaults()

    async def tenants(self) -> list[str | None]:
        keys = await self._store.list(PREFIX + "/")
        return [None if k == NO_TENANT else k for k in (key.split("/", 1)[1] for key in keys)]

    async def all(self, tenant_id: str | None, *, active_only: bool = True) -> list[Subscription]:
        found = await self._store.read(subscriptions_key(tenant_id))
        if found is None:
            return []
        subs = [
            Subscription.from_json(v) for v in _data(found.value).get("subscribers", {}).values()
        ]
        return [s for s in subs if s.active or not active_only]

    async def get(self, tenant_id: str | None, recipient: str) -> Subscription | None:
        for sub in await self.all(tenant_id, active_only=False):
            if sub.recipient == recipient:
                return sub
        return None

    def new(self, who: Recipient) -> Subscription:
        return Subscription(
            recipient=recipient_of(who.ref_key),
            tenant_id=who.tenant_id,
            ref_key=who.ref_key,
            kind=who.kind,
            at=self.defaults.at,
            days=self.defaults.days,
            lang=who.lang,
            tz=valid_tz(who.tz, self.defaults.tz),
            user_aad_id=who.user_aad_id,
            name=who.name,
        )

    async def upsert(
        self,
        who: Recipient,
        *,
        by: str,
        active: bool | None = True,
        at: time | None = None,
        days: tuple[int, ...] | None = None,
        lang: str | None = None,
    ) -> tuple[Subscription, bool]:
        """Create or change the subscription of `who`; returns it and whether it is new (or
        re-activated). Fields left None keep their value (or the defaults for a new one)."""
        recipient = recipient_of(who.ref_key)
        change = _Change()
        now = self._clock.now().isoformat()

        def update(current: JSON | None) -> JSON:
            data = _data(current) if current else {"subscribers": {}}
            subscribers = dict(data.get("subscribers", {}))
            raw = subscribers.get(recipient)
            sub = Subscription.from_json(raw) if raw else self.new(who)
            was_active = bool(raw) and sub.active
            sub = replace(
                sub,
                ref_key=who.ref_key,
                active=sub.active if active is None else active,
                at=at or sub.at,
                days=days or sub.days,
                lang=lang or sub.lang,
                tz=valid_tz(who.tz, sub.tz) if who.tz else sub.tz,
                updated_at=now,
                updated_by=by,
            )
            change.result = sub
            change.created = sub.active and not was_active
            subscribers[recipient] = sub.to_json()
            return make_record(KIND, SCHEMA, {"subscribers": subscribers}, now=self._clock.now())

        await cas_update(self._store, subscriptions_key(who.tenant_id), update)
        assert change.result is not None
        logger.info(
            "briefing subscription %s: %s",
            "created" if change.created else "updated",
            change.result.kind,
        )
        return change.result, change.created

    async def unsubscribe(self, tenant_id: str | None, recipient: str, *, by: str) -> bool:
        """Stop the briefing for `recipient`; False when there was no active subscription."""
        change = _Change()
        now = self._clock.now()

        def update(current: JSON | None) -> JSON | None:
            if current is None:
                return None
            data = _data(current)
            subscribers = dict(data.get("subscribers", {}))
            raw = subscribers.get(recipient)
            if not raw or not raw.get("active", True):
                return None
            subscribers[recipient] = {
                **raw,
                "active": False,
                "updated_at": now.isoformat(),
                "updated_by": by,
            }
            change.created = True
            return make_record(KIND, SCHEMA, {"subscribers": subscribers}, now=now)

        await cas_update(self._store, subscriptions_key(tenant_id), update)
        return change.created


def _data(value: JSON) -> JSON:
    return parse_record(value, kind=KIND, schema=SCHEMA).data
