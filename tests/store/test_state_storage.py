"""The botbuilder Storage adapter: ConversationState / UserState / dialog state on both backends."""

from __future__ import annotations

from typing import Any

import pytest
from botbuilder.core import ConversationState, StoreItem, TurnContext, UserState
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import DialogInstance, DialogState
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bot.ports.store import CorruptRecord, PreconditionFailed, Store
from bot.teams.state_storage import StoreStorage, encode_key

CONVERSATION_ID = "19:abc_DEF@thread.tacv2;messageid=1700000000000"
USER_ID = "29:1a-b_c/d+e=="


def _turn(adapter: TestAdapter, text: str = "hi") -> TurnContext:
    activity = Activity(
        type=ActivityTypes.message,
        channel_id="msteams",
        text=text,
        conversation=ConversationAccount(id=CONVERSATION_ID),
        from_property=ChannelAccount(id=USER_ID),
        recipient=ChannelAccount(id="28:bot"),
    )
    return TurnContext(adapter, activity)


async def test_conversation_and_user_state_round_trip(store: Store) -> None:
    storage = StoreStorage(store)
    adapter = TestAdapter()
    conversation, user = ConversationState(storage), UserState(storage)
    topic = conversation.create_property("topic")
    prefs = user.create_property("prefs")
    dialog = conversation.create_property("dialog")

    turn = _turn(adapter)
    await conversation.load(turn)
    await user.load(turn)
    assert await topic.get(turn, lambda: None) is None
    await topic.set(turn, {"query": "élections", "n": 1})
    await prefs.set(turn, {"lang": "fr"})
    await dialog.set(turn, DialogState([DialogInstance(id="main", state={"step": 2})]))
    await conversation.save_changes(turn)
    await user.save_changes(turn)
    # A second change in the same turn saves fine: the e_tag was refreshed by the first save.
    await topic.set(turn, {"query": "élections", "n": 2})
    await conversation.save_changes(turn)

    later = _turn(adapter, "again")
    fresh_conversation, fresh_user = ConversationState(storage), UserState(storage)
    await fresh_conversation.load(later)
    await fresh_user.load(later)
    assert await fresh_conversation.create_property("topic").get(later) == {
        "query": "élections",
        "n": 2,
    }
    assert await fresh_user.create_property("prefs").get(later) == {"lang": "fr"}
    restored = await fresh_conversation.create_property("dialog").get(later)
    assert isinstance(restored, DialogState)
    assert restored.dialog_stack[0].id == "main"
    assert restored.dialog_stack[0].state == {"step": 2}

    keys = await store.list("botstate/")
    assert len(keys) == 2 and all(k.startswith("botstate/msteams=2F") for k in keys)

    await fresh_conversation.delete(later)
    assert len(await store.list("botstate/")) == 1


async def test_two_turns_racing_on_one_conversation(store: Store) -> None:
    """Both load the same state; the second save carries a stale e_tag and fails."""
    storage = StoreStorage(store)
    adapter = TestAdapter()
    setup = _turn(adapter)
    state = ConversationState(storage)
    await state.load(setup)
    await state.create_property("n").set(setup, 0)
    await state.save_changes(setup)

    first, second = _turn(adapter, "a"), _turn(adapter, "b")
    state_a, state_b = ConversationState(storage), ConversationState(storage)
    await state_a.load(first)
    await state_b.load(second)
    await state_a.create_property("n").set(first, 1)
    await state_b.create_property("n").set(second, 2)
    await state_a.save_changes(first)
    with pytest.raises(PreconditionFailed):
        await state_b.save_changes(second)

    check = _turn(adapter)
    state_c = ConversationState(storage)
    await state_c.load(check)
    assert await state_c.create_property("n").get(check) == 1


async def test_raw_storage_etag_semantics(store: Store) -> None:
    storage = StoreStorage(store)
    await storage.write({"k/1": {"v": 1}})  # no e_tag: unconditional
    item: dict[str, Any] = (await storage.read(["k/1"]))["k/1"]
    assert item["v"] == 1 and item["e_tag"]
    stale = dict(item)
    item["v"] = 2
    await storage.write({"k/1": item})
    assert item["e_tag"] != stale["e_tag"]  # refreshed in place
    stale["v"] = 3
    with pytest.raises(PreconditionFailed):
        await storage.write({"k/1": stale})
    stale["e_tag"] = "*"  # "*": overwrite whatever is there
    await storage.write({"k/1": stale})
    assert (await storage.read(["k/1"]))["k/1"]["v"] == 3
    with pytest.raises(ValueError):
        await storage.write({"k/1": {"v": 4, "e_tag": ""}})
    assert await storage.read(["missing"]) == {}
    await storage.delete(["k/1", "missing"])
    assert await storage.read(["k/1"]) == {}


async def test_store_items_keep_their_class(store: Store) -> None:
    storage = StoreStorage(store)
    await storage.write({"item": StoreItem(count=3, names=["a", "b"])})
    found = (await storage.read(["item"]))["item"]
    assert isinstance(found, StoreItem)
    assert found.count == 3 and found.names == ["a", "b"] and found.e_tag
    found.count = 4
    await storage.write({"item": found})
    again = (await storage.read(["item"]))["item"]
    assert again.count == 4


async def test_stored_state_cannot_name_arbitrary_classes(store: Store) -> None:
    storage = StoreStorage(store)
    await storage.write({"x": {"v": 1}})
    key = storage.store_key("x")
    found = await store.read(key)
    assert found is not None
    evil = dict(found.value)
    evil["data"] = {
        "key": "x",
        "item": {"py/reduce": [{"py/function": "os.system"}, {"py/tuple": ["true"]}]},
    }
    await store.write(key, evil)
    with pytest.raises(CorruptRecord):
        await storage.read(["x"])
    evil["data"] = {"key": "x", "item": {"py/object": "subprocess.Popen"}}
    await store.write(key, evil)
    with pytest.raises(CorruptRecord):
        await storage.read(["x"])


def test_key_encoding_is_injective_and_safe() -> None:
    keys = [
        "msteams/conversations/" + CONVERSATION_ID,
        "msteams/users/" + USER_ID,
        "a/b",
        "a=2Fb",
        "a_b",
        "..",
        "é",
        "x" * 2000,
        "x" * 2000 + "y",
    ]
    encoded = [encode_key(k) for k in keys]
    assert len(set(encoded)) == len(keys)
    for e in encoded:
        assert len(e) <= 400
        assert set(e) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789@-=")
