"""Google Gemini, through the official `google-genai` SDK (generateContent).

`google-genai` is Google's maintained SDK for the Gemini API; `google-generativeai`, its
predecessor, is deprecated and receives no new features or fixes.
"""

from __future__ import annotations

import math
from typing import Any

from google import genai
from google.genai import errors as genai_errors
from google.genai import types as genai_types

from kodegen import errors
from kodegen.ai import types
from kodegen.ai.providers import common

__all__ = ["Google"]

_FINISH: dict[str, types.FinishReason] = {
    "STOP": "stop",
    "MAX_TOKENS": "length",
    "SAFETY": "refusal",
    "RECITATION": "refusal",
    "PROHIBITED_CONTENT": "refusal",
    "BLOCKLIST": "refusal",
    "SPII": "refusal",
}


class Google(common.Adapter):
    name = "google"
    default_url = "https://generativelanguage.googleapis.com"

    def __init__(self, settings: types.ProviderSettings) -> None:
        super().__init__(settings)
        self._client: genai.Client | None = None

    def client(self) -> genai.Client:
        if self._client is None:
            options = genai_types.HttpOptions(
                base_url=self.settings.base_url,
                timeout=math.ceil(self.settings.timeout_seconds * 1000),  # milliseconds
                retry_options=genai_types.HttpRetryOptions(attempts=1),  # kodegen.ai.retry
            )
            self._client = genai.Client(api_key=self.settings.api_key, http_options=options)
        return self._client

    async def generate(self, request: types.Request) -> types.Response:
        contents = [
            genai_types.Content(
                role="model" if m.role == "assistant" else "user",
                parts=[genai_types.Part(text=m.content)],
            )
            for m in request.messages
        ]
        config = genai_types.GenerateContentConfig(
            system_instruction=request.system,
            temperature=request.temperature,
            seed=request.seed,
            max_output_tokens=request.max_tokens,
            candidate_count=1,
        )
        try:
            answer = await self.client().aio.models.generate_content(
                model=request.model, contents=contents, config=config
            )
        except genai_errors.APIError as exc:
            status = int(exc.code or 0)
            headers = getattr(getattr(exc, "response", None), "headers", None)
            raise common.error(
                self.settings,
                kind=common.kind_of_status(status) if status else "malformed",
                reason=f"HTTP {status}: {exc.message or exc.status}",
                retry_after=common.retry_after(headers),
            ) from exc
        except Exception as exc:  # the transport's own errors (httpx, aiohttp) or a bad body
            raise common.error(
                self.settings,
                kind=common.transport_kind(exc),
                reason=f"{type(exc).__name__}: {exc}",
            ) from exc
        return self._response(answer)

    def _response(self, answer: Any) -> types.Response:
        try:
            feedback = getattr(answer, "prompt_feedback", None)
            blocked = getattr(feedback, "block_reason", None) if feedback else None
            candidates = answer.candidates or []
            reason = str(getattr(candidates[0].finish_reason, "value", "")) if candidates else ""
            finish = _FINISH.get(reason, "other")
            parts = (
                (candidates[0].content.parts or []) if candidates and candidates[0].content else []
            )
            text = "".join(part.text for part in parts if getattr(part, "text", None))
            meta = answer.usage_metadata
            usage = types.Usage(
                int(getattr(meta, "prompt_token_count", 0) or 0),
                int(getattr(meta, "candidates_token_count", 0) or 0),
            )
            model = str(getattr(answer, "model_version", None) or self.model)
        except (AttributeError, TypeError, ValueError, IndexError) as exc:
            raise common.error(
                self.settings, kind="malformed", reason=f"unexpected answer: {exc}"
            ) from exc
        if blocked or finish == "refusal":
            raise errors.ProviderError(
                provider=self.name,
                kind="refusal",
                reason=f"the model declined to answer ({blocked or reason})",
            )
        if not candidates:
            raise common.error(
                self.settings, kind="malformed", reason="the answer has no candidate"
            )
        return types.Response(
            text=text, usage=usage, model=model, finish_reason=finish, provider=self.name
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aio.aclose()
            self._client = None
