"""infra/ (Bicep) and m365agents.yml, checked structurally: no Bicep compiler installs here
from the reachable registries, so the checks parse the files. m365agents.yml is validated
against the Agents Toolkit's own JSON schema (v1.13, MIT, copied from the npm package
@microsoft/m365agentstoolkit-cli 1.1.17: resource/yaml-schema/v1.13/yaml.schema.json)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MAIN = INFRA / "main.bicep"
BICEP_FILES = [MAIN, *sorted((INFRA / "modules").glob("*.bicep"))]
SCHEMA = Path(__file__).with_name("m365agents.v1.13.schema.json")

_COMMENT = re.compile(r"(?:^|(?<=\s))//[^\n]*")
_PARAM = re.compile(r"^((?:@[^\n]*\n)*)param (\w+) (\w+)(?: = ([^\n]+))?$", re.M)
_MODULE = re.compile(r"^module (\w+) '([^']+)' = \{(.*?)^\}", re.M | re.S)


def code(path: Path) -> str:
    """The file without comments (`//` after a space or at a line start: not in URLs)."""
    return "\n".join(_COMMENT.sub("", line) for line in path.read_text().splitlines())


def params(path: Path) -> dict[str, tuple[str, str, str | None]]:
    """name -> (decorators, type, default)."""
    return {m.group(2): (m.group(1), m.group(3), m.group(4)) for m in _PARAM.finditer(code(path))}


def settings_aliases() -> set[str]:
    text = (ROOT / "bot" / "config.py").read_text()
    text += (ROOT / "bot" / "clients" / "queue" / "factory.py").read_text()
    return set(re.findall(r'alias="([A-Z0-9_]+)"', text))


def test_every_module_exists_and_gets_its_required_params() -> None:
    modules = list(_MODULE.finditer(code(MAIN)))
    assert {m.group(1) for m in modules} == {
        "identity",
        "monitoring",
        "storage",
        "vault",
        "apps",
        "bot",
    }
    for m in modules:
        path = (INFRA / m.group(2)).resolve()
        assert path.exists(), m.group(2)
        declared = params(path)
        block = m.group(3).split("params: {", 1)[1]
        passed = set(re.findall(r"^\s{4}(\w+):", block, re.M))
        assert passed <= set(declared), f"{m.group(1)}: unknown params {passed - set(declared)}"
        required = {n for n, (_, _, default) in declared.items() if default is None}
        assert required <= passed, f"{m.group(1)}: missing params {required - passed}"


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.name)
def test_every_param_is_used(path: Path) -> None:
    text = code(path)
    for name in params(path):
        uses = len(re.findall(rf"\b{name}\b", text))
        assert uses >= 2, f"{path.name}: param {name} is never used"


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.name)
def test_secret_params_are_secure_and_have_no_real_default(path: Path) -> None:
    for name, (decorators, type_, default) in params(path).items():
        if re.search(r"(password|token|apikey|secret)$", name, re.I) and "Url" not in name:
            assert "@secure()" in decorators, f"{path.name}: {name} must be @secure()"
            assert type_ == "string"
            assert default in (None, "''"), f"{path.name}: {name} has a default value"


@pytest.mark.parametrize(
    "path",
    [
        *BICEP_FILES,
        INFRA / "main.parameters.json",
        ROOT / "m365agents.yml",
        ROOT / "env" / ".env.dev",
    ],
    ids=lambda p: p.name,
)
def test_no_hard_coded_secrets(path: Path) -> None:
    text = path.read_text()
    for pattern in [
        r"AccountKey=",
        r"SharedAccessSignature=",
        r"\bsk-[A-Za-z0-9]{16,}",
        r"eyJ[A-Za-z0-9_-]{8,}\.",
        r"(?=[A-Za-z0-9+]*\d)(?=[A-Za-z0-9+]*[a-z])(?=[A-Za-z0-9+]*[A-Z])[A-Za-z0-9+]{40,}={0,2}",
        r"InstrumentationKey=",
    ]:
        assert not re.search(pattern, text), f"{path.name}: {pattern}"
    if path.name == ".env.dev":
        for line in text.splitlines():
            assert not re.match(r"SECRET_\w+=\S", line), "secrets go to .env.dev.user"


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.name)
def test_resources_use_dated_stable_api_versions(path: Path) -> None:
    versions = re.findall(r"^resource \w+ '([\w./]+)@([^']+)'", code(path), re.M)
    assert versions or path.name == "main.bicep"
    for type_, version in versions:
        assert re.fullmatch(r"20\d\d-\d\d-\d\d", version), f"{type_}@{version}: GA versions only"
        assert version >= "2020-02-02", f"{type_}@{version} is old"


def container_env(app: str) -> tuple[set[str], str]:
    text = code(INFRA / "modules" / "containerapps.bicep")
    common = text.split("var commonEnv", 1)[1].split("var registries", 1)[0]
    optional = text.split("var optionalEnv", 1)[1].split("var commonEnv", 1)[0]
    secret = text.split("var secretEnv", 1)[1].split("var optionalEnv", 1)[0]
    block = text.split(f"resource {app} 'Microsoft.App/containerApps", 1)[1]
    block = re.split(r"\n(?:resource|output) ", block, maxsplit=1)[0]
    names = set(re.findall(r"name: '([A-Z][A-Z0-9_]+)'", common + optional + secret + block))
    return names, block


@pytest.mark.parametrize("app", ["web", "worker"])
def test_app_settings_match_the_settings_aliases(app: str) -> None:
    names, _ = container_env(app)
    unknown = names - settings_aliases() - {"AZURE_CLIENT_ID"}  # read by azure-identity
    assert not unknown, f"not settings of Pulse: {unknown}"
    assert {
        "PULSE_MODE",
        "MICROSOFT_APP_ID",
        "MICROSOFT_APP_TENANT_ID",
        "MICROSOFT_APP_TYPE",
        "MICROSOFT_APP_PASSWORD",
        "STORAGE_BACKEND",
        "AZURE_STORAGE_ACCOUNT_URL",
        "AZURE_STORAGE_CONTAINER",
        "APPLICATIONINSIGHTS_CONNECTION_STRING",
        "PULSE_QUEUE_BACKEND",
        "AZURE_STORAGE_QUEUE_URL",
        "PULSE_QUEUE_NAME",
        "X_BEARER_TOKEN",
        "OPENAI_API_KEY",
        "OTEL_SERVICE_NAME",
    } <= names
    text = code(INFRA / "modules" / "containerapps.bicep")
    assert "{ name: 'STORAGE_BACKEND', value: 'blob' }" in text
    assert "{ name: 'PULSE_QUEUE_BACKEND', value: 'azure' }" in text
    for secret in ("MICROSOFT_APP_PASSWORD", "X_BEARER_TOKEN", "OPENAI_API_KEY"):
        assert re.search(rf"name: '{secret}', secretRef: '[a-z-]+'", text), secret
    assert (
        "keyVaultUrl:" in text
        and re.search(r"\bvalue: (botAppPassword|xBearerToken)", text) is None
    )


def test_web_and_worker_probes_scale_and_commands() -> None:
    _, web = container_env("web")
    _, worker = container_env("worker")
    for block in (web, worker):
        assert "type: 'Liveness'" in block and "path: '/healthz'" in block
        assert "type: 'Readiness'" in block and "path: '/readyz'" in block
        assert "minReplicas:" in block and "maxReplicas:" in block
        assert "'UserAssigned'" in block
    assert "http: {" in web and "command: [ 'python', 'app.py' ]" in web
    assert "azureQueue: {" in worker and "command: [ 'python', '-m', 'bot.worker' ]" in worker
    assert "ingress" not in worker


def test_storage_vault_and_bot() -> None:
    storage = code(INFRA / "modules" / "storage.bicep")
    assert "ba92f5b4-2d11-453d-a403-e96b0029c9fe" in storage  # Storage Blob Data Contributor
    assert "974c5e8b-45b9-4653-ba55-5f855dd0fb88" in storage  # Storage Queue Data Contributor
    assert "allowSharedKeyAccess: false" in storage
    assert "name: '${queueName}-poison'" in storage
    vault = code(INFRA / "modules" / "keyvault.bicep")
    assert "enableRbacAuthorization: true" in vault
    assert "4633458b-17de-408a-b874-0445c86b69e6" in vault  # Key Vault Secrets User
    bot = code(INFRA / "modules" / "bot.bicep")
    assert "'MsTeamsChannel'" in bot and "msaAppType: msaAppType" in bot
    assert "@allowed([ 'SingleTenant', 'UserAssignedMSI' ])" in bot  # never multi-tenant


def test_main_outputs_feed_the_teams_manifest() -> None:
    outputs = set(re.findall(r"^output (\w+) ", code(MAIN), re.M))
    assert {
        "BOT_ID",
        "PUBLIC_DOMAIN",
        "BOT_DOMAIN",
        "BOT_ENDPOINT",
        "WEB_APP_NAME",
        "WORKER_APP_NAME",
    } <= outputs
    manifest = (ROOT / "manifest" / "manifest.json").read_text()
    placeholders = set(re.findall(r"\$\{\{(\w+)\}\}", manifest))
    assert placeholders == {
        "TEAMS_APP_ID",
        "BOT_ID",
        "APP_VERSION",
        "PUBLIC_DOMAIN",
        "DEVELOPER_URL",
        "PRIVACY_URL",
        "TERMS_URL",
    }
    env_dev = set(re.findall(r"^(\w+)=", (ROOT / "env" / ".env.dev").read_text(), re.M))
    assert placeholders <= env_dev | outputs | {"TEAMS_APP_ID"}


def test_parameters_file_placeholders_are_defined() -> None:
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    declared = params(MAIN)
    assert set(parameters) <= set(declared)
    env_dev = set(re.findall(r"^(\w+)=", (ROOT / "env" / ".env.dev").read_text(), re.M))
    used = set(re.findall(r"\$\{\{(\w+)\}\}", (INFRA / "main.parameters.json").read_text()))
    secrets = {u for u in used if u.startswith("SECRET_")}
    assert used - secrets <= env_dev
    documented = (ROOT / "env" / ".env.dev").read_text()
    assert all(s in documented for s in secrets)


def test_m365agents_yml_is_valid_and_has_every_stage() -> None:
    project = yaml.safe_load((ROOT / "m365agents.yml").read_text())
    jsonschema.validate(project, json.loads(SCHEMA.read_text()))
    uses = {
        stage: [a["uses"] for a in project[stage]] for stage in ("provision", "deploy", "publish")
    }
    assert uses["provision"][:2] == ["teamsApp/create", "arm/deploy"]
    for action in ("teamsApp/zipAppPackage", "teamsApp/validateAppPackage", "teamsApp/update"):
        assert action in uses["provision"] and action in uses["publish"]
    assert uses["publish"][-1] == "teamsApp/publishAppPackage"
    assert uses["deploy"] and set(uses["deploy"]) == {"script"}
    arm = project["provision"][1]["with"]["templates"][0]
    assert (ROOT / arm["path"]).exists() and (ROOT / arm["parameters"]).exists()
    zips = [a for a in project["provision"] if a["uses"] == "teamsApp/zipAppPackage"]
    assert (ROOT / zips[0]["with"]["manifestPath"]).exists()


def test_user_env_files_are_ignored() -> None:
    ignore = (ROOT / "env" / ".gitignore").read_text()
    assert ".env.*.user" in ignore
