"""Run a command on generated code with a time limit, a memory limit, a scrubbed environment and,
where the platform allows it, no network.

Subprocesses are asyncio subprocesses, so any number of gates run concurrently in one thread.
What reaches the child is built from an allow-list (`environment()`); nothing else of the
parent's environment does: no API keys, tokens, proxies or kubeconfig. Each child leads its own
process group, and the whole group is killed when the time is up, so a test that forks cannot
outlive its gate. Network isolation uses an unprivileged user + network namespace
(`unshare --user --net --map-root-user`, util-linux); where that is not permitted the child
runs without it and `Outcome.network_isolated` says so.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

__all__ = ["Outcome", "abnormal_exit", "environment", "network_isolation", "run"]

MAX_OUTPUT_BYTES = 16 * 1024 * 1024
"""Output kept per stream; the rest is read and dropped, so a chatty child cannot exhaust us."""

DRAIN_SECONDS = 2.0
"""How long to wait for output after the child ended (a grandchild may still hold the pipes)."""

_UNSHARE = ("unshare", "--user", "--net", "--map-root-user")
_MEMORY_SIGNALS = frozenset({signal.SIGKILL, signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT})
_network_isolation: bool | None = None


@dataclasses.dataclass(frozen=True)
class Outcome:
    """How a sandboxed command ended."""

    returncode: int
    """Exit status; negative: killed by that signal (`-9` after a timeout)."""

    stdout: str
    """Standard output, decoded as UTF-8 (invalid bytes replaced), at most `MAX_OUTPUT_BYTES`."""

    stderr: str
    """Standard error, likewise."""

    timed_out: bool
    """Whether the command was killed for running past its timeout."""

    duration: float
    """Wall time in seconds."""

    network_isolated: bool = False
    """Whether the command ran in its own network namespace (no network at all)."""


def environment(*, cwd: Path, home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The complete environment of a sandboxed command; the parent's leaks only through PATH."""
    executable_dir = str(Path(sys.executable).parent)
    env = {
        "PATH": os.pathsep.join([executable_dir, os.environ.get("PATH", os.defpath)]),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "HOME": str(home),
        "TMPDIR": str(home),
        "PYTHONPATH": str(cwd),
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NO_COLOR": "1",
    }
    env.update(extra or {})
    return env


async def network_isolation() -> bool:
    """Whether this platform lets an unprivileged process drop its network; probed once."""
    global _network_isolation
    if _network_isolation is None:
        _network_isolation = await _probe_unshare()
    return _network_isolation


async def _probe_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    try:
        process = await asyncio.create_subprocess_exec(
            *_UNSHARE,
            "true",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return await asyncio.wait_for(process.wait(), timeout=10) == 0
    except (OSError, TimeoutError):
        return False


async def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    memory_mb: int,
    env: Mapping[str, str] | None = None,
    isolate_network: bool | None = None,
) -> Outcome:
    """Run `argv` in `cwd` inside the sandbox and return how it ended; never raises for the child.

    `env` adds variables to the allow-listed environment (the gate's own settings, never the
    parent's). `isolate_network`: None = whenever the platform allows, False = never, True =
    always (raises `OSError` from the spawn if `unshare` is missing).
    """
    isolated = await network_isolation() if isolate_network is None else isolate_network
    command = [*_UNSHARE, *argv] if isolated else list(argv)
    stdout, stderr = bytearray(), bytearray()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="kodegen-home-", ignore_cleanup_errors=True) as home:
        process = await asyncio.create_subprocess_exec(
            *command,
            cwd=cwd,
            env=environment(cwd=cwd, home=Path(home), extra=env),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
            preexec_fn=_limits(memory_mb),
        )
        readers = {
            asyncio.create_task(_drain(process.stdout, stdout)),
            asyncio.create_task(_drain(process.stderr, stderr)),
        }
        timed_out = False
        try:
            returncode = await asyncio.wait_for(process.wait(), timeout=timeout)
        except TimeoutError:
            timed_out = True
            _kill_group(process.pid)
            returncode = await process.wait()
        finally:
            # Whatever the leader started stays in its group: none of it may outlive the command.
            _kill_group(process.pid)
            if process.returncode is None:  # cancelled: reap the leader we just killed
                await process.wait()
            await asyncio.wait(readers, timeout=DRAIN_SECONDS)
            for reader in readers:
                reader.cancel()
    return Outcome(
        returncode=returncode,
        stdout=stdout.decode("utf-8", errors="replace"),
        stderr=stderr.decode("utf-8", errors="replace"),
        timed_out=timed_out,
        duration=time.perf_counter() - started,
        network_isolated=isolated,
    )


def abnormal_exit(outcome: Outcome, *, timeout: float, memory_mb: int) -> str | None:
    """Why the command did not end by itself (timeout, signal), for a report's reason; else None."""
    if outcome.timed_out:
        return f"timed out after {timeout:g} s"
    if outcome.returncode < 0:
        number = -outcome.returncode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown signal"
        hint = f"; memory limit {memory_mb} MiB?" if number in _MEMORY_SIGNALS else ""
        return f"killed by signal {number} ({name}{hint})"
    return None


def _limits(memory_mb: int) -> Callable[[], None]:
    limit = memory_mb * 1024 * 1024

    def apply() -> None:
        # Runs in the child between fork and exec: keep it to plain system calls.
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


async def _drain(stream: asyncio.StreamReader | None, sink: bytearray) -> None:
    """Read `stream` to its end, keeping the first `MAX_OUTPUT_BYTES` in `sink`."""
    if stream is None:
        return
    while chunk := await stream.read(65536):
        sink += chunk[: max(0, MAX_OUTPUT_BYTES - len(sink))]
