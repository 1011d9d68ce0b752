"""The tenant of an activity and mention stripping: one helper each (bot/teams/activity.py)."""

from __future__ import annotations

from botbuilder.schema import Activity, ConversationAccount

from bot.teams.activity import strip_mentions, tenant_of


def test_the_tenant_is_the_conversations_else_the_channel_datas() -> None:
    both = Activity(
        conversation=ConversationAccount(id="c", tenant_id="t-conv"),
        channel_data={"tenant": {"id": "t-data"}},
    )
    assert tenant_of(both) == "t-conv"
    data_only = Activity(
        conversation=ConversationAccount(id="c"), channel_data={"tenant": {"id": "t"}}
    )
    assert tenant_of(data_only) == "t"
    assert tenant_of(Activity(channel_data={"tenant": "not-a-dict"})) is None
    assert tenant_of(Activity()) is None


def test_every_mention_becomes_a_space() -> None:
    text = "<at>Pulse</at> decisions <AT>Bob</AT>"
    assert strip_mentions(text).split() == ["decisions"]
    assert strip_mentions(None) == ""


def test_leading_mentions_go_and_the_rest_is_kept_as_written() -> None:
    text = "<at>Pulse</at> <at>Team</at>\nimport watch profile\n  name: <at>x</at>\n"
    assert strip_mentions(text, leading_only=True) == "import watch profile\n  name: <at>x</at>\n"
    assert strip_mentions("no mention", leading_only=True) == "no mention"
