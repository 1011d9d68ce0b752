"""Transport options shared by Pulse's Azure Storage clients (blob and queue).

The SDK's default retries wait 15 s, 18 s, 24 s: far too long inside a Teams turn. Both clients
retry a little, quickly, and give up within their time budget."""

from __future__ import annotations

from typing import Any


def transport_options(
    retry_class: type[Any], *, timeout_s: float, retry_total: int, retry_backoff_s: float
) -> dict[str, Any]:
    """`retry_class`: the package's async `LinearRetry` (blob and queue each ship their own)."""
    return {
        "retry_policy": retry_class(
            backoff=retry_backoff_s,
            retry_total=retry_total,
            random_jitter_range=retry_backoff_s / 2,
        ),
        "connection_timeout": min(timeout_s, max(0.5, timeout_s / 3)),
        "read_timeout": max(0.5, timeout_s / 2),
    }
