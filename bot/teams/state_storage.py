"""A botbuilder `Storage` on top of our `Store`, for ConversationState / UserState / dialogs.

e_tag semantics are botbuilder's (as in `MemoryStorage` and botbuilder-azure `BlobStorage`):

- an item read from storage carries the store's ETag in `e_tag` (dict key or attribute);
- writing an item with an `e_tag` succeeds only if the stored one still has that ETag, else
  `PreconditionFailed` (a stale e_tag: another turn saved first);
- `e_tag` absent/None or `"*"`: written unconditionally; `e_tag == ""`: refused (`ValueError`);
- after a successful write the item's `e_tag` is updated in place, so saving twice in one turn
  does not conflict with itself.

Values are stored as versioned JSON records (`kind="botstate"`, schema 1) holding the jsonpickle
flattening of the item (botbuilder state holds objects such as `DialogState`). On read, only
classes from `allowed_modules` may be rebuilt (jsonpickle would otherwise instantiate whatever
the stored JSON names); functions, modules and `py/repr` are always refused.

Keys: botbuilder keys such as `msteams/conversations/19:abc@thread.tacv2;messageid=1` contain
characters the store does not accept; each is escaped into one key segment under `prefix`
(`=XX` for every byte outside `[A-Za-z0-9@-]`; very long keys end with a SHA-256).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from botbuilder.core import ConversationState, Storage, UserState
from jsonpickle.pickler import Pickler
from jsonpickle.unpickler import Unpickler

from bot.clients.store.records import make_record, parse_record
from bot.ports.store import CorruptRecord, Store, check_key

logger = logging.getLogger(__name__)

KIND = "botstate"
SCHEMA = 1
DEFAULT_ALLOWED_MODULES: tuple[str, ...] = (
    "botbuilder.",
    "bot.",
    "dialogs.",
    "datetime.",
    "decimal.",
    "uuid.",
    "collections.",
)
_SAFE_BUILTINS = frozenset(
    {"builtins.set", "builtins.frozenset", "builtins.tuple", "builtins.bytes",
     "builtins.bytearray", "builtins.complex", "builtins.object", "builtins.dict",
     "builtins.list"}
)  # fmt: skip
_CLASS_TAGS = ("py/object", "py/type")
_FORBIDDEN_TAGS = ("py/function", "py/mod", "py/repr", "py/iterator")
_SAFE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@-")
_MAX_SEGMENT = 400


def encode_key(key: str) -> str:
    """One store key segment for any botbuilder key (injective, `[A-Za-z0-9@=-]` only)."""
    if not key:
        raise ValueError("empty storage key")
    out = "".join(
        ch if ch in _SAFE_CHARS else "".join(f"={b:02X}" for b in ch.encode()) for ch in key
    )
    if len(out) > _MAX_SEGMENT:
        digest = hashlib.sha256(key.encode()).hexdigest()
        out = f"{out[: _MAX_SEGMENT - 70]}==h-{digest}"  # "==" never occurs in an escaped key
    return out


class StoreStorage(Storage):
    """botbuilder `Storage` backed by a `Store` (`LocalDirStore` or `BlobStore`)."""

    def __init__(
        self,
        store: Store,
        *,
        prefix: str = "botstate",
        allowed_modules: Sequence[str] = DEFAULT_ALLOWED_MODULES,
    ) -> None:
        super().__init__()
        self._store = store
        self._prefix = check_key(prefix)
        self._allowed = tuple(allowed_modules)

    def store_key(self, key: str) -> str:
        return f"{self._prefix}/{encode_key(key)}"

    async def read(self, keys: list[str]) -> dict[str, Any]:
        items: dict[str, Any] = {}
        for key in keys or []:
            found = await self._store.read(self.store_key(key))
            if found is None:
                continue
            record = parse_record(found.value, kind=KIND, schema=SCHEMA)
            item = self._restore(record.data.get("item"), key)
            _set_etag(item, found.etag)
            items[key] = item
        return items

    async def write(self, changes: dict[str, Any]) -> None:
        if changes is None:
            raise ValueError("changes are required when writing")
        for key, item in changes.items():
            e_tag = item.get("e_tag") if isinstance(item, dict) else getattr(item, "e_tag", None)
            if e_tag == "":
                raise ValueError(f"state storage write {key!r}: e_tag is empty")
            flat = Pickler().flatten(item)
            if isinstance(flat, dict):
                flat.pop("e_tag", None)
            value = make_record(KIND, SCHEMA, {"key": key, "item": flat})
            if_match = None if e_tag in (None, "*") else str(e_tag)
            new_etag = await self._store.write(self.store_key(key), value, if_match=if_match)
            _set_etag(item, new_etag)

    async def delete(self, keys: Iterable[str]) -> None:
        for key in keys or []:
            await self._store.delete(self.store_key(key))

    def _restore(self, flat: Any, key: str) -> Any:
        self._check_classes(flat, key)
        return Unpickler(safe=True).restore(flat)

    def _check_classes(self, node: Any, key: str) -> None:
        if isinstance(node, list):
            for child in node:
                self._check_classes(child, key)
            return
        if not isinstance(node, dict):
            return
        for tag in _FORBIDDEN_TAGS:
            if tag in node:
                raise CorruptRecord(f"state {key!r}: refused {tag} in stored state")
        for tag in _CLASS_TAGS:
            name = node.get(tag)
            if name is not None and not self._class_allowed(name):
                raise CorruptRecord(f"state {key!r}: class {name!r} not allowed in stored state")
        for child in node.values():
            self._check_classes(child, key)

    def _class_allowed(self, name: Any) -> bool:
        if not isinstance(name, str):
            return False
        if name.startswith("builtins."):
            return name in _SAFE_BUILTINS
        return name.startswith(self._allowed)


def _set_etag(item: Any, etag: str) -> None:
    if isinstance(item, dict):
        item["e_tag"] = etag
    elif item is not None:
        try:
            item.e_tag = etag
        except AttributeError:  # an object that cannot carry one: nothing to track
            logger.debug("state item of type %s cannot carry an e_tag", type(item).__name__)


@dataclass(frozen=True)
class BotStates:
    """The bot's conversation and user state, both kept in the store."""

    conversation: ConversationState
    user: UserState

    @classmethod
    def in_store(cls, store: Store) -> BotStates:
        storage = StoreStorage(store)
        return cls(ConversationState(storage), UserState(storage))
