"""OpenAI (and OpenAI-compatible gateways), through the official `openai` SDK
(Chat Completions)."""

from __future__ import annotations

import re
from typing import Any

import openai

from kodegen import errors
from kodegen.ai import types
from kodegen.ai.providers import common

__all__ = ["OpenAI"]

_FIXED_SAMPLING = re.compile(r"^(o\d|gpt-5)")
"""Reasoning models take no `temperature` (the API answers 400 to any but the default)."""

_FINISH: dict[str, types.FinishReason] = {
    "stop": "stop",
    "length": "length",
    "content_filter": "refusal",
}


class OpenAI(common.Adapter):
    name = "openai"
    default_url = "https://api.openai.com/v1"

    def __init__(self, settings: types.ProviderSettings) -> None:
        super().__init__(settings)
        self._client: openai.AsyncOpenAI | None = None

    def client(self) -> openai.AsyncOpenAI:
        if self._client is None:
            self._client = openai.AsyncOpenAI(
                api_key=self.settings.api_key,
                base_url=self.settings.base_url,
                timeout=self.settings.timeout_seconds,
                max_retries=0,  # kodegen.ai.retry retries, with an injected clock
            )
        return self._client

    async def generate(self, request: types.Request) -> types.Response:
        messages: list[Any] = [{"role": "system", "content": request.system}]
        messages += [{"role": m.role, "content": m.content} for m in request.messages]
        sampling: dict[str, Any] = {"seed": request.seed}
        if not _FIXED_SAMPLING.match(request.model):
            sampling["temperature"] = request.temperature
        try:
            completion = await self.client().chat.completions.create(
                model=request.model,
                messages=messages,
                max_completion_tokens=request.max_tokens,
                **sampling,
            )
        except openai.APIStatusError as exc:
            raise common.error(
                self.settings,
                kind=common.kind_of_status(exc.status_code),
                reason=f"HTTP {exc.status_code}: {exc.message}",
                retry_after=common.retry_after(exc.response.headers),
            ) from exc
        except openai.APITimeoutError as exc:
            raise common.error(self.settings, kind="timeout", reason=str(exc)) from exc
        except openai.APIConnectionError as exc:
            raise common.error(self.settings, kind="unavailable", reason=str(exc)) from exc
        except (openai.OpenAIError, ValueError) as exc:  # ValueError: a body that is not JSON
            raise common.error(self.settings, kind="malformed", reason=str(exc)) from exc
        return self._response(completion)

    def _response(self, completion: Any) -> types.Response:
        try:
            choice = completion.choices[0]
            refusal = getattr(choice.message, "refusal", None)
            text = choice.message.content
            finish = _FINISH.get(str(choice.finish_reason), "other")
            usage = types.Usage(
                int(completion.usage.prompt_tokens), int(completion.usage.completion_tokens)
            )
            model = str(completion.model)
        except (AttributeError, TypeError, ValueError, IndexError) as exc:
            raise common.error(
                self.settings, kind="malformed", reason=f"unexpected answer: {exc}"
            ) from exc
        if refusal or finish == "refusal":
            raise errors.ProviderError(
                provider=self.name,
                kind="refusal",
                reason=f"the model declined to answer: {str(refusal or '')[:200]}",
            )
        if not isinstance(text, str):
            raise common.error(self.settings, kind="malformed", reason="the answer has no text")
        return types.Response(
            text=text, usage=usage, model=model, finish_reason=finish, provider=self.name
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
