"""Files without their repeated lines, for a line-based scanner (detect-secrets) to read once.

Generated code repeats itself: the same decorator, status line or JSON fragment appears
hundreds of times (a 2,500-line `routes.py` has ~600 distinct lines, a served `openapi.json`
of 6,400 lines ~1,200), and detect-secrets costs about a millisecond per line. Its line
plugins judge each line alone (`--no-verify`: the surrounding lines matter only to verify a
secret with its provider), and it reports a secret once per file, at its first line; so a
copy holding each distinct line once, in the order of first appearance, gets the same
findings, and `Condensed.line` maps a line of the copy back to the original.

Only where that holds is a file condensed (`condensable`); any other file is copied as it is:
- Python (`.py`) and JSON (`.json`) only: other types may be parsed as a whole (YAML, INI);
- not a file with a `pragma: allowlist nextline` comment, which makes a line depend on the one
  before it;
- not a file detect-secrets could read as an INI file (its first meaningful line a `[section]`
  header, or, for JSON, no line of brackets alone that makes the INI reading fail), whose
  reading would change without the repeated keys.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

__all__ = ["Condensed", "condensable", "write"]

_SUFFIXES = frozenset({".py", ".json"})
_SECTION = re.compile(r"\s*\[.*\]")
_COMMENT = re.compile(r"\s*([#;].*)?$")  # blank, or an INI comment: skipped before a header
_BRACKETS = re.compile(r"\s*[\[\]{}],?\s*$")


@dataclasses.dataclass(frozen=True)
class Condensed:
    """Where each line of the condensed copies came from."""

    origins: Mapping[str, Sequence[int]]
    """Relative path -> for line n of the copy (index n - 1), its line in the original; only
    the files that were condensed."""

    def line(self, path: str, number: int) -> int:
        """The original line of line `number` of the copy of `path` (unchanged if not
        condensed)."""
        origins = self.origins.get(path)
        if origins is None or not 1 <= number <= len(origins):
            return number
        return origins[number - 1]


def condensable(path: str, text: str) -> bool:
    """Whether `text` (the content of `path`) gives the same findings without repeats."""
    if Path(path).suffix not in _SUFFIXES or "allowlist nextline" in text:
        return False
    lines = _lines(text)
    first = next((line for line in lines if not _COMMENT.match(line)), "")
    if _SECTION.match(first):
        return False
    return Path(path).suffix != ".json" or any(_BRACKETS.match(line) for line in lines)


def write(project: Path, files: Sequence[str], target: Path) -> Condensed:
    """Copy `files` (relative to `project`) under `target`, each condensed when it can be."""
    origins: dict[str, list[int]] = {}
    for name in files:
        source, copy = project / name, target / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        data = source.read_bytes()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = ""
        if not text or not condensable(name, text):
            copy.write_bytes(data)
            continue
        seen: set[str] = set()
        kept: list[str] = []
        numbers: list[int] = []
        for number, line in enumerate(_lines(text), start=1):
            if line in seen:
                continue
            seen.add(line)
            kept.append(line + "\n")
            numbers.append(number)
        copy.write_text("".join(kept), encoding="utf-8")
        origins[name] = numbers
    return Condensed(origins=origins)


def _lines(text: str) -> list[str]:
    """The lines as detect-secrets reads them (a file opened in text mode: universal newlines,
    so `\r\n` and `\r` end lines, and no other character does)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines
