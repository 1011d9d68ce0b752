"""Drives the tour turn by turn through botbuilder's TestAdapter, with conversation *and* user
state in our real `StoreStorage` (so progress must survive the JSON round trip, and a later
conversation of the same user)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botbuilder.core import ConversationState, TurnContext, UserState
from botbuilder.core.adapters import TestAdapter
from botbuilder.dialogs import (
    ComponentDialog,
    Dialog,
    DialogExtensions,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import Activity, ActivityTypes, ChannelAccount, ConversationAccount

from bot.clients.store.local import LocalDirStore
from bot.teams.state_storage import StoreStorage
from dialogs.interruptions import CancelAndHelpDialog
from dialogs.tour_dialog import TOUR_DIALOG_ID, handed_back, tour_command

TENANT = "tenant-contoso"


class Root(ComponentDialog):  # type: ignore[misc]
    """Exactly the wiring proposed for the lead's MainDialog: `tour_command` begins the tour,
    and a second waterfall step re-routes a message the tour hands back."""

    def __init__(self, tour: Dialog) -> None:
        super().__init__("Root")
        self.add_dialog(tour)
        self.add_dialog(WaterfallDialog("root", [self.route_step, self.after_step]))
        self.initial_dialog_id = "root"
        self.results: list[object] = []

    async def route_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        activity = step.context.activity
        text = (activity.text or "").strip()
        command = tour_command(text, activity.value)
        if command is not None:
            return await step.begin_dialog(TOUR_DIALOG_ID, command)
        await step.context.send_activity("root: " + text)
        return await step.end_dialog()

    async def after_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        self.results.append(step.result)
        if handed_back(step.result):  # the tour ended on a real message: answer it now
            return await step.replace_dialog("root")
        return await step.end_dialog(step.result)


class InterruptingRoot(CancelAndHelpDialog, Root):
    """The lead's MainDialog also derives from CancelAndHelpDialog: it sees help/cancel first."""


class Harness:
    """One conversation of Alice's; several harnesses over one store = several conversations."""

    def __init__(
        self,
        build_root: Callable[[Harness], Dialog],
        store: LocalDirStore,
        *,
        locale: str = "fr-FR",
        conversation: str = "conv-1",
    ) -> None:
        self.locale = locale
        self.conversation = conversation
        storage = StoreStorage(store)
        self.conversation_state = ConversationState(storage)
        self.user_state = UserState(storage)
        dialog_state = self.conversation_state.create_property("DialogState")
        self.progress = self.user_state.create_property("Tour")
        self.root = root = build_root(self)
        self.last_progress: Any = None

        async def logic(context: TurnContext) -> None:
            await DialogExtensions.run_dialog(root, context, dialog_state)
            self.last_progress = await self.progress.get(context, None)
            await self.conversation_state.save_changes(context)
            await self.user_state.save_changes(context)

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
            conversation=ConversationAccount(id=self.conversation),
            channel_data={"tenant": {"id": TENANT}},
        )
        await self.adapter.receive_activity(activity)
        out: list[Activity] = []
        while self.adapter.activity_buffer:
            out.append(self.adapter.activity_buffer.pop(0))
        return out
