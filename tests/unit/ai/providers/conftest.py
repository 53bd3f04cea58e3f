"""Adapters driven through their real SDKs against `wire.WireServer` on 127.0.0.1."""

from __future__ import annotations

import pytest

KEY = "test-key-0123456789abcdef"
DIALECTS = ["anthropic", "openai", "google", "ollama"]


@pytest.fixture(params=DIALECTS)
def dialect(request: pytest.FixtureRequest) -> str:
    return str(request.param)
