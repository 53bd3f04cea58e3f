"""kodegen's record of what it wrote into an output folder, and how a folder differs from it.

    {"kind": "kodegen-output/v1", "files": {"app/main.py": "sha256:…", …}}

The record lives in the folder it describes (`PATH`) and lists every file published there but
itself. It is trusted only as a regular file inside a real `.kodegen` folder (a symbolic link
to a record elsewhere proves nothing), at most `MAX_BYTES` long, with exactly that shape.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from pathlib import Path

__all__ = ["KIND", "MAX_BYTES", "PATH", "differences", "dump", "read"]

PATH = ".kodegen/output.json"
KIND = "kodegen-output/v1"
MAX_BYTES = 16 * 1024 * 1024
"""A record larger than this is not one kodegen wrote (a million files would be ~100 MB)."""
SHOWN = 10
"""Differences named in the one-line refusal; the rest are counted."""


def dump(files: Mapping[str, bytes]) -> bytes:
    """The record of `files` (path -> content): sorted, canonical JSON."""
    digests = {path: _digest(files[path]) for path in sorted(files)}
    text = json.dumps({"kind": KIND, "files": digests}, indent=2, sort_keys=True)
    return (text + "\n").encode()


def read(out: Path) -> dict[str, str] | None:
    """The record in `out` (path -> digest), or None when there is no trustworthy one."""
    folder = out / PATH.split("/")[0]
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return None
        descriptor = os.open(out / PATH, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return None  # absent, a link, unreadable
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_BYTES:
            return None
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            data = json.loads(stream.read(MAX_BYTES + 1))
    except (OSError, ValueError, RecursionError):
        return None
    finally:
        os.close(descriptor)
    if not isinstance(data, dict) or data.get("kind") != KIND:
        return None
    files = data.get("files")
    if not isinstance(files, dict) or not all(
        isinstance(path, str) and isinstance(digest, str) for path, digest in files.items()
    ):
        return None
    return files


def differences(out: Path, record: Mapping[str, str]) -> str:
    """What in `out` differs from `record`, as one line (`changed: a.py; added: .git/`), or ""
    when the folder holds exactly the recorded files with the recorded content."""
    found = _scan(out)
    folders = _folders(record)
    changed = [path for path, digest in found.items() if path in record and digest != record[path]]
    added = {_foreign(path, folders) for path in found if path not in record}
    missing = [path for path in record if path not in found]
    return _one_line({"changed": changed, "added": list(added), "missing": missing})


def _folders(record: Mapping[str, str]) -> set[str]:
    """Every folder the recorded files imply (`a`, `a/b` for `a/b/c.py`)."""
    found: set[str] = set()
    for path in record:
        parts = path.split("/")
        found.update("/".join(parts[:end]) for end in range(1, len(parts)))
    return found


def _foreign(path: str, folders: set[str]) -> str:
    """`path`, or its outermost folder that kodegen never wrote (`.git/` for `.git/HEAD`): a
    whole foreign folder is named once."""
    parts = path.rstrip("/").split("/")
    for end in range(1, len(parts)):
        if "/".join(parts[:end]) not in folders:
            return "/".join(parts[:end]) + "/"
    return path


def _one_line(groups: Mapping[str, list[str]]) -> str:
    """`label: a, b; label: c`, at most `SHOWN` names (escaped), the rest counted."""
    shown, total, parts = 0, sum(len(names) for names in groups.values()), []
    for label, names in groups.items():
        named = sorted(names)[: max(0, SHOWN - shown)]
        if named:
            shown += len(named)
            parts.append(f"{label}: {', '.join(repr(name)[1:-1] for name in named)}")
    more = f"; and {total - shown} more" if total > shown else ""
    return "; ".join(parts) + more


def _scan(out: Path) -> dict[str, str]:
    """Every entry under `out` but the record: path -> digest for regular files, a marker
    that matches no digest for anything else (links, devices, empty folders)."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(out, followlinks=False):
        base = Path(folder)
        relative = base.relative_to(out).as_posix()
        prefix = "" if relative == "." else relative + "/"
        for name in list(dirs):
            if (base / name).is_symlink():
                found[prefix + name] = "link"
                dirs.remove(name)
        if not dirs and not files and prefix:
            found[prefix] = "empty folder"
        for name in files:
            path = prefix + name
            if path == PATH:
                continue
            found[path] = _file_digest(base / name)
    return found


def _file_digest(path: Path) -> str:
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return "not a regular file"
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            return "not a regular file"
        digest = hashlib.sha256()
        with os.fdopen(descriptor, "rb", closefd=False) as stream:
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
        return "sha256:" + digest.hexdigest()
    finally:
        os.close(descriptor)


def _digest(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()
