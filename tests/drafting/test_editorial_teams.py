"""The editorial line in Teams, through the real HTTP endpoint: view, refusal, YAML import with
located errors, export round trip, form save, history and roll-back, file attachments."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from aiohttp import web
from botbuilder.dialogs import (
    ComponentDialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.schema import Activity

from bot.devtools.connector import message_text
from bot.domain.defaults import default_editorial_line, default_editorial_line_yaml
from bot.domain.editorial import EditorialLine
from bot.services.editorial_store import EditorialStore
from bot.teams.actions import actor_of
from bot.teams.editorial import (
    EditorialServices,
    EditorialTeams,
    FileFetcher,
    FileRefused,
    register_editorial,
)
from tests.drafting.conftest import FakeClock
from tests.drafting.dialog_harness import actions_of, card_text
from tests.support.editor import EditorChat, exported_yaml, first_card, inputs_of, local_fetcher
from tests.support.teams import TENANT
from tests.teams.conftest import Pulse

ROLES = {"aad-alice": frozenset({"approver"}), "aad-carol": frozenset({"admin"})}


async def _roles(activity: Activity) -> frozenset[str]:
    return ROLES.get(getattr(activity.from_property, "aad_object_id", ""), frozenset())


class EditorialRoot(ComponentDialog):
    """What the lead's main dialog does on Intent.EDITORIAL_LINE."""

    def __init__(self, teams: EditorialTeams) -> None:
        super().__init__("EditorialRoot")
        self._teams = teams
        self.add_dialog(WaterfallDialog("root", [self.route_step]))
        self.initial_dialog_id = "root"

    async def route_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        activity = step.context.activity
        actor = actor_of(activity, await _roles(activity))
        await self._teams.handle_editorial_command(step.context, actor, activity.text or "")
        return await step.end_dialog()


@dataclass
class Setup(EditorChat):
    store: EditorialStore
    teams: EditorialTeams


@pytest.fixture
async def setup(demo: Pulse) -> Setup:
    store = EditorialStore(demo.components.store, FakeClock())
    services = EditorialServices(store, local_fetcher())
    teams = register_editorial(demo.components.bot.actions, services)
    bot: Any = demo.components.bot
    bot._dialog = EditorialRoot(teams)
    bot._roles = _roles
    return Setup(demo, store, teams)


async def test_view_card_for_comms_has_the_whole_line_and_buttons(setup: Setup) -> None:
    card = first_card(await setup.say("ligne éditoriale"))
    text = card_text(card)
    for expected in (
        "Ligne éditoriale — Velora",
        "Version 1, modifiée par Pulse",
        "sobre, chaleureuse, experte",
        "Piliers et messages clés",
        "Chaque vélo Velora est testé sur banc",
        "Mots à éviter",
        "scandale",
        "Interdits : #promo, #soldes, #sale, #giveaway, #concours",
        "Organisations connues : @FUBicyclette, @ademe",
        "Seulement vers : velora.fr, securite-routiere.gouv.fr, ecologie.gouv.fr.",
        "Avec parcimonie : 1 au plus.",
        "français, anglais (par défaut : français)",
        "En cas de crise",
        "Exemples de posts approuvés",
    ):
        assert expected in text, expected
    assert [a["verb"] for a in actions_of(card)] == [
        "editorial.edit",
        "editorial.history",
        "editorial.export",
    ]


async def test_english_labels(setup: Setup) -> None:
    card = first_card(await setup.say("editorial line", locale="en-US"))
    assert "Editorial line — Velora" in card_text(card) and "Words to avoid" in card_text(card)
    assert "sober, warm, expert" in card_text(card)


async def test_non_comms_may_read_but_not_change(setup: Setup) -> None:
    card = first_card(await setup.say("ligne éditoriale", user="bob"))
    assert "Ligne éditoriale — Velora" in card_text(card) and not actions_of(card)
    for command in ("modifier la ligne éditoriale", "historique", "exporter",
                    "import ligne éditoriale\n" + default_editorial_line_yaml()):  # fmt: skip
        [reply] = await setup.say(command, user="bob")
        assert reply["text"].startswith("Seules l'équipe communication et les administrateurs")
    body = await setup.invoke(
        "editorial.save", {"base_version": 1, "hashtags_forbidden": "#x"}, user="bob"
    )
    assert body["type"] == "application/vnd.microsoft.activity.message"
    assert "Seules" in body["value"]
    assert (await setup.store.history(TENANT)).latest_version == 1


async def test_yaml_import_with_an_error_gives_a_located_message_in_french(setup: Setup) -> None:
    broken = default_editorial_line_yaml().replace(
        '    - "#concours"', '    - "#concours"\n    - "pas un hashtag"'
    )
    [reply] = await setup.say("import ligne éditoriale\n" + broken)
    text = reply["text"]
    line_no = broken.splitlines().index('    - "pas un hashtag"') + 1
    assert text.startswith("Je n'ai pas importé la ligne éditoriale : 1 problème(s).")
    assert f"ligne {line_no}, colonne 7 · `hashtags.forbidden[5]` — ce n'est pas un hashtag" in text
    assert (await setup.store.history(TENANT)).latest_version == 1


async def test_yaml_import_fenced_or_as_teams_html(setup: Setup) -> None:
    changed = default_editorial_line_yaml().replace(
        "max_count: 2\nmentions:", "max_count: 1\nmentions:"
    )
    messages = await setup.say("import editorial line\n```yaml\n" + changed + "```", locale="en-US")
    assert "Editorial line imported: it is now version 2." in message_text(messages[0])
    assert (await setup.store.current(TENANT)).hashtags.max_count == 1
    again = default_editorial_line_yaml()
    html = (
        "<p>importer la ligne éditoriale :</p><pre><code>"
        + again.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace("\n", "<br>")
        .replace("  ", "&nbsp;&nbsp;")
        + "</code></pre>"
    )
    messages = await setup.say(
        "importer la ligne éditoriale :",
        attachments=[{"contentType": "text/html", "content": html}],
    )
    assert "c'est la version 3" in message_text(messages[0])
    assert (await setup.store.current(TENANT)).hashtags.max_count == 2


async def test_import_without_yaml_explains_how(setup: Setup) -> None:
    [reply] = await setup.say("import ligne éditoriale")
    assert reply["text"].startswith("Envoyez « import ligne éditoriale » suivi du YAML")


async def test_export_parses_back(setup: Setup) -> None:
    card = first_card(await setup.say("exporter la ligne éditoriale"))
    yaml_text = exported_yaml(card)
    line = EditorialLine.from_yaml(yaml_text)
    assert line.same_content(await setup.store.current(TENANT))
    assert yaml.safe_load(yaml_text)["company"]["name"] == "Velora"


async def test_form_save_with_errors_then_success_then_conflict(setup: Setup) -> None:
    body = await setup.invoke("editorial.edit", {})
    form = body["value"]
    inputs = inputs_of(form)
    assert inputs["hashtags_forbidden"]["value"] == "#promo, #soldes, #sale, #giveaway, #concours"
    assert inputs["avoid_fr"]["value"].splitlines()[0] == "révolutionnaire"
    save = next(a for a in actions_of(form) if a.get("verb") == "editorial.save")
    assert save["data"] == {"base_version": 1}

    bad = {**{k: v["value"] for k, v in inputs.items()}, "base_version": 1}
    bad["hashtags_forbidden"] += ", bonplan"
    body = await setup.invoke("editorial.save", bad)
    text = card_text(body["value"])
    assert "Rien n'est enregistré : 1 problème(s) à corriger." in text
    assert "Hashtags interdits, n° 6 — ce n'est pas un hashtag" in text
    again = inputs_of(body["value"])
    assert again["hashtags_forbidden"]["value"].endswith(", bonplan")  # shown again as typed

    good = {
        **bad,
        "hashtags_forbidden": "#promo #soldes #bonplan",
        "avoid_fr": "scandale\npas cher\narnaque",
        "note": "plus strict",
        "emoji_mode": "none",
        "emoji_max": "",
    }
    body = await setup.invoke("editorial.save", good)
    assert "Ligne éditoriale enregistrée : version 2." in card_text(body["value"])
    line = await setup.store.current(TENANT)
    assert line.hashtags.forbidden == ["#promo", "#soldes", "#bonplan"]
    assert [t.term for t in line.avoid["fr"]] == ["scandale", "pas cher", "arnaque"]
    assert line.avoid["fr"][1].suggestion == "accessible"  # kept from the existing term
    assert line.emoji.mode == "none" and line.revision.note == "plus strict"
    assert line.revision.changed_by.user_id == "aad-alice"

    body = await setup.invoke("editorial.save", {**good, "hashtags_forbidden": "#promo"})  # base 1
    assert "a changé entre-temps (version 2, vous étiez sur la 1)" in card_text(body["value"])


async def test_history_and_rollback(setup: Setup) -> None:
    changed = default_editorial_line_yaml().replace(
        "max_count: 2\nmentions:", "max_count: 1\nmentions:"
    )
    await setup.say("import ligne éditoriale\n" + changed)
    body = await setup.invoke("editorial.history", {})
    text = card_text(body["value"])
    assert "**v2**" in text and "Alice" in text and "(actuelle)" in text
    [rollback] = [a for a in actions_of(body["value"]) if a.get("verb") == "editorial.rollback"]
    assert rollback["data"] == {"version": 1, "base_version": 2}
    body = await setup.invoke("editorial.rollback", rollback["data"])
    assert "Retour à la version 1 : c'est maintenant la version 3." in card_text(body["value"])
    line = await setup.store.current(TENANT)
    assert line.hashtags.max_count == 2 and line.revision.restored_from == 1
    body = await setup.invoke("editorial.rollback", rollback["data"])  # stale: base 2
    assert "a changé entre-temps" in card_text(body["value"])
    [reply] = await setup.say("revenir à la version 9")
    assert reply["text"] == "Il n'y a pas de version 9."


# -- files ---------------------------------------------------------------------------------------


@pytest.fixture
async def file_server() -> AsyncIterator[str]:
    app = web.Application()
    big = "#" * (100 * 1024)

    async def good(request: web.Request) -> web.Response:
        return web.Response(
            text=default_editorial_line_yaml().replace(
                "max_count: 2\nmentions:", "max_count: 1\nmentions:"
            )
        )

    async def huge(request: web.Request) -> web.Response:
        return web.Response(text=big)

    async def redirect(request: web.Request) -> web.Response:
        raise web.HTTPFound("http://169.254.169.254/latest")

    app.router.add_get("/good.yaml", good)
    app.router.add_get("/huge.yaml", huge)
    app.router.add_get("/redirect.yaml", redirect)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def _file(url: str, name: str = "ligne.yaml") -> dict[str, Any]:
    return {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "name": name,
        "content": {"downloadUrl": url, "uniqueId": "abc", "fileType": name.rsplit(".", 1)[-1]},
    }


async def test_a_yaml_file_in_personal_chat_is_imported(setup: Setup, file_server: str) -> None:
    messages = await setup.say("", attachments=[_file(file_server + "/good.yaml")])
    assert "c'est la version 2" in message_text(messages[0])
    assert (await setup.store.current(TENANT)).hashtags.max_count == 1


@pytest.mark.parametrize(
    ("path", "name", "reason"),
    [
        ("/huge.yaml", "ligne.yaml", "il est trop gros"),
        ("/redirect.yaml", "ligne.yaml", "le téléchargement a échoué"),
        ("/good.yaml", "ligne.docx", "ce n'est pas un fichier .yaml"),
    ],
)
async def test_files_refused(
    setup: Setup, file_server: str, path: str, name: str, reason: str
) -> None:
    [reply] = await setup.say("", attachments=[_file(file_server + path, name)])
    assert reply["text"] == f"Je ne peux pas lire ce fichier ({reason})."
    assert (await setup.store.history(TENANT)).latest_version == 1


async def test_a_file_from_another_host_is_never_fetched(setup: Setup) -> None:
    [reply] = await setup.say("", attachments=[_file("https://evil.example.com/ligne.yaml")])
    assert (
        reply["text"]
        == "Je ne peux pas lire ce fichier (il ne vient pas de SharePoint ou OneDrive)."
    )


def test_download_hosts() -> None:
    fetcher = FileFetcher()
    assert fetcher.host_allowed("https://contoso.sharepoint.com/personal/a/x.yaml")
    assert fetcher.host_allowed("https://contoso-my.sharepoint.com/x.yaml")
    assert not fetcher.host_allowed("http://contoso.sharepoint.com/x.yaml")
    assert not fetcher.host_allowed("https://sharepoint.com/x.yaml")
    assert not fetcher.host_allowed("https://sharepoint.com.evil.com/x.yaml")
    assert not fetcher.host_allowed("https://user:pw@contoso.sharepoint.com/x.yaml")
    assert not fetcher.host_allowed("https://evilsharepoint.com/x.yaml")
    assert not fetcher.host_allowed("file:///etc/passwd")


async def test_fetch_refuses_before_any_request() -> None:
    with pytest.raises(FileRefused) as err:
        await FileFetcher().fetch("https://127.0.0.1/x.yaml")
    assert err.value.reason == "host"


def test_default_line_is_the_demo_line() -> None:
    assert json.dumps(default_editorial_line().to_data())  # sanity: JSON-ready


async def test_the_shared_editor_behaves_alike_for_the_line(setup: Setup) -> None:
    """What the editorial line now shares with the watch profile's editor: a stale form is
    refused before its errors are listed (as a warning); "update" opens the form; a fenced YAML
    block is an import even without the word."""
    changed = default_editorial_line_yaml().replace(
        "max_count: 2\nmentions:", "max_count: 1\nmentions:"
    )
    await setup.say("import ligne éditoriale\n" + changed)  # now version 2
    body = await setup.invoke(
        "editorial.save", {"base_version": 1, "hashtags_forbidden": "pas un hashtag"}
    )
    card = body["value"]
    assert "a changé entre-temps (version 2, vous étiez sur la 1)" in card_text(card)
    assert "Rien n'est enregistré" not in card_text(card)
    [warning] = [el for el in card["body"] if "a changé entre-temps" in el.get("text", "")]
    assert warning["color"] == "Attention"
    assert (await setup.store.history(TENANT)).latest_version == 2

    form = first_card(await setup.say("update the editorial line", locale="en-US"))
    assert any(el.get("id") == "hashtags_forbidden" for el in form["body"])

    messages = await setup.say(
        "ligne éditoriale\n```yaml\n" + default_editorial_line_yaml() + "```"
    )
    assert "c'est la version 3" in message_text(messages[0])
    assert (await setup.store.current(TENANT)).hashtags.max_count == 2
