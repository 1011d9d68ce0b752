"""Bodies as a network delivers them, and hostile JSON (issue 22, items 1 and 7), over raw
sockets to the real aiohttp server: a body in pieces, a large body, a chunked body are all
processed; beyond the size cap 413; hostile JSON a clean 400 with no ERROR in the logs."""

from __future__ import annotations

import asyncio
import json
import logging
from urllib.parse import urlsplit

import pytest

from tests.support.teams import message
from tests.teams.conftest import Pulse, PulseFactory


async def raw_post(
    pulse: Pulse, parts: list[bytes], *, chunked: bool = False, pause_s: float = 0.2
) -> tuple[int, bytes]:
    """POST /api/messages with the body written in `parts`, `pause_s` apart."""
    url = urlsplit(pulse.url)
    assert url.hostname and url.port
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    size = sum(len(p) for p in parts)
    framing = "Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}"
    head = (
        f"POST /api/messages HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"Content-Type: application/json\r\n{framing}\r\nConnection: close\r\n\r\n"
    )
    writer.write(head.encode())
    try:
        for i, part in enumerate(parts):
            writer.write(f"{len(part):x}\r\n".encode() + part + b"\r\n" if chunked else part)
            await writer.drain()
            if i < len(parts) - 1:
                await asyncio.sleep(pause_s)
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
    except ConnectionError:
        pass  # the server may answer (413) and close before the whole body is sent
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), rest.partition(b"\r\n\r\n")[2]


def _help(pulse: Pulse, **padding: str) -> bytes:
    activity = message("help", service_url=pulse.connector.url)
    activity["channelData"].update(padding)
    return json.dumps(activity).encode()


async def test_body_in_two_writes_is_processed(demo: Pulse) -> None:
    body = _help(demo, note="n" * 2000)  # about 2.5 KB, like the report's
    half = len(body) // 2
    status, _ = await raw_post(demo, [body[:half], body[half:]])
    assert status == 200
    assert len(await demo.connector.wait_messages(1)) == 1


async def test_large_body_in_one_write_is_processed(demo: Pulse) -> None:
    body = _help(demo, padding="p" * 200_000)
    assert 200_000 < len(body) < demo.components.settings.edge.max_body_bytes
    status, _ = await raw_post(demo, [body])
    assert status == 200
    assert len(await demo.connector.wait_messages(1)) == 1


async def test_chunked_body_is_processed(demo: Pulse) -> None:
    body = _help(demo, note="n" * 5000)
    parts = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    status, _ = await raw_post(demo, parts, chunked=True, pause_s=0.05)
    assert status == 200
    assert len(await demo.connector.wait_messages(1)) == 1


async def test_body_over_the_cap_is_413_however_it_comes(make_pulse: PulseFactory) -> None:
    pulse = await make_pulse(PULSE_MAX_BODY_BYTES="4096")
    body = _help(pulse, padding="p" * 5000)
    assert (await raw_post(pulse, [body]))[0] == 413
    parts = [body[i : i + 1000] for i in range(0, len(body), 1000)]
    assert (await raw_post(pulse, parts, chunked=True, pause_s=0.01))[0] == 413
    assert pulse.connector.received == []


def _surrogate_in(field: str) -> bytes:
    activity = message("help", service_url="http://127.0.0.1:1/", activity_id="ID")
    activity["conversation"]["id"] = "CONV"
    text = json.dumps(activity)
    return text.replace(f'"{field}"', '"x\\ud800y"', 1).encode()


HOSTILE = {
    "100k-deep nesting": b'{"type": "message", "value": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
    "40k-deep objects": b'{"type": "message", "value": ' + b'{"a":' * 40_000 + b"1" + b"}" * 40_001,
    "70-deep nesting": b'{"type": "message", "value": ' + b"[" * 70 + b"]" * 70 + b"}",
    "5,000-digit integer": b'{"type": "message", "n": ' + b"7" * 5000 + b"}",
    "5,000-digit integer as the id": b'{"type": "message", "id": ' + b"7" * 5000 + b"}",
    "NaN": b'{"type": "message", "n": NaN}',
    "lone surrogate in the activity id": _surrogate_in("ID"),
    "lone surrogate in the conversation id": _surrogate_in("CONV"),
    "lone surrogate in a key": b'{"type": "message", "\\udc00": 1}',
    "integer activity id": json.dumps(
        {**message("help", service_url="http://127.0.0.1:1/"), "id": 12}
    ).encode(),
    "conversation as a string": json.dumps(
        {**message("help", service_url="http://127.0.0.1:1/"), "conversation": "c"}
    ).encode(),
    "serviceUrl as a list": json.dumps(
        {**message("help", service_url="http://127.0.0.1:1/"), "serviceUrl": ["x"]}
    ).encode(),
}


@pytest.mark.parametrize("case", list(HOSTILE))
async def test_hostile_json_is_a_clean_400(
    demo: Pulse, caplog: pytest.LogCaptureFixture, case: str
) -> None:
    caplog.set_level(logging.WARNING)
    status, _ = await raw_post(demo, [HOSTILE[case]])
    assert status == 400
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert errors == []
    assert demo.connector.received == []


async def test_lone_surrogate_in_the_text_is_replaced_not_refused(demo: Pulse) -> None:
    activity = message("help", service_url=demo.connector.url)
    activity["from"]["name"] = "Ali"
    raw = json.dumps(activity).replace('"Ali"', '"Ali\\ud83d"').encode()
    status, _ = await raw_post(demo, [raw])
    assert status == 200
    assert len(await demo.connector.wait_messages(1)) == 1
