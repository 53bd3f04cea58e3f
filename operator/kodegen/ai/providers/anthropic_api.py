"""Anthropic, through the official `anthropic` SDK (Messages API)."""

from __future__ import annotations

from typing import Any

import anthropic

from kodegen import errors
from kodegen.ai import types
from kodegen.ai.providers import common

__all__ = ["Anthropic"]

_FINISH: dict[str, types.FinishReason] = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "refusal": "refusal",
}


class Anthropic(common.Adapter):
    name = "anthropic"
    default_url = "https://api.anthropic.com"

    def __init__(self, settings: types.ProviderSettings) -> None:
        super().__init__(settings)
        self._client: anthropic.AsyncAnthropic | None = None

    def client(self) -> anthropic.AsyncAnthropic:
        if self._client is None:
            self._client = anthropic.AsyncAnthropic(
                api_key=self.settings.api_key,
                base_url=self.settings.base_url,
                timeout=self.settings.timeout_seconds,
                max_retries=0,  # kodegen.ai.retry retries, with an injected clock
            )
        return self._client

    async def generate(self, request: types.Request) -> types.Response:
        try:
            message = await self.client().messages.create(
                model=request.model,
                system=request.system,
                messages=common.to_request_parts(request),  # type: ignore[arg-type]
                max_tokens=request.max_tokens,
                # no temperature, no seed: the current Messages API takes neither; a repeated
                # request is answered by kodegen's cache instead
            )
        except anthropic.APIStatusError as exc:
            raise common.error(
                self.settings,
                kind="server" if exc.status_code == 529 else common.kind_of_status(exc.status_code),
                reason=f"HTTP {exc.status_code}: {exc.message}",
                retry_after=common.retry_after(exc.response.headers),
            ) from exc
        except anthropic.APITimeoutError as exc:
            raise common.error(self.settings, kind="timeout", reason=str(exc)) from exc
        except anthropic.APIConnectionError as exc:
            raise common.error(self.settings, kind="unavailable", reason=str(exc)) from exc
        except (anthropic.AnthropicError, ValueError) as exc:  # ValueError: a body not JSON
            raise common.error(self.settings, kind="malformed", reason=str(exc)) from exc
        return self._response(message)

    def _response(self, message: Any) -> types.Response:
        try:
            text = "".join(
                block.text for block in message.content if getattr(block, "type", "") == "text"
            )
            usage = types.Usage(int(message.usage.input_tokens), int(message.usage.output_tokens))
            finish = _FINISH.get(str(message.stop_reason), "other")
            model = str(message.model)
        except (AttributeError, TypeError, ValueError) as exc:
            raise common.error(
                self.settings, kind="malformed", reason=f"unexpected answer: {exc}"
            ) from exc
        if finish == "refusal":
            raise errors.ProviderError(
                provider=self.name, kind="refusal", reason="the model declined to answer"
            )
        return types.Response(
            text=text, usage=usage, model=model, finish_reason=finish, provider=self.name
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None
