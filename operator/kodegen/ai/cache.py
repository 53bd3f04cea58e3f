"""Answers already paid for: an identical request (same `Request.key()`, same provider) is
served from here, with no second call and no second bill.

`Memory` lives as long as the process (the operator's local executor, tests); `Directory`
keeps one JSON file per key (the CLI: `$XDG_CACHE_HOME/kodegen/ai`), so re-running
`kodegen generate` on an unchanged manifest costs nothing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from pathlib import Path
from typing import Protocol

from kodegen.ai import types

__all__ = ["Cache", "Directory", "Memory", "default_directory"]


class Cache(Protocol):
    def get(self, key: str) -> types.Response | None: ...

    def put(self, key: str, response: types.Response) -> None: ...


class Memory:
    def __init__(self) -> None:
        self.entries: dict[str, types.Response] = {}

    def get(self, key: str) -> types.Response | None:
        return self.entries.get(key)

    def put(self, key: str, response: types.Response) -> None:
        self.entries[key] = response


class Directory:
    def __init__(self, root: Path) -> None:
        self.root = root

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


def default_directory(environ: dict[str, str] | os._Environ[str]) -> Path:
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "kodegen" / "ai"
