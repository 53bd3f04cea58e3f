"""`kodegen generate examples/user-story.yaml` end to end, AI included: the real CLI, the real
Ollama SDK against a local server speaking Ollama's wire protocol with a scripted model, the
real quality gates, and a repair loop that converges in its second attempt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import ai_shortener
import pytest

from kodegen import cli, provenance
from kodegen.ai import wire

EXAMPLE = Path(__file__).parents[2] / "examples" / "user-story.yaml"
KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OLLAMA_API_KEY")

pytestmark = pytest.mark.slow


@pytest.fixture
def model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[wire.WireServer]:
    """The scripted model as the only reachable provider: the example lists anthropic, openai
    and ollama, and only Ollama (no key needed) is configured, as on a laptop."""
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    with wire.in_thread("ollama", ai_shortener.answer) as server:
        monkeypatch.setenv("OLLAMA_HOST", server.url)
        yield server


def test_a_user_story_becomes_a_tested_service_after_one_repair(
    model: wire.WireServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code = cli.main(["generate", str(EXAMPLE), "--out", str(out)])
    stdout = capsys.readouterr().out
    assert code == 0, stdout
    assert [ai_shortener.purpose(seen.body) for seen in model.requests] == [
        "plan",
        "write",
        "repair",
    ]
    store = (out / "shortener" / "store.py").read_text()
    assert "link.visits += 1" in store
    assert (out / "tests" / "test_shortener.py").is_file()
    assert (out / "pyproject.toml").is_file()  # the template's structure

    statement = json.loads((out / provenance.PATH).read_text())
    ai = statement["predicate"]["ai"]
    assert (ai["mode"], ai["provider"], ai["model"]) == ("full", "ollama", "qwen2.5-coder:14b")
    assert (ai["attempts"], ai["chosenAttempt"], ai["calls"]) == (2, 2, 3)
    assert [e["purpose"] for e in ai["exchanges"]] == ["plan", "write", "repair"]
    assert statement["predicate"]["passed"] is True
    subjects = {s["name"] for s in statement["subject"]}
    assert ".kodegen/transcript.jsonl" in subjects

    transcript = [
        json.loads(line)
        for line in (out / ".kodegen" / "transcript.jsonl").read_text().splitlines()
    ]
    assert [entry["purpose"] for entry in transcript] == ["plan", "write", "repair"]
    assert "visits" in transcript[2]["messages"][0]["content"]  # the failing test went back
    assert "<specification" in transcript[0]["messages"][0]["content"]

    for row in ("AI provider", "ollama", "AI tokens", "AI cost", "$0.0000", "AI attempts"):
        assert row in stdout


def test_a_second_run_is_served_from_the_cache_byte_for_byte(
    model: wire.WireServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    assert cli.main(["generate", str(EXAMPLE), "--out", str(first)]) == 0
    calls = len(model.requests)
    assert cli.main(["generate", str(EXAMPLE), "--out", str(second), "--no-transcript"]) == 0
    assert len(model.requests) == calls  # no second bill
    assert "(3 cached)" in capsys.readouterr().out
    shared = {p.relative_to(first) for p in first.rglob("*") if p.is_file()}
    own = (".kodegen/transcript.jsonl", provenance.PATH, ".kodegen/output.json")
    shared -= {Path(path) for path in own}
    for path in shared:
        assert (first / path).read_bytes() == (second / path).read_bytes(), path
    assert not (second / ".kodegen" / "transcript.jsonl").exists()


def test_no_reachable_provider_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for key in KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:9")  # nothing listens on port 9
    code = cli.main(["generate", str(EXAMPLE), "--out", str(tmp_path / "out"), "--no-ai-cache"])
    err = capsys.readouterr().err
    assert code == 69  # EX_UNAVAILABLE: not "gates failed"
    last = err.splitlines()[-1]
    assert last.startswith("error: no AI provider answered the plan request: provider ollama: ")
    assert "unavailable" in err
    assert not (tmp_path / "out").exists()


def test_the_budget_stops_the_run_before_the_first_call(
    model: wire.WireServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["generate", str(EXAMPLE), "--out", str(tmp_path / "out"), "--ai-max-tokens", "500"]
    code = cli.main(argv)
    err = capsys.readouterr().err
    assert code == 77  # the budget stop: not "gates failed"
    last = err.splitlines()[-1]
    assert last.startswith("error: AI budget: maxTokens would be exceeded (spent 0, the next call")
    assert "raise the token budget (kodegen generate --ai-max-tokens)" in err
    assert model.requests == []
    assert not (tmp_path / "out").exists()
    assert cli.main([*argv[:-1], "0"]) == 2
