"""Where the files of a multi-file spec come from: a *document source*, name -> bytes.

    Source             the protocol: `read(name)` -> bytes, `where(name)` -> text for messages
    Folder(root)       files under a folder on disk (the CLI; a checked-out Git tree)
    Files(mapping)     files held in memory (a ConfigMap's keys, see `config_map_files`)
    resolve(base, ref) the name a relative reference in the file `base` names

Names are POSIX paths relative to the source's root, normalized (`a/./b/../c` is `a/c`). A
reference may not leave the root: `../x` from a file at the root, an absolute path, a
backslash or NUL, and (for a folder) a symlink whose target lies outside the folder are all
refused with one line naming the reference. Each file is read within `Limits.max_bytes`; the
bundler (`specs.bundle`) bounds the number of files and their total size.

ConfigMap keys allow only `[-._a-zA-Z0-9]`, so a ConfigMap holds a multi-file spec with the
encoding its template sources use: a key is a path with each `/` written as `__`
(`paths__menu.yaml` is `paths/menu.yaml`), and paths that cannot be written so are listed in
the index key `kodegen.index.json`, a JSON object from key to path.
"""

from __future__ import annotations

import json
import os
import posixpath
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from kodegen import errors
from kodegen.documents import limits as limits_

__all__ = [
    "INDEX_KEY",
    "Files",
    "Folder",
    "Source",
    "config_map_files",
    "entry_name",
    "resolve",
]

INDEX_KEY = "kodegen.index.json"
"""The ConfigMap key mapping other keys to the paths they hold."""


class Source(Protocol):
    """Files of one spec by name (a normalized relative POSIX path)."""

    def read(self, name: str) -> bytes:
        """The bytes of `name`, within the limits; `errors.DocumentError` when it is missing,
        not a regular file, outside the source or too large."""
        ...

    def where(self, name: str) -> str:
        """`name` as messages show it (`spec/paths/menu.yaml`, `ConfigMap ns/cm key k`)."""
        ...


def resolve(base: str, reference: str) -> str:
    """The name `reference` (a relative URI path, percent-decoded) names from the file `base`;
    `errors.SpecError` when it leaves the source's root or is not a relative path."""
    if (
        reference.startswith(("/", "\\"))
        or "\\" in reference
        or "\x00" in reference
        or (len(reference) > 1 and reference[1] == ":")  # C:...
    ):
        raise _escape(reference)
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(base), reference))
    if joined == ".." or joined.startswith("../") or joined.startswith("/"):
        raise _escape(reference)
    return joined


def _escape(reference: str) -> errors.SpecError:
    return errors.SpecError(
        pointer="",
        reason=f"$ref {reference!r} leaves the spec's folder; refer to files inside the folder "
        "of the entry document (relative paths, no '..' past it, no absolute paths)",
    )


class Folder:
    """The files under `root` (the entry document's folder, or a Git checkout)."""

    def __init__(
        self, root: Path, *, label: str | None = None, limits: limits_.Limits = limits_.DEFAULT
    ) -> None:
        self.root = root
        self.real = root.resolve()
        self.label = str(root) if label is None else label
        self.limits = limits

    def where(self, name: str) -> str:
        return posixpath.join(self.label, name)

    def read(self, name: str) -> bytes:
        path = self.root.joinpath(*name.split("/"))
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise errors.DocumentError(
                source=self.where(name), reason="no such file in the spec's folder"
            ) from None
        if not real.is_relative_to(self.real):
            raise errors.DocumentError(
                source=self.where(name),
                reason="is a link to a file outside the spec's folder; copy the file into "
                "the folder",
            )
        try:
            with real.open("rb") as handle:
                if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                    raise errors.DocumentError(source=self.where(name), reason="not a file")
                data = handle.read(self.limits.max_bytes + 1)
        except OSError as exc:
            raise errors.DocumentError(
                source=self.where(name), reason=f"cannot read it: {exc.strerror or exc}"
            ) from exc
        _bounded(self.where(name), data, self.limits)
        return data


class Files:
    """Files held in memory, by name (a ConfigMap's decoded keys, a test's tree)."""

    def __init__(
        self,
        files: Mapping[str, str | bytes],
        *,
        label: str = "",
        limits: limits_.Limits = limits_.DEFAULT,
    ) -> None:
        self.files = {
            name: content.encode("utf-8") if isinstance(content, str) else content
            for name, content in files.items()
        }
        self.label, self.limits = label, limits

    def where(self, name: str) -> str:
        return f"{self.label} {name}".strip()

    def read(self, name: str) -> bytes:
        if name not in self.files:
            known = ", ".join(sorted(self.files)[:8])
            raise errors.DocumentError(
                source=self.where(name),
                reason=f"no such file (files: {known}); add it as a key (`/` written as `__`)",
            )
        data = self.files[name]
        _bounded(self.where(name), data, self.limits)
        return data


def _bounded(source: str, data: bytes, limits: limits_.Limits) -> None:
    if len(data) > limits.max_bytes:
        raise errors.DocumentError(
            source=source,
            reason=f"more than the {limits.max_bytes} bytes kodegen reads (limits.max_bytes); "
            "split the document or shorten it",
        )


def config_map_files(data: Mapping[str, str], *, where: str) -> dict[str, str]:
    """Name -> text of a ConfigMap's `data`: each key is a path with `/` written as `__`, or a
    key the index `kodegen.index.json` maps to its path. A bad index is a `DocumentError`
    naming `where`."""
    index: dict[str, str] = {}
    if INDEX_KEY in data:
        try:
            loaded = json.loads(data[INDEX_KEY])
        except json.JSONDecodeError as exc:
            raise errors.DocumentError(
                source=f"{where} key {INDEX_KEY}", reason=f"not JSON: {exc.msg}"
            ) from exc
        if not isinstance(loaded, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in loaded.items()
        ):
            raise errors.DocumentError(
                source=f"{where} key {INDEX_KEY}",
                reason='must be a JSON object from key to path, e.g. {"a.yaml": "x/y/a.yaml"}',
            )
        missing = sorted(set(loaded) - set(data))
        if missing:
            raise errors.DocumentError(
                source=f"{where} key {INDEX_KEY}",
                reason=f"lists keys the ConfigMap does not have: {', '.join(missing)}",
            )
        index = loaded
    files: dict[str, str] = {}
    for key in sorted(data):
        if key == INDEX_KEY:
            continue
        path = index.get(key, key.replace("__", "/"))
        name = resolve("", path)  # normalized; no escape from the ConfigMap's root
        if name in files:
            raise errors.DocumentError(
                source=f"{where} key {key}",
                reason=f"holds the path {name!r}, which another key holds too; keep one",
            )
        files[name] = data[key]
    return files


def entry_name(key: str, data: Mapping[str, str]) -> str:
    """The file name of the ConfigMap key `key` (the entry document) under the encoding."""
    if INDEX_KEY in data:
        try:
            index = json.loads(data[INDEX_KEY])
        except json.JSONDecodeError:
            index = {}
        if isinstance(index, dict) and isinstance(index.get(key), str):
            return resolve("", index[key])
    return resolve("", key.replace("__", "/"))
