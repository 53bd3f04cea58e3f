"""Answers already paid for: an identical request (same `Request.key()`, same provider) is
served from here, with no second call and no second bill.

`Memory` lives as long as the process (the operator's local executor, tests); `Directory`
keeps one JSON file per key (the CLI: `$XDG_CACHE_HOME/kodegen/ai`), so re-running
`kodegen generate` on an unchanged manifest costs nothing.

Both are bounded, in entries and in bytes of answer text (`Limits`): past either bound the
least recently stored answers go first. The router stores only answers that hold no key and
nothing credential-like (`router.Router._store`), and never replays one that does.

Why not `diskcache` (the maintained bounded disk cache): it unpickles any row whose stored mode
says "pickle", and this folder is one that untrusted generated code has been seen to write
into; a JSON file per answer is never deserialised into anything but strings and numbers.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Protocol

from kodegen.ai import types

__all__ = ["Cache", "Directory", "Limits", "Memory", "default_directory"]


@dataclasses.dataclass(frozen=True)
class Limits:
    """How much a cache keeps."""

    entries: int = 2000
    """Answers kept; a generation asks a handful of questions, so this is hundreds of runs."""
    bytes: int = 256 * 1024 * 1024
    """Bytes of answers kept (text, UTF-8; files on disk for `Directory`): 256 MiB."""


class Cache(Protocol):
    def get(self, key: str) -> types.Response | None: ...

    def put(self, key: str, response: types.Response) -> None: ...


class Memory:
    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.entries: collections.OrderedDict[str, types.Response] = collections.OrderedDict()
        self.size = 0

    def get(self, key: str) -> types.Response | None:
        return self.entries.get(key)

    def put(self, key: str, response: types.Response) -> None:
        if key in self.entries:
            self.size -= _size(self.entries.pop(key))
        if _size(response) > self.limits.bytes:
            return  # larger than the whole cache: not kept at all
        self.entries[key] = response
        self.size += _size(response)
        while len(self.entries) > self.limits.entries or self.size > self.limits.bytes:
            _, oldest = self.entries.popitem(last=False)
            self.size -= _size(oldest)


def _size(response: types.Response) -> int:
    return len(response.text.encode())


class Directory:
    def __init__(self, root: Path, limits: Limits | None = None) -> None:
        self.root = root
        self.limits = limits or Limits()

    def _path(self, key: str) -> Path:
        digest = key.removeprefix("sha256:")
        return self.root / digest[:2] / f"{digest}.json"

    def get(self, key: str) -> types.Response | None:
        try:
            data = json.loads(self._path(key).read_text())
            return types.Response(
                text=data["text"],
                usage=types.Usage(**data["usage"]),
                model=data["model"],
                finish_reason=data["finish_reason"],
                provider=data["provider"],
                cost_usd=data["cost_usd"],
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None  # absent or unreadable: a miss, the call is made again

    def put(self, key: str, response: types.Response) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = dataclasses.asdict(response)
        data.pop("cached", None)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as handle:
            json.dump(data, handle, sort_keys=True)
        os.replace(handle.name, path)
        self.prune()

    def prune(self) -> None:
        """Delete the least recently stored entries until both `limits` hold again."""
        found = []
        for entry in self.root.glob("*/*.json"):
            with contextlib.suppress(OSError):  # removed meanwhile by another process
                status = entry.lstat()
                found.append((status.st_mtime_ns, entry.name, status.st_size, entry))
        found.sort()
        total = sum(size for _, _, size, _ in found)
        while found and (len(found) > self.limits.entries or total > self.limits.bytes):
            _, _, size, entry = found.pop(0)
            with contextlib.suppress(OSError):
                entry.unlink()
            total -= size


def default_directory(environ: dict[str, str] | os._Environ[str]) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kodegen" / "ai"
