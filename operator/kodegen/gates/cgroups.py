"""A control group per sandboxed command: a process-count and a memory limit for the whole tree.

RLIMIT_NPROC does not bind root (uid 0 is exempt) and RLIMIT_AS bounds one process, not the
several a test may fork; a control group bounds every process of the command together, for root
and non-root alike, and lets kodegen kill all of them, even those that left the process group
(`setsid`). cgroup v2 is used where kodegen's own group delegates the `pids` and `memory`
controllers; otherwise cgroup v1 where the `pids` and `memory` hierarchies are writable (root on
a v1 or hybrid host); otherwise nothing, and the caller falls back to `prlimit`.

`create()` makes the group; the command joins it from `join()`, called in the child between
fork and exec (so not one of its processes starts outside); `remove()` kills what is left and
deletes the group.
"""

from __future__ import annotations

import contextlib
import dataclasses
import itertools
import os
import re
import signal
import time
from pathlib import Path
from typing import Literal

__all__ = ["Cgroup", "create"]

Version = Literal["v1", "v2"]

_counter = itertools.count()
_swept: list[bool] = []
_NAME = re.compile(r"kodegen-(\d+)-\d+")
_KILL_ROUNDS = 200


@dataclasses.dataclass(frozen=True)
class Cgroup:
    """A group made for one command: its folders (v2: one; v1: `pids` then `memory`)."""

    version: Version
    folders: tuple[Path, ...]

    def join(self) -> None:
        """Move the calling process into the group (plain system calls: runs after fork)."""
        pid = str(os.getpid()).encode()
        for folder in self.folders:
            fd = os.open(folder / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(fd, pid)
            finally:
                os.close(fd)

    def processes(self) -> set[int]:
        """The processes in the group now."""
        found: set[int] = set()
        for folder in self.folders:
            with contextlib.suppress(OSError):
                found.update(int(line) for line in (folder / "cgroup.procs").read_text().split())
        return found

    def kill(self) -> None:
        """SIGKILL every process of the group, until none is left (a fork bomb races: the
        process-count limit bounds it, so a few rounds end it)."""
        kill_file = self.folders[0] / "cgroup.kill"
        if self.version == "v2" and kill_file.exists():
            with contextlib.suppress(OSError):
                kill_file.write_text("1")
        for _ in range(_KILL_ROUNDS):
            alive = self.processes()
            if not alive:
                return
            for pid in alive:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.005)

    def out_of_memory(self) -> bool:
        """Whether the kernel killed a process of the group for exceeding the memory limit."""
        for folder in self.folders:
            for name in ("memory.events", "memory.oom_control"):
                with contextlib.suppress(OSError):
                    for line in (folder / name).read_text().splitlines():
                        key, _, value = line.partition(" ")
                        if key == "oom_kill" and value.strip() not in ("", "0"):
                            return True
        return False

    def remove(self) -> None:
        """Kill what is left and delete the group's folders."""
        self.kill()
        for folder in self.folders:
            for _ in range(100):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:  # EBUSY: the last killed processes are still exiting
                    time.sleep(0.01)


def create(*, processes: int, memory_bytes: int, allowed: bool = True) -> Cgroup | None:
    """A new group limited to `processes` tasks and `memory_bytes` of memory (no swap), or None
    where this process may not make one."""
    if not allowed:
        return None
    name = f"kodegen-{os.getpid()}-{next(_counter)}"
    mounts = _mounts()
    own = _own_groups()
    if not _swept:
        _swept.append(True)
        _sweep(mounts, own)
    for make in (_create_v2, _create_v1):
        with contextlib.suppress(OSError, ValueError, KeyError):
            group = make(name, mounts, own, processes, memory_bytes)
            if group is not None:
                return group
    return None


def _create_v2(
    name: str, mounts: dict[str, Path], own: dict[str, str], processes: int, memory: int
) -> Cgroup | None:
    if "cgroup2" not in mounts or "" not in own:
        return None
    parent = mounts["cgroup2"] / own[""].lstrip("/")
    enabled = (parent / "cgroup.subtree_control").read_text().split()
    if not {"pids", "memory"} <= set(enabled):
        if not {"pids", "memory"} <= set((parent / "cgroup.controllers").read_text().split()):
            return None
        (parent / "cgroup.subtree_control").write_text("+pids +memory")
    folder = parent / name
    folder.mkdir()
    try:
        (folder / "pids.max").write_text(str(processes))
        (folder / "memory.max").write_text(str(memory))
        with contextlib.suppress(FileNotFoundError):
            (folder / "memory.swap.max").write_text("0")
    except OSError:
        folder.rmdir()
        raise
    return Cgroup(version="v2", folders=(folder,))


def _create_v1(
    name: str, mounts: dict[str, Path], own: dict[str, str], processes: int, memory: int
) -> Cgroup | None:
    if "pids" not in mounts or "memory" not in mounts:
        return None
    pids = mounts["pids"] / own["pids"].lstrip("/") / name
    mem = mounts["memory"] / own["memory"].lstrip("/") / name
    pids.mkdir()
    try:
        mem.mkdir()
    except OSError:
        pids.rmdir()
        raise
    group = Cgroup(version="v1", folders=(pids, mem))
    try:
        (pids / "pids.max").write_text(str(processes))
        (mem / "memory.limit_in_bytes").write_text(str(memory))
        with contextlib.suppress(OSError):  # only where swap is accounted
            (mem / "memory.memsw.limit_in_bytes").write_text(str(memory))
    except OSError:
        group.remove()
        raise
    return group


def _sweep(mounts: dict[str, Path], own: dict[str, str]) -> None:
    """Remove the groups a kodegen that was killed outright (SIGKILL) left behind, with any
    process still in them: a group is named for the pid of the kodegen that made it, and is
    left alone while that pid lives."""
    parents: list[tuple[Version, Path]] = [
        ("v1", mounts[key] / own[key].lstrip("/"))
        for key in ("pids", "memory")
        if key in mounts and key in own
    ]
    if "cgroup2" in mounts and "" in own:
        parents.append(("v2", mounts["cgroup2"] / own[""].lstrip("/")))
    for version, parent in parents:
        with contextlib.suppress(OSError):
            for folder in parent.glob("kodegen-*-*"):
                match = _NAME.fullmatch(folder.name)
                if match is not None and not _alive(int(match.group(1))):
                    Cgroup(version=version, folders=(folder,)).remove()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _mounts() -> dict[str, Path]:
    """Mount points: `cgroup2` for the unified hierarchy, each v1 controller by its name."""
    found: dict[str, Path] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        fields, _, tail = line.partition(" - ")
        parts, rest = fields.split(), tail.split()
        if len(parts) < 5 or len(rest) < 3:
            continue
        point = Path(parts[4].replace("\\040", " "))
        if rest[0] == "cgroup2":
            found.setdefault("cgroup2", point)
        elif rest[0] == "cgroup":
            for option in rest[2].split(","):
                if option in ("pids", "memory"):
                    found.setdefault(option, point)
    return found


def _own_groups() -> dict[str, str]:
    """This process's group per controller (`""` for v2) from /proc/self/cgroup."""
    own: dict[str, str] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                own[controller] = path
    return own
