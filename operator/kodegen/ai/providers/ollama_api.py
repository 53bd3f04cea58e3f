"""Ollama (local or self-hosted), through the official `ollama` SDK (`/api/chat`)."""

from __future__ import annotations

from typing import Any

import ollama

from kodegen.ai import types
from kodegen.ai.providers import common

__all__ = ["Ollama"]

DEFAULT_HOST = "http://127.0.0.1:11434"


class Ollama(common.Adapter):
    name = "ollama"
    default_url = DEFAULT_HOST

    def __init__(self, settings: types.ProviderSettings) -> None:
        super().__init__(settings)
        self.host = settings.base_url or DEFAULT_HOST
        self._client: ollama.AsyncClient | None = None
        self._headers: dict[str, str] = {}

    def client(self) -> ollama.AsyncClient:
        if self._client is None:
            headers = {}
            if self.settings.api_key:  # a proxied Ollama behind a bearer token
                headers["Authorization"] = f"Bearer {self.settings.api_key}"
            self._client = ollama.AsyncClient(
                host=self.host,
                timeout=self.settings.timeout_seconds,
                headers=headers,
                event_hooks={"response": [self._remember]},
            )
        return self._client

    async def _remember(self, response: Any) -> None:
        """The SDK's ResponseError has no headers; keep them for `Retry-After`."""
        self._headers = dict(response.headers)

    async def generate(self, request: types.Request) -> types.Response:
        messages: list[Any] = [{"role": "system", "content": request.system}]
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        options: dict[str, Any] = {
            "temperature": request.temperature,
            "num_predict": request.max_tokens,
        }
        if request.seed is not None:
            options["seed"] = request.seed
        self._headers = {}
        try:
            answer = await self.client().chat(
                model=request.model, messages=messages, options=options, stream=False
            )
        except ollama.ResponseError as exc:
            raise common.error(
                self.settings,
                kind=common.kind_of_status(exc.status_code) if exc.status_code > 0 else "malformed",
                reason=f"HTTP {exc.status_code}: {exc.error}",
                retry_after=common.retry_after(self._headers),
            ) from exc
        except Exception as exc:  # the transport's errors (httpx) or a body that is not JSON
            raise common.error(
                self.settings,
                kind=common.transport_kind(exc),
                reason=f"{type(exc).__name__}: {exc}",
            ) from exc
        return self._response(answer)

    def _response(self, answer: Any) -> types.Response:
        try:
            text = answer.message.content
            finish: types.FinishReason = {"stop": "stop", "length": "length"}.get(
                str(answer.done_reason), "other"
            )  # type: ignore[assignment]
            usage = types.Usage(int(answer.prompt_eval_count or 0), int(answer.eval_count or 0))
            model = str(answer.model or self.model)
        except (AttributeError, TypeError, ValueError) as exc:
            raise common.error(
                self.settings, kind="malformed", reason=f"unexpected answer: {exc}"
            ) from exc
        if not isinstance(text, str):
            raise common.error(self.settings, kind="malformed", reason="the answer has no text")
        return types.Response(
            text=text, usage=usage, model=model, finish_reason=finish, provider=self.name
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client._client.aclose()
            self._client = None
