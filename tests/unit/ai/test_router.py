"""ai.router: failover in order, breakers, budget, cache, transcript, metrics, redaction."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest

from kodegen import errors
from kodegen.ai import breaker, budget, cache, protocol, redact, router, scripted, types
from tests.unit.ai.conftest import FakeTime

MakeRouter = Callable[..., router.Router]
FILES = protocol.format({"app.py": "x = 1\n"})
PROMPT = router.Prompt("write", "system", (types.Message("user", "spec"),), max_tokens=1000)


def files(response: types.Response) -> dict[str, str]:
    return protocol.files(response.text, provider=response.provider).files


def fail(kind: str, provider: str = "a", retry_after: float | None = None) -> errors.ProviderError:
    return errors.ProviderError(
        provider=provider, kind=kind, reason=f"{kind} happened", retry_after=retry_after
    )


async def test_the_first_provider_answers(make_router: MakeRouter) -> None:
    first, second = scripted.Scripted([FILES], name="a"), scripted.Scripted([FILES], name="b")
    ask = make_router(first, second)
    response, parsed = await ask.ask(PROMPT, files)
    assert parsed == {"app.py": "x = 1\n"}
    assert response.provider == "a"
    assert len(first.requests) == 1 and second.requests == []
    request = first.requests[0]
    assert (request.temperature, request.seed, request.max_tokens) == (0.0, 0, 1000)
    assert ask.usage.provider == "a" and ask.usage.calls == 1


@pytest.mark.parametrize("kind", ["auth", "refusal", "bad_request", "malformed", "unavailable"])
async def test_fails_over_in_order_on_errors(make_router: MakeRouter, kind: str) -> None:
    first = scripted.Scripted([fail(kind)], name="a")
    second = scripted.Scripted([fail("auth", "b")], name="b")
    third = scripted.Scripted([FILES], name="c")
    ask = make_router(first, second, third)
    response, _ = await ask.ask(PROMPT, files)
    assert response.provider == "c"
    assert [len(p.requests) for p in (first, second, third)] == [1, 1, 1]
    assert ask.usage.failures == 2
    assert ask.usage.providers == ["c"]


async def test_fails_over_on_an_unparseable_answer(make_router: MakeRouter) -> None:
    first = scripted.Scripted(["Sorry, I can only describe the code."], name="a")
    second = scripted.Scripted([FILES], name="b")
    ask = make_router(first, second)
    response, _ = await ask.ask(PROMPT, files)
    assert response.provider == "b"
    [failed, answered] = ask.transcript.entries
    assert answered.error is None
    assert failed.error is not None and "unparseable" in failed.error
    assert failed.response is not None  # the unusable answer is kept for the audit
    assert ask.metrics.providers["a"].failures == {"unparseable": 1}


async def test_retries_a_rate_limit_honouring_retry_after_then_answers(
    make_router: MakeRouter, fake_time: FakeTime
) -> None:
    first = scripted.Scripted([fail("rate_limited", retry_after=7), FILES], name="a")
    ask = make_router(first)
    response, _ = await ask.ask(PROMPT, files)
    assert response.provider == "a"
    assert fake_time.slept == [7.0]
    assert ask.metrics.providers["a"].requests == 2
    assert ask.metrics.providers["a"].failures == {"rate_limited": 1}


async def test_every_provider_failing_is_one_error_naming_each(make_router: MakeRouter) -> None:
    ask = make_router(
        scripted.Scripted([fail("server")], name="a"),
        scripted.Scripted([fail("auth", "b")], name="b"),
    )
    with pytest.raises(errors.AIError) as caught:
        await ask.ask(PROMPT, files)
    message = str(caught.value)
    assert message.startswith("no AI provider answered the write request: provider a: server")
    assert "provider b: auth: auth happened" in message


async def test_the_breaker_opens_and_later_generations_skip_the_provider(
    make_router: MakeRouter, fake_time: FakeTime
) -> None:
    shared = breaker.Breakers(breaker.Settings(threshold=2, cooldown_seconds=30), fake_time.clock)
    dead = scripted.Scripted([fail("server")], name="a", endpoint="a:dead")
    alive = scripted.Scripted([FILES], name="b")
    for _ in range(2):  # two generations, each retrying the dead provider 3 times
        await make_router(dead, alive, breakers=shared).ask(PROMPT, files)
    assert len(dead.requests) == 6
    assert shared.get("a:dead").state == "open"
    ask = make_router(dead, alive, breakers=shared)
    await ask.ask(PROMPT, files)
    assert len(dead.requests) == 6  # skipped: no call while open
    fake_time.now += 30
    assert shared.get("a:dead").state == "half-open"
    dead.answers = [FILES]
    response, _ = await make_router(dead, alive, breakers=shared).ask(PROMPT, files)
    assert response.provider == "a"  # the trial call went through and closed the breaker
    assert shared.get("a:dead").state == "closed"


async def test_the_budget_stops_before_the_call(make_router: MakeRouter) -> None:
    provider = scripted.Scripted([FILES], name="openai", model="gpt-4.1")
    ask = make_router(provider, budget=budget.Budget(max_cost_usd=0.001))
    with pytest.raises(errors.BudgetExceeded, match="maxCostUSD would be exceeded"):
        await ask.ask(PROMPT, files)
    assert provider.requests == []  # never a surprise bill


async def test_spending_is_charged_and_then_stops_the_run(make_router: MakeRouter) -> None:
    provider = scripted.Scripted([FILES], name="openai", model="gpt-4.1")
    wallet = budget.Budget(max_cost_usd=0.02)
    ask = make_router(provider, budget=wallet)
    await ask.ask(PROMPT, files)
    assert wallet.spent_usd == pytest.approx(ask.usage.cost_usd) and wallet.spent_usd > 0
    wallet.spent_usd = 0.015
    with pytest.raises(errors.BudgetExceeded):
        await ask.ask(PROMPT, files)
    assert len(provider.requests) == 1


async def test_an_identical_request_is_served_from_the_cache(make_router: MakeRouter) -> None:
    provider = scripted.Scripted([FILES], name="openai", model="gpt-4.1")
    store = cache.Memory()
    first = make_router(provider, cache=store)
    await first.ask(PROMPT, files)
    second = make_router(provider, cache=store)
    response, parsed = await second.ask(PROMPT, files)
    assert len(provider.requests) == 1
    assert response.cached and response.cost_usd == 0.0
    assert parsed == {"app.py": "x = 1\n"}
    assert second.usage.cached == 1 and second.usage.cost_usd == 0.0
    other = router.Prompt("write", "system", (types.Message("user", "other spec"),))
    await second.ask(other, files)
    assert len(provider.requests) == 2


async def test_an_unparseable_answer_is_not_cached(make_router: MakeRouter) -> None:
    provider = scripted.Scripted(["no files here", FILES], name="a")
    store = cache.Memory()
    with pytest.raises(errors.AIError):
        await make_router(provider, cache=store).ask(PROMPT, files)
    await make_router(provider, cache=store).ask(PROMPT, files)
    assert len(provider.requests) == 2


async def test_a_hanging_provider_times_out_and_fails_over(make_router: MakeRouter) -> None:
    import asyncio

    async def hang(request: types.Request) -> types.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    slow = scripted.Scripted([FILES], name="slow", timeout_seconds=0.05)
    slow.generate = hang  # type: ignore[method-assign]
    ask = make_router(slow, scripted.Scripted([FILES], name="b"))
    response, _ = await ask.ask(PROMPT, files)
    assert response.provider == "b"
    assert ask.metrics.providers["slow"].failures == {"timeout": 1}  # no retry: fail over


async def test_the_last_provider_is_retried_after_a_timeout(make_router: MakeRouter) -> None:
    timeout = errors.ProviderError(provider="a", kind="timeout", reason="slow")
    only = scripted.Scripted([timeout, FILES], name="a")
    response, _ = await make_router(only).ask(PROMPT, files)
    assert response.provider == "a" and len(only.requests) == 2


async def test_the_transcript_records_every_exchange(make_router: MakeRouter) -> None:
    ask = make_router(scripted.Scripted([FILES], name="a"))
    await ask.ask(PROMPT, files)
    [line] = ask.transcript.dump().decode().splitlines()
    entry = json.loads(line)
    assert entry["purpose"] == "write" and entry["provider"] == "a"
    assert entry["request"] == ask.transcript.entries[0].request.key()
    assert entry["text"] == FILES
    assert entry["messages"] == [{"role": "user", "content": "spec"}]
    [exchange] = ask.transcript.exchanges()
    assert exchange["response"].startswith("sha256:")


async def test_metrics_count_requests_tokens_cost_and_latency(make_router: MakeRouter) -> None:
    ask = make_router(scripted.Scripted([fail("server"), FILES], name="openai", model="gpt-4.1"))
    await ask.ask(PROMPT, files)
    entry = ask.metrics.providers["openai"]
    assert entry.requests == 2
    assert entry.failures == {"server": 1}
    assert sum(entry.latency_buckets) == 2
    assert entry.output_tokens > 0 and entry.cost_usd > 0


async def test_a_key_planted_in_an_error_never_reaches_logs_or_messages(
    make_router: MakeRouter, caplog: pytest.LogCaptureFixture
) -> None:
    key = "sk-live-PLANTEDKEY-0123456789"
    leaky = scripted.Scripted(
        [errors.ProviderError(provider="a", kind="auth", reason=f"bad key {key}")], name="a"
    )
    ask = make_router(leaky, redactor=redact.Redactor([key]))
    with caplog.at_level(logging.DEBUG), pytest.raises(errors.AIError) as caught:
        await ask.ask(PROMPT, files)
    assert key not in caplog.text and "bad key ***" in caplog.text
    assert key not in str(caught.value)
    assert key.encode() not in ask.transcript.dump()


def test_a_router_needs_a_provider() -> None:
    with pytest.raises(errors.ManifestError, match="at least one provider"):
        router.Router([], budget=budget.Budget(1.0))


async def test_a_cancelled_trial_call_does_not_wedge_the_breaker(
    make_router: MakeRouter, fake_time: FakeTime
) -> None:
    import asyncio

    shared = breaker.Breakers(breaker.Settings(threshold=1, cooldown_seconds=10), fake_time.clock)
    shared.get("a:x").failure()
    fake_time.now += 10

    async def hang(request: types.Request) -> types.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    slow = scripted.Scripted([FILES], name="a", endpoint="a:x")
    slow.generate = hang  # type: ignore[method-assign]
    task = asyncio.ensure_future(make_router(slow, breakers=shared).ask(PROMPT, files))
    await asyncio.sleep(0)
    assert slow.requests == [] and not shared.get("a:x").allow()  # the trial call is running
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert shared.get("a:x").allow()  # the trial slot is free again
