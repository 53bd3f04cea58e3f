"""ai.breaker: closed, open after N failures, half-open after the cooldown."""

from __future__ import annotations

from kodegen.ai import breaker
from tests.unit.ai.conftest import FakeTime


def make(fake_time: FakeTime) -> breaker.Breaker:
    return breaker.Breakers(
        breaker.Settings(threshold=3, cooldown_seconds=60), fake_time.clock
    ).get("openai:https://api")


def test_opens_after_threshold_consecutive_failures(fake_time: FakeTime) -> None:
    gate = make(fake_time)
    for _ in range(2):
        gate.failure()
    assert gate.state == "closed" and gate.allow()
    gate.failure()
    assert gate.state == "open"
    assert not gate.allow()
    assert gate.retry_in() == 60


def test_a_success_resets_the_count(fake_time: FakeTime) -> None:
    gate = make(fake_time)
    gate.failure()
    gate.failure()
    gate.success()
    gate.failure()
    gate.failure()
    assert gate.state == "closed"


def test_half_opens_after_the_cooldown_with_one_trial_call(fake_time: FakeTime) -> None:
    gate = make(fake_time)
    for _ in range(3):
        gate.failure()
    fake_time.now += 59.9
    assert not gate.allow()
    fake_time.now += 0.1
    assert gate.state == "half-open"
    assert gate.allow()
    assert not gate.allow()  # one trial at a time
    gate.success()
    assert gate.state == "closed" and gate.allow()


def test_a_failed_trial_opens_again_for_a_full_cooldown(fake_time: FakeTime) -> None:
    gate = make(fake_time)
    for _ in range(3):
        gate.failure()
    fake_time.now += 60
    assert gate.allow()
    gate.failure()
    assert gate.state == "open"
    assert gate.retry_in() == 60


def test_breakers_are_one_per_endpoint_and_shared(fake_time: FakeTime) -> None:
    breakers = breaker.Breakers(clock=fake_time.clock)
    assert breakers.get("a") is breakers.get("a")
    assert breakers.get("a") is not breakers.get("b")
    assert breaker.SHARED.get("x") is breaker.SHARED.get("x")


def test_an_abandoned_trial_lets_the_next_one_through(fake_time: FakeTime) -> None:
    gate = make(fake_time)
    for _ in range(3):
        gate.failure()
    fake_time.now += 60
    assert gate.allow()
    gate.abandon()
    assert gate.allow()
