"""The Teams app package: filled manifest and fr.json against the official schemas, icons, zip."""

from __future__ import annotations

import copy
import importlib.util
import json
import os
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from PIL import Image

from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_DIR = ROOT / "manifest"


def _load_build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "pulse_build_package", ROOT / "scripts" / "build_package.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


bp = _load_build_module()

TEMPLATE: dict[str, Any] = json.loads((MANIFEST_DIR / "manifest.json").read_text("utf-8"))
FR: dict[str, Any] = json.loads((MANIFEST_DIR / "fr.json").read_text("utf-8"))
NEWEST_GA = "1.30"
COMMANDS = ["help", "pulse", "crisis", "trends", "draft", "explain", "briefing"]
DEMO_VALUES = bp.PackageValues(
    teams_app_id=bp.DEMO_APP_ID, bot_id=bp.DEMO_APP_ID, version="0.1.0", public_domain=None
)
PROD_VALUES = bp.PackageValues(
    teams_app_id="6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b",
    bot_id="0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
    version="1.2.3",
    public_domain="pulse.contoso.example",
)


@pytest.fixture(scope="module")
def schemas() -> tuple[dict[str, Any], dict[str, Any]]:
    folder = bp.schema_dir(NEWEST_GA)
    if not (folder / bp.MANIFEST_SCHEMA_NAME).is_file():
        reason = (
            f"the official Teams schemas are missing ({folder}); "
            "run `npm ci --prefix tools` to install @microsoft/app-manifest"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return (
        bp.load_schema(NEWEST_GA, bp.MANIFEST_SCHEMA_NAME),
        bp.load_schema(NEWEST_GA, bp.LOCALIZATION_SCHEMA_NAME),
    )


# -- the template ---------------------------------------------------------------------------


def test_template_targets_the_newest_ga_schema() -> None:
    assert TEMPLATE["manifestVersion"] == NEWEST_GA
    assert TEMPLATE["$schema"] == (
        f"https://developer.microsoft.com/en-us/json-schemas/teams/v{NEWEST_GA}/MicrosoftTeams.schema.json"
    )
    released = sorted(
        (p.name for p in bp.SCHEMA_ROOT.glob("v1.*")),
        key=lambda name: tuple(int(n) for n in name[1:].split(".")),
    )
    if released:  # the newest GA schema the pinned package bundles (vDevPreview is not GA)
        assert released[-1] == f"v{NEWEST_GA}"


def test_template_has_placeholders_not_ids() -> None:
    text = (MANIFEST_DIR / "manifest.json").read_text("utf-8")
    for token in ("${{TEAMS_APP_ID}}", "${{BOT_ID}}", "${{APP_VERSION}}", "${{PUBLIC_DOMAIN}}"):
        assert token in text


def test_bot_scopes_and_commands() -> None:
    (bot,) = TEMPLATE["bots"]
    assert set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert bot["supportsFiles"] is False
    (command_list,) = bot["commandLists"]
    titles = [c["title"] for c in command_list["commands"]]
    assert titles == COMMANDS
    assert all(c.get("description") for c in command_list["commands"])
    assert TEMPLATE["localizationInfo"]["defaultLanguageTag"] == "en-us"


def test_every_command_is_translated_in_french() -> None:
    commands = TEMPLATE["bots"][0]["commandLists"][0]["commands"]
    for i, _ in enumerate(commands):
        for field in ("title", "description"):
            key = f"bots[0].commandLists[0].commands[{i}].{field}"
            assert FR.get(key), f"fr.json lacks {key}"
    for key in ("name.short", "name.full", "description.short", "description.full"):
        assert FR.get(key), f"fr.json lacks {key}"
    assert FR["description.full"] != TEMPLATE["description"]["full"]


# -- filling and schema validation ----------------------------------------------------------


@pytest.mark.parametrize("values", [DEMO_VALUES, PROD_VALUES], ids=["demo", "production"])
def test_filled_manifest_is_valid(values: Any, schemas: Any) -> None:
    manifest = bp.fill_manifest(copy.deepcopy(TEMPLATE), values)
    assert "${{" not in json.dumps(manifest)
    assert manifest["id"] == values.teams_app_id
    assert manifest["bots"][0]["botId"] == values.bot_id
    assert manifest["version"] == values.version
    expected_domains = [values.public_domain] if values.public_domain else []
    assert manifest["validDomains"] == expected_domains
    problems, localizations = bp.validate_package(manifest)
    assert problems == []
    assert set(localizations) == {"fr.json"}


def test_fr_json_is_valid(schemas: Any) -> None:
    _, localization_schema = schemas
    assert bp.validate_against_schema(FR, localization_schema, "fr.json") == []
    assert FR["$schema"].endswith(f"/v{NEWEST_GA}/MicrosoftTeams.Localization.schema.json")


def test_the_validator_catches_errors(schemas: Any) -> None:
    manifest_schema, localization_schema = schemas
    bad = bp.fill_manifest(copy.deepcopy(TEMPLATE), DEMO_VALUES)
    bad["manifestVersion"] = "1.29"  # `const` in a draft-04 schema: must still be enforced
    bad["accentColor"] = "green"
    bad["bots"][0]["scopes"].append("everywhere")
    bad["unexpected"] = True
    problems = bp.validate_against_schema(bad, manifest_schema, "manifest.json")
    text = "\n".join(problems)
    for where in ("manifestVersion", "accentColor", "bots/0/scopes/3", "(root)"):
        assert where in text, text
    fr_bad = {**FR, "bots[0].commandLists[0].commands[0].title": "x" * 200, "nope": 1}
    assert len(bp.validate_against_schema(fr_bad, localization_schema, "fr.json")) == 2


def test_fill_rejects_unknown_tokens_and_bad_ids() -> None:
    template = {**copy.deepcopy(TEMPLATE), "name": {"short": "${{NOPE}}"}}
    bad_id = bp.PackageValues(teams_app_id="x", bot_id="y", version="1.0.0", public_domain=None)
    with pytest.raises(bp.PackageError) as err:
        bp.fill_manifest(template, bad_id)
    assert len(err.value.problems) == 3
    assert "${{NOPE}}" in str(err.value)


def _settings(**env: str) -> Settings:
    return Settings(_env_file=None, **env)  # type: ignore[call-arg]


def test_values_from_settings_use_the_demo_guid_without_app_id() -> None:
    demo = bp.values_from_settings(_settings(MICROSOFT_APP_ID=""))
    assert demo.bot_id == bp.DEMO_APP_ID and demo.public_domain is None
    prod = bp.values_from_settings(
        _settings(
            MICROSOFT_APP_ID=PROD_VALUES.bot_id,
            PULSE_PUBLIC_URL="https://pulse.contoso.example:8443/bot",
            PULSE_DEVELOPER_URL="https://contoso.example",
            PULSE_PRIVACY_URL="https://contoso.example/privacy",
            PULSE_TERMS_URL="https://contoso.example/terms",
        )
    )
    assert prod.bot_id == PROD_VALUES.bot_id
    assert prod.public_domain == "pulse.contoso.example"
    assert prod.privacy_url == "https://contoso.example/privacy"
    filled = bp.fill_manifest(copy.deepcopy(TEMPLATE), prod)
    assert filled["developer"]["termsOfUseUrl"] == "https://contoso.example/terms"
    assert "pulse.example.com" not in json.dumps(filled)


def test_package_settings_are_refused_with_a_clear_message() -> None:
    http = _settings(
        MICROSOFT_APP_ID="",
        PULSE_PUBLIC_URL="http://pulse.contoso.example",
        PULSE_PRIVACY_URL="http://contoso.example/privacy",
    )
    with pytest.raises(bp.PackageError) as err:
        bp.values_from_settings(http)
    assert err.value.problems == [
        "PULSE_PUBLIC_URL must be an https:// address (Teams reaches bots over HTTPS only), "
        "not 'http://pulse.contoso.example'",
        "PULSE_PRIVACY_URL must be an https:// address, not 'http://contoso.example/privacy'",
    ]

    tenant_without_links = _settings(
        MICROSOFT_APP_ID=PROD_VALUES.bot_id, PULSE_PUBLIC_URL="https://pulse.contoso.example"
    )
    with pytest.raises(bp.PackageError) as err:
        bp.values_from_settings(tenant_without_links)
    assert [p.split(" ")[0] for p in err.value.problems] == [
        "PULSE_DEVELOPER_URL",
        "PULSE_PRIVACY_URL",
        "PULSE_TERMS_URL",
    ]


# -- icons ----------------------------------------------------------------------------------


def test_color_icon() -> None:
    with Image.open(MANIFEST_DIR / TEMPLATE["icons"]["color"]) as image:
        assert image.format == "PNG"
        assert image.size == (192, 192)


def test_outline_icon_is_white_on_transparent() -> None:
    with Image.open(MANIFEST_DIR / TEMPLATE["icons"]["outline"]) as image:
        assert image.format == "PNG"
        assert image.size == (32, 32)
        rgba = image.convert("RGBA")
    alphas = [rgba.getpixel((x, y))[3] for x in range(32) for y in range(32)]
    assert min(alphas) == 0, "the background must be transparent"
    assert max(alphas) == 255, "the motif must be visible"
    colours = {
        rgba.getpixel((x, y))[:3]
        for x in range(32)
        for y in range(32)
        if rgba.getpixel((x, y))[3] > 0
    }
    assert colours == {(255, 255, 255)}


def test_icon_checks_reject_a_coloured_outline(tmp_path: Path) -> None:
    Image.new("RGBA", (32, 32), (255, 0, 0, 255)).save(tmp_path / "outline.png")
    Image.new("RGBA", (100, 100), (255, 0, 0, 255)).save(tmp_path / "color.png")
    problems = bp.check_icons({"icons": {"color": "color.png", "outline": "outline.png"}}, tmp_path)
    assert len(problems) == 3, problems


# -- the package ----------------------------------------------------------------------------


def test_build_package_zip(tmp_path: Path, schemas: Any) -> None:
    out = bp.build_package(tmp_path / "appPackage.zip", PROD_VALUES)
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["color.png", "fr.json", "manifest.json", "outline.png"]
        assert all("/" not in name for name in zf.namelist())  # Teams wants a flat zip
        manifest = json.loads(zf.read("manifest.json"))
        assert json.loads(zf.read("fr.json")) == FR
        assert zf.read("color.png") == (MANIFEST_DIR / "color.png").read_bytes()
    assert manifest["id"] == PROD_VALUES.teams_app_id
    assert manifest["bots"][0]["botId"] == PROD_VALUES.bot_id
    assert bp.validate_package(manifest)[0] == []


def test_build_package_refuses_an_invalid_manifest(tmp_path: Path, schemas: Any) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("color.png", "outline.png", "fr.json"):
        (source / name).write_bytes((MANIFEST_DIR / name).read_bytes())
    broken = copy.deepcopy(TEMPLATE)
    broken["developer"]["websiteUrl"] = "ftp://pulse.example.com"
    (source / "manifest.json").write_text(json.dumps(broken), "utf-8")
    out = tmp_path / "appPackage.zip"
    with pytest.raises(bp.PackageError) as err:
        bp.build_package(out, DEMO_VALUES, source_dir=source)
    assert "developer/websiteUrl" in str(err.value)
    assert not out.exists()


def test_make_package_installs_what_it_needs() -> None:
    """On a fresh clone, `make package` installs the dev requirements (jsonschema, pillow) and
    the npm tools (the Teams schemas) first, like `make run` does for its own needs."""
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text("utf-8")
    [rule] = [line for line in makefile.splitlines() if line.startswith("package:")]
    assert "$(VENV)/.dev" in rule and "$(TOOLS)/.installed" in rule
    dev = (Path(__file__).resolve().parents[2] / "requirements-dev.txt").read_text("utf-8")
    assert "jsonschema==" in dev and "pillow==" in dev
