"""The first process of a sandboxed command where namespaces are refused: the pid namespace's
init, done by hand.

`python -I -S _reaper.py ARGV...` runs ARGV as its child and becomes a child subreaper
(`PR_SET_CHILD_SUBREAPER`), so every process ARGV starts, even one that left the session with
`setsid` and lost its parent, stays a descendant of this one. When ARGV ends, or when this
process receives SIGTERM (kodegen's timeout, or kodegen's death: kodegen arms
`PR_SET_PDEATHSIG` with SIGTERM for it), every descendant is killed and reaped before it exits,
with ARGV's status (after SIGTERM: killed by SIGKILL, as a command killed outright). This file
runs outside kodegen's package (no imports of it), on the standard library alone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
import time
from types import FrameType

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_EXEC_FAILED = 127


def main(argv: list[str]) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    signal.signal(signal.SIGTERM, _terminated)
    child = os.fork()
    if child == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(_EXEC_FAILED)
    while True:  # reap orphans as they come, so that zombies do not fill the process limit
        pid, status = os.waitpid(-1, 0)
        if pid == child:
            break
    _kill_descendants()
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.waitstatus_to_exitcode(status))


def _terminated(number: int, frame: FrameType | None) -> None:
    _kill_descendants()
    os.kill(os.getpid(), signal.SIGKILL)  # ends as a killed command does


def _kill_descendants() -> None:
    """SIGKILL the children until none is left; the orphans of each round become ours."""
    me = os.getpid()
    while True:
        for pid in _children(me):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                continue  # reap every child that has ended
        except ChildProcessError:  # no child left at all
            return
        time.sleep(0.005)


def _children(parent: int) -> list[int]:
    """The children of `parent`: from `/proc/<pid>/task/<pid>/children` where the kernel has
    it (CONFIG_PROC_CHILDREN; the reaper has one thread), else from every process's parent."""
    with (
        contextlib.suppress(FileNotFoundError),
        open(f"/proc/{parent}/task/{parent}/children", "rb") as listed,
    ):
        return [int(pid) for pid in listed.read().split()]
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                fields = stat.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(name))
    return found


if __name__ == "__main__":
    main(sys.argv[1:])
