"""Canary keys: each provider's key variable holds a unique canary (none of them looks like a
key, so only kodegen's knowledge of the exact values can protect them), every AI path runs
through the official SDKs against local servers speaking each provider's wire protocol (full
with failover and a repair that carries test output, assist with a repair, failover), and then
no prompt any server received, no cache entry, transcript, log record, output file, summary or
provenance carries a key, in the clear or encoded. A model that writes a held key anywhere
fails the run, and nothing is published."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from kodegen import cli, errors, provenance
from kodegen.ai import breaker, cache, metrics, protocol, session, wire
from kodegen.api import codegeneration
from kodegen.gates import config as gate_config
from kodegen.gates import report, runner
from kodegen.gates import secrets as secrets_gate
from kodegen.pipeline import authoring, generate
from tests.integration import ai_shortener
from tests.unit.pipeline.test_authoring import HEALTH

ROOT = Path(__file__).parents[2]
STORY = yaml.safe_load((ROOT / "examples" / "user-story.yaml").read_text())
PETSTORE = yaml.safe_load((ROOT / "examples" / "petstore.yaml").read_text())
PROVIDERS = ("anthropic", "openai", "google", "ollama")
VARIABLES = {
    "anthropic": "ANTHROPIC_API_KEY",
    "openai": "OPENAI_API_KEY",
    "google": "GEMINI_API_KEY",
    "ollama": "OLLAMA_API_KEY",
}
MODELS = {"anthropic": "claude-x", "openai": "gpt-x", "google": "gemini-x", "ollama": "qwen-x"}

pytestmark = pytest.mark.slow

Script = Callable[[dict[str, Any]], wire.Step]


@pytest.fixture
def canaries(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """A fresh canary per provider, in the environment; the AI cache in the test's folder."""
    keys = {name: f"canary{name}{secrets.token_hex(12)}" for name in PROVIDERS}
    for name, variable in VARIABLES.items():
        monkeypatch.setenv(variable, keys[name])
    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return keys


def forms(key: str) -> list[bytes]:
    """The key and the encodings a leak would take (base64 at every alignment, hex, reversed)."""
    raw = key.encode()
    found = [raw, raw[::-1], raw.hex().encode()]
    for prefix in (b"", b"a", b"ab"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            found.append(encode(prefix + raw)[4:-4])
    return found


def assert_clean(blob: bytes | str, keys: Mapping[str, str], where: str) -> None:
    data = blob.encode() if isinstance(blob, str) else blob
    for name, key in keys.items():
        for form in forms(key):
            assert form not in data, f"{where} carries the {name} key"


def purpose(body: dict[str, Any]) -> str:
    text = json.dumps(body)
    if "Plan the implementation" in text:
        return "plan"
    if "These quality gates failed" in text:
        return "repair"
    if "Implement the operations marked" in text:
        return "fill"
    return "write"


class Servers(dict[str, wire.WireServer]):
    """One running server per provider, each playing the script a test sets with `play`."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: dict[str, Script] = {
            name: lambda body: wire.Fail(500, "unscripted") for name in PROVIDERS
        }

    def play(self, name: str, script: Script) -> None:
        self.scripts[name] = script

    def providers(self, *names: str) -> list[dict[str, str]]:
        return [
            {"provider": name, "model": MODELS[name], "baseURL": self[name].base_url}
            for name in names
        ]


@pytest.fixture
def servers() -> Iterator[Servers]:
    running = Servers()

    def dispatch(name: str) -> Script:
        return lambda body: running.scripts[name](body)

    with contextlib.ExitStack() as stack:
        for name in PROVIDERS:
            running[name] = stack.enter_context(wire.in_thread(name, dispatch(name)))  # type: ignore[arg-type]
        yield running


def assert_servers_clean(servers: Servers, keys: Mapping[str, str]) -> None:
    """No prompt carries any key; no server saw another provider's key, headers included."""
    for name, server in servers.items():
        for seen in server.requests:
            assert_clean(json.dumps(seen.body), keys, f"a prompt sent to {name}")
            others = {other: key for other, key in keys.items() if other != name}
            assert_clean(json.dumps(seen.headers), others, f"a request header sent to {name}")


def assert_tree_clean(root: Path, keys: Mapping[str, str]) -> int:
    count = 0
    for path in root.rglob("*"):
        if path.is_file():
            assert_clean(path.read_bytes(), keys, str(path))
            count += 1
    return count


CANARY_TEST = """\
def test_canary():
    value = "{head}" + "{tail}"
    assert value == ""
"""


class FailThenPass:
    """Scripted gates: the first run fails with test output quoting `leaked` (so the repair
    prompt carries it), every later run passes. `calls` counts the runs."""

    def __init__(self, leaked: str) -> None:
        failed = report.Finding("tests/test_x.py", 1, "failed", f"assert {leaked!r} == ''", "high")
        self.runs = [
            (report.GateReport.failure("tests", reason="1 failed", findings=(failed,)),),
            (report.GateReport(name="tests", passed=True, metrics={"coverage": 99.0}),),
        ]
        self.calls = 0

    def __call__(
        self,
        project: Path,
        config: gate_config.GateConfig,
        *,
        progress: runner.Progress | None = None,
    ) -> tuple[report.GateReport, ...]:
        self.calls += 1
        return self.runs[min(self.calls, len(self.runs)) - 1]


def split_canary(key: str) -> str:
    """A test whose failure output (pytest shows the value) holds the key, while no file does."""
    return CANARY_TEST.format(head=key[:8], tail=key[8:])


def test_full_with_failover_and_a_repair_that_carries_test_output(
    canaries: dict[str, str],
    servers: Servers,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """anthropic refuses (401): openai plans and writes a project whose test fails printing the
    anthropic key; openai refuses the repair (400): google repairs from that test output."""
    servers.play("anthropic", lambda body: wire.Fail(401, "bad key"))

    def openai(body: dict[str, Any]) -> wire.Step:
        step = purpose(body)
        if step == "plan":
            return wire.Reply(protocol.format({"PLAN.md": ai_shortener.PLAN}))
        if step == "write":
            files = {
                **ai_shortener.BUGGY,
                "tests/test_canary.py": split_canary(canaries["anthropic"]),
            }
            return wire.Reply(protocol.format(files))
        return wire.Fail(400, "no repairs today")

    def google(body: dict[str, Any]) -> wire.Step:
        fixed = {
            **ai_shortener.FIXED,
            "tests/test_canary.py": "def test_canary():\n    pass\n",
            "tests/conftest.py": "def pytest_configure(config):\n    pass\n",  # refused
        }
        return wire.Reply(protocol.format(fixed))

    servers.play("openai", openai)
    servers.play("google", google)
    manifest = dict(STORY)
    manifest["spec"] = {
        **STORY["spec"],
        "ai": {
            **STORY["spec"]["ai"],
            "providers": servers.providers(*PROVIDERS),
            "maxCostUSD": 100.0,
        },
    }
    path = tmp_path / "story.yaml"
    path.write_text(yaml.safe_dump(manifest))
    out = tmp_path / "out"
    with caplog.at_level(logging.DEBUG):
        code = cli.main(["generate", str(path), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.out + captured.err
    repair_prompts = [
        json.dumps(seen.body)
        for server in servers.values()
        for seen in server.requests
        if purpose(seen.body) == "repair"
    ]
    assert len(repair_prompts) == 3  # anthropic and openai refused it, google answered it
    assert all("gate tests FAILED" in text and "***" in text for text in repair_prompts)
    assert {purpose(s.body) for s in servers["anthropic"].requests} == {"plan", "write", "repair"}
    statement = json.loads((out / provenance.PATH).read_text())
    assert statement["predicate"]["ai"]["providers"] == ["openai", "google"]
    [refused] = statement["predicate"]["ai"]["rejected"]
    assert refused.startswith("repair (google): file 'tests/conftest.py' rejected: ")
    assert "AI file blocks not taken (1):" in captured.out and refused in captured.out
    assert not (out / "tests" / "conftest.py").exists()

    assert_servers_clean(servers, canaries)
    assert assert_tree_clean(out, canaries) >= 6  # the code, the transcript, the provenance
    assert assert_tree_clean(tmp_path / "cache", canaries) == 3  # plan, write, repair
    assert_clean(captured.out + captured.err, canaries, "the CLI's summary")
    assert_clean(caplog.text, canaries, "the log records")


def test_assist_with_a_repair_and_failover(
    canaries: dict[str, str],
    servers: Servers,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """ollama fills the regions, then refuses the repair (401): anthropic repairs. The gates'
    report (test output) carries every key, as it is and encoded."""

    def ollama(body: dict[str, Any]) -> wire.Step:
        if purpose(body) == "repair":
            return wire.Fail(401, "unauthorized")
        return wire.Reply(protocol.format({"tests/test_more.py": "def test_more():\n    pass\n"}))

    servers.play("ollama", ollama)
    servers.play(
        "anthropic",
        lambda body: wire.Reply(protocol.format({"tests/test_fix.py": "FIXED = 1\n"})),
    )
    leaked = " ".join(
        f"{key} {base64.b64encode(key.encode()).decode()}" for key in canaries.values()
    )
    gates = FailThenPass(leaked)

    data = json.loads(json.dumps(PETSTORE))
    data["spec"]["specification"] = {"type": "openapi", "openapi": {"inline": HEALTH}}
    data["spec"]["variables"] = {"packageName": "health"}
    data["spec"]["ai"] = {
        "mode": "assist",
        "providers": servers.providers("ollama", "anthropic"),
        "repairAttempts": 1,
    }
    manifest = codegeneration.CodeGeneration.model_validate(data)
    store = tmp_path / "cache"
    options = session.Options(
        environ={variable: canaries[name] for name, variable in VARIABLES.items()},
        breakers=breaker.Breakers(),
        metrics=metrics.Metrics(),
        cache=cache.Directory(store),
    )
    with caplog.at_level(logging.DEBUG):
        result = generate.Generator(run_gates=gates, ai=options).run(manifest)
    assert result.passed and gates.calls == 2
    assert result.ai is not None and list(result.ai.providers) == ["ollama", "anthropic"]
    [repair] = [s.body for s in servers["anthropic"].requests]
    assert purpose(repair) == "repair" and "tests/test_x.py:1: failed assert" in json.dumps(repair)

    assert_servers_clean(servers, canaries)
    for path, content in result.files.items():
        assert_clean(content, canaries, path)
    assert assert_tree_clean(store, canaries) == 2
    assert_clean(caplog.text, canaries, "the log records")
    assert_clean(json.dumps(result.ai.to_dict()), canaries, "the summary")


LEAKS = {
    "anthropic": ("openai", "exact"),
    "openai": ("google", "base64"),
    "google": ("ollama", "exact"),
    "ollama": ("anthropic", "base64"),
}


@pytest.mark.parametrize("writer", PROVIDERS)
def test_a_model_that_writes_a_held_key_fails_the_run_and_nothing_is_published(
    writer: str,
    canaries: dict[str, str],
    servers: Servers,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    victim, form = LEAKS[writer]
    key = canaries[victim]
    value = key if form == "exact" else base64.b64encode(b"k=" + key.encode()).decode()

    def model(body: dict[str, Any]) -> wire.Step:
        if purpose(body) == "plan":
            return wire.Reply(protocol.format({"PLAN.md": "1. write it"}))
        files = {
            **ai_shortener.FIXED,
            "shortener/settings.py": f'"""Settings."""\n\nTOKEN = "{value}"\n',
        }
        return wire.Reply(protocol.format(files))

    servers.play(writer, model)
    manifest = dict(STORY)
    manifest["spec"] = {
        **STORY["spec"],
        "ai": {
            **STORY["spec"]["ai"],
            "providers": servers.providers(writer),
            "maxCostUSD": 100.0,
        },
    }
    path = tmp_path / "story.yaml"
    path.write_text(yaml.safe_dump(manifest))
    out = tmp_path / "out"
    with caplog.at_level(logging.DEBUG):
        code = cli.main(["generate", str(path), "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 1
    *progress, line = captured.err.splitlines()  # the stages that ran, then the one error
    assert all(not entry.startswith("error") for entry in progress)
    variable = VARIABLES[victim]
    kind = "as it is" if form == "exact" else "encoded"
    assert re.match(
        r"^error: gate secrets: a key kodegen holds is in the generated files at ", line
    )
    assert f"shortener/settings.py:3 holds {variable} ({kind})" in line
    assert "nothing was published" in line
    assert not out.exists()
    assert {p.name for p in tmp_path.iterdir()} == {"cache", "story.yaml"}  # no staging folder
    assert_servers_clean(servers, canaries)
    assert_tree_clean(tmp_path / "cache", canaries)
    assert_clean(captured.out + captured.err, canaries, "the CLI's output")
    assert_clean(caplog.text, canaries, "the log records")


def test_the_held_key_scan_names_every_place_in_any_file() -> None:
    key = "canary" + "0123456789abcdef"
    files = {
        "a.py": f"x = 1\ny = '{key}'\nz = '{key}'\n".encode(),
        "blob.bin": b"\x00\xff\n\n" + base64.b64encode(b"?" + key.encode()),
        "clean.txt": b"nothing here\n",
    }
    options = session.Options(environ={"OPENAI_API_KEY": key, "OLLAMA_API_KEY": "x"})
    with pytest.raises(errors.LeakedKey) as caught:
        authoring.check_keys(options, files)
    assert caught.value.places == [
        "a.py:2 holds OPENAI_API_KEY (as it is)",
        "a.py:3 holds OPENAI_API_KEY (as it is)",
        "blob.bin:3 holds OPENAI_API_KEY (encoded)",
    ]
    authoring.check_keys(options, {"clean.txt": b"x x x\n"})  # a 1-character value is no key
    assert secrets_gate.held({"a": b"abc"}, []) == ()


def test_the_leak_error_is_an_exit_one_gate_error() -> None:
    leak = errors.LeakedKey(places=[f"f{index}.py:1 holds X (as it is)" for index in range(12)])
    assert isinstance(leak, errors.GateError) and leak.gate == "secrets"
    assert "f9.py:1" in str(leak) and "f10.py" not in str(leak) and "and 2 more" in str(leak)
