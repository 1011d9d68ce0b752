"""Two Pulse instances (two HTTP servers, two blob clients) sharing one Azurite container:
two approvers click "approve" at the same moment, 100 times; exactly one post each time."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from bot.domain.drafts import DraftState
from tests.approvals.conftest import ALICE, TENANT, x_source
from tests.approvals.teams_support import invoke, wire
from tests.support.azurite import Azurite
from tests.support.fake_x import FakeXServer
from tests.teams.conftest import PulseFactory

ROUNDS = 100


@pytest.mark.azurite
async def test_100_rounds_of_simultaneous_approvals_publish_once(
    make_pulse: PulseFactory, azurite_blob: Azurite, fake_x: FakeXServer
) -> None:
    settings = {
        "STORAGE_BACKEND": "blob",
        "AZURE_STORAGE_CONNECTION_STRING": azurite_blob.connection_string,
        "AZURE_STORAGE_CONTAINER": f"race{uuid.uuid4().hex[:20]}",
    }
    one, two = await make_pulse(**settings), await make_pulse(**settings)
    assert one.components.store is not two.components.store
    async with x_source(fake_x) as source_one, x_source(fake_x) as source_two:
        a, b = wire(one, publisher=source_one), wire(two, publisher=source_two)
        url = one.connector.url
        for n in range(ROUNDS):
            text = f"Round {n}: thank you to our teams. #Velora"
            draft = await a.approvals.submit(TENANT, ALICE, text, "en", {}, None)
            data = {"draft_id": draft.id, "version": 1}
            (s1, _r1), (s2, _r2) = await asyncio.gather(
                one.post(invoke(url, "bob", "draft.approve", data)),
                two.post(invoke(url, "carol", "draft.approve", data)),
            )
            assert s1 == s2 == 200
            await asyncio.gather(a.teams.drain(), b.teams.drain())
            assert len(fake_x.created) == n + 1, f"round {n}"
            final = await b.approvals.get(TENANT, draft.id)
            assert final is not None and final.state is DraftState.PUBLISHED
        events = await a.approvals.audit_events(TENANT)
    clicks = [e for e in events if e.action in ("approved", "approve")]
    assert len(clicks) == 2 * ROUNDS  # every click is in the audit log
    assert sum(e.accepted for e in clicks) == ROUNDS
    assert len({c["text"] for c in fake_x.created}) == ROUNDS
