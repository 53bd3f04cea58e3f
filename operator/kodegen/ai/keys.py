"""Where each provider's credentials come from: environment variables, never the manifest.

The CLI reads the usual variables (`ANTHROPIC_API_KEY`, `OPENAI_API_KEY`, `GEMINI_API_KEY`,
`OLLAMA_HOST`); in the cluster the controller maps `spec.ai.providers[].secretRef` to the same
variables as `secretKeyRef` env of the Job, using `env_var`. A key is never logged, stored in
status or written to a transcript (see `redact`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from kodegen import errors
from kodegen.ai import types
from kodegen.api import codegeneration

__all__ = ["ENV_VARS", "HOST_VARS", "env_var", "held", "settings"]

ENV_VARS: Mapping[str, str] = {
    "anthropic": "ANTHROPIC_API_KEY",
    "openai": "OPENAI_API_KEY",
    "google": "GEMINI_API_KEY",
    "ollama": "OLLAMA_API_KEY",
}
"""The API key of each provider. A local Ollama needs none; a proxied one may take a bearer."""

HOST_VARS: Mapping[str, str] = {"ollama": "OLLAMA_HOST"}
"""Environment variables giving a provider's base URL when the manifest gives none."""

NEEDS_KEY = frozenset({"anthropic", "openai", "google"})


def env_var(provider: str) -> str:
    """The environment variable holding `provider`'s API key (`ANTHROPIC_API_KEY`…)."""
    try:
        return ENV_VARS[provider]
    except KeyError:
        raise errors.ManifestError(
            field="spec.ai.providers[].provider",
            reason=f"unknown provider {provider!r}; use one of {', '.join(ENV_VARS)}",
        ) from None


def held(environ: Mapping[str, str]) -> dict[str, str]:
    """Every provider key present in `environ`, by variable name, whether or not the manifest
    uses that provider: what the process holds, so what must never leave it (prompts, caches,
    transcripts, logs, generated files)."""
    return {variable: environ[variable] for variable in ENV_VARS.values() if environ.get(variable)}


def settings(
    providers: Sequence[codegeneration.AIProvider],
    environ: Mapping[str, str],
    *,
    timeout_seconds: float | None = None,
) -> tuple[types.ProviderSettings, ...]:
    """One `ProviderSettings` per manifest entry that can be used, in order, keys taken from
    `environ`. A provider that needs a key and has none is left out (the next one is tried,
    as for any failure); if that leaves none, an input error names the variables to set.
    """
    found: list[types.ProviderSettings] = []
    missing: list[str] = []
    for index, entry in enumerate(providers):
        variable = env_var(entry.provider)
        key = environ.get(variable) or None
        if entry.provider in NEEDS_KEY and key is None:
            missing.append(f"{variable} for spec.ai.providers[{index}] ({entry.provider})")
            continue
        base_url = entry.base_url
        if base_url is None and entry.provider in HOST_VARS:
            base_url = environ.get(HOST_VARS[entry.provider]) or None
        entry_settings = types.ProviderSettings(
            provider=entry.provider, model=entry.model, api_key=key, base_url=base_url
        )
        if timeout_seconds is not None:
            entry_settings = dataclasses.replace(entry_settings, timeout_seconds=timeout_seconds)
        found.append(entry_settings)
    if not found:
        raise errors.ManifestError(
            field="spec.ai.providers",
            reason="no provider has an API key: set "
            + ", or ".join(missing)
            + " (in a cluster: the Secret named by secretRef), or add a local ollama provider",
        )
    return tuple(found)
