"""Every model failure, translated once into an `EngineError` code the services can act on.

The codes are stable identifiers (the services fall back to the offline engine and show a notice
keyed by the code); we branch on exception classes and on the error `code`/`type` fields that
OpenAI and Azure OpenAI put in their JSON bodies, never on message text.

| code             | cause                                                               |
|------------------|---------------------------------------------------------------------|
| timeout          | no answer within the configured time (client or overall deadline)   |
| rate_limited     | HTTP 429, too many requests or tokens per minute                    |
| quota            | HTTP 429 with `insufficient_quota`: credits or quota exhausted      |
| content_filter   | Azure's 400 `content_filter`, finish_reason `content_filter`, refusal|
| context_length   | HTTP 400 `context_length_exceeded`, or our estimate over budget     |
| server_error     | HTTP 5xx                                                            |
| unavailable      | connection refused or reset: the endpoint cannot be reached         |
| config           | HTTP 401/403/404: key, permissions, model or deployment name        |
| bad_request      | any other 4xx                                                       |
| invalid_output   | truncated, unparsable or invalid structured output                  |
| response_too_large | a response body over the byte cap (or compressed): never parsed  |
| unknown          | anything else                                                       |
"""

from __future__ import annotations

from enum import StrEnum

import openai
import pydantic

from bot.clients.llm.transport import ResponseTooLarge
from bot.ports.language import EngineError

__all__ = ["ErrorCode", "map_error"]


class ErrorCode(StrEnum):
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    QUOTA = "quota"
    CONTENT_FILTER = "content_filter"
    CONTEXT_LENGTH = "context_length"
    SERVER_ERROR = "server_error"
    UNAVAILABLE = "unavailable"
    CONFIG = "config"
    BAD_REQUEST = "bad_request"
    INVALID_OUTPUT = "invalid_output"
    RESPONSE_TOO_LARGE = "response_too_large"
    UNKNOWN = "unknown"


_CONTENT_FILTER_CODES = frozenset({"content_filter", "content_policy_violation"})
_CONTEXT_LENGTH_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
_QUOTA_CODES = frozenset({"insufficient_quota", "billing_hard_limit_reached"})


def _codes(exc: openai.APIError) -> set[str]:
    return {c for c in (exc.code, exc.type) if c}


def code_of(exc: BaseException) -> ErrorCode:
    """The `ErrorCode` for an exception raised while calling the model."""
    if isinstance(exc, EngineError):
        try:
            return ErrorCode(exc.code)
        except ValueError:
            return ErrorCode.UNKNOWN
    if isinstance(exc, ResponseTooLarge) or isinstance(exc.__cause__, ResponseTooLarge):
        return ErrorCode.RESPONSE_TOO_LARGE
    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        return ErrorCode.TIMEOUT
    if isinstance(exc, openai.APIConnectionError):
        return ErrorCode.UNAVAILABLE
    if isinstance(exc, openai.ContentFilterFinishReasonError):
        return ErrorCode.CONTENT_FILTER
    if isinstance(
        exc,
        openai.LengthFinishReasonError
        | openai.APIResponseValidationError
        | pydantic.ValidationError
        | ValueError,
    ):
        return ErrorCode.INVALID_OUTPUT
    if isinstance(exc, openai.APIStatusError):
        return _status_code_of(exc)
    return ErrorCode.UNKNOWN


def _status_code_of(exc: openai.APIStatusError) -> ErrorCode:
    codes = _codes(exc)
    if codes & _CONTENT_FILTER_CODES:
        return ErrorCode.CONTENT_FILTER
    if exc.status_code == 429:
        return ErrorCode.QUOTA if codes & _QUOTA_CODES else ErrorCode.RATE_LIMITED
    if codes & _CONTEXT_LENGTH_CODES:
        return ErrorCode.CONTEXT_LENGTH
    if exc.status_code in (401, 403, 404):
        return ErrorCode.CONFIG
    if exc.status_code == 408:
        return ErrorCode.TIMEOUT
    if exc.status_code >= 500:
        return ErrorCode.SERVER_ERROR
    return ErrorCode.BAD_REQUEST


def map_error(exc: BaseException) -> EngineError:
    """An `EngineError` for `exc`; the message names the class and status, never the body."""
    if isinstance(exc, EngineError):
        return exc
    code = code_of(exc)
    status = getattr(exc, "status_code", None)
    detail = f"{type(exc).__name__}" + (f" (HTTP {status})" if status else "")
    return EngineError(code.value, f"{code.value}: {detail}")
