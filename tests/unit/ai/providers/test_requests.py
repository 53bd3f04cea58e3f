"""What each adapter puts on the wire: model, system prompt, messages, limits, determinism."""

from __future__ import annotations

import dataclasses
from typing import Any

from kodegen.ai import providers, types, wire
from tests.unit.ai.providers.conftest import KEY

REQUEST = types.Request(
    model="model-1",
    system="You write code.",
    messages=(
        types.Message("user", "Plan it."),
        types.Message("assistant", "The plan."),
        types.Message("user", "Write it."),
    ),
    max_tokens=321,
    seed=7,
)


async def sent(dialect: str, request: types.Request = REQUEST) -> wire.Seen:
    async with wire.WireServer(dialect, [wire.Reply("ok")]) as server:  # type: ignore[arg-type]
        provider = providers.build(
            types.ProviderSettings(
                provider=dialect,  # type: ignore[arg-type]
                model="model-1",
                api_key=KEY,
                base_url=server.base_url,
            )
        )
        await provider.generate(request)
        await provider.aclose()
    [seen] = server.requests
    return seen


def roles(messages: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(m["role"], m["content"]) for m in messages]


async def test_anthropic_messages() -> None:
    seen = await sent("anthropic")
    assert seen.path == "/v1/messages"
    body = seen.body
    assert body["model"] == "model-1" and body["max_tokens"] == 321
    assert body["system"] == "You write code."
    assert roles(body["messages"]) == [
        ("user", "Plan it."),
        ("assistant", "The plan."),
        ("user", "Write it."),
    ]
    assert "temperature" not in body  # the current Messages API takes no sampling settings


async def test_openai_chat_completions() -> None:
    seen = await sent("openai")
    assert seen.path == "/v1/chat/completions"
    body = seen.body
    assert roles(body["messages"])[0] == ("system", "You write code.")
    assert roles(body["messages"])[1:] == [
        ("user", "Plan it."),
        ("assistant", "The plan."),
        ("user", "Write it."),
    ]
    assert (body["temperature"], body["seed"], body["max_completion_tokens"]) == (0.0, 7, 321)


async def test_openai_reasoning_models_get_no_temperature() -> None:
    seen = await sent("openai", dataclasses.replace(REQUEST, model="gpt-5"))
    assert "temperature" not in seen.body and seen.body["seed"] == 7


async def test_gemini_generate_content() -> None:
    seen = await sent("google")
    assert seen.path.endswith("/models/model-1:generateContent")
    body = seen.body
    assert body["systemInstruction"]["parts"][0]["text"] == "You write code."
    assert [(c["role"], c["parts"][0]["text"]) for c in body["contents"]] == [
        ("user", "Plan it."),
        ("model", "The plan."),
        ("user", "Write it."),
    ]
    config = body["generationConfig"]
    assert (config["temperature"], config["seed"], config["maxOutputTokens"]) == (0.0, 7, 321)


async def test_ollama_chat() -> None:
    seen = await sent("ollama")
    assert seen.path == "/api/chat"
    body = seen.body
    assert body["stream"] is False and body["model"] == "model-1"
    assert roles(body["messages"])[0] == ("system", "You write code.")
    assert body["options"] == {"temperature": 0.0, "num_predict": 321, "seed": 7}
