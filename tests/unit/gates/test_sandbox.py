from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
import uuid
from pathlib import Path

import pytest

from kodegen.gates import isolation, sandbox

ALLOWED = {
    "PATH",
    "LANG",
    "LC_ALL",
    "HOME",
    "TMPDIR",
    "PYTHONPATH",
    "PYTHONHASHSEED",
    "PYTHONDONTWRITEBYTECODE",
    "NO_COLOR",
    "PWD",  # bubblewrap sets it to the working folder
}


@pytest.fixture(params=["namespaces", "no-namespaces"], autouse=True)
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with the full sandbox and as if the kernel refused namespaces."""
    if request.param == "no-namespaces":
        monkeypatch.setenv(isolation.ENV_NAMESPACES, "off")
    return str(request.param)


def python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


async def test_runs_a_command_and_captures_its_output(tmp_path: Path) -> None:
    outcome = await sandbox.run(
        python("import sys; print('out'); print('err', file=sys.stderr); sys.exit(3)"),
        cwd=tmp_path,
        timeout=30,
        memory_mb=1024,
    )
    assert (outcome.returncode, outcome.stdout, outcome.stderr) == (3, "out\n", "err\n")
    assert not outcome.timed_out
    assert outcome.duration > 0
    assert sandbox.abnormal_exit(outcome, timeout=30, memory_mb=1024) is None


async def test_the_parent_environment_does_not_reach_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-planted-by-the-test")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:3128")
    monkeypatch.setenv("KUBECONFIG", "/planted/kubeconfig")
    outcome = await sandbox.run(
        python("import json, os; print(json.dumps(dict(os.environ)))"),
        cwd=tmp_path,
        timeout=30,
        memory_mb=1024,
    )
    env = json.loads(outcome.stdout)
    assert set(env) <= ALLOWED
    assert "sk-planted-by-the-test" not in outcome.stdout
    assert "proxy.invalid" not in outcome.stdout
    assert env["PYTHONPATH"] == str(tmp_path)
    assert env["PYTHONHASHSEED"] == "0"
    assert env["HOME"] != os.environ.get("HOME")
    assert env["HOME"] == env["TMPDIR"]
    assert not Path(env["HOME"]).exists(), "the private home is removed afterwards"


async def test_gate_variables_are_added_explicitly(tmp_path: Path) -> None:
    outcome = await sandbox.run(
        python("import os; print(os.environ['COVERAGE_FILE'])"),
        cwd=tmp_path,
        timeout=30,
        memory_mb=1024,
        env={"COVERAGE_FILE": "/somewhere/.coverage"},
    )
    assert outcome.stdout == "/somewhere/.coverage\n"


async def test_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    # The command starts a grandchild that would sleep for a minute, then spins forever.
    marker = f"kodegen-test-{uuid.uuid4().hex}"
    code = (
        "import subprocess, sys, pathlib\n"
        "child = subprocess.Popen(\n"
        f"    [sys.executable, '-c', 'import time; time.sleep(60)', {marker!r}]\n"
        ")\n"
        "pathlib.Path('child.pid').write_text(str(child.pid))\n"
        "while True:\n"
        "    pass\n"
    )
    started = time.monotonic()
    outcome = await sandbox.run(python(code), cwd=tmp_path, timeout=1.5, memory_mb=1024)
    assert time.monotonic() - started < 10
    assert outcome.timed_out
    assert outcome.returncode == -signal.SIGKILL
    assert sandbox.abnormal_exit(outcome, timeout=1.5, memory_mb=1024) == "timed out after 1.5 s"
    assert (tmp_path / "child.pid").read_text()
    assert await _gone(marker)


async def test_cancelling_the_caller_kills_the_command(tmp_path: Path) -> None:
    marker = f"kodegen-test-{uuid.uuid4().hex}"
    code = (
        "import os, pathlib, time\npathlib.Path('pid').write_text(str(os.getpid()))\ntime.sleep(60)"
    )
    argv = [*python(code), marker]
    task = asyncio.create_task(sandbox.run(argv, cwd=tmp_path, timeout=60, memory_mb=1024))
    pid_file = tmp_path / "pid"
    while not (pid_file.exists() and pid_file.read_text()):  # waits on a real process
        await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await _gone(marker)


async def test_memory_limit_stops_a_runaway_allocation(tmp_path: Path) -> None:
    outcome = await sandbox.run(
        python("data = bytearray(1024 * 1024 * 1024)"), cwd=tmp_path, timeout=30, memory_mb=256
    )
    assert outcome.returncode != 0
    assert "MemoryError" in outcome.stderr


async def test_a_killed_command_is_explained(tmp_path: Path) -> None:
    outcome = await sandbox.run(
        python("import os, signal; os.kill(os.getpid(), signal.SIGKILL)"),
        cwd=tmp_path,
        timeout=30,
        memory_mb=512,
    )
    assert outcome.returncode == -signal.SIGKILL
    assert sandbox.abnormal_exit(outcome, timeout=30, memory_mb=512) == (
        "killed by signal 9 (SIGKILL; memory limit 512 MiB?)"
    )


def test_abnormal_exit_of_a_signal_unrelated_to_memory() -> None:
    outcome = sandbox.Outcome(
        returncode=-signal.SIGTERM, stdout="", stderr="", timed_out=False, duration=1.0
    )
    assert (
        sandbox.abnormal_exit(outcome, timeout=5, memory_mb=64) == "killed by signal 15 (SIGTERM)"
    )


async def test_no_network_with_namespaces(tmp_path: Path, mode: str) -> None:
    outcome = await sandbox.run(
        python("import socket; print(sorted(name for _, name in socket.if_nameindex()))"),
        cwd=tmp_path,
        timeout=30,
        memory_mb=1024,
    )
    has_namespaces = isolation.probe().namespaces != "none"
    assert outcome.network_isolated == (mode == "namespaces" and has_namespaces)
    assert outcome.network_isolated == await sandbox.network_isolation()
    if outcome.network_isolated:  # otherwise the report says so, and the host's interfaces show
        assert outcome.stdout.strip() == "['lo']"


async def test_output_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "MAX_OUTPUT_BYTES", 1000)
    outcome = await sandbox.run(
        python("print('x' * 100_000)"), cwd=tmp_path, timeout=30, memory_mb=1024
    )
    assert (outcome.returncode, len(outcome.stdout)) == (0, 1000)


async def _gone(marker: str, *, within: float = 5.0) -> bool:
    """Whether no live process of the host has `marker` in its command line within `within`
    seconds (SIGKILL is not instantaneous). Seen from the host, so it holds for processes of a
    pid namespace too, whose own pids mean nothing here."""
    deadline = time.monotonic() + within
    while _alive(marker):
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.05)  # waits on a real process
    return True


def _alive(marker: str) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() not in (entry / "cmdline").read_bytes():
                continue
            # A zombie is dead for our purpose (it is not our child: init reaps it).
            if "State:\tZ" not in (entry / "status").read_text():
                return True
        except OSError:
            continue
    return False


async def test_a_missing_program_cannot_start(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no such program"):
        await sandbox.run(["no-such-program-here"], cwd=tmp_path, timeout=5, memory_mb=64)
