"""ai.router, the rules its first tests left open (found by `make mutate`): what a generation's
usage adds up, which provider and model it names, what the metrics and the transcript record,
the defaults of a router built with none, and the log lines an operator reads."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Callable

import pytest

from kodegen import errors
from kodegen.ai import breaker, budget, cache, pricing, protocol, redact, router, scripted, types
from tests.unit.ai.conftest import FakeTime

MakeRouter = Callable[..., router.Router]
FILES = protocol.format({"app.py": "x = 1\n"})
PROMPT = router.Prompt("write", "system", (types.Message("user", "spec"),), max_tokens=1000)
OTHER = router.Prompt("write", "system", (types.Message("user", "other spec"),))


def files(response: types.Response) -> dict[str, str]:
    return protocol.files(response.text, provider=response.provider).files


def fail(kind: str, provider: str = "a", retry_after: float | None = None) -> errors.ProviderError:
    return errors.ProviderError(
        provider=provider, kind=kind, reason=f"{kind} happened", retry_after=retry_after
    )


@dataclasses.dataclass
class Dated(scripted.Scripted):
    """An adapter whose answers name a dated model and the SDK's own provider name."""

    async def generate(self, request: types.Request) -> types.Response:
        response = await super().generate(request)
        return dataclasses.replace(response, model=f"{request.model}-2025-04-14", provider="sdk")


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == router.__name__]


# -- usage: what a generation spent, over every answer


async def test_usage_adds_up_the_tokens_and_cost_of_every_fresh_answer(
    make_router: MakeRouter,
) -> None:
    provider = scripted.Scripted([FILES], name="openai", model="gpt-4.1")
    ask = make_router(provider)
    first, _ = await ask.ask(PROMPT, files)
    second, _ = await ask.ask(OTHER, files)
    assert (first.usage.input_tokens, second.usage.input_tokens) == (2, 4)
    assert (ask.usage.input_tokens, ask.usage.output_tokens) == (6, 2 * first.usage.output_tokens)
    price = pricing.Pricing().cost
    assert first.cost_usd == price("openai", "gpt-4.1", first.usage)  # the provider's price
    assert ask.usage.cost_usd == pytest.approx(first.cost_usd + second.cost_usd)
    assert ask.usage.calls == 2


async def test_usage_counts_every_cached_answer(make_router: MakeRouter) -> None:
    ask = make_router(scripted.Scripted([FILES], name="a"), cache=cache.Memory())
    for prompt in (PROMPT, PROMPT, PROMPT, OTHER):  # fresh, cached, cached, fresh
        await ask.ask(prompt, files)
    assert (ask.usage.calls, ask.usage.cached) == (4, 2)


async def test_the_answer_and_usage_name_the_configured_provider_and_the_answering_model(
    make_router: MakeRouter,
) -> None:
    ask = make_router(Dated([FILES], name="openai", model="gpt-4.1"))
    response, _ = await ask.ask(PROMPT, files)
    assert response.provider == "openai"
    assert (ask.usage.provider, ask.usage.model) == ("openai", "gpt-4.1-2025-04-14")


def test_the_cache_key_is_the_sha256_of_the_endpoint_and_the_request() -> None:
    provider = scripted.Scripted([FILES], name="a", endpoint="https://a.example")
    request = types.Request(model="m", system="s", messages=(), max_tokens=10)
    identity = f"https://a.example\n{request.key()}".encode()
    assert router._cache_key(provider, request) == "sha256:" + hashlib.sha256(identity).hexdigest()


# -- metrics and transcript


async def test_metrics_record_latency_by_the_clock_and_cost_at_the_providers_price(
    make_router: MakeRouter, fake_time: FakeTime
) -> None:
    ask = make_router(scripted.Scripted([fail("server"), FILES], name="openai", model="gpt-4.1"))
    response, _ = await ask.ask(PROMPT, files)
    entry = ask.metrics.providers["openai"]
    assert (entry.requests, entry.latency_buckets[0], entry.latency_sum) == (2, 2, 0.0)
    assert entry.cost_usd == response.cost_usd > 0


async def test_a_timeout_is_measured_by_the_clock_and_named_in_the_error(
    make_router: MakeRouter,
) -> None:
    import asyncio

    async def hang(request: types.Request) -> types.Response:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    slow = scripted.Scripted([FILES], name="slow", timeout_seconds=0.01)
    slow.generate = hang  # type: ignore[method-assign]
    ask = make_router(slow, policy=router.retry.Policy(attempts=1))
    with pytest.raises(errors.AIError) as caught:
        await ask.ask(PROMPT, files)
    assert str(caught.value) == (
        "no AI provider answered the write request: provider slow: timeout: no answer within 0.01 s"
    )
    entry = ask.metrics.providers["slow"]
    assert (entry.latency_buckets[0], entry.latency_sum, entry.failures) == (1, 0.0, {"timeout": 1})


async def test_a_failed_exchange_is_in_the_transcript_with_its_request(
    make_router: MakeRouter,
) -> None:
    first = scripted.Scripted(["no files here"], name="a")
    ask = make_router(first, scripted.Scripted([FILES], name="b"))
    await ask.ask(PROMPT, files)
    [failed, answered] = ask.transcript.entries
    assert (failed.purpose, failed.provider, failed.request) == ("write", "a", first.requests[0])
    assert ask.usage.rejected == [
        "write (a): the whole answer: no usable file in the answer: "
        "no '=== FILE: <path> ===' block found"
    ]
    assert answered.provider == "b"


async def test_a_provider_failing_without_an_answer_is_in_the_transcript(
    make_router: MakeRouter,
) -> None:
    first = scripted.Scripted([fail("auth")], name="a")
    ask = make_router(first, scripted.Scripted([FILES], name="b"))
    await ask.ask(PROMPT, files)
    failed = ask.transcript.entries[0]
    assert (failed.purpose, failed.provider, failed.error) == (
        "write",
        "a",
        "provider a: auth: auth happened",
    )


async def test_the_problems_an_answer_reports_are_recorded_redacted(
    make_router: MakeRouter,
) -> None:
    key = "held-key-0123456789"

    def parse(response: types.Response) -> protocol.Parsed:
        return protocol.Parsed({"app.py": "x"}, (f"line 3: {key} is no path",))

    ask = make_router(scripted.Scripted([FILES], name="a"), redactor=redact.Redactor([key]))
    await ask.ask(PROMPT, parse)
    assert ask.usage.rejected == ["write (a): line 3: *** is no path"]
    assert ask.transcript.entries[0].rejected == ("line 3: *** is no path",)


# -- failures


async def test_every_failure_is_named_one_after_the_other(
    make_router: MakeRouter, fake_time: FakeTime
) -> None:
    shared = breaker.Breakers(breaker.Settings(threshold=1, cooldown_seconds=30), fake_time.clock)
    shared.get("b:x").failure()
    ask = make_router(
        scripted.Scripted([fail("auth")], name="a"),
        scripted.Scripted([FILES], name="b", endpoint="b:x"),
        breakers=shared,
    )
    with pytest.raises(errors.AIError) as caught:
        await ask.ask(PROMPT, files)
    assert str(caught.value) == (
        "no AI provider answered the write request: provider a: auth: auth happened; "
        "b: circuit open after repeated failures (next try in 30 s)"
    )


async def test_a_retry_without_retry_after_waits_the_routers_random_share(
    make_router: MakeRouter, fake_time: FakeTime
) -> None:
    ask = make_router(scripted.Scripted([fail("server"), FILES], name="a"), rand=lambda: 0.25)
    await ask.ask(PROMPT, files)
    assert fake_time.slept == [0.25]


# -- a router built with no options


async def test_a_router_built_without_options_retries_three_times_and_redacts_its_transcript(
    fake_time: FakeTime,
) -> None:
    key = "held-key-0123456789"
    down = errors.ProviderError(provider="a", kind="server", reason=f"down {key}")
    provider = scripted.Scripted([down, down, down, FILES], name="a")
    ask = router.Router(
        [provider],
        budget=budget.Budget(1.0),
        breakers=breaker.Breakers(clock=fake_time.clock),
        redactor=redact.Redactor([key]),
        sleep=fake_time.sleep,
        rand=lambda: 0.5,
    )
    with pytest.raises(errors.AIError):
        await ask.ask(PROMPT, files)
    assert len(provider.requests) == 3
    assert key.encode() not in ask.transcript.dump()
    assert b"down ***" in ask.transcript.dump()


def test_a_router_without_providers_names_the_field_to_fill() -> None:
    with pytest.raises(errors.ManifestError) as refused:
        router.Router([], budget=budget.Budget(1.0))
    assert (refused.value.field, refused.value.reason) == (
        "spec.ai.providers",
        "at least one provider is needed",
    )


# -- log lines: a fixed message and key=value fields


async def test_an_answer_is_logged_with_purpose_provider_model_and_tokens(
    make_router: MakeRouter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=router.__name__):
        response, _ = await make_router(scripted.Scripted([FILES], name="a")).ask(PROMPT, files)
    assert messages(caplog) == [
        "ai answer purpose=write provider=a model=scripted-1 cached=False "
        f"tokens={response.usage.total}"
    ]


async def test_a_retry_and_a_failure_are_logged_redacted(
    make_router: MakeRouter, caplog: pytest.LogCaptureFixture
) -> None:
    key = "held-key-0123456789"
    down = errors.ProviderError(provider="a", kind="server", reason=f"down {key}", retry_after=2)
    ask = make_router(
        scripted.Scripted([down], name="a"),
        scripted.Scripted([FILES], name="b"),
        redactor=redact.Redactor([key]),
        policy=router.retry.Policy(attempts=2),
    )
    with caplog.at_level(logging.INFO, logger=router.__name__):
        await ask.ask(PROMPT, files)
    assert messages(caplog)[:2] == [
        "ai retry provider=a kind=server wait=2.00 reason=down ***",
        "ai provider failed purpose=write provider=a kind=server reason=down ***",
    ]


async def test_an_answer_that_is_not_cached_is_logged(
    make_router: MakeRouter, caplog: pytest.LogCaptureFixture
) -> None:
    credential = protocol.format({"app.py": 'TOKEN = "Bearer abcdefghijklmnop"\n'})
    ask = make_router(scripted.Scripted([credential], name="a"), cache=cache.Memory())
    with caplog.at_level(logging.WARNING, logger=router.__name__):
        await ask.ask(PROMPT, files)
    assert messages(caplog) == [
        "ai answer not cached provider=a reason=it holds a key or credential-like text"
    ]
