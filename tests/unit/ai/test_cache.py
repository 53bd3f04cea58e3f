"""ai.cache: an answer already paid for is served again."""

from __future__ import annotations

from pathlib import Path

from kodegen.ai import cache, types

RESPONSE = types.Response("text", types.Usage(3, 4), "m", "stop", provider="openai", cost_usd=0.1)


def test_directory_round_trip(tmp_path: Path) -> None:
    store = cache.Directory(tmp_path)
    assert store.get("sha256:" + "ab" * 32) is None
    store.put("sha256:" + "ab" * 32, RESPONSE)
    assert cache.Directory(tmp_path).get("sha256:" + "ab" * 32) == RESPONSE
    assert [p.name for p in tmp_path.rglob("*.json")] == ["ab" * 32 + ".json"]


def test_an_unreadable_entry_is_a_miss(tmp_path: Path) -> None:
    store = cache.Directory(tmp_path)
    store.put("sha256:" + "cd" * 32, RESPONSE)
    next(tmp_path.rglob("*.json")).write_text("{broken")
    assert store.get("sha256:" + "cd" * 32) is None


def test_memory() -> None:
    store = cache.Memory()
    store.put("k", RESPONSE)
    assert store.get("k") is RESPONSE
    assert store.get("other") is None


def test_default_directory_follows_xdg() -> None:
    assert cache.default_directory({"XDG_CACHE_HOME": "/c"}) == Path("/c/kodegen/ai")
