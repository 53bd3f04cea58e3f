"""SIGTERM behaves like SIGINT: a real `kodegen generate` subprocess, stopped while the gates
run a generated test that sleeps, leaves no output, no temporary folder and no process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from kodegen.ai import wire
from kodegen.templates import scaffold

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[2]
FAMILY = "sleepy"
SLEEPING_TEST = "import time\n\n\ndef test_sleeps():\n    time.sleep(300)\n"


def processes() -> dict[int, tuple[int, str]]:
    """pid -> (parent pid, start time) of every process visible in /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            found[int(entry.name)] = (int(fields[1]), fields[19])
    return found


def descendants(root: int) -> dict[int, str]:
    """Every living descendant of `root`: pid -> start time (to tell a reused pid apart)."""
    table = processes()
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, started) in table.items():
            if ppid == parent and pid not in found:
                found[pid] = started
                frontier.append(pid)
    return found


def command_line(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def still_alive(recorded: dict[int, str]) -> list[str]:
    table = processes()
    return [
        f"{pid} {command_line(pid)}"
        for pid, started in recorded.items()
        if pid in table and table[pid][1] == started
    ]


@pytest.fixture
def sleepy(tmp_path: Path) -> Path:
    """A template whose generated tests sleep, and a manifest that uses it."""
    templates = tmp_path / "templates"
    folder = scaffold.write(FAMILY, templates)
    (folder / "files" / "tests" / "test_sleep.py").write_text(SLEEPING_TEST)
    fixture = scaffold.spec(FAMILY)["tests"][0]
    manifest = {
        "apiVersion": "kodegen.dev/v1alpha1",
        "kind": "CodeGeneration",
        "metadata": {"name": "sleepy"},
        "spec": {
            "specification": fixture["specification"],
            "template": {"family": FAMILY, "version": "^1.0"},
            "variables": fixture["variables"],
        },
    }
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest))
    return path


def test_sigterm_mid_gates_kills_the_tests_and_leaves_nothing(sleepy: Path, tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "kodegen.cli", "generate", str(sleepy), "--out", str(out)]
    argv += ["--templates", str(tmp_path / "templates"), "--gates-timeout", "600"]
    env = {**os.environ, "TMPDIR": str(scratch)}
    process = subprocess.Popen(
        argv,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # so that a failing test can still clean up after it
    )
    try:
        deadline = time.monotonic() + 120
        seen: dict[int, str] = {}
        while time.monotonic() < deadline and process.poll() is None:
            seen = descendants(process.pid)
            if any("pytest" in command_line(pid) for pid in seen):
                break
            time.sleep(0.2)
        assert process.poll() is None, process.communicate()
        assert any("pytest" in command_line(pid) for pid in seen), "the tests gate never ran"
        time.sleep(1.0)  # the sleeping test is now inside its time.sleep
        seen = descendants(process.pid)
        assert any(list(scratch.iterdir())), "the gates' scratch folder is in TMPDIR"

        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    assert process.returncode == 143, stdout + stderr
    assert stderr.splitlines()[-1] == "error: terminated; nothing was written"
    assert "Traceback" not in stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["manifest.yaml", "templates", "tmp"]
    assert list(scratch.iterdir()) == []  # every temporary folder removed
    deadline = time.monotonic() + 10
    while still_alive(seen) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert still_alive(seen) == []


def test_sigterm_while_a_model_is_thinking_stops_cleanly(tmp_path: Path) -> None:
    """The AI stage runs its own event loop: SIGTERM during a provider call unwinds it too."""
    story = yaml.safe_load((ROOT / "examples" / "user-story.yaml").read_text())
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    out = tmp_path / "out"
    with wire.in_thread("ollama", [wire.Hang(120)]) as server:
        story["spec"]["ai"]["providers"] = [
            {"provider": "ollama", "model": "q", "baseURL": server.base_url}
        ]
        manifest = tmp_path / "story.yaml"
        manifest.write_text(yaml.safe_dump(story))
        argv = [sys.executable, "-m", "kodegen.cli", "generate", str(manifest), "--out", str(out)]
        env = {**os.environ, "TMPDIR": str(scratch), "XDG_CACHE_HOME": str(tmp_path / "cache")}
        process = subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while not server.requests and time.monotonic() < deadline:
                time.sleep(0.1)
            assert server.requests, "the model was never asked"
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=30)
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    assert process.returncode == 143, stderr
    assert stderr.splitlines()[-1] == "error: terminated; nothing was written"
    assert not out.exists() and list(scratch.iterdir()) == []
