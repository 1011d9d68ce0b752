"""Build the Teams app package `build/appPackage.zip` from the manifest template and settings.

`manifest/manifest.json` is a template: `${{TOKEN}}` placeholders are filled from the settings
(`bot.config.load_settings`), the filled manifest and every localization file are validated
against the official JSON schemas bundled by the npm package `@microsoft/app-manifest`
(tools/node_modules), the icons are checked, and only then is the zip written.

    .venv/bin/python scripts/build_package.py [--out build/appPackage.zip]

Placeholders:
    ${{TEAMS_APP_ID}}   the Teams app id: PULSE_TEAMS_APP_ID, else MICROSOFT_APP_ID, else demo GUID
    ${{BOT_ID}}         the bot's Microsoft App ID (MICROSOFT_APP_ID), else the demo GUID
    ${{APP_VERSION}}    [project].version from pyproject.toml
    ${{PUBLIC_DOMAIN}}  the host of PULSE_PUBLIC_URL (https only: an http:// URL is refused);
                        the validDomains entry is dropped without it
    ${{DEVELOPER_URL}}, ${{PRIVACY_URL}}, ${{TERMS_URL}}
                        PULSE_DEVELOPER_URL, PULSE_PRIVACY_URL, PULSE_TERMS_URL (https): required
                        with a real MICROSOFT_APP_ID; placeholders on pulse.example.com for the
                        demo package

The module is also imported by tests/manifest (`fill_manifest`, `validate_against_schema`, ...).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tomllib
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from bot.config import Settings

ROOT = Path(__file__).resolve().parent.parent
MANIFEST_DIR = ROOT / "manifest"
TEMPLATE = MANIFEST_DIR / "manifest.json"
DEFAULT_OUT = ROOT / "build" / "appPackage.zip"
SCHEMA_ROOT = (
    ROOT
    / "tools"
    / "node_modules"
    / "@microsoft"
    / "app-manifest"
    / "build"
    / "json-schemas"
    / "teams"
)
MANIFEST_SCHEMA_NAME = "MicrosoftTeams.schema.json"
LOCALIZATION_SCHEMA_NAME = "MicrosoftTeams.Localization.schema.json"

DEMO_APP_ID = "00000000-0000-0000-0000-000000000000"
COLOR_SIZE = (192, 192)
OUTLINE_SIZE = (32, 32)

_TOKEN = re.compile(r"\$\{\{([A-Z][A-Z0-9_]*)\}\}")
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


class PackageError(Exception):
    """The package cannot be built; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"The Teams app package is invalid ({len(problems)} problem(s)):\n{lines}")


PLACEHOLDER_LINKS = {
    "developer_url": "https://pulse.example.com",
    "privacy_url": "https://pulse.example.com/privacy",
    "terms_url": "https://pulse.example.com/terms",
}
LINK_SETTINGS = {
    "developer_url": "PULSE_DEVELOPER_URL",
    "privacy_url": "PULSE_PRIVACY_URL",
    "terms_url": "PULSE_TERMS_URL",
}


@dataclass(frozen=True)
class PackageValues:
    """The values the template's placeholders are filled with."""

    teams_app_id: str
    bot_id: str
    version: str
    public_domain: str | None
    developer_url: str = PLACEHOLDER_LINKS["developer_url"]
    privacy_url: str = PLACEHOLDER_LINKS["privacy_url"]
    terms_url: str = PLACEHOLDER_LINKS["terms_url"]

    def tokens(self) -> dict[str, str]:
        return {
            "TEAMS_APP_ID": self.teams_app_id,
            "BOT_ID": self.bot_id,
            "APP_VERSION": self.version,
            "PUBLIC_DOMAIN": self.public_domain or "",
            "DEVELOPER_URL": self.developer_url,
            "PRIVACY_URL": self.privacy_url,
            "TERMS_URL": self.terms_url,
        }


def project_version() -> str:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def values_from_settings(settings: Settings | None = None) -> PackageValues:
    """Read the placeholder values from `bot.config.load_settings()` (or the given settings)."""
    if settings is None:
        sys.path.insert(0, str(ROOT))
        from bot.config import load_settings

        settings = load_settings()
    app_id = settings.bot.app_id.strip() or DEMO_APP_ID
    teams_app_id = os.environ.get("PULSE_TEAMS_APP_ID", "").strip() or app_id
    problems: list[str] = []
    listing = settings.app
    public_url = (listing.public_url or "").strip() or None
    domain = None
    if public_url:
        parts = urlsplit(public_url)
        if parts.scheme != "https" or not parts.hostname:
            problems.append(
                f"PULSE_PUBLIC_URL must be an https:// address (Teams reaches bots over HTTPS "
                f"only), not {public_url!r}"
            )
        else:
            domain = parts.hostname
    links: dict[str, str] = {}
    configured = {
        "developer_url": listing.developer_url,
        "privacy_url": listing.privacy_url,
        "terms_url": listing.terms_url,
    }
    for field, variable in LINK_SETTINGS.items():
        value = (configured[field] or "").strip()
        if not value:
            if app_id != DEMO_APP_ID:
                problems.append(f"{variable} is required for a real tenant's package (https)")
            links[field] = PLACEHOLDER_LINKS[field]
        elif urlsplit(value).scheme != "https" or not urlsplit(value).hostname:
            problems.append(f"{variable} must be an https:// address, not {value!r}")
        else:
            links[field] = value
    if problems:
        raise PackageError(problems)
    return PackageValues(
        teams_app_id=teams_app_id,
        bot_id=app_id,
        version=project_version(),
        public_domain=domain,
        **links,
    )


def _fill(node: Any, tokens: dict[str, str], missing: set[str]) -> Any:
    if isinstance(node, dict):
        return {key: _fill(value, tokens, missing) for key, value in node.items()}
    if isinstance(node, list):
        return [_fill(item, tokens, missing) for item in node]
    if isinstance(node, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in tokens:
                missing.add(name)
                return match.group(0)
            return tokens[name]

        return _TOKEN.sub(replace, node)
    return node


def fill_manifest(template: dict[str, Any], values: PackageValues) -> dict[str, Any]:
    """Replace every `${{TOKEN}}`; raise `PackageError` for unknown tokens or bad ids."""
    missing: set[str] = set()
    filled: dict[str, Any] = _fill(template, values.tokens(), missing)
    problems = [f"unknown placeholder ${{{{{name}}}}} in the template" for name in sorted(missing)]
    if "validDomains" in filled:
        filled["validDomains"] = [d for d in filled["validDomains"] if d]
    for label, value in (("Teams app id", values.teams_app_id), ("bot id", values.bot_id)):
        if not _GUID.match(value):
            problems.append(f"the {label} {value!r} is not a GUID (check MICROSOFT_APP_ID)")
    if problems:
        raise PackageError(problems)
    return filled


# -- schema validation ---------------------------------------------------------------------------


def schema_dir(manifest_version: str) -> Path:
    return SCHEMA_ROOT / f"v{manifest_version}"


def load_schema(manifest_version: str, name: str) -> dict[str, Any]:
    path = schema_dir(manifest_version) / name
    if not path.is_file():
        raise PackageError(
            [
                f"schema not found: {path} — run `npm ci --prefix tools` to install "
                "@microsoft/app-manifest, and check that manifestVersion names a released schema"
            ]
        )
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return schema


def _search(pattern: str, text: str) -> bool:
    """`re.search`, or the `regex` module for ECMA-262 features `re` lacks (`\\p{L}`)."""
    try:
        return re.search(pattern, text) is not None
    except re.error:
        try:
            import regex
        except ImportError:  # only the extensions' function names use \\p{L}: Pulse has none
            return True
        return regex.search(pattern, text) is not None


def _pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    from jsonschema.exceptions import ValidationError

    if validator.is_type(instance, "string") and not _search(pattern, instance):
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


def _validator_for(schema: dict[str, Any]) -> Any:
    """A validator for the dialect the schema declares, never reaching the network.

    The Teams schemas declare draft-04 but use `const` (draft-06), as Microsoft's own tooling
    (ajv-draft-04) does: the draft-04 validator is extended with `const`. Their patterns are
    ECMA-262 regexes (`\\p{L}`), which Python's `re` cannot always compile: `pattern` falls back
    to the `regex` module, and the meta-schema check skips the `regex` format.
    """
    from jsonschema import Draft4Validator, Draft6Validator, FormatChecker, validators
    from referencing import Registry
    from referencing.exceptions import NoSuchResource

    def no_remote(uri: str) -> Any:
        # Offline: every $ref must resolve inside the schema.
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]

    base = validators.validator_for(schema, default=Draft4Validator)
    keywords: dict[str, Any] = {"pattern": _pattern}
    if base is Draft4Validator:
        keywords["const"] = Draft6Validator.VALIDATORS["const"]
    cls = validators.extend(base, keywords)
    meta = validators.validator_for(cls.META_SCHEMA)(cls.META_SCHEMA)
    meta.validate(schema)  # the schema itself is well formed (formats not checked)
    formats = FormatChecker()
    formats.checkers.pop("regex", None)
    return cls(
        schema,
        format_checker=formats,
        registry=Registry(retrieve=no_remote),  # type: ignore[call-arg]
    )


def validate_against_schema(document: Any, schema: dict[str, Any], label: str) -> list[str]:
    """Every schema error, as `label: path: message` lines (empty when valid)."""
    validator = _validator_for(schema)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    problems = []
    for error in errors:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        problems.append(f"{label}: {where}: {error.message}")
    return problems


def localization_files(manifest: dict[str, Any]) -> list[str]:
    info = manifest.get("localizationInfo") or {}
    files = [lang["file"] for lang in info.get("additionalLanguages", [])]
    if info.get("defaultLanguageFile"):
        files.append(info["defaultLanguageFile"])
    return files


def check_icons(manifest: dict[str, Any], source_dir: Path) -> list[str]:
    """Teams' icon rules: color 192×192; outline 32×32, transparent, white-only."""
    from PIL import Image

    problems: list[str] = []
    icons = manifest.get("icons", {})
    color_path = source_dir / icons.get("color", "color.png")
    outline_path = source_dir / icons.get("outline", "outline.png")
    for path in (color_path, outline_path):
        if not path.is_file():
            problems.append(f"icon missing: {path}")
    if problems:
        return problems
    with Image.open(color_path) as color:
        if color.format != "PNG":
            problems.append(f"{color_path.name}: must be a PNG, is {color.format}")
        if color.size != COLOR_SIZE:
            problems.append(
                f"{color_path.name}: must be 192×192, is {color.size[0]}×{color.size[1]}"
            )
    with Image.open(outline_path) as outline:
        if outline.format != "PNG":
            problems.append(f"{outline_path.name}: must be a PNG, is {outline.format}")
        if outline.size != OUTLINE_SIZE:
            problems.append(
                f"{outline_path.name}: must be 32×32, is {outline.size[0]}×{outline.size[1]}"
            )
        problems.extend(_outline_pixel_problems(outline.convert("RGBA"), outline_path.name))
    return problems


def _outline_pixel_problems(image: Any, name: str) -> list[str]:
    problems = []
    alpha = image.getchannel("A")
    if alpha.getextrema()[0] != 0:
        problems.append(f"{name}: the background must be transparent (no pixel has alpha 0)")
    non_white = 0
    for y in range(image.height):
        for x in range(image.width):
            r, g, b, a = image.getpixel((x, y))
            if a and (r, g, b) != (255, 255, 255):
                non_white += 1
    if non_white:
        problems.append(
            f"{name}: only white or transparent pixels are allowed ({non_white} are not)"
        )
    return problems


def validate_package(
    manifest: dict[str, Any], source_dir: Path = MANIFEST_DIR
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """Validate the filled manifest, its localization files and icons.

    Returns (problems, {localization file name: parsed content}).
    """
    problems: list[str] = []
    version = str(manifest.get("manifestVersion", ""))
    schema = load_schema(version, MANIFEST_SCHEMA_NAME)
    expected_schema_url = f"https://developer.microsoft.com/en-us/json-schemas/teams/v{version}/{MANIFEST_SCHEMA_NAME}"
    if manifest.get("$schema") != expected_schema_url:
        problems.append(f"manifest.json: $schema should be {expected_schema_url}")
    problems += validate_against_schema(manifest, schema, "manifest.json")
    localizations: dict[str, dict[str, Any]] = {}
    loc_schema = load_schema(version, LOCALIZATION_SCHEMA_NAME)
    for name in localization_files(manifest):
        path = source_dir / name
        if not path.is_file():
            problems.append(f"{name}: listed in localizationInfo but missing from {source_dir}")
            continue
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            problems.append(f"{name}: not valid JSON: {exc}")
            continue
        localizations[name] = content
        problems += validate_against_schema(content, loc_schema, name)
        problems += _localization_key_problems(manifest, content, name)
    problems += check_icons(manifest, source_dir)
    return problems, localizations


_INDEXED_KEY = re.compile(r"^bots\[(\d+)\]\.commandLists\[(\d+)\]\.commands\[(\d+)\]\.(\w+)$")


def _localization_key_problems(
    manifest: dict[str, Any], content: dict[str, Any], name: str
) -> list[str]:
    """A translated command key must point at an existing command of the manifest."""
    problems = []
    for key in content:
        match = _INDEXED_KEY.match(key)
        if not match:
            continue
        b, c, k, field = (
            int(match.group(1)),
            int(match.group(2)),
            int(match.group(3)),
            match.group(4),
        )
        try:
            command = manifest["bots"][b]["commandLists"][c]["commands"][k]
        except (KeyError, IndexError):
            problems.append(f"{name}: {key} names no command of manifest.json")
            continue
        if field not in command:
            problems.append(f"{name}: {key} translates a field manifest.json does not set")
    return problems


# -- the package ---------------------------------------------------------------------------------


def package_members(manifest: dict[str, Any]) -> list[str]:
    icons = manifest["icons"]
    return [icons["color"], icons["outline"], *localization_files(manifest)]


def build_package(
    out: Path = DEFAULT_OUT,
    values: PackageValues | None = None,
    source_dir: Path = MANIFEST_DIR,
) -> Path:
    """Fill, validate and zip; raise `PackageError` listing every problem found."""
    template = json.loads((source_dir / "manifest.json").read_text(encoding="utf-8"))
    manifest = fill_manifest(template, values or values_from_settings())
    problems, _ = validate_package(manifest, source_dir)
    if problems:
        raise PackageError(problems)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for member in package_members(manifest):
            zf.write(source_dir / member, arcname=member)
    tmp.replace(out)
    return out


def _print_problems(lines: Iterable[str]) -> None:
    for line in lines:
        print(line, file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the Teams app package (appPackage.zip).")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default: {DEFAULT_OUT}")
    args = parser.parse_args(argv)
    try:
        values = values_from_settings()
        out = build_package(args.out, values)
    except PackageError as exc:
        _print_problems([str(exc)])
        return 1
    except Exception as exc:  # a ConfigError from the settings: print its message, no traceback
        if type(exc).__name__ == "ConfigError":
            _print_problems([str(exc)])
            return 1
        raise
    demo = (
        " (demo placeholder id: set MICROSOFT_APP_ID for a real tenant)"
        if (values.bot_id == DEMO_APP_ID)
        else ""
    )
    print(
        f"wrote {out}: app id {values.teams_app_id}, bot id {values.bot_id}, "
        f"version {values.version}{demo}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
