"""Nothing a gate started outlives the gate or kodegen itself: real processes, killed for real.

kodegen here is a Python process of its own running `sandbox.run`, killed with SIGKILL (no
handler can run) or SIGTERM while the command and a `setsid` grandchild sleep. Each case runs
with the full sandbox (the pid namespace dies with bwrap, which dies with kodegen:
PR_SET_PDEATHSIG) and with namespaces and cgroups both switched off (the reaper, armed with
PR_SET_PDEATHSIG, kills every descendant).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from kodegen.gates import isolation, sandbox

COMMAND = (
    "import subprocess, sys, time\n"
    "subprocess.Popen(['sh', '-c', 'sleep 60; :', sys.argv[1]], start_new_session=True,\n"
    "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    "time.sleep(60)\n"
)

KODEGEN = (
    "import asyncio, sys\n"
    "from pathlib import Path\n"
    "from kodegen.gates import sandbox\n"
    "argv = [sys.executable, '-c', sys.argv[2], sys.argv[3]]\n"
    "asyncio.run(sandbox.run(argv, cwd=Path(sys.argv[1]), timeout=120, memory_mb=1024))\n"
)


@pytest.fixture(params=["full", "no-namespaces-no-cgroups"])
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param != "full":
        monkeypatch.setenv(isolation.ENV_NAMESPACES, "off")
        monkeypatch.setenv(isolation.ENV_CGROUPS, "off")
    return str(request.param)


@pytest.mark.parametrize("kill", [signal.SIGKILL, signal.SIGTERM])
def test_killing_kodegen_kills_every_process_of_the_gate(
    mode: str, kill: signal.Signals, tmp_path: Path
) -> None:
    marker = f"kodegen-orphan-{uuid.uuid4().hex}"
    kodegen = subprocess.Popen(
        [sys.executable, "-c", KODEGEN, str(tmp_path), COMMAND, marker],
        env=dict(os.environ),
    )
    try:
        assert _wait(lambda: _sleeping(marker), within=30), "the grandchild started"
        kodegen.send_signal(kill)
        kodegen.wait(timeout=30)
        assert _wait(lambda: not _alive(marker), within=10), _alive(marker)
    finally:
        kodegen.kill()
        kodegen.wait()


async def test_a_setsid_orphan_dies_with_its_command(mode: str, tmp_path: Path) -> None:
    marker = f"kodegen-orphan-{uuid.uuid4().hex}"
    code = (
        "import subprocess, sys\n"
        "subprocess.Popen(['sh', '-c', 'sleep 60; :', sys.argv[1]], start_new_session=True,\n"
        "                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
    )
    started = time.monotonic()
    outcome = await sandbox.run(
        [sys.executable, "-c", code, marker], cwd=tmp_path, timeout=60, memory_mb=1024
    )
    assert outcome.returncode == 0 and time.monotonic() - started < 20
    assert await asyncio.to_thread(_wait, lambda: not _alive(marker), within=10)


def _wait(condition: object, *, within: float) -> bool:
    assert callable(condition)
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)  # waits on real processes
    return True


def _sleeping(marker: str) -> bool:
    """Whether the grandchild with `marker` runs."""
    for pid in _alive(marker):
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().startswith(b"sh\0-c\0sleep 60"):
                return True
        except OSError:
            continue
    return False


def _alive(marker: str) -> list[int]:
    """Live processes of the host with `marker` in their command line (zombies are dead)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "cmdline").read_bytes() and (
                "State:\tZ" not in (entry / "status").read_text()
            ):
                found.append(int(entry.name))
        except OSError:
            continue
    return found
