"""Shared test configuration. Every server a test starts binds 127.0.0.1 on a port the OS picks."""

from __future__ import annotations

import os

# Tests never read a developer's .env, and never reach the network beyond loopback.
os.environ.setdefault("PULSE_ENV_FILE", "")
