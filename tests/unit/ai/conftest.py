"""Fixtures of the AI layer's tests: fake time, scripted providers, fresh breakers/metrics."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kodegen.ai import breaker, budget, metrics, redact, retry, router, scripted, transcript


class FakeTime:
    """A clock and an async sleep that advance together, instantly."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def make_router(fake_time: FakeTime) -> Callable[..., router.Router]:
    def make(*providers: scripted.Scripted, **options: object) -> router.Router:
        defaults: dict[str, object] = {
            "budget": budget.Budget(max_cost_usd=10.0),
            "breakers": breaker.Breakers(clock=fake_time.clock),
            "metrics": metrics.Metrics(),
            "sleep": fake_time.sleep,
            "clock": fake_time.clock,
            "rand": lambda: 0.5,
            "policy": retry.Policy(attempts=3, base_seconds=1.0),
        }
        defaults.update(options)
        if "transcript" not in defaults:
            redactor = defaults.get("redactor")
            defaults["transcript"] = transcript.Transcript(
                redactor if isinstance(redactor, redact.Redactor) else redact.Redactor()
            )
        return router.Router(list(providers), **defaults)  # type: ignore[arg-type]

    return make
