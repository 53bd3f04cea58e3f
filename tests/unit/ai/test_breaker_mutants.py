"""ai.breaker at its edges (found by `make mutate`): the exact threshold and cooldown, the single
trial of a half-open breaker, and what success and a cancelled call reset."""

from __future__ import annotations

from kodegen.ai import breaker

SETTINGS = breaker.Settings(threshold=3, cooldown_seconds=10.0)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _breaker() -> tuple[breaker.Breaker, Clock]:
    clock = Clock()
    return breaker.Breaker(SETTINGS, clock), clock


def test_the_threshold_th_consecutive_failure_opens_it() -> None:
    unit, _ = _breaker()
    unit.failure()
    unit.failure()
    assert (unit.state, unit.allow(), unit.failures) == ("closed", True, 2)
    unit.failure()
    assert (unit.state, unit.allow(), unit.opened_at) == ("open", False, 100.0)


def test_success_forgets_earlier_failures() -> None:
    unit, _ = _breaker()
    unit.failure()
    unit.failure()
    unit.success()
    assert (unit.failures, unit.opened_at, unit.trial) == (0, None, False)
    unit.failure()
    unit.failure()
    assert unit.state == "closed"


def test_it_half_opens_exactly_when_the_cooldown_has_passed() -> None:
    unit, clock = _breaker()
    for _ in range(3):
        unit.failure()
    clock.now = 109.999
    assert unit.state == "open"
    assert round(unit.retry_in(), 3) == 0.001
    clock.now = 110.0
    assert unit.state == "half-open"
    assert unit.retry_in() == 0.0
    clock.now = 125.0
    assert unit.retry_in() == 0.0  # never negative


def test_retry_in_counts_down_the_cooldown() -> None:
    unit, clock = _breaker()
    assert unit.retry_in() == 0.0
    for _ in range(3):
        unit.failure()
    assert unit.retry_in() == 10.0
    clock.now = 104.0
    assert unit.retry_in() == 6.0


def test_half_open_lets_one_trial_through_and_its_failure_reopens() -> None:
    unit, clock = _breaker()
    for _ in range(3):
        unit.failure()
    clock.now = 110.0
    assert unit.allow() is True
    assert unit.trial is True
    assert unit.allow() is False  # one trial at a time
    clock.now = 111.0
    unit.failure()
    assert (unit.state, unit.opened_at, unit.trial) == ("open", 111.0, False)
    clock.now = 121.0
    assert unit.allow() is True
    unit.success()
    assert (unit.state, unit.failures) == ("closed", 0)


def test_an_abandoned_trial_may_go_again() -> None:
    unit, clock = _breaker()
    for _ in range(3):
        unit.failure()
    clock.now = 110.0
    assert unit.allow()
    unit.abandon()
    assert unit.trial is False
    assert unit.allow()


def test_breakers_are_one_per_key_and_share_settings_and_clock() -> None:
    clock = Clock()
    breakers = breaker.Breakers(SETTINGS, clock)
    first = breakers.get("openai https://a")
    assert breakers.get("openai https://a") is first
    other = breakers.get("openai https://b")
    assert other is not first
    assert (other.settings, other.clock) == (SETTINGS, clock)
    assert breaker.Breakers().settings == breaker.Settings(threshold=3, cooldown_seconds=60.0)
