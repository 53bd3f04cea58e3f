"""The bubblewrap command line of the gate sandbox: what the command sees of the machine.

The command gets a new root holding, read-only, only the system folders (`/usr`, `/etc`, the
`/bin` and `/lib` links) and the Python installation kodegen runs on (its prefixes and
`sys.path`); a fresh `/proc` of its own pid namespace, a minimal `/dev`, an empty `/tmp`; and,
writable, only the folders the gate names (the project copy, the gate's results folder, a
private home). Everything else (home folders, kodegen's caches, the published output, other
gates' folders) does not exist in there. It has no network (a namespace with only its own
loopback), no capabilities, its own session (no terminal injection), and dies with its parent.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = ["SYSTEM", "command", "python_paths"]

SYSTEM = ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/opt")
"""System folders shown read-only (those that exist; links are recreated as links)."""

_PRIVATE = (Path("/tmp"), Path("/proc"), Path("/dev"), Path("/sys"), Path("/run"))
"""Folders the sandbox has its own of: never shown whole. A Python installation inside `/tmp`
or `/run` (a virtualenv in a CI clone under /tmp) is shown on top of the empty one; nothing of
`/proc`, `/dev` or `/sys` is."""

_KERNEL = (Path("/proc"), Path("/dev"), Path("/sys"))


def command(
    argv: Sequence[str],
    *,
    cwd: Path,
    writable: Iterable[Path],
    readable: Iterable[Path] = (),
    user_namespace: bool,
) -> list[str]:
    """`argv` run by bwrap in the sandbox, in `cwd` (which must be among `writable`)."""
    args = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    args += ["--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if user_namespace:
        args.append("--unshare-user")
    for name in SYSTEM:
        path = Path(name)
        if path.is_symlink():
            args += ["--symlink", str(path.readlink()), name]
        elif path.is_dir():
            args += ["--ro-bind", name, name]
    args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
    shown = [Path(name) for name in SYSTEM]
    for path in _outermost(python_paths()):
        if not any(path.is_relative_to(system) for system in shown):
            args += ["--ro-bind", str(path), str(path)]
    for path in readable:
        args += ["--ro-bind", str(path), str(path)]
    for path in writable:
        args += ["--bind", str(path), str(path)]
    return [*args, "--chdir", str(cwd), "--", *argv]


def python_paths() -> list[Path]:
    """The folders this Python needs: prefixes and import path; never a private folder itself
    (`/tmp`) nor anything of the kernel's (`/proc`, `/dev`, `/sys`)."""
    candidates = [
        Path(sys.prefix),
        Path(sys.base_prefix),
        Path(sys.exec_prefix),
        Path(sys.executable).resolve().parent.parent,
        *(Path(entry) for entry in sys.path if entry),
    ]
    found = []
    for candidate in candidates:
        if not candidate.is_absolute() or not candidate.is_dir():
            continue
        path = candidate.resolve()
        if path == Path("/") or path in _PRIVATE:
            continue
        if any(path.is_relative_to(kernel) for kernel in _KERNEL):
            continue
        found.append(path)
    return found


def _outermost(paths: Iterable[Path]) -> list[Path]:
    """`paths` without those inside another one, sorted (one bind covers its subfolders)."""
    kept: list[Path] = []
    for path in sorted(set(paths)):
        if not any(path.is_relative_to(outer) for outer in kept):
            kept.append(path)
    return kept
