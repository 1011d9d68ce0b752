"""Approvals check a draft against the tenant's own editorial line, not the default one."""

from __future__ import annotations

from pathlib import Path

from bot.clients.store.local import LocalDirStore
from bot.domain.defaults import default_editorial_line
from bot.domain.drafts import Person
from bot.domain.editorial import EditorialLine
from tests.approvals.conftest import FakeClock, make_services


async def test_the_tenant_line_is_the_one_checked(tmp_path: Path) -> None:
    approvals, _ = make_services(LocalDirStore(tmp_path), FakeClock())
    text = "Un vélo révolutionnaire, fabriqué à Lyon."
    default_report = (
        (await approvals.submit("t1", Person("aad-a", "A"), text, "fr")).versions[-1].report
    )
    assert "term.avoided" in {f["code"] for f in default_report["findings"]}

    lenient = default_editorial_line().model_copy(
        update={"avoid": type(default_editorial_line().avoid)()}
    )

    async def tenant_line(tenant_id: str) -> EditorialLine:
        assert tenant_id == "t2"
        return lenient

    approvals.line_for = tenant_line
    report = (await approvals.submit("t2", Person("aad-a", "A"), text, "fr")).versions[-1].report
    assert "term.avoided" not in {f["code"] for f in report["findings"]}
