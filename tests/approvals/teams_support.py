"""Helpers: a running Pulse (real HTTP endpoint) with the approvals registered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.clients.x import XSource
from bot.services.approvals import ApprovalService
from bot.services.publishing import PublishingService
from bot.teams.approvals import ApprovalServices, ApprovalsTeams, register_approvals
from tests.approvals.conftest import FakeClock, make_roles, make_services
from tests.support.teams import card_action
from tests.teams.conftest import Pulse


@dataclass
class Wired:
    pulse: Pulse
    teams: ApprovalsTeams
    approvals: ApprovalService
    publishing: PublishingService


def wire(pulse: Pulse, *, publisher: XSource | None = None, clock: Any = None) -> Wired:
    components = pulse.components
    approvals, publishing = make_services(
        components.store,
        clock or FakeClock(),
        publisher=publisher,
        enabled=publisher is not None,
    )
    approvals.clock = publishing.clock = clock or components.clock
    approvals.repo.clock = approvals.clock
    services = ApprovalServices(approvals, publishing, make_roles())
    approvals.roles = services.roles
    teams = register_approvals(
        components.bot,
        components.bot.actions,
        services,
        adapter=components.adapter,
        app_id=components.settings.bot.app_id,
        store=components.store,
        clock=components.clock,
        allowed_hosts=components.settings.effective_service_url_hosts,
    )
    return Wired(pulse, teams, approvals, publishing)


def invoke(
    service_url: str, user: str, verb: str, data: dict[str, Any], **kw: Any
) -> dict[str, Any]:
    return card_action(verb, data, service_url=service_url, user_id=user, **kw)


def card_texts(card: dict[str, Any]) -> str:
    out: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "TextBlock":
                out.append(str(node.get("text", "")))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(card.get("body", []))
    return "\n".join(out)
