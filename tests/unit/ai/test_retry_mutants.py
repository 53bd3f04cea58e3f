"""ai.retry at its edges (found by `make mutate`): the exact backoff, `Retry-After` bounds, and
which failures are retried how often."""

from __future__ import annotations

import pytest

from kodegen import errors
from kodegen.ai import retry

POLICY = retry.Policy(attempts=3, base_seconds=1.0, max_seconds=30.0)


def _error(kind: str = "server", retry_after: float | None = None) -> errors.ProviderError:
    return errors.ProviderError(provider="p", kind=kind, reason="r", retry_after=retry_after)


@pytest.mark.parametrize(
    ("attempt", "expected"), [(1, 0.5), (2, 1.0), (3, 2.0), (5, 8.0), (6, 15.0), (9, 15.0)]
)
def test_the_backoff_is_half_the_doubling_ceiling_with_rand_one_half(
    attempt: int, expected: float
) -> None:
    assert POLICY.delay(attempt, _error(), lambda: 0.5) == expected


@pytest.mark.parametrize(
    ("after", "expected"), [(2.5, 2.5), (-3.0, 0.0), (30.0, 30.0), (99.0, 30.0)]
)
def test_retry_after_is_honoured_within_bounds(after: float, expected: float) -> None:
    assert POLICY.delay(1, _error(retry_after=after), lambda: 0.5) == expected


async def _run(
    failures: list[errors.ProviderError], **options: object
) -> tuple[str | None, int, list[float], list[float]]:
    calls, slept, told = 0, [], []

    async def function() -> str:
        nonlocal calls
        calls += 1
        if failures:
            raise failures.pop(0)
        return "ok"

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    try:
        result: str | None = await retry.call(
            function,
            POLICY,
            sleep=sleep,
            rand=lambda: 0.5,
            on_retry=lambda exc, wait: told.append(
                wait if isinstance(exc, errors.ProviderError) else -1
            ),
            **options,  # type: ignore[arg-type]
        )
    except errors.ProviderError:
        result = None
    return result, calls, slept, told


async def test_retryable_failures_are_retried_until_success() -> None:
    assert await _run([_error(), _error("timeout")]) == ("ok", 3, [0.5, 1.0], [0.5, 1.0])


async def test_the_last_attempt_raises() -> None:
    assert await _run([_error(), _error(), _error("rate_limited")]) == (
        None,
        3,
        [0.5, 1.0],
        [0.5, 1.0],
    )


async def test_a_failure_that_is_not_retryable_raises_at_once() -> None:
    assert await _run([_error("auth")]) == (None, 1, [], [])


async def test_retry_if_can_refuse_a_retry() -> None:
    assert await _run([_error()], retry_if=lambda exc: False) == (None, 1, [], [])
    assert await _run([_error()], retry_if=lambda exc: True) == ("ok", 2, [0.5], [0.5])


async def test_a_provider_asking_for_more_than_the_longest_wait_is_skipped() -> None:
    assert await _run([_error(retry_after=30.5)]) == (None, 1, [], [])
    assert await _run([_error(retry_after=30.0)]) == ("ok", 2, [30.0], [30.0])


async def test_one_attempt_means_no_retry() -> None:
    calls = 0

    async def function() -> str:
        nonlocal calls
        calls += 1
        raise _error()

    async def sleep(seconds: float) -> None:
        raise AssertionError("no wait")

    with pytest.raises(errors.ProviderError):
        await retry.call(function, retry.Policy(attempts=1), sleep=sleep)
    assert calls == 1
    assert retry.Policy() == retry.Policy(attempts=3, base_seconds=1.0, max_seconds=30.0)
