"""Run a command on generated code, contained: its own view of the file system, its own
processes, no network, bounded processes and memory, an allow-listed environment.

How much of that this machine allows is `kodegen.gates.isolation`'s business; this module uses
all of it on every command:

- **namespaces** (`kodegen.gates.bwrap`): the system read-only, only the folders the caller
  names writable, a pid namespace whose every process dies with the command, no network;
- **a cgroup** (`kodegen.gates.cgroups`) bounding the number of processes and the memory of the
  whole command, and through which every process left over is killed; else `RLIMIT_NPROC`
  (not for root: the kernel exempts uid 0) and `RLIMIT_AS` per process;
- without namespaces, a reaper (`_reaper.py`, a child subreaper) as the command's first
  process: it kills every process the command started, `setsid` ones too, when the command
  ends, times out, or kodegen dies;
- always: a new session (the process group is killed when the command ends), the parent-death
  signal (`PR_SET_PDEATHSIG`: kodegen killed, the command dies), no descriptor but standard
  input (`/dev/null`) and output, and standard output and error written to files kodegen owns,
  not pipes, so that a daemonized grandchild holding them cannot stall the gate;
  `RLIMIT_FSIZE` bounds what a command writes; the environment is built from an allow-list
  (`environment()`), so no API key, token, proxy or kubeconfig of the parent reaches it.

Subprocesses are asyncio subprocesses, so any number of gates run concurrently in one thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
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

from kodegen.gates import bwrap, cgroups, isolation

__all__ = ["Outcome", "abnormal_exit", "environment", "network_isolation", "run"]

MAX_OUTPUT_BYTES = 16 * 1024 * 1024
"""Output kept per stream; the rest is dropped, so a chatty child cannot exhaust us."""

MAX_FILE_BYTES = 1024 * 1024 * 1024
"""`RLIMIT_FSIZE`: the largest file a sandboxed command may write (its output included)."""

MAX_PROCESSES = 256
"""Processes and threads of one command together (pytest with anyio threads needs a few dozen;
a fork bomb is stopped at this many)."""

REAPER_SECONDS = 2.0
"""How long the reaper may take to kill what a command started, before its group is killed."""

_REAPER = Path(__file__).with_name("_reaper.py")
_MEMORY_SIGNALS = frozenset({signal.SIGKILL, signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT})
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(None, use_errno=True)


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
    """Whether the command ran in its own namespaces (no network at all)."""

    out_of_memory: bool = False
    """Whether the kernel killed a process of the command for exceeding the memory limit."""


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
    """Whether commands run in their own namespaces here (no network); probed once."""
    return (isolation.probe()).namespaces != "none"


async def run(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout: float,
    memory_mb: int,
    env: Mapping[str, str] | None = None,
    writable: Sequence[Path] = (),
    readable: Sequence[Path] = (),
    max_processes: int = MAX_PROCESSES,
) -> Outcome:
    """Run `argv` in `cwd` inside the sandbox and return how it ended; never raises for the child.

    `env` adds variables to the allow-listed environment (the gate's own settings, never the
    parent's). `cwd` and `writable` are the only folders the command may write (where
    namespaces work), `readable` folders it may read besides the system and Python. Raises
    `OSError` only when the command cannot be started at all.
    """
    if shutil.which(argv[0], path=(env or {}).get("PATH")) is None:
        # bwrap or the reaper would start and then fail to exec it: say so as a spawn would
        raise FileNotFoundError(f"no such program: {argv[0]!r}")
    if not cwd.is_dir():
        raise FileNotFoundError(f"no such folder: {str(cwd)!r}")
    contained = isolation.probe()
    memory = memory_mb * 1024 * 1024
    group = cgroups.create(
        processes=max_processes, memory_bytes=memory, allowed=contained.cgroup != "none"
    )
    nproc = None if group is not None or contained.root else _nproc_budget(max_processes)
    private = Path(tempfile.mkdtemp(prefix="kodegen-sandbox-"))
    home = private / "home"
    home.mkdir()
    namespaces = contained.namespaces != "none"
    command = [*gate_python(), str(_REAPER), *argv]
    if namespaces:
        command = bwrap.command(
            argv,
            cwd=cwd,
            writable=[cwd, home, *writable],
            readable=readable,
            user_namespace=contained.namespaces == "user",
        )
    started = time.perf_counter()
    timed_out = False
    try:
        with open(private / "stdout", "wb") as out, open(private / "stderr", "wb") as err:
            process = await asyncio.create_subprocess_exec(
                *command,
                cwd=cwd,
                env=environment(cwd=cwd, home=home, extra=env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
                close_fds=True,
                preexec_fn=_child_setup(
                    group,
                    memory=memory,
                    nproc=nproc,
                    # bwrap dies at once; the reaper first kills what the command started
                    death=signal.SIGKILL if namespaces else signal.SIGTERM,
                ),
            )
        try:
            returncode = await asyncio.wait_for(process.wait(), timeout=timeout)
        except TimeoutError:
            timed_out = True
            await _stop(process, reaper=not namespaces)
            returncode = await process.wait()
        finally:
            # Whatever the command started dies with it: in its pid namespace, or killed by the
            # reaper, in its process group, or (setsid and reaper killed) in its cgroup.
            if process.returncode is None:  # cancelled
                await _stop(process, reaper=not namespaces)
            _kill_group(process.pid)
            if group is not None:
                group.kill()
            if process.returncode is None:  # cancelled: reap the leader we just killed
                await process.wait()
        if namespaces and 128 < returncode < 128 + 65:  # bwrap: killed by signal N -> 128 + N
            returncode = 128 - returncode
        return Outcome(
            returncode=returncode,
            stdout=_read(private / "stdout"),
            stderr=_read(private / "stderr"),
            timed_out=timed_out,
            duration=time.perf_counter() - started,
            network_isolated=namespaces,
            out_of_memory=group is not None and group.out_of_memory(),
        )
    finally:
        if group is not None:
            group.remove()
        shutil.rmtree(private, ignore_errors=True)


def abnormal_exit(outcome: Outcome, *, timeout: float, memory_mb: int) -> str | None:
    """Why the command did not end by itself (timeout, signal), for a report's reason; else None."""
    if outcome.timed_out:
        return f"timed out after {timeout:g} s"
    if outcome.out_of_memory:
        return f"killed: its processes together exceeded the memory limit of {memory_mb} MiB"
    if outcome.returncode < 0:
        number = -outcome.returncode
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown signal"
        hint = f"; memory limit {memory_mb} MiB?" if number in _MEMORY_SIGNALS else ""
        return f"killed by signal {number} ({name}{hint})"
    return None


def gate_python() -> list[str]:
    """This Python in isolated mode without `site` (quick to start): runs the reaper."""
    return [sys.executable, "-I", "-S", "-B"]


async def _stop(process: asyncio.subprocess.Process, *, reaper: bool) -> None:
    """End a command early: the reaper is asked first (it kills every descendant, including
    those that left the process group), then the whole group is killed."""
    if reaper:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), timeout=REAPER_SECONDS)
    _kill_group(process.pid)


def _child_setup(
    group: cgroups.Cgroup | None, *, memory: int, nproc: int | None, death: int
) -> Callable[[], None]:
    parent = os.getpid()
    prctl = _libc.prctl

    def apply() -> None:
        # Runs in the child between fork and exec: keep it to plain system calls.
        if group is not None:
            group.join()
        prctl(_PR_SET_PDEATHSIG, death, 0, 0, 0)
        if os.getppid() != parent:  # kodegen died before the signal was armed
            os._exit(1)
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_FSIZE, (MAX_FILE_BYTES, MAX_FILE_BYTES))
        if nproc is not None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

    return apply


def _nproc_budget(extra: int) -> int:
    """`RLIMIT_NPROC` for a non-root command: it counts every task of the user, so the tasks
    the user runs now plus `extra`."""
    uid, tasks = os.getuid(), 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            if entry.stat().st_uid == uid:
                tasks += len(os.listdir(f"/proc/{entry.name}/task"))
    return tasks + extra


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _read(path: Path) -> str:
    with open(path, "rb") as stream:
        return stream.read(MAX_OUTPUT_BYTES).decode("utf-8", errors="replace")
