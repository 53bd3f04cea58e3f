"""ai.keys: API keys from the environment, and the variable each provider reads."""

from __future__ import annotations

import pytest

from kodegen import errors
from kodegen.ai import keys
from kodegen.api import codegeneration


def providers(*entries: dict[str, str]) -> list[codegeneration.AIProvider]:
    return [codegeneration.AIProvider.model_validate(entry) for entry in entries]


@pytest.mark.parametrize(
    ("provider", "variable"),
    [
        ("anthropic", "ANTHROPIC_API_KEY"),
        ("openai", "OPENAI_API_KEY"),
        ("google", "GEMINI_API_KEY"),
        ("ollama", "OLLAMA_API_KEY"),
    ],
)
def test_env_var(provider: str, variable: str) -> None:
    assert keys.env_var(provider) == variable


def test_env_var_of_an_unknown_provider() -> None:
    with pytest.raises(errors.ManifestError, match="unknown provider 'skynet'"):
        keys.env_var("skynet")


def test_settings_in_manifest_order_with_keys_from_the_environment() -> None:
    found = keys.settings(
        providers(
            {"provider": "anthropic", "model": "claude-sonnet-4-5"},
            {"provider": "openai", "model": "gpt-4.1", "baseURL": "https://gw.example/v1"},
            {"provider": "ollama", "model": "qwen"},
        ),
        {"ANTHROPIC_API_KEY": "ka", "OPENAI_API_KEY": "ko", "OLLAMA_HOST": "http://gpu:11434"},
        timeout_seconds=30,
    )
    assert [(s.provider, s.model, s.api_key, s.base_url) for s in found] == [
        ("anthropic", "claude-sonnet-4-5", "ka", None),
        ("openai", "gpt-4.1", "ko", "https://gw.example/v1"),
        ("ollama", "qwen", None, "http://gpu:11434"),
    ]
    assert {s.timeout_seconds for s in found} == {30}
    assert "ka" not in repr(found[0])  # keys never show in a repr


def test_a_provider_without_its_key_is_left_out() -> None:
    found = keys.settings(
        providers(
            {"provider": "anthropic", "model": "claude-sonnet-4-5"},
            {"provider": "openai", "model": "gpt-4.1"},
        ),
        {"OPENAI_API_KEY": "ko"},
    )
    assert [s.provider for s in found] == ["openai"]


def test_no_usable_provider_names_the_variables_to_set() -> None:
    with pytest.raises(errors.ManifestError) as caught:
        keys.settings(
            providers(
                {"provider": "google", "model": "gemini-2.5-pro"},
                {"provider": "anthropic", "model": "claude-sonnet-4-5"},
            ),
            {},
        )
    assert str(caught.value) == (
        "manifest: spec.ai.providers: no provider has an API key: set GEMINI_API_KEY for "
        "spec.ai.providers[0] (google), or ANTHROPIC_API_KEY for spec.ai.providers[1] "
        "(anthropic) (in a cluster: the Secret named by secretRef), or add a local ollama "
        "provider"
    )


def test_the_manifest_base_url_wins_over_ollama_host() -> None:
    [found] = keys.settings(
        providers({"provider": "ollama", "model": "q", "baseURL": "http://a:1"}),
        {"OLLAMA_HOST": "http://b:2"},
    )
    assert found.base_url == "http://a:1"


def test_held_is_every_provider_key_set_whether_used_or_not() -> None:
    environ = {
        "ANTHROPIC_API_KEY": "a-key",
        "GEMINI_API_KEY": "",
        "OLLAMA_API_KEY": "o-key",
        "OLLAMA_HOST": "http://127.0.0.1:11434",
        "HOME": "/root",
    }
    assert keys.held(environ) == {"ANTHROPIC_API_KEY": "a-key", "OLLAMA_API_KEY": "o-key"}
