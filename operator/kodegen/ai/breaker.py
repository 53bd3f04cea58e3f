"""Circuit breakers, one per provider, shared by every generation in the process.

closed      calls go through; `threshold` consecutive failures open the breaker
open        calls are refused at once (the router fails over) until `cooldown` has passed
half-open   one trial call goes through: success closes the breaker, failure opens it again

Time is injected (`clock`, monotonic seconds), so tests open and half-open breakers without
waiting.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = ["SHARED", "Breaker", "Breakers", "Settings"]

State = Literal["closed", "open", "half-open"]


@dataclass(frozen=True)
class Settings:
    threshold: int = 3
    """Consecutive failures that open the breaker: one failure may be bad luck, three in a row
    (each already retried) mean the provider is down."""
    cooldown_seconds: float = 60.0
    """How long an open breaker refuses calls before it lets one trial call through."""


class Breaker:
    def __init__(self, settings: Settings, clock: Callable[[], float]) -> None:
        self.settings, self.clock = settings, clock
        self.failures = 0
        self.opened_at: float | None = None
        self.trial = False
        self._lock = threading.Lock()

    @property
    def state(self) -> State:
        if self.opened_at is None:
            return "closed"
        if self.clock() - self.opened_at >= self.settings.cooldown_seconds:
            return "half-open"
        return "open"

    def allow(self) -> bool:
        """Whether a call may go now; in half-open, only one trial call at a time."""
        with self._lock:
            state = self.state
            if state == "closed":
                return True
            if state == "half-open" and not self.trial:
                self.trial = True
                return True
            return False

    def success(self) -> None:
        with self._lock:
            self.failures, self.opened_at, self.trial = 0, None, False

    def abandon(self) -> None:
        """A call that ended without a verdict (cancelled): a half-open trial may go again."""
        with self._lock:
            self.trial = False

    def failure(self) -> None:
        with self._lock:
            self.failures += 1
            if self.trial or self.failures >= self.settings.threshold:
                self.opened_at, self.trial = self.clock(), False

    def retry_in(self) -> float:
        """Seconds until an open breaker half-opens (0 when not open)."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.settings.cooldown_seconds - (self.clock() - self.opened_at))


class Breakers:
    """The breakers of a process, keyed by provider and base URL (one per endpoint)."""

    def __init__(
        self, settings: Settings | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.settings, self.clock = settings or Settings(), clock
        self._breakers: dict[str, Breaker] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> Breaker:
        with self._lock:
            if key not in self._breakers:
                self._breakers[key] = Breaker(self.settings, self.clock)
            return self._breakers[key]


SHARED = Breakers()
"""The process-wide breakers the pipeline uses unless given others (tests pass their own)."""
