"""What a model's answer may change in a project: nothing the quality gates trust, and nothing
that does not fit the project's tree.

    guard.Guard(existing, protected={"pkg/openapi.json"}).check(parsed) -> protocol.Parsed

A file block is taken out of the answer, with one line in `Parsed.problems` saying why (never
dropped without a word), when:
- its path clashes with the tree: a file where the project or the answer has a folder, or a
  folder where it has a file (writing it would fail, or silently replace a whole folder);
- it adds a protected file, or changes one outside the file's `# kodegen:implement` regions.
  Protected: the paths the pipeline names (the served specification the contract gate tests
  against, `entrypoints.openapi`); every `conftest.py` (a hook there turns failures into
  passes); the test and tool configuration (`pytest.ini`, `tox.ini`, `setup.cfg`,
  `.coveragerc`, `ruff.toml`, `.bandit`, `.secrets.baseline`, ...); Python's start-up hooks
  (`sitecustomize.py`, `usercustomize.py`, `*.pth`); and the `[tool]` table of any
  `pyproject.toml` (the rest of it, the project's metadata, may change).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from kodegen.ai import protocol

__all__ = ["CONFIGURATION", "Guard", "protected_name"]

CONFIGURATION = frozenset(
    {
        "conftest.py",
        "pytest.ini",
        "tox.ini",
        "setup.cfg",
        ".coveragerc",
        "ruff.toml",
        ".ruff.toml",
        ".bandit",
        ".secrets.baseline",
        "mypy.ini",
        ".pre-commit-config.yaml",
        "sitecustomize.py",
        "usercustomize.py",
    }
)
"""File names (in any folder) the gates or Python itself read as configuration or hooks."""

PYPROJECT = "pyproject.toml"

_OPEN = re.compile(r"^[ \t]*#\s*kodegen:implement\b.*$", re.MULTILINE)
_END = re.compile(r"^[ \t]*#\s*kodegen:end\b.*$\n?", re.MULTILINE)


def protected_name(path: str) -> bool:
    """Whether the file name of `path` alone makes it protected (configuration, hooks)."""
    name = path.rsplit("/", 1)[-1]
    return name in CONFIGURATION or name.endswith(".pth")


@dataclass(frozen=True)
class Guard:
    existing: Mapping[str, bytes]
    """The project as it is: path -> content."""
    protected: frozenset[str] = field(default_factory=frozenset)
    """Paths protected besides those `protected_name` and `pyproject.toml` cover."""

    def check(self, parsed: protocol.Parsed) -> protocol.Parsed:
        """`parsed` without the blocks this guard refuses, each refusal added to `problems`."""
        kept: dict[str, str] = {}
        problems = list(parsed.problems)
        files = _Tree(self.existing)
        for path, content in parsed.files.items():
            reason = files.clash(path) or self._protection(path, content)
            if reason is not None:
                problems.append(f"file {path!r} rejected: {reason}")
                continue
            files.add(path)
            kept[path] = content
        return protocol.Parsed(kept, tuple(problems))

    def _protection(self, path: str, content: str) -> str | None:
        old = self.existing.get(path)
        if path.rsplit("/", 1)[-1] == PYPROJECT:
            return _tool_table_changed(old, content)
        if path not in self.protected and not protected_name(path):
            return None
        if old is None:
            return (
                "it would add a protected file (test configuration, hooks or the served "
                "specification), which kodegen alone writes"
            )
        try:
            before = old.decode()
        except UnicodeDecodeError:
            before = None
        if before is None or not _only_regions_changed(before, content):
            return (
                "it changes a protected file (test configuration, hooks or the served "
                "specification) outside its '# kodegen:implement' regions"
            )
        return None


class _Tree:
    """The paths of a project, to tell a file from a folder."""

    def __init__(self, paths: Iterable[str]) -> None:
        self.files: set[str] = set()
        self.folders: set[str] = set()
        for path in paths:
            self.add(path)

    def add(self, path: str) -> None:
        self.files.add(path)
        parts = path.split("/")
        self.folders.update("/".join(parts[:end]) for end in range(1, len(parts)))

    def clash(self, path: str) -> str | None:
        if path in self.folders:
            return "the project has a folder of that name"
        parts = path.split("/")
        for end in range(1, len(parts)):
            parent = "/".join(parts[:end])
            if parent in self.files:
                return f"{parent!r} is a file in the project, not a folder"
        return None


def _only_regions_changed(before: str, after: str) -> bool:
    """Whether `after` equals `before` outside `before`'s `# kodegen:implement` ... `# kodegen:
    end` regions (each region, markers included, may be replaced by any text)."""
    kept: list[str] = []
    position = 0
    for opened in _OPEN.finditer(before):
        if opened.start() < position:
            continue
        closed = _END.search(before, opened.end())
        if closed is None:
            break
        kept.append(before[position : opened.start()])
        position = closed.end()
    kept.append(before[position:])
    if len(kept) == 1:
        return after == before
    first, *middle, last = kept
    if not after.startswith(first) or not after.endswith(last):
        return False
    if len(first) + len(last) > len(after):
        return False
    cursor, stop = len(first), len(after) - len(last)
    for segment in middle:  # leftmost matches: literal pieces in order, anything between
        found = after.find(segment, cursor, stop)
        if found < 0:
            return False
        cursor = found + len(segment)
    return True


def _tool_table_changed(old: bytes | None, content: str) -> str | None:
    try:
        new_tool = tomllib.loads(content).get("tool")
    except tomllib.TOMLDecodeError as exc:
        return f"it is not valid TOML ({exc})"
    try:
        old_tool = tomllib.loads(old.decode()).get("tool") if old is not None else None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        old_tool = None
    if _normal(new_tool) != _normal(old_tool):
        return (
            "it changes the [tool] table of pyproject.toml (the configuration of pytest, "
            "coverage, ruff and the other gates), which kodegen alone writes"
        )
    return None


def _normal(table: Any) -> Any:
    return table or None
