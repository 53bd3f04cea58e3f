"""Local HTTP servers on 127.0.0.1 that speak each provider's wire protocol, playing a script:
the test double of the providers themselves, shipped beside the adapters it fakes (STYLE.md 9).
It needs aiohttp (the `dev` extra); nothing in the pipeline imports it.

The official SDKs are pointed at them (`base_url`, `host`, `http_options`) and cannot tell
the difference: Anthropic Messages (`POST /v1/messages`), OpenAI Chat Completions
(`POST /v1/chat/completions`), Gemini generateContent
(`POST /v1beta/models/{model}:generateContent`) and Ollama chat (`POST /api/chat`).

A script is a list of steps, played one per request (the last one repeats), or a function of
the request body giving the step:

    Reply(text, finish="stop")       a normal answer (finish: stop, length, refusal)
    Fail(status, headers=...)        an error in the provider's error format (429, 500, 401 ...)
    Raw(status, body)                any bytes: a malformed body
    Hang(seconds)                    answers nothing for that long (the client times out)

    async with wire.WireServer("openai", [Fail(429, headers={"Retry-After": "2"}), Reply("hi")]):
        ...                                   # point the SDK at server.base_url
    with wire.in_thread("ollama", script) as server:   # for synchronous callers
        ...
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

Dialect = Literal["anthropic", "openai", "google", "ollama"]


@dataclass(frozen=True)
class Reply:
    text: str
    finish: str = "stop"
    input_tokens: int = 100
    output_tokens: int = 50


@dataclass(frozen=True)
class Fail:
    status: int
    message: str = "failure"
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Raw:
    status: int
    body: bytes
    content_type: str = "application/json"


@dataclass(frozen=True)
class Hang:
    seconds: float


Step = Reply | Fail | Raw | Hang
Script = Sequence[Step] | Callable[[dict[str, Any]], Step]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: dict[str, Any]


class WireServer:
    def __init__(self, dialect: Dialect, script: Script) -> None:
        self.dialect, self.script = dialect, script
        self.requests: list[Seen] = []
        self._runner: web.AppRunner | None = None
        self._closing = asyncio.Event()
        self.url = ""

    @property
    def base_url(self) -> str:
        """What the SDK is given: OpenAI clients expect the `/v1` prefix in the base URL."""
        return self.url + "/v1" if self.dialect == "openai" else self.url

    async def __aenter__(self) -> WireServer:
        app = web.Application()
        app.router.add_route("POST", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing.set()  # hanging handlers end now, not after their delay
        if self._runner is not None:
            await self._runner.cleanup()

    def _step(self, body: dict[str, Any]) -> Step:
        if callable(self.script):
            return self.script(body)
        index = min(len(self.requests) - 1, len(self.script) - 1)
        return self.script[index]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json() if request.can_read_body else {}
        self.requests.append(Seen(request.path, dict(request.headers), body))
        step = self._step(body)
        if isinstance(step, Hang):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), step.seconds)
            return web.Response(status=504)
        if isinstance(step, Raw):
            return web.Response(status=step.status, body=step.body, content_type=step.content_type)
        if isinstance(step, Fail):
            return web.json_response(
                _error(self.dialect, step), status=step.status, headers=step.headers
            )
        model = str(body.get("model") or request.match_info["tail"].split("/")[-1].split(":")[0])
        return web.json_response(_reply(self.dialect, step, model))


_ANTHROPIC_ERRORS = {429: "rate_limit_error", 401: "authentication_error", 529: "overloaded_error"}
_GOOGLE_STATUS = {429: "RESOURCE_EXHAUSTED", 401: "UNAUTHENTICATED", 400: "INVALID_ARGUMENT"}


def _error(dialect: Dialect, step: Fail) -> dict[str, Any]:
    if dialect == "anthropic":
        kind = _ANTHROPIC_ERRORS.get(step.status, "api_error")
        return {"type": "error", "error": {"type": kind, "message": step.message}}
    if dialect == "openai":
        return {"error": {"message": step.message, "type": "server_error", "code": None}}
    if dialect == "google":
        status = _GOOGLE_STATUS.get(step.status, "INTERNAL")
        return {"error": {"code": step.status, "message": step.message, "status": status}}
    return {"error": step.message}


def _reply(dialect: Dialect, step: Reply, model: str) -> dict[str, Any]:
    if dialect == "anthropic":
        stop = {"stop": "end_turn", "length": "max_tokens", "refusal": "refusal"}[step.finish]
        return {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": step.text}],
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": {"input_tokens": step.input_tokens, "output_tokens": step.output_tokens},
        }
    if dialect == "openai":
        refusal = step.finish == "refusal"
        message = {
            "role": "assistant",
            "content": None if refusal else step.text,
            "refusal": step.text if refusal else None,
        }
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": message,
                    "finish_reason": "length" if step.finish == "length" else "stop",
                }
            ],
            "usage": {
                "prompt_tokens": step.input_tokens,
                "completion_tokens": step.output_tokens,
                "total_tokens": step.input_tokens + step.output_tokens,
            },
        }
    if dialect == "google":
        reason = {"stop": "STOP", "length": "MAX_TOKENS", "refusal": "SAFETY"}[step.finish]
        candidate: dict[str, Any] = {"finishReason": reason, "index": 0}
        if step.finish != "refusal":
            candidate["content"] = {"role": "model", "parts": [{"text": step.text}]}
        return {
            "candidates": [candidate],
            "usageMetadata": {
                "promptTokenCount": step.input_tokens,
                "candidatesTokenCount": step.output_tokens,
                "totalTokenCount": step.input_tokens + step.output_tokens,
            },
            "modelVersion": model,
        }
    return {
        "model": model,
        "created_at": "2025-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": step.text},
        "done": True,
        "done_reason": "length" if step.finish == "length" else "stop",
        "prompt_eval_count": step.input_tokens,
        "eval_count": step.output_tokens,
    }


def text_of(body: dict[str, Any]) -> str:
    """Every prompt text of a request body, whatever the dialect (for scripted responders)."""
    return json.dumps(body)


@contextlib.contextmanager
def in_thread(dialect: Dialect, script: Script) -> Iterator[WireServer]:
    """A `WireServer` on its own event loop in a thread, for synchronous callers (the CLI,
    `Generator.run`, the benchmark)."""
    server = WireServer(dialect, script)
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.__aenter__())
        ready.set()
        loop.run_forever()
        loop.run_until_complete(server.__aexit__())
        loop.close()

    thread = threading.Thread(target=serve, name=f"wire-{dialect}", daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield server
    finally:
        loop.call_soon_threadsafe(server._closing.set)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
