"""A fake OpenAI-compatible server: a real aiohttp app on 127.0.0.1 speaking chat completions.

Paths: `POST /v1/chat/completions` (OpenAI and compatible servers) and
`POST /openai/deployments/{deployment}/chat/completions?api-version=...` (Azure OpenAI).

Program it with a `responder` (a function of the recorded `ChatRequest` returning the content:
a dict, sent as JSON text, or a str, sent as is; by default a minimal valid instance of the
requested JSON schema), a `delay` (slow model), and faults for the next calls (`fail_next`):
rate limit and insufficient quota (429 bodies as OpenAI sends them), 500, Azure's 400
content_filter, finish_reason content_filter, context length, 401, refusal, invalid JSON, and a
huge body (`huge`, `huge_declared`: a valid completion of `huge_bytes` streamed in chunks; how
much the client took is in `huge_sent`).
Read back `calls` (per path) and `requests` (bodies, messages, headers).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

FAKE_API_KEY = "fake-openai-key-for-tests-only"
OPENAI_PATH = "/v1/chat/completions"
AZURE_PATH = "/openai/deployments/{deployment}/chat/completions"

Fault = Literal[
    "rate_limit",
    "quota",
    "server_error",
    "azure_content_filter",
    "finish_content_filter",
    "context_length",
    "unauthorized",
    "refusal",
    "invalid_json",
    "truncated",
    "huge",  # a `huge_bytes` completion streamed in chunks (no Content-Length)
    "huge_declared",  # the same, with its Content-Length
]


@dataclass
class ChatRequest:
    path: str
    deployment: str | None
    api_version: str | None
    body: dict[str, Any]
    headers: dict[str, str]

    @property
    def model(self) -> str:
        return str(self.body.get("model", ""))

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    def content(self, role: str) -> str:
        return "\n".join(str(m["content"]) for m in self.messages if m.get("role") == role)

    @property
    def system(self) -> str:
        return self.content("system")

    @property
    def user(self) -> str:
        return self.content("user")

    @property
    def schema(self) -> dict[str, Any] | None:
        fmt = self.body.get("response_format") or {}
        if fmt.get("type") != "json_schema":
            return None
        return dict(fmt["json_schema"]["schema"])

    @property
    def schema_name(self) -> str | None:
        fmt = self.body.get("response_format") or {}
        return fmt.get("json_schema", {}).get("name") if fmt.get("type") == "json_schema" else None

    @property
    def prompt_chars(self) -> int:
        return sum(len(str(m.get("content") or "")) for m in self.messages)


Responder = Callable[[ChatRequest], "dict[str, Any] | str"]


def example_for(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """A minimal instance of a (strict) JSON schema: the fake model's default answer."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return example_for(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        options = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return example_for(options[0], defs) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {k: example_for(v, defs) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [example_for(schema["items"], defs)]
    return {"string": "ok", "integer": 1, "number": 0.5, "boolean": False}.get(str(kind))


def default_responder(request: ChatRequest) -> dict[str, Any] | str:
    schema = request.schema
    return example_for(schema) if schema is not None else "ok"


def _error(status: int, body: dict[str, Any], **headers: str) -> web.Response:
    return web.json_response(body, status=status, headers=headers)


FAULT_RESPONSES: dict[str, Callable[[str], web.Response]] = {
    "rate_limit": lambda model: _error(
        429,
        {
            "error": {
                "message": f"Rate limit reached for {model} in organization org-fake on tokens "
                "per min (TPM): Limit 30000, Used 29800, Requested 1200. Please try again in "
                "2.4s. Visit https://platform.openai.com/account/rate-limits to learn more.",
                "type": "tokens",
                "param": None,
                "code": "rate_limit_exceeded",
            }
        },
        **{"x-ratelimit-remaining-tokens": "200", "x-ratelimit-reset-tokens": "2.4s"},
    ),
    "quota": lambda model: _error(
        429,
        {
            "error": {
                "message": "You exceeded your current quota, please check your plan and billing "
                "details. For more information on this error, read the docs: "
                "https://platform.openai.com/docs/guides/error-codes/api-errors.",
                "type": "insufficient_quota",
                "param": None,
                "code": "insufficient_quota",
            }
        },
    ),
    "server_error": lambda model: _error(
        500,
        {
            "error": {
                "message": "The server had an error while processing your request. Sorry about "
                "that!",
                "type": "server_error",
                "param": None,
                "code": None,
            }
        },
    ),
    "azure_content_filter": lambda model: _error(
        400,
        {
            "error": {
                "message": "The response was filtered due to the prompt triggering Azure "
                "OpenAI's content management policy. Please modify your prompt and retry.",
                "type": None,
                "param": "prompt",
                "code": "content_filter",
                "status": 400,
                "innererror": {
                    "code": "ResponsibleAIPolicyViolation",
                    "content_filter_result": {
                        "hate": {"filtered": False, "severity": "safe"},
                        "jailbreak": {"filtered": True, "detected": True},
                        "self_harm": {"filtered": False, "severity": "safe"},
                        "sexual": {"filtered": False, "severity": "safe"},
                        "violence": {"filtered": False, "severity": "safe"},
                    },
                },
            }
        },
    ),
    "context_length": lambda model: _error(
        400,
        {
            "error": {
                "message": "This model's maximum context length is 128000 tokens. However, your "
                "messages resulted in 131072 tokens. Please reduce the length of the messages.",
                "type": "invalid_request_error",
                "param": "messages",
                "code": "context_length_exceeded",
            }
        },
    ),
    "unauthorized": lambda model: _error(
        401,
        {
            "error": {
                "message": "Incorrect API key provided: sk-fake-***-000. You can find your API "
                "key at https://platform.openai.com/account/api-keys.",
                "type": "invalid_request_error",
                "param": None,
                "code": "invalid_api_key",
            }
        },
    ),
}


@dataclass
class FakeOpenAI:
    responder: Responder = default_responder
    delay: float = 0.0  # seconds before each answer: a slow model
    huge_bytes: int = 20_000_000
    huge_sent: int = 0  # bytes of the last huge body written before the client stopped reading
    calls: Counter[str] = field(default_factory=Counter)
    requests: list[ChatRequest] = field(default_factory=list)
    _faults: list[Fault] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    url: str = ""

    @property
    def base_url(self) -> str:
        """For `AsyncOpenAI(base_url=...)`."""
        return f"{self.url}/v1"

    @property
    def azure_endpoint(self) -> str:
        """For `AsyncAzureOpenAI(azure_endpoint=...)`."""
        return self.url

    @property
    def last(self) -> ChatRequest:
        return self.requests[-1]

    def fail_next(self, fault: Fault, times: int = 1) -> None:
        self._faults.extend([fault] * times)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post(OPENAI_PATH, self._handle)
        app.router.add_post(AZURE_PATH, self._handle)
        return app

    async def start(self) -> str:
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeOpenAI:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        deployment = request.match_info.get("deployment")
        path = OPENAI_PATH if deployment is None else AZURE_PATH
        self.calls[path] += 1
        body = await request.json()
        recorded = ChatRequest(
            path=path,
            deployment=deployment,
            api_version=request.query.get("api-version"),
            body=body,
            headers={k.lower(): v for k, v in request.headers.items()},
        )
        self.requests.append(recorded)
        if self.delay:
            await asyncio.sleep(self.delay)
        fault = self._faults.pop(0) if self._faults else None
        model = recorded.model
        if fault in FAULT_RESPONSES:
            return FAULT_RESPONSES[str(fault)](model)
        if fault in ("huge", "huge_declared"):
            return await self._huge(request, model, declared=fault == "huge_declared")
        finish = "stop"
        refusal = None
        content: str | None
        if fault == "invalid_json":
            content = '{"headline": "Bonjour", "summary": '
        elif fault == "truncated":
            content, finish = '{"headline": "Bon', "length"
        elif fault == "finish_content_filter":
            content, finish = "", "content_filter"
        elif fault == "refusal":
            content, refusal = None, "I'm sorry, I cannot help with that request."
        else:
            answer = self.responder(recorded)
            content = answer if isinstance(answer, str) else json.dumps(answer)
        return web.json_response(self._completion(model, content, finish, refusal, recorded))

    async def _huge(
        self, request: web.Request, model: str, *, declared: bool
    ) -> web.StreamResponse:
        head = json.dumps(
            {"id": "chatcmpl-huge", "object": "chat.completion", "created": int(time.time())}
        )[:-1]
        head += f', "model": "{model}", "choices": [{{"index": 0, "finish_reason": "stop", '
        head += '"message": {"role": "assistant", "content": "'
        tail = '"}}]}'
        filler = self.huge_bytes - len(head) - len(tail)
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        if declared:
            response.content_length = self.huge_bytes
        await response.prepare(request)
        self.huge_sent = 0
        chunk = b"A" * 65536
        try:
            await response.write(head.encode())
            while filler > 0:
                part = chunk[: min(len(chunk), filler)]
                await response.write(part)
                filler -= len(part)
                self.huge_sent += len(part)
            await response.write(tail.encode())
            await response.write_eof()
        except (ConnectionResetError, ConnectionError, RuntimeError):
            pass  # the client stopped reading: what it took is in huge_sent
        return response

    def _completion(
        self,
        model: str,
        content: str | None,
        finish: str,
        refusal: str | None,
        request: ChatRequest,
    ) -> dict[str, Any]:
        prompt_tokens = request.prompt_chars // 4 + 4 * len(request.messages)
        completion_tokens = len(content or "") // 4
        return {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": model,
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": refusal},
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


async def serve(delay: float, ready: Callable[[str], None]) -> None:
    """Run a fake server until cancelled (for benchmarks in a separate process)."""
    async with FakeOpenAI(delay=delay) as server:
        ready(server.url)
        await asyncio.Event().wait()


if __name__ == "__main__":
    import sys

    def _announce(url: str) -> None:
        sys.stdout.write(url + "\n")
        sys.stdout.flush()

    asyncio.run(serve(float(sys.argv[1]) if len(sys.argv) > 1 else 0.0, _announce))
