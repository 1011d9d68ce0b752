"""What the root dialog does for each intent, command and stale card value: one typed object
over the Teams services (bot.composition builds it; `register` routes the intents)."""

from __future__ import annotations

import dataclasses
from typing import Any

from botbuilder.dialogs import DialogTurnResult, WaterfallStepContext

from bot.i18n import t
from bot.ports.language import LISTENING_INTENTS, Intent, Understanding
from bot.services.ask import AskService
from bot.teams.actions import Actor, actor_of
from bot.teams.ask import AskInTeams
from bot.teams.briefings import Briefings
from bot.teams.cards import card_activity, help_card
from bot.teams.clarify import reply_unknown
from bot.teams.coach import CoachInTeams
from bot.teams.drafting_cards import SUBMIT_KEY
from bot.teams.editorial import EditorialTeams
from bot.teams.roles import TeamsRoleResolver
from bot.teams.routes import Routes
from bot.teams.stale_cards import Submissions
from bot.teams.watch import WatchTeams
from dialogs.drafting_dialog import DRAFTING_DIALOG_ID, DraftingDialog, DraftOptions


@dataclasses.dataclass
class IntentHandlers:
    """The root dialog's handlers (see `register` for which intent goes where)."""

    ask: AskService
    ask_in_teams: AskInTeams
    coach: CoachInTeams
    roles: TeamsRoleResolver
    submissions: Submissions
    editorial: EditorialTeams
    watch: WatchTeams
    briefings: Briefings | None  # None: a test wires its own

    def register(self, routes: Routes) -> None:
        for intent in LISTENING_INTENTS:
            routes.on(intent, self.on_ask)
        routes.on(Intent.EXPLAIN, self.on_explain)
        routes.on(Intent.SHOULD_RESPOND, self.on_should_respond)
        routes.on(Intent.UNKNOWN, self.on_unknown)
        routes.on(Intent.HELP, self.on_help)
        routes.on(Intent.DRAFT, self.on_draft)
        routes.on(Intent.EDITORIAL_LINE, self.on_editorial)
        routes.on(Intent.BRIEFING, self.on_briefing)

    async def actor_in(self, step: WaterfallStepContext, lang: str | None = None) -> Actor:
        """The sender; `lang`, the message's language, overrides the client's locale."""
        actor = actor_of(step.context.activity, await self.roles(step.context.activity))
        return dataclasses.replace(actor, lang=lang) if lang else actor

    async def on_ask(self, step: WaterfallStepContext, u: Understanding, text: str) -> None:
        await self.ask_in_teams.handle(step.context, u, text)

    async def on_explain(self, step: WaterfallStepContext, u: Understanding, text: str) -> None:
        await self.coach.explain(step.context, text, u.lang)

    async def on_should_respond(
        self, step: WaterfallStepContext, u: Understanding, text: str
    ) -> None:
        tenant = actor_of(step.context.activity).tenant_id
        await self.coach.should_respond(step.context, text, u.post_ref, u.lang, tenant)

    async def on_unknown(self, step: WaterfallStepContext, u: Understanding, text: str) -> None:
        if u.reason in (None, "unclear") and self.coach.knows(text):
            await self.coach.explain(step.context, text, u.lang)
        elif not await reply_unknown(step.context, u, text):  # a decline, a "Did you mean…"
            await step.context.send_activity(t(u.lang, "errors.not_understood"))

    async def on_help(self, step: WaterfallStepContext, u: Understanding, text: str) -> None:
        await step.context.send_activity(card_activity(help_card(u.lang)))

    async def on_draft(
        self, step: WaterfallStepContext, u: Understanding, text: str
    ) -> DialogTurnResult:
        options = DraftOptions(brief=u.topic, lang=u.lang, ui=u.lang)
        result: DialogTurnResult = await step.begin_dialog(DRAFTING_DIALOG_ID, options)
        return result

    async def on_editorial(self, step: WaterfallStepContext, u: Understanding, text: str) -> None:
        await self.editorial.handle_editorial_command(
            step.context, await self.actor_in(step, u.lang), text
        )

    async def on_briefing(self, step: WaterfallStepContext, u: Understanding, text: str) -> None:
        if self.briefings is None:
            await step.context.send_activity(t(u.lang, "placeholder.not_ready"))
            return
        await self.briefings.handle_command(step.context, await self.actor_in(step, u.lang), text)

    async def on_watch(self, step: WaterfallStepContext, text: str) -> None:
        # A command, not a question: read only for its language (« profil de veille »: French).
        actor = await self.actor_in(step)
        said = await self.ask.understand(text, actor.lang, None, actor.tenant_id)
        await self.watch.handle_command(
            step.context, dataclasses.replace(actor, lang=said.lang), text
        )

    async def on_card_value(self, step: WaterfallStepContext, value: dict[str, Any]) -> bool:
        """A drafting card's button once its dialog is over: say what became of the draft."""
        if SUBMIT_KEY not in value:
            return False
        actor = actor_of(step.context.activity)
        flow = DraftingDialog.flow_of(step.context)
        await step.context.send_activity(
            await self.submissions.stale_answer(actor.lang, actor.tenant_id, flow)
        )
        return True
