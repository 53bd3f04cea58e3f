"""The router: one question, the providers of `spec.ai.providers` in order, one answer.

    for each provider, in order:
        cached answer for this exact request?    -> use it (no call, no cost)
        circuit breaker open?                    -> skip to the next provider
        budget would be exceeded?                -> stop: errors.BudgetExceeded
        call, retried on 429/5xx/timeouts (retry.Policy, Retry-After honoured); a timeout
            is retried only on the last provider: with another one left, a provider that
            hangs fails over within its timeout instead of `attempts` times it
        failed, refused, or answer unparseable   -> record, fail over to the next provider
        -> the answer
    every provider failed                        -> errors.AIError naming each failure

Every exchange goes to the transcript and the metrics; every message that can reach a log,
an Event or the user goes through the redactor first. Every prompt has the keys the process
holds masked (in any of `redact.encodings`) before it is sent: a repair prompt carries files and
test output, which may hold one. An answer the redactor would change is never cached. File
blocks that `parse` rejected (its result's `problems`) are recorded in the transcript and in
`Usage.rejected`.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, runtime_checkable

from kodegen import errors
from kodegen.ai import breaker, pricing, redact, retry, types
from kodegen.ai import budget as budget_
from kodegen.ai import cache as cache_
from kodegen.ai import metrics as metrics_
from kodegen.ai import transcript as transcript_

__all__ = ["Prompt", "Router", "Usage"]

logger = logging.getLogger(__name__)
T = TypeVar("T")


@runtime_checkable
class Reported(Protocol):
    """A parsed answer that says what it left out (`protocol.Parsed`)."""

    @property
    def problems(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class Prompt:
    """What to ask, whoever answers: the router makes one `types.Request` per provider."""

    purpose: str
    """plan, write, fill or repair: recorded in the transcript and the provenance."""
    system: str
    messages: tuple[types.Message, ...]
    max_tokens: int = 16384


@dataclass
class Usage:
    """What the router spent for one generation (the CLI's summary, the status, provenance)."""

    calls: int = 0
    """Answered calls (retries and failures excluded); cache hits count as cached."""
    cached: int = 0
    failures: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    provider: str | None = None
    """The provider of the last answer used."""
    model: str | None = None
    providers: list[str] = field(default_factory=list)
    """Every provider that gave a used answer, in order, without repeats."""
    rejected: list[str] = field(default_factory=list)
    """Every file block of an answer that was not taken, one line each, naming the request
    (purpose, provider) and why: bad or protected paths, clashes, whole answers refused."""


class Router:
    def __init__(
        self,
        providers: Sequence[types.Provider],
        *,
        budget: budget_.Budget,
        prices: pricing.Pricing | None = None,
        breakers: breaker.Breakers | None = None,
        metrics: metrics_.Metrics | None = None,
        cache: cache_.Cache | None = None,
        transcript: transcript_.Transcript | None = None,
        redactor: redact.Redactor | None = None,
        policy: retry.Policy | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.perf_counter,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if not providers:
            raise errors.ManifestError(
                field="spec.ai.providers", reason="at least one provider is needed"
            )
        self.providers = list(providers)
        self.budget = budget
        self.prices = prices or pricing.Pricing()
        self.breakers = breakers or breaker.SHARED
        self.metrics = metrics or metrics_.SHARED
        self.cache = cache
        self.redactor = redactor or redact.Redactor()
        self.transcript = transcript or transcript_.Transcript(self.redactor)
        self.policy = policy or retry.Policy()
        self.sleep, self.clock, self.rand = sleep, clock, rand
        self.usage = Usage()

    async def ask(
        self, prompt: Prompt, parse: Callable[[types.Response], T]
    ) -> tuple[types.Response, T]:
        """The first usable answer to `prompt`, and what `parse` made of it.

        `parse` raises `errors.ProviderError` (kind `unparseable`) for an answer it cannot use;
        the router then fails over as if the provider had failed.
        """
        failures: list[str] = []
        last = self.providers[-1]
        system = self.redactor.known(prompt.system)
        messages = tuple(
            types.Message(message.role, self.redactor.known(message.content))
            for message in prompt.messages
        )
        for provider in self.providers:
            request = types.Request(
                model=provider.model,
                system=system,
                messages=messages,
                max_tokens=prompt.max_tokens,
            )
            key = _cache_key(provider, request)
            known = self.cache.get(key) if self.cache is not None else None
            if known is not None and self.redactor.holds_secret(known.text):
                known = None  # planted, or cached before keys were checked: never replayed
            response: types.Response
            if known is not None:
                response = dataclasses.replace(known, cached=True, cost_usd=0.0)
            else:
                self.budget.check(provider.name, request, self.prices)
                gate = self.breakers.get(provider.endpoint)
                if not gate.allow():
                    failures.append(
                        f"{provider.name}: circuit open after repeated failures "
                        f"(next try in {gate.retry_in():.0f} s)"
                    )
                    continue
                try:
                    fresh = await retry.call(
                        functools.partial(self._once, provider, request),
                        self.policy,
                        sleep=self.sleep,
                        rand=self.rand,
                        on_retry=self._log_retry,
                        retry_if=functools.partial(_worth_retrying, is_last=provider is last),
                    )
                except errors.ProviderError as exc:
                    gate.failure()
                    self._failed(prompt, provider, request, None, exc, failures)
                    continue
                except BaseException:  # cancelled, interrupted: neither success nor failure
                    gate.abandon()
                    raise
                gate.success()
                cost = self.prices.cost(provider.name, request.model, fresh.usage)
                response = dataclasses.replace(fresh, provider=provider.name, cost_usd=cost)
                self.budget.charge(response)
                self._spent(response)
            try:
                parsed = parse(response)
            except errors.ProviderError as exc:
                self.metrics.failure(provider.name, exc.kind)
                self._failed(prompt, provider, request, response, exc, failures)
                self.usage.rejected.append(
                    f"{prompt.purpose} ({provider.name}): the whole answer: "
                    + self.redactor(exc.reason)
                )
                continue
            if self.cache is not None and not response.cached:
                self._store(self.cache, key, response)
            problems = tuple(
                self.redactor(problem)
                for problem in (parsed.problems if isinstance(parsed, Reported) else ())
            )
            self.transcript.add(
                transcript_.Entry(
                    prompt.purpose, provider.name, request, response, rejected=problems
                )
            )
            self.usage.rejected.extend(
                f"{prompt.purpose} ({provider.name}): {problem}" for problem in problems
            )
            self._used(provider, response)
            logger.info(
                "ai answer purpose=%s provider=%s model=%s cached=%s tokens=%d",
                prompt.purpose,
                provider.name,
                response.model,
                response.cached,
                response.usage.total,
            )
            return response, parsed
        raise errors.AIError(
            self.redactor(
                f"no AI provider answered the {prompt.purpose} request: " + "; ".join(failures)
            )
        )

    async def aclose(self) -> None:
        for provider in self.providers:
            await provider.aclose()

    def _store(self, store: cache_.Cache, key: str, response: types.Response) -> None:
        """Cache `response` unless it holds something the redactor masks: the cache keeps
        redacted answers only, and a masked answer replayed would differ from the one used."""
        if self.redactor(response.text) != response.text:
            logger.warning(
                "ai answer not cached provider=%s reason=it holds a key or credential-like text",
                response.provider,
            )
            return
        store.put(key, response)

    async def _once(self, provider: types.Provider, request: types.Request) -> types.Response:
        started = self.clock()
        try:
            async with asyncio.timeout(provider.timeout_seconds):
                response = await provider.generate(request)
        except TimeoutError as exc:
            self.metrics.observe(provider.name, self.clock() - started, None)
            self.metrics.failure(provider.name, "timeout")
            raise errors.ProviderError(
                provider=provider.name,
                kind="timeout",
                reason=f"no answer within {provider.timeout_seconds:g} s",
            ) from exc
        except errors.ProviderError as exc:
            self.metrics.observe(provider.name, self.clock() - started, None)
            self.metrics.failure(provider.name, exc.kind)
            raise
        self.metrics.observe(
            provider.name,
            self.clock() - started,
            dataclasses.replace(
                response,
                cost_usd=self.prices.cost(provider.name, request.model, response.usage),
            ),
        )
        return response

    def _failed(
        self,
        prompt: Prompt,
        provider: types.Provider,
        request: types.Request,
        response: types.Response | None,
        exc: errors.ProviderError,
        failures: list[str],
    ) -> None:
        message = self.redactor(str(exc))
        failures.append(message)
        self.usage.failures += 1
        self.transcript.add(
            transcript_.Entry(prompt.purpose, provider.name, request, response, error=message)
        )
        logger.warning(
            "ai provider failed purpose=%s provider=%s kind=%s reason=%s",
            prompt.purpose,
            provider.name,
            exc.kind,
            self.redactor(exc.reason),
        )

    def _log_retry(self, exc: errors.ProviderError, wait: float) -> None:
        logger.info(
            "ai retry provider=%s kind=%s wait=%.2f reason=%s",
            exc.provider,
            exc.kind,
            wait,
            self.redactor(exc.reason),
        )

    def _spent(self, response: types.Response) -> None:
        self.usage.input_tokens += response.usage.input_tokens
        self.usage.output_tokens += response.usage.output_tokens
        self.usage.cost_usd += response.cost_usd

    def _used(self, provider: types.Provider, response: types.Response) -> None:
        self.usage.calls += 1
        self.usage.cached += int(response.cached)
        self.usage.provider, self.usage.model = provider.name, response.model or provider.model
        if provider.name not in self.usage.providers:
            self.usage.providers.append(provider.name)


def _worth_retrying(exc: errors.ProviderError, *, is_last: bool) -> bool:
    """A timeout is retried only when no other provider is left to fail over to."""
    return exc.kind != "timeout" or is_last


def _cache_key(provider: types.Provider, request: types.Request) -> str:
    identity = f"{provider.endpoint}\n{request.key()}"
    return "sha256:" + hashlib.sha256(identity.encode()).hexdigest()
