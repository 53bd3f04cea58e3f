"""Retries of one provider: exponential backoff with full jitter, honouring `Retry-After`.

Only `ProviderError.retryable` failures are retried (rate limits, 5xx, timeouts); the SDKs'
own retries are switched off so that this is the one place that waits, with an injected
`sleep`, and tests never really sleep.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from kodegen import errors

__all__ = ["Policy", "call"]

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Policy:
    attempts: int = 3
    """Calls in all, the first one included: 3 rides out a short rate limit or a restart
    without letting a dead provider hold up the failover for long."""
    base_seconds: float = 1.0
    """First backoff ceiling; doubled on each retry."""
    max_seconds: float = 30.0
    """Longest wait between two calls, `Retry-After` included: a provider asking for more is
    better skipped for the next one."""

    def delay(self, retry: int, error: errors.ProviderError, rand: Callable[[], float]) -> float:
        """Seconds before retry number `retry` (1-based): the provider's `Retry-After` when it
        gave one, else a uniformly random share of the exponential ceiling (full jitter)."""
        if error.retry_after is not None:
            return min(max(error.retry_after, 0.0), self.max_seconds)
        ceiling = min(self.base_seconds * 2 ** (retry - 1), self.max_seconds)
        return float(rand() * ceiling)


async def call(
    function: Callable[[], Awaitable[T]],
    policy: Policy,
    *,
    sleep: Sleep,
    rand: Callable[[], float] = random.random,
    on_retry: Callable[[errors.ProviderError, float], None] | None = None,
    retry_if: Callable[[errors.ProviderError], bool] = lambda exc: True,
) -> T:
    """`await function()`, retried on retryable `ProviderError`s that `retry_if` accepts;
    the last error propagates."""
    for attempt in range(1, policy.attempts + 1):
        try:
            return await function()
        except errors.ProviderError as exc:
            if not exc.retryable or not retry_if(exc) or attempt == policy.attempts:
                raise
            if exc.retry_after is not None and exc.retry_after > policy.max_seconds:
                raise
            wait = policy.delay(attempt, exc, rand)
            if on_retry is not None:
                on_retry(exc, wait)
            await sleep(wait)
    raise AssertionError("unreachable: the loop returns or raises")  # pragma: no cover
