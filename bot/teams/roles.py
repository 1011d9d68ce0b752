"""Roles at the Teams edge: the `RoleResolver` for `PulseBot(roles=...)`, and the loader of the
members of the configured roles team (`PULSE_ROLES_TEAM_ID`).

The members of a team are read through the Bot Connector (`TeamsInfo.get_paged_team_members`),
which needs the bot installed in that team and a `serviceUrl`: the last one Teams sent us for
the tenant (activities carry it; it is checked against the allowlist before any token goes
there). Results are cached by `RoleService` (TTL).
"""

from __future__ import annotations

import logging
from typing import Any

from botbuilder.core import BotAdapter, TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ChannelAccount, ConversationAccount, ConversationReference

from bot.services.roles import RoleService
from bot.teams.guards import service_url_allowed

logger = logging.getLogger(__name__)

PAGE_SIZE = 500
MAX_PAGES = 40


class TeamsTeamMembers:
    """A `TeamMembersLoader` on the Bot Connector."""

    def __init__(self, adapter: BotAdapter, app_id: str, allowed_hosts: list[str]) -> None:
        self._adapter = adapter
        self._app_id = app_id
        self._hosts = allowed_hosts
        self._service_url: str | None = None

    def observe(self, activity: Activity) -> None:
        """Remember where the Bot Connector is (every activity says it)."""
        if service_url_allowed(activity.service_url, self._hosts):
            self._service_url = activity.service_url

    async def __call__(self, team_id: str) -> set[str]:
        if self._service_url is None:
            raise LookupError("no serviceUrl seen yet: cannot read the team's members")
        reference = ConversationReference(
            service_url=self._service_url,
            channel_id="msteams",
            conversation=ConversationAccount(id=team_id, is_group=True),
            bot=ChannelAccount(id=self._app_id),
        )
        members: set[str] = set()

        async def read(context: TurnContext) -> None:
            token: str | None = None
            for _ in range(MAX_PAGES):
                page: Any = await TeamsInfo.get_paged_team_members(
                    context, team_id, token, PAGE_SIZE
                )
                for member in page.members or []:
                    aad = getattr(member, "aad_object_id", None)
                    if aad:
                        members.add(str(aad))
                token = page.continuation_token
                if not token:
                    break

        await self._adapter.continue_conversation(reference, read, self._app_id)
        return members


class TeamsRoleResolver:
    """`RoleResolver` for `PulseBot(roles=...)`: roles of the activity's sender (aadObjectId).
    `members` (also the `RoleService`'s team loader) learns the serviceUrl from each activity."""

    def __init__(self, roles: RoleService, members: TeamsTeamMembers | None = None) -> None:
        self._roles = roles
        self._members = members

    async def __call__(self, activity: Activity) -> frozenset[str]:
        if self._members is not None:
            self._members.observe(activity)
        sender = activity.from_property
        aad = getattr(sender, "aad_object_id", None) if sender else None
        return await self._roles.roles_of(aad)
