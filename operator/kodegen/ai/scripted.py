"""A provider that answers from a script, shipped beside the interface it fakes.

Tests and the benchmark use it where the wire protocol is not the point (the router, the
flows, the pipeline); the adapters themselves are tested through their SDKs against local
servers. An answer is text, a `ProviderError` to raise, or a function of the request.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from kodegen import errors
from kodegen.ai import types

__all__ = ["Answer", "Scripted"]

Answer = str | errors.ProviderError | Callable[[types.Request], "str | errors.ProviderError"]


@dataclass
class Scripted:
    """Plays `answers` in order (the last one repeats); records every request it got."""

    answers: Sequence[Answer]
    name: str = "scripted"
    model: str = "scripted-1"
    endpoint: str = ""
    timeout_seconds: float = 60.0
    requests: list[types.Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.answers:
            raise ValueError("Scripted needs at least one answer")
        self.endpoint = self.endpoint or f"{self.name}:scripted:{id(self)}"

    async def generate(self, request: types.Request) -> types.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        if callable(answer):
            answer = answer(request)
        if isinstance(answer, errors.ProviderError):
            raise answer
        prompt = len(request.system) + sum(len(m.content) for m in request.messages)
        return types.Response(
            text=answer,
            usage=types.Usage(input_tokens=prompt // 4, output_tokens=len(answer) // 4),
            model=request.model,
            finish_reason="stop",
            provider=self.name,
        )

    async def aclose(self) -> None:
        return None
