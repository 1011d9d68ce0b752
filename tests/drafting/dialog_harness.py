"""Drives a dialog turn by turn through botbuilder's TestAdapter, with state in our real
`StoreStorage` (so the dialog state must survive the JSON round trip)."""

from __future__ import annotations

from typing import Any

from botbuilder.core import ConversationState, TurnContext
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    ComponentDialog,
    Dialog,
    DialogExtensions,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount

from bot.clients.store.local import LocalDirStore
from bot.teams.state_storage import StoreStorage
from dialogs.drafting_dialog import DRAFTING_DIALOG_ID, DraftOptions
from dialogs.interruptions import CancelAndHelpDialog

TENANT = "tenant-contoso"


class Root(ComponentDialog):
    """What the lead's main dialog does on Intent.DRAFT: begin the drafting dialog."""

    def __init__(self, drafting: Dialog, *, with_interruptions: bool = False) -> None:
        super().__init__("Root")
        self.add_dialog(drafting)
        self.add_dialog(WaterfallDialog("root", [self.route_step, self.done_step]))
        self.initial_dialog_id = "root"
        self.results: list[object] = []

    async def route_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        text = (step.context.activity.text or "").strip()
        if text.lower().startswith(("rédige", "draft")):
            brief = text.split(" ", 1)[1] if " " in text else None
            return await step.begin_dialog(DRAFTING_DIALOG_ID, DraftOptions(brief=brief))
        await step.context.send_activity("root: " + text)
        return await step.end_dialog()

    async def done_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        self.results.append(step.result)
        return await step.end_dialog(step.result)


class InterruptingRoot(CancelAndHelpDialog, Root):  # type: ignore[misc]
    """The lead's MainDialog also derives from CancelAndHelpDialog."""


class Harness:
    def __init__(self, root: Dialog, store: LocalDirStore, locale: str = "fr-FR") -> None:
        self.locale = locale
        self.state = ConversationState(StoreStorage(store))
        accessor = self.state.create_property("DialogState")

        async def logic(context: TurnContext) -> None:
            await DialogExtensions.run_dialog(root, context, accessor)
            await self.state.save_changes(context)

        self.adapter = TestAdapter(logic)

    async def say(
        self, text: str | None = None, value: dict[str, Any] | None = None
    ) -> list[Activity]:
        activity = Activity(
            type=ActivityTypes.message,
            text=text,
            value=value,
            locale=self.locale,
            from_property=ChannelAccount(id="29:alice", name="Alice", aad_object_id="aad-alice"),
            channel_data={"tenant": {"id": TENANT}},
        )
        await self.adapter.receive_activity(activity)
        out: list[Activity] = []
        while self.adapter.activity_buffer:
            out.append(self.adapter.activity_buffer.pop(0))
        return out


def texts(replies: list[Activity]) -> list[str]:
    return [r.text for r in replies if r.text]


def cards(replies: list[Activity]) -> list[dict[str, Any]]:
    return [a.content for r in replies for a in (r.attachments or [])]


def card_text(card: dict[str, Any]) -> str:
    """Every text of a card, depth first (TextBlocks, TextRuns, button titles)."""
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key in ("text", "title", "label"):
                if isinstance(node.get(key), str):
                    out.append(node[key])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return "\n".join(out)


def actions_of(card: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if str(node.get("type", "")).startswith("Action."):
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(card)
    return found
