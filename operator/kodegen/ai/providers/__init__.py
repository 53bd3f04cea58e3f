"""Adapters over the providers' official SDKs; each SDK is imported by its own module only.

`build(settings)` imports the adapter it needs when it needs it: `kodegen` starts without
loading four SDKs it may never use.
"""

from __future__ import annotations

from kodegen import errors
from kodegen.ai import types

__all__ = ["build"]


def build(settings: types.ProviderSettings) -> types.Provider:
    """The adapter for `settings.provider`, configured (nothing is connected yet)."""
    if settings.provider == "anthropic":
        from kodegen.ai.providers import anthropic_api

        return anthropic_api.Anthropic(settings)
    if settings.provider == "openai":
        from kodegen.ai.providers import openai_api

        return openai_api.OpenAI(settings)
    if settings.provider == "google":
        from kodegen.ai.providers import google_api

        return google_api.Google(settings)
    if settings.provider == "ollama":
        from kodegen.ai.providers import ollama_api

        return ollama_api.Ollama(settings)
    raise errors.ManifestError(
        field="spec.ai.providers[].provider",
        reason=f"unknown provider {settings.provider!r}; use anthropic, openai, google or ollama",
    )
