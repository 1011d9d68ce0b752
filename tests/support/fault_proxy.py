"""A small asyncio TCP proxy that injects faults in front of a real server (e.g. Azurite).

    proxy = FaultProxy("127.0.0.1", azurite.port)
    await proxy.start()                       # listens on 127.0.0.1:<proxy.port>
    proxy.set_mode(Fault.HTTP_503)            # every new connection gets "503 Server Busy"
    proxy.set_mode(Fault.PASS)                # healthy again
    proxy.fail_next(2, Fault.HTTP_503)        # the next 2 connections fail, then PASS
    await proxy.close()

Modes apply per connection. Changing the mode drops the connections open at that moment, so a
client's pooled keep-alive connection cannot dodge the new mode.

- PASS: bytes are piped both ways.
- HTTP_503: reads one request (headers + Content-Length body), answers 503 with an Azure-style
  error body, closes.
- BLOCK_LIMIT: like HTTP_503, with Azure's answer to an append on a full append blob (409
  BlockCountExceedsLimit), which Azurite only gives after 50,000 appends.
- RESET: the connection is reset (RST) as soon as it is accepted.
- STALL: accepts and reads, never answers (until the mode changes or the proxy closes).
- CUT_REQUEST: forwards only the first `cut_bytes` of the request to the server, then resets
  both sides: the server sees a truncated upload.
- DROP_RESPONSE: forwards the whole request, swallows the response and stalls: the server did
  the work, the client never hears of it.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import socket
import struct


class Fault(enum.Enum):
    PASS = "pass"
    HTTP_503 = "503"
    BLOCK_LIMIT = "409-block-limit"
    RESET = "reset"
    STALL = "stall"
    CUT_REQUEST = "cut_request"
    DROP_RESPONSE = "drop_response"


_BODY_503 = (
    b'<?xml version="1.0" encoding="utf-8"?><Error><Code>ServerBusy</Code>'
    b"<Message>Injected fault: server busy.</Message></Error>"
)
_BODY_409 = (
    b'<?xml version="1.0" encoding="utf-8"?><Error><Code>BlockCountExceedsLimit</Code>'
    b"<Message>The committed block count cannot exceed the maximum limit of 50,000 blocks."
    b"</Message></Error>"
)
_CANNED: dict[Fault, tuple[bytes, bytes, bytes]] = {
    Fault.HTTP_503: (b"503 Server Busy", b"ServerBusy", _BODY_503),
    Fault.BLOCK_LIMIT: (b"409 Conflict", b"BlockCountExceedsLimit", _BODY_409),
}


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int, *, cut_bytes: int = 1024) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.cut_bytes = cut_bytes
        self.mode = Fault.PASS
        self._queued: list[Fault] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0
        self.port = 0

    async def start(self) -> FaultProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def set_mode(self, mode: Fault) -> None:
        self.mode = mode
        self._queued.clear()
        self.drop_connections()

    def fail_next(self, count: int, mode: Fault) -> None:
        """The next `count` connections get `mode`, later ones the current mode."""
        self._queued = [mode] * count
        self.drop_connections()

    def drop_connections(self) -> None:
        for writer in list(self._writers):
            _reset(writer)
        self._writers.clear()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        self.drop_connections()
        if self._tasks:
            _done, pending = await asyncio.wait(list(self._tasks), timeout=2)
            for task in pending:
                task.cancel()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    async def __aenter__(self) -> FaultProxy:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- connection handling ------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        self.connections += 1
        mode = self._queued.pop(0) if self._queued else self.mode
        upstream_writer: asyncio.StreamWriter | None = None
        try:
            if mode is Fault.RESET:
                _reset(writer)
                return
            if mode in _CANNED:
                status, code, body = _CANNED[mode]
                await _read_request(reader)
                writer.write(
                    b"HTTP/1.1 " + status + b"\r\nContent-Type: application/xml\r\n"
                    b"x-ms-error-code: "
                    + code
                    + b"\r\nConnection: close\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
                writer.close()
                return
            if mode is Fault.STALL:
                while await reader.read(65536):
                    pass  # never answered; ends when the connection is dropped
                return
            up_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
            self._writers.add(upstream_writer)
            if mode is Fault.CUT_REQUEST:
                sent = 0
                while sent < self.cut_bytes:
                    chunk = await reader.read(self.cut_bytes - sent)
                    if not chunk:
                        break
                    upstream_writer.write(chunk)
                    sent += len(chunk)
                await upstream_writer.drain()
                await asyncio.sleep(0.05)
                _reset(upstream_writer)
                _reset(writer)
                return
            if mode is Fault.DROP_RESPONSE:
                upstream_writer.write(await _read_request(reader))
                await upstream_writer.drain()
                await asyncio.gather(_drain(up_reader), _drain(reader))  # answer swallowed
                return
            await asyncio.gather(
                _pipe(reader, upstream_writer), _pipe(up_reader, writer), return_exceptions=True
            )
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            self._writers.discard(writer)
            if upstream_writer is not None:
                self._writers.discard(upstream_writer)
                upstream_writer.close()
            writer.close()
            self._tasks.discard(task)


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    finally:
        with contextlib.suppress(Exception):
            writer.write_eof()


async def _drain(reader: asyncio.StreamReader) -> None:
    with contextlib.suppress(ConnectionError, OSError):
        while await reader.read(65536):
            pass


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return head + body


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST instead of FIN."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()
