"""ai.retry: backoff with jitter, Retry-After, only retryable failures."""

from __future__ import annotations

import pytest

from kodegen import errors
from kodegen.ai import retry
from tests.unit.ai.conftest import FakeTime


def failing(*kinds: str, retry_after: float | None = None) -> tuple[list[int], object]:
    calls: list[int] = []

    async def function() -> str:
        calls.append(1)
        if len(calls) <= len(kinds):
            raise errors.ProviderError(
                provider="p", kind=kinds[len(calls) - 1], reason="x", retry_after=retry_after
            )
        return "ok"

    return calls, function


async def test_retryable_failures_are_retried_with_exponential_jittered_backoff(
    fake_time: FakeTime,
) -> None:
    calls, function = failing("server", "timeout")
    policy = retry.Policy(attempts=3, base_seconds=2.0)
    result = await retry.call(function, policy, sleep=fake_time.sleep, rand=lambda: 0.5)  # type: ignore[arg-type]
    assert result == "ok"
    assert len(calls) == 3
    assert fake_time.slept == [1.0, 2.0]  # half of 2 s, then half of 4 s


async def test_retry_after_is_honoured(fake_time: FakeTime) -> None:
    _, function = failing("rate_limited", retry_after=7.0)
    waits: list[float] = []
    await retry.call(
        function,  # type: ignore[arg-type]
        retry.Policy(),
        sleep=fake_time.sleep,
        on_retry=lambda exc, wait: waits.append(wait),
    )
    assert fake_time.slept == [7.0] == waits


async def test_a_retry_after_longer_than_the_cap_fails_over_at_once(fake_time: FakeTime) -> None:
    calls, function = failing("rate_limited", retry_after=3600.0)
    with pytest.raises(errors.ProviderError):
        await retry.call(function, retry.Policy(max_seconds=30), sleep=fake_time.sleep)  # type: ignore[arg-type]
    assert calls == [1]
    assert fake_time.slept == []


@pytest.mark.parametrize("kind", ["auth", "bad_request", "refusal", "malformed", "unavailable"])
async def test_other_failures_are_not_retried(fake_time: FakeTime, kind: str) -> None:
    calls, function = failing(kind)
    with pytest.raises(errors.ProviderError) as caught:
        await retry.call(function, retry.Policy(), sleep=fake_time.sleep)  # type: ignore[arg-type]
    assert caught.value.kind == kind
    assert calls == [1]


async def test_the_last_error_propagates_after_every_attempt(fake_time: FakeTime) -> None:
    calls, function = failing("server", "server", "server", "server")
    with pytest.raises(errors.ProviderError, match="server"):
        await retry.call(function, retry.Policy(attempts=3), sleep=fake_time.sleep)  # type: ignore[arg-type]
    assert len(calls) == 3
    assert len(fake_time.slept) == 2


def test_jitter_stays_under_the_ceiling_and_the_cap() -> None:
    policy = retry.Policy(base_seconds=1.0, max_seconds=5.0)
    error = errors.ProviderError(provider="p", kind="server", reason="x")
    assert policy.delay(1, error, lambda: 0.999) < 1.0
    assert policy.delay(10, error, lambda: 1.0) == 5.0
    assert policy.delay(3, error, lambda: 0.0) == 0.0


async def test_retry_if_can_refuse_a_retry(fake_time: FakeTime) -> None:
    calls, function = failing("timeout")
    with pytest.raises(errors.ProviderError):
        await retry.call(
            function,  # type: ignore[arg-type]
            retry.Policy(),
            sleep=fake_time.sleep,
            retry_if=lambda exc: exc.kind != "timeout",
        )
    assert calls == [1]
