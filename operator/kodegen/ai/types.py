"""What every provider takes and gives: one small interface, pure data.

An adapter turns a `Request` into one call of its SDK and the SDK's answer into a `Response`;
every failure leaves it as an `errors.ProviderError` (never an SDK exception).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Literal, Protocol

ProviderName = Literal["anthropic", "openai", "google", "ollama"]
FinishReason = Literal["stop", "length", "refusal", "other"]


@dataclass(frozen=True)
class Message:
    role: Literal["user", "assistant"]
    content: str


@dataclass(frozen=True)
class Request:
    """One generation. Temperature 0 and a seed where the provider takes one: reproducible."""

    model: str
    system: str
    messages: tuple[Message, ...]
    max_tokens: int = 8192
    temperature: float = 0.0
    seed: int | None = 0

    def key(self) -> str:
        """sha256 of the canonical request: the cache key and the transcript's reference."""
        canonical = json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0

    @property
    def total(self) -> int:
        return self.input_tokens + self.output_tokens


@dataclass(frozen=True)
class Response:
    text: str
    usage: Usage
    model: str
    finish_reason: FinishReason
    provider: str = ""
    cost_usd: float = 0.0
    cached: bool = False


@dataclass(frozen=True)
class ProviderSettings:
    """How to reach one provider; the API key comes from the environment or a Secret only."""

    provider: ProviderName
    model: str
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    timeout_seconds: float = 120.0
    max_retries: int = 3


class Provider(Protocol):
    """An adapter over one provider's official SDK.

    `generate` makes exactly one call (the SDK's own retries are off: `retry` retries), within
    `timeout_seconds`, and raises only `errors.ProviderError`.
    """

    name: str
    """The provider (`anthropic`, `openai`, `google`, `ollama`, or a fake's name)."""
    model: str
    """The model requests are made with."""
    endpoint: str
    """Provider and base URL: what a circuit breaker is kept for."""
    timeout_seconds: float

    async def generate(self, request: Request) -> Response: ...

    async def aclose(self) -> None: ...
