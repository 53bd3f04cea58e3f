"""Everything one generation needs from the AI layer, built from `spec.ai` and the options
of the process: the router over the manifest's providers, and the summary of what it spent.

    options = session.Options(environ=os.environ, cache=cache.Directory(...))
    ask = session.router(manifest.spec.ai, options)      # providers in manifest order
    ... author.Author(ask).write(...) ...
    session.summary(ask, attempts=2)                      # provider, model, tokens, cost
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kodegen.ai import (
    breaker,
    budget,
    cache,
    keys,
    metrics,
    pricing,
    providers,
    redact,
    retry,
    types,
)
from kodegen.ai import router as router_
from kodegen.ai import transcript as transcript_
from kodegen.api import codegeneration

__all__ = ["Options", "Summary", "held", "router", "summary"]


@dataclass(frozen=True)
class Options:
    """How this process talks to AI providers (the manifest says which, and how much)."""

    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    """Where API keys and `OLLAMA_HOST` are read from."""
    build: Callable[[types.ProviderSettings], types.Provider] = providers.build
    """Settings -> adapter; tests give one that returns a scripted provider."""
    prices: pricing.Pricing = field(default_factory=pricing.Pricing)
    breakers: breaker.Breakers = field(default_factory=lambda: breaker.SHARED)
    """Shared by every generation of the process, so a dead provider stays skipped."""
    metrics: metrics.Metrics = field(default_factory=lambda: metrics.SHARED)
    cache: cache.Cache | None = None
    """Answers already paid for; None: every request is sent."""
    policy: retry.Policy = field(default_factory=retry.Policy)
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    timeout_seconds: float | None = None
    """Per-call limit for every provider; None for `ProviderSettings`' default (120 s)."""
    max_tokens: int | None = None
    """Token budget of one generation (input and output), on top of `spec.ai.maxCostUSD`."""
    transcript: bool = True
    """Write `.kodegen/transcript.jsonl` beside the output."""


@dataclass(frozen=True)
class Summary:
    """What AI did in one generation: the CLI's summary rows, the status, the provenance."""

    mode: str
    provider: str | None
    model: str | None
    providers: tuple[str, ...]
    calls: int
    cached: int
    failures: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    attempts: int
    """Gate runs: 1 plus the repairs made."""
    chosen: int
    """The attempt whose files were kept (1-based): the first that passed, else the best."""
    note: str | None = None
    """Why the AI stage stopped early (budget spent, no provider left), if it did."""
    rejected: tuple[str, ...] = ()
    """Every file block a model gave that was not taken, and why (`router.Usage.rejected`)."""

    @property
    def tokens(self) -> int:
        return self.input_tokens + self.output_tokens

    def to_dict(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "provider": self.provider,
            "model": self.model,
            "providers": list(self.providers),
            "calls": self.calls,
            "cached": self.cached,
            "failures": self.failures,
            "inputTokens": self.input_tokens,
            "outputTokens": self.output_tokens,
            "costUSD": round(self.cost_usd, 6),
            "attempts": self.attempts,
            "chosenAttempt": self.chosen,
            **({"note": self.note} if self.note else {}),
            **({"rejected": list(self.rejected)} if self.rejected else {}),
        }


def router(spec: codegeneration.AISpec, options: Options) -> router_.Router:
    """A router over `spec.providers` (in order) within `spec.maxCostUSD`."""
    settings = keys.settings(
        spec.providers, options.environ, timeout_seconds=options.timeout_seconds
    )
    secrets = held(options, settings)
    redactor = redact.Redactor(secrets)
    redact.protect(secrets)
    return router_.Router(
        [options.build(s) for s in settings],
        budget=budget.Budget(spec.max_cost_usd, options.max_tokens),
        prices=options.prices,
        breakers=options.breakers,
        metrics=options.metrics,
        cache=options.cache,
        transcript=transcript_.Transcript(redactor),
        redactor=redactor,
        policy=options.policy,
        sleep=options.sleep,
    )


def held(options: Options, settings: tuple[types.ProviderSettings, ...] = ()) -> tuple[str, ...]:
    """Every key this generation holds: each provider variable set in `options.environ`
    (used by the manifest or not) and each key of `settings`, sorted."""
    found = set(keys.held(options.environ).values())
    found.update(s.api_key for s in settings if s.api_key)
    return tuple(sorted(found))


def summary(ask: router_.Router, *, mode: str, attempts: int, chosen: int) -> Summary:
    usage = ask.usage
    return Summary(
        mode=mode,
        provider=usage.provider,
        model=usage.model,
        providers=tuple(usage.providers),
        calls=usage.calls,
        cached=usage.cached,
        failures=usage.failures,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cost_usd=usage.cost_usd,
        attempts=attempts,
        chosen=chosen,
        rejected=tuple(usage.rejected),
    )
