"""The watch profile in Teams, through the real HTTP endpoint: view (FR/EN), refusal for
non-comms, YAML import with located errors, import then the next answer listens with the new
profile, export round trip, form save, stale form, files."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiohttp import web
from botbuilder.dialogs import (
    ComponentDialog,
    Dialog,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)

from bot.clients.demo.corpus import DEFAULT_PROFILE_PATH
from bot.devtools.connector import message_text
from bot.domain.watch import WatchProfile
from bot.services.profiles import ProfileRepository
from bot.teams.actions import RoleResolver, actor_of
from bot.teams.watch import WatchServices, WatchTeams, is_watch_command, register_watch
from tests.drafting.conftest import FakeClock
from tests.drafting.dialog_harness import actions_of, card_text
from tests.support.editor import EditorChat, exported_yaml, first_card, input_values, local_fetcher
from tests.support.teams import TENANT, message
from tests.teams.conftest import PulseFactory

DEFAULT_YAML = DEFAULT_PROFILE_PATH.read_text(encoding="utf-8")


class WatchRoot(ComponentDialog):
    """What the lead's main dialog does: watch commands to `WatchTeams`, the rest as before."""

    def __init__(self, teams: WatchTeams, main: Dialog, roles: RoleResolver) -> None:
        super().__init__("WatchRoot")
        self._teams = teams
        self._main_id = main.id
        self._roles = roles
        self.add_dialog(main)
        self.add_dialog(WaterfallDialog("root", [self.route_step]))
        self.initial_dialog_id = "root"

    async def route_step(self, step: WaterfallStepContext) -> DialogTurnResult:
        activity = step.context.activity
        text = activity.text or ""
        if is_watch_command(text):
            actor = actor_of(activity, await self._roles(activity))
            await self._teams.handle_command(step.context, actor, text)
            return await step.end_dialog()
        return await step.begin_dialog(self._main_id)


@dataclass
class Setup(EditorChat):
    profiles: ProfileRepository

    async def ask_for_card(self, text: str) -> dict[str, Any]:
        """Ask a question and wait for the answer card (it may follow other messages)."""
        connector = self.pulse.connector

        def cards() -> list[dict[str, Any]]:
            return [m for m in connector.messages() if m.get("attachments")]

        before = len(cards())
        status, _ = await self.pulse.post(message(text, service_url=connector.url, locale="fr-FR"))
        assert status == 200
        await connector.wait_for(lambda _: len(cards()) > before, timeout=30)
        return cards()[-1]["attachments"][0]["content"]  # type: ignore[no-any-return]


@pytest.fixture
async def setup(make_pulse: PulseFactory) -> Setup:
    pulse = await make_pulse(PULSE_APPROVERS="aad-alice")  # alice is comms, bob is not
    profiles = ProfileRepository(pulse.components.store, DEFAULT_PROFILE_PATH, FakeClock())
    teams = register_watch(pulse.components.bot.actions, WatchServices(profiles, local_fetcher()))
    bot: Any = pulse.components.bot
    bot._dialog = WatchRoot(teams, bot._dialog, bot._roles)
    return Setup(pulse, profiles)


# -- view ----------------------------------------------------------------------------------------


async def test_view_card_in_french_has_the_whole_profile_and_its_queries(setup: Setup) -> None:
    card = first_card(await setup.say("montre le profil de veille"))
    text = card_text(card)
    for expected in (
        "Profil de veille — Velora",
        "Révision 1 : le profil par défaut",
        "Velora, Vélora",
        "@velora, @velora_fr, @velora_support",
        "#Velora, #VeloraCargo2, #RappelVelora, $VLRA, PowerCell, Velora Ride",
        "Villa Velora, #VillaVelora, @veloraband",
        "**Rouleo** : Rouleo · @rouleo",
        "**Voltigo** : Voltigo · @voltigo_bikes",
        "vélo électrique, velo electrique",
        "Camille Arnaud (CEO) · @camille_arnaud",
        "français, anglais",
        "5 requête(s) X, la plus longue fait 411 caractères (limite : 512).",
        "Velora : 1 requête(s), 411 caractères",
        "Secteur : 1 requête(s), 243 caractères",
    ):
        assert expected in text, expected
    assert [a["verb"] for a in actions_of(card)] == ["watch.edit", "watch.export"]


async def test_view_card_in_english(setup: Setup) -> None:
    card = first_card(await setup.say("watch profile", locale="en-US"))
    text = card_text(card)
    for expected in (
        "Watch profile — Velora",
        "Revision 1: the default profile",
        "Exclusions (homonyms: these posts are left out)",
        "**Cyclaro**: Cyclaro · @cyclaro",
        "French, English",
        "Resulting X queries",
        "5 X query(ies), the longest is 411 characters (limit: 512).",
        "Sector: 1 query(ies), 243 characters",
    ):
        assert expected in text, expected


async def test_a_profile_too_long_for_x_is_shown_as_such(setup: Setup) -> None:
    exclusions = [f"Velora band number {i}" for i in range(25)]
    data = {**WatchProfile.from_yaml(DEFAULT_YAML).model_dump(), "exclusions": exclusions}
    # Stored behind the validation's back (as an older release might have): shown, not hidden.
    await setup.profiles.save(TENANT, WatchProfile.model_validate(data), by="legacy")
    text = card_text(first_card(await setup.say("profil de veille")))
    assert (
        "Ce profil ne se traduit pas en requêtes X : Exclusions (homonymes) — les exclusions et "
        "le filtre de langue prennent à eux seuls 686 des 512 caractères d'une requête X" in text
    )


# -- who may change it ---------------------------------------------------------------------------


async def test_non_comms_may_view_and_export_but_not_change(setup: Setup) -> None:
    card = first_card(await setup.say("profil de veille", user="bob"))
    assert "Profil de veille — Velora" in card_text(card)
    assert [a["verb"] for a in actions_of(card)] == ["watch.export"]
    for command in ("modifier la veille", "importer profil de veille\n" + DEFAULT_YAML):
        [reply] = await setup.say(command, user="bob")
        assert reply["text"].startswith(
            "Seules l'équipe communication et les administrateurs peuvent modifier le profil"
        )
    for verb in ("watch.edit", "watch.save"):
        body = await setup.invoke(verb, {"base_revision": 1, "names": "Bob"}, user="bob")
        assert body["type"] == "application/vnd.microsoft.activity.message"
        assert body["value"].startswith("Seules")
    body = await setup.invoke("watch.export", {}, user="bob")
    assert WatchProfile.from_yaml(exported_yaml(body["value"])).company == "Velora"
    assert (await setup.profiles.current(TENANT)).revision == 1


# -- import --------------------------------------------------------------------------------------


async def test_import_with_errors_gives_located_messages_in_the_users_language(
    setup: Setup,
) -> None:
    broken = DEFAULT_YAML.replace("- velora_fr", "- velora-fr").replace("- en\n", "- english\n")
    [reply] = await setup.say("importer profil de veille\n" + broken)
    handle_line = broken.splitlines().index("- velora-fr") + 1
    lang_line = broken.splitlines().index("languages:") + 1
    assert reply["text"].startswith("Je n'ai pas importé le profil de veille : 2 problème(s).")
    assert (
        f"ligne {handle_line}, colonne 3 · `handles[1]` — un compte X, c'est 1 à 15 lettres"
        in reply["text"]
    )
    assert (
        f"ligne {lang_line}, colonne 1 · `languages` — « english » n'est pas un code de langue"
        in reply["text"]
    )
    [reply] = await setup.say("import watch profile\n```yaml\ncompany: [Velora\n```", locale="en")
    assert reply["text"].startswith("I did not import the watch profile: 1 problem(s).")
    assert "line 1, column 17 — not valid YAML" in reply["text"]
    homonym = DEFAULT_YAML.replace("- Neon Tides", "- Vélora")
    [reply] = await setup.say("importer profil de veille\n" + homonym)
    index = WatchProfile.from_yaml(DEFAULT_YAML).exclusions.index("Neon Tides")
    line_no = DEFAULT_YAML.splitlines().index("- Neon Tides") + 1
    assert (
        f"ligne {line_no}, colonne 3 · `exclusions[{index}]` — « Vélora » est aussi un nom"
        in reply["text"]
    )
    [reply] = await setup.say("importer profil de veille")
    assert reply["text"].startswith("Envoyez « importer profil de veille » suivi du YAML")
    assert (await setup.profiles.current(TENANT)).revision == 1


async def test_import_then_the_next_answer_listens_with_the_new_profile(setup: Setup) -> None:
    changed = DEFAULT_YAML.replace("- Vélora\n", "- Vélora\n- Velorix\n")
    messages = await setup.say("importer profil de veille :\n```yaml\n" + changed + "```")
    assert "Profil de veille importé : c'est la révision 2." in message_text(messages[0])
    stored = await setup.profiles.current(TENANT)
    assert stored.revision == 2 and stored.by == "aad-alice" and stored.by_name == "Alice"
    assert stored.profile.names == ["Velora", "Vélora", "Velorix"]
    assert stored.profile.tenant_id == TENANT  # always the importer's tenant
    [audit] = await setup.profiles.audit(TENANT)
    assert audit["revision"] == 2 and audit["changed"] == ["names"]
    assert audit["source"] == "import"

    source: Any = setup.pulse.components.source
    searched: list[str] = []
    search = source.search

    async def spy(query: str, *args: Any, **kwargs: Any) -> Any:
        searched.append(query)
        return await search(query, *args, **kwargs)

    source.search = spy
    await setup.ask_for_card("qu'est-ce qu'on dit de nous ?")
    assert searched and all("Velorix" in q for q in searched)

    again = await setup.say("importer profil de veille\n" + changed)
    assert "Rien n'a changé : c'est déjà le profil actuel (révision 2)." in message_text(again[0])


async def test_a_competitor_added_to_the_profile_is_understood_in_questions(
    setup: Setup,
) -> None:
    # The question is understood with the tenant's stored profile, not the one Pulse started
    # with: "Zedbike" only exists in the imported revision.
    changed = DEFAULT_YAML.replace(
        "competitors:\n", "competitors:\n- name: Zedbike\n  names:\n  - Zedbike\n", 1
    )
    messages = await setup.say("importer profil de veille :\n```yaml\n" + changed + "```")
    assert "c'est la révision 2" in message_text(messages[0])

    card = await setup.ask_for_card("et Zedbike, on en dit quoi ?")
    # The competitors answer, about Zedbike: the demo corpus has no post about it, and the
    # answer says so rather than describing a volume.
    assert card_text(card).startswith("Je n'ai trouvé aucun post sur Zedbike aujourd'hui")


async def test_import_as_teams_html(setup: Setup) -> None:
    changed = DEFAULT_YAML.replace("- VAE\n", "- VAE\n- vélos cargo\n")
    html = (
        "<p>importer le profil de veille :</p><pre><code>"
        + changed.replace("&", "&amp;").replace("\n", "<br>").replace("  ", "&nbsp;&nbsp;")
        + "</code></pre>"
    )
    messages = await setup.say(
        "importer le profil de veille :",
        attachments=[{"contentType": "text/html", "content": html}],
    )
    assert "c'est la révision 2" in message_text(messages[0])
    assert "vélos cargo" in (await setup.profiles.get(TENANT)).sector_terms


# -- export --------------------------------------------------------------------------------------


async def test_export_parses_back(setup: Setup) -> None:
    card = first_card(await setup.say("exporter profil de veille"))
    assert "Profil de veille (révision 1) en YAML" in card_text(card)
    exported = WatchProfile.from_yaml(exported_yaml(card))
    assert exported == await setup.profiles.get(TENANT)
    card = first_card(await setup.say("export watch profile", locale="en-US"))
    assert "Watch profile (revision 1) as YAML" in card_text(card)


# -- the form ------------------------------------------------------------------------------------


async def test_form_save_with_errors_then_success_then_stale(setup: Setup) -> None:
    body = await setup.invoke("watch.edit", {})
    form = body["value"]
    inputs = input_values(form)
    assert inputs["names"] == "Velora, Vélora"
    assert inputs["handles"] == "@velora, @velora_fr, @velora_support"
    assert inputs["competitors"].splitlines()[1] == "Voltigo: Voltigo @voltigo_bikes"
    assert inputs["spokespeople"].splitlines()[0] == "Camille Arnaud (CEO): @camille_arnaud"
    save = next(a for a in actions_of(form) if a.get("verb") == "watch.save")
    assert save["data"] == {"base_revision": 1}

    bad = {
        **inputs,
        "base_revision": 1,
        "names": "Velora, Vélora, velora",
        "competitors": inputs["competitors"] + "\nPédalo: Pédalo @pedalo-bikes\nVide:",
        "languages": "fr, english",
    }
    body = await setup.invoke("watch.save", bad)
    text = card_text(body["value"])
    assert "Rien n'est enregistré : 4 problème(s) à corriger." in text
    assert "Noms et graphies — « velora » figure deux fois (n° 1 et 3" in text
    assert "Concurrents, ligne 4 — un compte X, c'est 1 à 15 lettres" in text
    assert "Concurrents, ligne 5 — ne doit pas être vide" in text
    assert "Langues — « english » n'est pas un code de langue" in text
    assert input_values(body["value"])["names"] == "Velora, Vélora, velora"  # shown again as typed

    good = {
        **bad,
        "names": "Velora, Vélora, Velora Bikes",
        "competitors": "Rouleo: Rouleo @rouleo, -Rouleo Bar\nPédalo: Pédalo, Pedalo @pedalo_bikes",
        "spokespeople": "Camille Arnaud (CEO): @camille_arnaud\nLéa Morel",
        "languages": "fr",
    }
    body = await setup.invoke("watch.save", good, locale="en-US")
    assert "Watch profile saved: revision 2." in card_text(body["value"])
    stored = await setup.profiles.current(TENANT)
    profile = stored.profile
    assert stored.revision == 2 and stored.by == "aad-alice"
    assert profile.names == ["Velora", "Vélora", "Velora Bikes"]
    assert [(c.name, c.names, c.handles, c.exclusions) for c in profile.competitors] == [
        ("Rouleo", ["Rouleo"], ["rouleo"], ["Rouleo Bar"]),
        ("Pédalo", ["Pédalo", "Pedalo"], ["pedalo_bikes"], []),
    ]
    assert [(p.name, p.role, p.handles) for p in profile.spokespeople] == [
        ("Camille Arnaud", "CEO", ["camille_arnaud"]),
        ("Léa Morel", "", []),
    ]
    assert profile.languages == ["fr"] and profile.keywords[0] == "#Velora"
    assert "Revision 2, changed by Alice on 2026-11-28 08:00 UTC" in card_text(body["value"])

    body = await setup.invoke("watch.save", {**good, "names": "Velora"})  # still on revision 1
    text = card_text(body["value"])
    assert "Le profil de veille a changé entre-temps (révision 2, vous étiez sur la 1)" in text
    assert (await setup.profiles.current(TENANT)).profile.names == profile.names

    body = await setup.invoke("watch.save", {**good, "base_revision": 2})
    assert "Rien n'a changé" in card_text(body["value"])


# -- files ---------------------------------------------------------------------------------------


@pytest.fixture
async def file_server() -> AsyncIterator[str]:
    app = web.Application()

    async def good(request: web.Request) -> web.Response:
        return web.Response(
            text=DEFAULT_YAML.replace("  - Cyclaro\n", "  - Cyclaro\n  - Cyclaró\n")
        )

    app.router.add_get("/veille.yaml", good)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


def _file(url: str, name: str = "veille.yaml") -> dict[str, Any]:
    return {
        "contentType": "application/vnd.microsoft.teams.file.download.info",
        "name": name,
        "content": {"downloadUrl": url, "uniqueId": "abc", "fileType": name.rsplit(".", 1)[-1]},
    }


async def test_a_yaml_file_is_imported_and_other_hosts_are_refused(
    setup: Setup, file_server: str
) -> None:
    messages = await setup.say(
        "importer profil de veille", attachments=[_file(file_server + "/veille.yaml")]
    )
    assert "c'est la révision 2" in message_text(messages[0])
    assert (await setup.profiles.get(TENANT)).competitors[2].names == ["Cyclaro", "Cyclaró"]
    [reply] = await setup.say(
        "importer profil de veille", attachments=[_file("https://evil.example.com/v.yaml")]
    )
    assert (
        reply["text"]
        == "Je ne peux pas lire ce fichier (il ne vient pas de SharePoint ou OneDrive)."
    )
    [reply] = await setup.say(
        "importer profil de veille", attachments=[_file(file_server + "/veille.yaml", "v.docx")]
    )
    assert reply["text"] == "Je ne peux pas lire ce fichier (ce n'est pas un fichier .yaml)."


# -- recognising the command ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "profil de veille",
        "Montre le profil de veille",
        "modifier la veille",
        "importer profil de veille",
        "exporter profil de veille",
        "watch profile",
        "import watch profile",
        "export watch profile",
        "edit watch profile",
        "<at>Pulse</at> profil de veille",
        "veille",
    ],
)
def test_watch_commands(text: str) -> None:
    assert is_watch_command(text)


@pytest.mark.parametrize(
    "text",
    ["qu'est-ce qu'on disait la veille ?", "et la veille ?", "qu'est-ce qu'on dit de nous ?"],
)
def test_not_watch_commands(text: str) -> None:
    assert not is_watch_command(text)
