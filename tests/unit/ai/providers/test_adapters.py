"""Every adapter, through its official SDK, against a local server speaking its wire protocol:
success, 429 with Retry-After, 5xx, auth, timeout, malformed body, refusal, and the router's
failover and retries on top of real HTTP."""

from __future__ import annotations

import socket
import time

import pytest

from kodegen import errors
from kodegen.ai import breaker, budget, metrics, protocol, providers, retry, router, types, wire
from tests.unit.ai.conftest import FakeTime
from tests.unit.ai.providers.conftest import KEY

REQUEST = types.Request(
    model="model-1",
    system="You write code.",
    messages=(types.Message("user", "Write it."),),
    max_tokens=321,
)


def adapter(dialect: str, server: wire.WireServer | None, timeout: float = 5.0) -> types.Provider:
    return providers.build(
        types.ProviderSettings(
            provider=dialect,  # type: ignore[arg-type]
            model="model-1",
            api_key=KEY,
            base_url=server.base_url if server else f"http://127.0.0.1:{_closed_port()}",
            timeout_seconds=timeout,
        )
    )


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def call(dialect: str, *steps: wire.Step, timeout: float = 5.0) -> types.Response:
    async with wire.WireServer(dialect, list(steps)) as server:  # type: ignore[arg-type]
        provider = adapter(dialect, server, timeout)
        try:
            return await provider.generate(REQUEST)
        finally:
            await provider.aclose()


async def failure(dialect: str, *steps: wire.Step, timeout: float = 5.0) -> errors.ProviderError:
    with pytest.raises(errors.ProviderError) as caught:
        await call(dialect, *steps, timeout=timeout)
    return caught.value


async def test_success(dialect: str) -> None:
    response = await call(dialect, wire.Reply("hello", input_tokens=12, output_tokens=34))
    assert response.text == "hello"
    assert response.usage == types.Usage(12, 34)
    assert response.finish_reason == "stop"
    assert response.provider == dialect
    assert response.model == "model-1"


async def test_length_is_reported_as_length(dialect: str) -> None:
    assert (await call(dialect, wire.Reply("cut", finish="length"))).finish_reason == "length"


async def test_rate_limit_with_retry_after(dialect: str) -> None:
    error = await failure(dialect, wire.Fail(429, "slow down", headers={"Retry-After": "7"}))
    assert (error.provider, error.kind, error.retry_after) == (dialect, "rate_limited", 7.0)
    assert error.retryable


async def test_server_error(dialect: str) -> None:
    error = await failure(dialect, wire.Fail(500, "internal"))
    assert (error.kind, error.retry_after) == ("server", None)
    assert "500" in str(error)
    assert error.__cause__ is not None  # the SDK's exception, translated at the boundary


async def test_authentication_error_is_not_retryable_and_hides_the_key(dialect: str) -> None:
    error = await failure(dialect, wire.Fail(401, f"invalid key {KEY}"))
    assert error.kind == "auth" and not error.retryable
    assert KEY not in str(error)


async def test_timeout(dialect: str) -> None:
    async with wire.WireServer(dialect, [wire.Hang(10)]) as server:  # type: ignore[arg-type]
        provider = adapter(dialect, server, timeout=0.2)
        await _warm(provider)
        started = time.perf_counter()
        with pytest.raises(errors.ProviderError) as caught:
            await provider.generate(REQUEST)
        elapsed = time.perf_counter() - started
        await provider.aclose()
    assert caught.value.kind == "timeout"
    assert 0.2 <= elapsed < 2  # the SDK's own timeout fired, not the server's delay


async def _warm(provider: types.Provider) -> None:
    """Import the SDK and build its client before timing a call (imports take a second)."""
    client = getattr(provider, "client", None)
    if callable(client):
        client()


@pytest.mark.parametrize("body", [b"{not json", b'{"unexpected": true}', b"[]"])
async def test_malformed_body(dialect: str, body: bytes) -> None:
    error = await failure(dialect, wire.Raw(200, body))
    assert error.kind == "malformed"


@pytest.mark.parametrize(
    "dialect", ["anthropic", "openai", "google"]
)  # Ollama's chat API has no refusal signal: there a refusal is unparseable text
async def test_refusal(dialect: str) -> None:
    error = await failure(dialect, wire.Reply("I can't help with that.", finish="refusal"))
    assert error.kind == "refusal" and not error.retryable


async def test_a_dead_endpoint_is_unavailable_at_once(dialect: str) -> None:
    provider = adapter(dialect, None)
    await _warm(provider)
    started = time.perf_counter()
    with pytest.raises(errors.ProviderError) as caught:
        await provider.generate(REQUEST)
    await provider.aclose()
    assert caught.value.kind == "unavailable"
    assert time.perf_counter() - started < 2


async def test_the_key_is_sent_in_the_providers_header(dialect: str) -> None:
    async with wire.WireServer(dialect, [wire.Reply("ok")]) as server:  # type: ignore[arg-type]
        provider = adapter(dialect, server)
        await provider.generate(REQUEST)
        await provider.aclose()
    headers = {k.lower(): v for k, v in server.requests[0].headers.items()}
    sent = {
        "anthropic": headers.get("x-api-key") or headers.get("authorization"),
        "openai": headers.get("authorization"),
        "google": headers.get("x-goog-api-key"),
        "ollama": headers.get("authorization"),
    }[dialect]
    assert sent in (KEY, f"Bearer {KEY}")


def _router(fake_time: FakeTime, *chain: types.Provider) -> router.Router:
    return router.Router(
        list(chain),
        budget=budget.Budget(10.0),
        breakers=breaker.Breakers(clock=fake_time.clock),
        metrics=metrics.Metrics(),
        sleep=fake_time.sleep,
        policy=retry.Policy(attempts=3),
    )


def _files(response: types.Response) -> dict[str, str]:
    return protocol.files(response.text, provider=response.provider).files


PROMPT = router.Prompt("write", "sys", (types.Message("user", "go"),), max_tokens=100)
GOOD = protocol.format({"app.py": "x = 1\n"})


async def test_router_retries_429_then_succeeds_over_http(
    dialect: str, fake_time: FakeTime
) -> None:
    steps = [wire.Fail(429, headers={"Retry-After": "3"}), wire.Fail(503), wire.Reply(GOOD)]
    async with wire.WireServer(dialect, steps) as server:  # type: ignore[arg-type]
        ask = _router(fake_time, adapter(dialect, server))
        _, parsed = await ask.ask(PROMPT, _files)
        await ask.aclose()
    assert parsed == {"app.py": "x = 1\n"}
    assert len(server.requests) == 3
    assert fake_time.slept[0] == 3.0 and len(fake_time.slept) == 2
    assert ask.metrics.providers[dialect].failures == {"rate_limited": 1, "server": 1}


async def test_router_fails_over_from_a_dead_and_an_unparseable_provider(
    dialect: str, fake_time: FakeTime
) -> None:
    other = "openai" if dialect != "openai" else "anthropic"
    async with (
        wire.WireServer(dialect, [wire.Reply("Here is a summary, no files.")]) as chatty,  # type: ignore[arg-type]
        wire.WireServer(other, [wire.Reply(GOOD)]) as good,  # type: ignore[arg-type]
    ):
        ask = _router(
            fake_time, adapter(dialect, None), adapter(dialect, chatty), adapter(other, good)
        )
        response, _ = await ask.ask(PROMPT, _files)
        await ask.aclose()
    assert response.provider == other
    assert [e.error is not None for e in ask.transcript.entries] == [True, True, False]
    assert "unavailable" in str(ask.transcript.entries[0].error)
    assert "unparseable" in str(ask.transcript.entries[1].error)
    assert fake_time.slept == []  # neither failure is worth a retry
