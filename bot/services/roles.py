"""Who may do what: executive, approver (comms), admin.

Roles come from configuration only, and are checked on the acting user's Entra object id
(`aadObjectId` of the activity), never on anything carried by card data:

- explicit lists of Entra object ids (settings `PULSE_ADMINS`, `PULSE_APPROVERS`,
  `PULSE_EXECUTIVES`);
- optionally the members of one Teams team (`PULSE_ROLES_TEAM_ID`): they get the role named by
  `team_role` (default: approver). Members are loaded through a `TeamMembersLoader` (the Teams
  edge provides one, `bot.teams.roles.TeamsTeamMembers`) and cached for `team_ttl_s`; when a
  refresh fails, the last known list is kept (and logged), never widened.

Admins are approvers too (they configure the approval channel and may decide).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable

logger = logging.getLogger(__name__)

EXECUTIVE = "executive"
APPROVER = "approver"
ADMIN = "admin"
ROLES = (EXECUTIVE, APPROVER, ADMIN)

TeamMembersLoader = Callable[[str], Awaitable[set[str]]]


def parse_ids(value: str | Iterable[str] | None) -> frozenset[str]:
    """A CSV string (or list) of Entra object ids; blanks dropped, case-folded (GUIDs)."""
    if value is None:
        return frozenset()
    items = value.split(",") if isinstance(value, str) else list(value)
    return frozenset(i.strip().lower() for i in items if i and i.strip())


class RoleService:
    def __init__(
        self,
        *,
        admins: str | Iterable[str] | None = None,
        approvers: str | Iterable[str] | None = None,
        executives: str | Iterable[str] | None = None,
        team_id: str | None = None,
        team_role: str = APPROVER,
        team_members: TeamMembersLoader | None = None,
        team_ttl_s: float = 600.0,
        monotonic: Callable[[], float] = time.monotonic,
        open_to_all: bool = False,
    ) -> None:
        """`open_to_all`: everyone holds every role (demo mode with no role configured)."""
        if team_role not in ROLES:
            raise ValueError(f"team_role must be one of {ROLES}")
        self._static: dict[str, frozenset[str]] = {
            ADMIN: parse_ids(admins),
            APPROVER: parse_ids(approvers),
            EXECUTIVE: parse_ids(executives),
        }
        self.team_id = team_id or None
        self._team_role = team_role
        self._loader = team_members
        self._ttl = team_ttl_s
        self._now = monotonic
        self._team: frozenset[str] = frozenset()
        self._team_loaded_at: float | None = None
        self._lock = asyncio.Lock()
        self._open = open_to_all

    def static_members(self, role: str) -> frozenset[str]:
        return self._static.get(role, frozenset())

    async def _team_members(self) -> frozenset[str]:
        if self.team_id is None or self._loader is None:
            return frozenset()
        fresh = self._team_loaded_at is not None and self._now() - self._team_loaded_at < self._ttl
        if fresh:
            return self._team
        async with self._lock:
            if self._team_loaded_at is not None and self._now() - self._team_loaded_at < self._ttl:
                return self._team
            try:
                members = await self._loader(self.team_id)
            except Exception:
                logger.warning(
                    "could not load the members of the roles team; keeping the last list"
                )
                # Try again after a short pause rather than on every click.
                self._team_loaded_at = self._now() - self._ttl + min(30.0, self._ttl)
                return self._team
            self._team = parse_ids(members)
            self._team_loaded_at = self._now()
            logger.info("roles team loaded: %d members", len(self._team))
            return self._team

    async def roles_of(self, aad_object_id: str | None) -> frozenset[str]:
        if not aad_object_id:
            return frozenset()
        if self._open:
            return frozenset(ROLES)
        who = aad_object_id.strip().lower()
        roles = {role for role, ids in self._static.items() if who in ids}
        if self._team_role not in roles and who in await self._team_members():
            roles.add(self._team_role)
        if ADMIN in roles:
            roles.add(APPROVER)
        return frozenset(roles)

    async def is_approver(self, aad_object_id: str | None) -> bool:
        return APPROVER in await self.roles_of(aad_object_id)

    async def approvers(self) -> frozenset[str]:
        """Every approver known now (static lists and the roles team)."""
        team = await self._team_members() if self._team_role == APPROVER else frozenset()
        return self._static[APPROVER] | self._static[ADMIN] | team
