"""Hypothesis' Unicode tables, built once by kodegen and copied into each sandboxed run.

Hypothesis (under schemathesis, and under a project's own property tests) derives tables of
Unicode categories the first time it generates text, about 1.2 s of CPU, and caches them in
its storage directory, which is `.hypothesis/` in the working directory unless
`HYPOTHESIS_STORAGE_DIRECTORY` says otherwise. The gates give each run a private storage
directory instead (nothing may be written into the project, no run may leave data for the
next), so each run would pay for the tables again. Instead kodegen builds them once, running
only Hypothesis' own code, into a cache folder it owns, and each run starts with a copy.

The cache folder is `$XDG_CACHE_HOME/kodegen/hypothesis` (`~/.cache/...`), else a folder of
this user under the system's temporary directory. A container image can build it ahead of
time: `python -c "import asyncio; from kodegen.gates import unicode_cache as u;
asyncio.run(u.build(u.folder()))"`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

from kodegen.gates import sandbox

__all__ = ["ENV", "build", "folder", "seed"]

ENV = "HYPOTHESIS_STORAGE_DIRECTORY"
"""The variable telling Hypothesis where its storage directory is."""

_TABLES = "unicode_data"
_BUILD = (
    "from hypothesis.internal.charmap import charmap, intervals_from_codec\n"
    "charmap()\n"
    "intervals_from_codec('utf-8')\n"
)
_BUILD_SECONDS = 60.0
_BUILD_MEMORY_MB = 1024


def folder() -> Path:
    """The shared cache folder (not created)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "kodegen", "hypothesis")


async def build(cache: Path) -> bool:
    """Build the tables into `cache` unless they are there; whether they are there afterwards.

    Runs Hypothesis alone (isolated mode, no project anywhere near) in the sandbox; a failure
    only means that runs will build the tables themselves.
    """
    if (cache / _TABLES).is_dir():
        return True
    try:
        cache.mkdir(parents=True, exist_ok=True)
        await sandbox.run(
            [sys.executable, "-I", "-B", "-c", _BUILD],
            cwd=cache,
            timeout=_BUILD_SECONDS,
            memory_mb=_BUILD_MEMORY_MB,
            env={ENV: str(cache)},
        )
    except OSError:
        return False
    return (cache / _TABLES).is_dir()


async def seed(storage: Path, *, build_if_missing: bool) -> None:
    """Make `storage` a fresh Hypothesis storage directory holding the shared tables if any."""
    storage.mkdir(parents=True, exist_ok=True)
    cache = _usable_cache()
    if cache is None:
        return
    ready = await build(cache) if build_if_missing else (cache / _TABLES).is_dir()
    if ready:
        shutil.copytree(cache / _TABLES, storage / _TABLES, dirs_exist_ok=True)


def _usable_cache() -> Path | None:
    """The user's cache folder, else a temporary one that this user owns (never someone else's)."""
    preferred = folder()
    with contextlib.suppress(OSError):
        preferred.mkdir(parents=True, exist_ok=True)
        return preferred
    fallback = Path(tempfile.gettempdir(), f"kodegen-hypothesis-{os.getuid()}")
    try:
        fallback.mkdir(mode=0o700, exist_ok=True)
    except OSError:
        return None
    return fallback if fallback.stat().st_uid == os.getuid() else None
