"""A size cap on what a model server may send back, below the openai client.

The openai client reads a whole response body into memory and parses it: a hostile or broken
OpenAI-compatible server could send hundreds of megabytes. `SizeCappedTransport` wraps the
client's httpx2 transport:

- it asks for an uncompressed body (`Accept-Encoding: identity`) and refuses a compressed one
  (a small compressed body can inflate without bound);
- it refuses a declared `Content-Length` over the cap before reading anything;
- it counts the bytes as they arrive and stops at the cap (chunked bodies, lying lengths).

Either way `ResponseTooLarge` is raised before any byte is parsed; it is an `openai.OpenAIError`,
so the client passes it through unwrapped and unretried, and the engine maps it to the
`response_too_large` error code (the services then use the offline engine).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Final

import httpx2
import openai

__all__ = ["DEFAULT_MAX_RESPONSE_BYTES", "ResponseTooLarge", "SizeCappedTransport"]

DEFAULT_MAX_RESPONSE_BYTES: Final = 1_000_000
_IDENTITY: Final = frozenset({"", "identity"})


class ResponseTooLarge(openai.OpenAIError):
    """The model server's response is over the byte cap (or compressed): not read further."""

    def __init__(self, limit: int, detail: str) -> None:
        super().__init__(f"model response refused: {detail} (cap {limit} bytes)")
        self.limit = limit


class _CappedStream(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, limit: int) -> None:
        self._inner = inner
        self._limit = limit

    async def __aiter__(self) -> AsyncIterator[bytes]:
        seen = 0
        async for chunk in self._inner:
            seen += len(chunk)
            if seen > self._limit:
                await self._inner.aclose()
                raise ResponseTooLarge(self._limit, f"more than {self._limit} bytes")
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class SizeCappedTransport(httpx2.AsyncBaseTransport):
    """`inner` (by default the client's usual transport) with a cap on response bodies."""

    def __init__(
        self,
        max_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        inner: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        if max_bytes < 1024:
            raise ValueError("max_bytes must be at least 1024")
        self.max_bytes = max_bytes
        self._inner = inner or httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        request.headers["Accept-Encoding"] = "identity"
        response = await self._inner.handle_async_request(request)
        encoding = response.headers.get("content-encoding", "").strip().lower()
        declared = response.headers.get("content-length", "").strip()
        problem = None
        if encoding not in _IDENTITY:
            problem = f"compressed body ({encoding})"
        elif declared.isdigit() and int(declared) > self.max_bytes:
            problem = f"declared length {declared}"
        if problem is not None:
            await response.aclose()
            raise ResponseTooLarge(self.max_bytes, problem)
        stream = response.stream
        assert isinstance(stream, httpx2.AsyncByteStream)
        response.stream = _CappedStream(stream, self.max_bytes)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
