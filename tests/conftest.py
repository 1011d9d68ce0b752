"""Shared test configuration. Every server a test starts binds 127.0.0.1 on a port the OS picks."""

from __future__ import annotations
