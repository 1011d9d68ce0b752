"""Fixtures of the scale tests: Azurite (blob and queue) and the running-app factory of the
Teams tests."""

from __future__ import annotations

from tests.support.azurite import azurite_blob, azurite_queue
from tests.teams.conftest import connector, make_pulse

__all__ = ["azurite_blob", "azurite_queue", "connector", "make_pulse"]
