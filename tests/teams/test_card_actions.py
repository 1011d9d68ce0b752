"""Card actions by verb: Action.Execute invokes and the Action.Submit fallback."""

from __future__ import annotations

from typing import Any

from botbuilder.core import TurnContext

from bot.teams.actions import ActionResult, Actor
from tests.support.teams import card_action, message
from tests.teams.conftest import Pulse

seen: list[tuple[str, dict[str, Any]]] = []


async def _echo(context: TurnContext, actor: Actor, data: dict[str, Any]) -> ActionResult:
    seen.append((actor.key, data))
    card = {
        "type": "AdaptiveCard",
        "version": "1.5",
        "body": [{"type": "TextBlock", "text": f"done by {actor.name}"}],
    }
    return ActionResult(card=card)


def _invoke(service_url: str, verb: str, data: dict[str, Any]) -> dict[str, Any]:
    return card_action(verb, data, service_url=service_url)


async def test_execute_returns_the_refreshed_card_and_acts_as_the_real_user(demo: Pulse) -> None:
    seen.clear()
    demo.components.bot.actions.register("test.echo", _echo)
    status, body = await demo.post(
        _invoke(demo.connector.url, "test.echo", {"x": 1, "aadObjectId": "aad-mallory"})
    )
    assert status == 200
    assert body["statusCode"] == 200
    assert body["type"] == "application/vnd.microsoft.card.adaptive"
    assert body["value"]["body"][0]["text"] == "done by Alice"
    # The actor comes from the activity, never from card data.
    assert seen == [("aad-alice", {"x": 1, "aadObjectId": "aad-mallory"})]


async def test_unknown_verb_is_a_clean_error(demo: Pulse) -> None:
    status, body = await demo.post(_invoke(demo.connector.url, "nope.nothing", {}))
    assert status == 200
    assert body["statusCode"] == 400


async def test_redelivered_invoke_gets_the_same_answer_and_runs_once(demo: Pulse) -> None:
    seen.clear()
    demo.components.bot.actions.register("test.echo", _echo)
    activity = _invoke(demo.connector.url, "test.echo", {"n": 2})
    first = await demo.post(activity)
    second = await demo.post(activity)
    assert first == second
    assert len(seen) == 1


async def test_submit_fallback_updates_the_original_message(demo: Pulse) -> None:
    seen.clear()
    demo.components.bot.actions.register("test.echo", _echo)
    activity = message("", service_url=demo.connector.url)
    activity["value"] = {"verb": "test.echo", "n": 3}
    activity["replyToId"] = "card-message-1"
    status, _ = await demo.post(activity)
    assert status == 200
    await demo.connector.wait_for(lambda r: any(x.method == "PUT" for x in r))
    update = next(x for x in demo.connector.received if x.method == "PUT")
    assert update.path.endswith("/activities/card-message-1")
    assert len(seen) == 1
