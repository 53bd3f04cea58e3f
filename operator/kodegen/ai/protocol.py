"""The file output protocol: how a model hands kodegen files, and the parser that reads them.

A model answers with one block per file, and nothing else counts:

    === FILE: shortener/app.py ===
    <the whole file>
    === END FILE ===

The parser is strict about what it accepts and tolerant of what it skips:
- prose before, between and after blocks is ignored (models like to explain);
- a block whose content is wrapped in a Markdown fence (```python ... ```) is unwrapped; an
  answer wrapped as a whole in one fence needs nothing of the kind: the fence lines are prose
  outside every block (and line numbers in problems stay those of the answer);
- a path must be relative, POSIX, inside the output tree: no `..`, no absolute path, no drive,
  no backslash, no control character, nothing under `.kodegen/` (kodegen's own folder) or in
  a `.git` folder (hooks and config a later `git` would run);
- an unterminated block, a bad path or a repeated path is reported in `Parsed.problems`, never
  silently dropped; an answer with no valid file is `errors.ProviderError(kind="unparseable")`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from kodegen import errors

__all__ = ["INSTRUCTIONS", "Parsed", "files", "format", "parse"]

_OPEN = re.compile(r"^[ \t]*=== FILE: (?P<path>.+?) ===[ \t]*$")
_CLOSE = re.compile(r"^[ \t]*=== END FILE ===[ \t]*$")
_FENCE = re.compile(r"^[ \t]*(```|~~~)[\w+.-]*[ \t]*$")
_RESERVED = ".kodegen/"
_MAX_PATH = 255

INSTRUCTIONS = """\
=== FILE: relative/path/of/the/file.py ===
<the complete content of the file>
=== END FILE ===

One such block per file, the path relative to the project root (no `..`, no leading `/`).
Text outside the blocks is ignored; do not wrap the blocks in Markdown fences."""


@dataclass(frozen=True)
class Parsed:
    files: dict[str, str]
    """path -> content, in the order the model gave them."""
    problems: tuple[str, ...]
    """What was rejected or could not be parsed, one line each, naming the line number."""


def format(files: Mapping[str, str]) -> str:
    """`files` in the protocol's format: what `parse` reads back unchanged."""
    blocks = []
    for path, content in files.items():
        body = content if content.endswith("\n") or not content else content + "\n"
        blocks.append(f"=== FILE: {path} ===\n{body}=== END FILE ===\n")
    return "\n".join(blocks)


def parse(text: str) -> Parsed:
    """Every well-formed file block of `text`, and a line per problem found."""
    lines = text.splitlines()
    found: dict[str, str] = {}
    problems: list[str] = []
    index = 0
    while index < len(lines):
        opened = _OPEN.match(lines[index])
        if opened is None:
            if _CLOSE.match(lines[index]):
                problems.append(f"line {index + 1}: END FILE without a FILE block")
            index += 1
            continue
        start, path = index, opened.group("path").strip()
        index += 1
        body: list[str] = []
        while index < len(lines) and not _CLOSE.match(lines[index]):
            if _OPEN.match(lines[index]):
                break
            body.append(lines[index])
            index += 1
        if index >= len(lines) or not _CLOSE.match(lines[index]):
            problems.append(f"line {start + 1}: file {path!r} is not closed by '=== END FILE ==='")
            continue
        index += 1
        reason = _bad_path(path)
        if reason is not None:
            problems.append(f"line {start + 1}: file {path!r} rejected: {reason}")
            continue
        if path in found:
            problems.append(f"line {start + 1}: file {path!r} given twice; the last one is kept")
        found[path] = _content(body)
    return Parsed(found, tuple(problems))


def files(text: str, *, provider: str) -> Parsed:
    """`parse(text)`, or `ProviderError(kind="unparseable")` when no file came through."""
    parsed = parse(text)
    if not parsed.files:
        detail = "; ".join(parsed.problems[:5]) or "no '=== FILE: <path> ===' block found"
        raise errors.ProviderError(
            provider=provider, kind="unparseable", reason=f"no usable file in the answer: {detail}"
        )
    return parsed


def _content(body: list[str]) -> str:
    """The block's lines as file text; a fence around the whole content is removed."""
    while body and not body[0].strip():
        body = body[1:]
    while body and not body[-1].strip():
        body = body[:-1]
    if len(body) >= 2 and _FENCE.match(body[0]) and body[-1].strip() in ("```", "~~~"):
        body = body[1:-1]
    return "\n".join(body) + "\n" if body else ""


def _bad_path(path: str) -> str | None:
    if not path or len(path) > _MAX_PATH:
        return f"a path must have 1 to {_MAX_PATH} characters"
    if "\\" in path or "\x00" in path:
        return "backslashes and NUL are not allowed; use '/'"
    if any(ord(char) < 32 or ord(char) == 127 for char in path):
        return "control characters are not allowed in a path"
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        return "absolute paths are not allowed; give a path relative to the project root"
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return "'..', '.' and empty segments are not allowed: the file must stay in the project"
    if path.startswith(_RESERVED) or path == _RESERVED.rstrip("/"):
        return f"{_RESERVED} is kodegen's own folder"
    if ".git" in parts:
        return "a .git folder is not part of a generated project"
    return None
