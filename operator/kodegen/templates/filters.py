"""Filters (and globals of the same names) that templates use to write code.

Every function is pure and deterministic: the same input gives the same output on every
machine and every Python version (the keyword lists are pinned here, not read from the
running interpreter). Names come out ASCII: other letters are transliterated (``é`` → ``e``)
or dropped.

    snake     "listPets" -> "list_pets"      always a valid Python identifier
    pascal    "list pets" -> "ListPets"      always a valid Python identifier
    camel     "list_pets" -> "listPets"      always a valid Python identifier
    kebab     "listPets" -> "list-pets"      file names, URLs ("" for text without words)
    pyident   "class" -> "class_"            snake, and never a keyword or soft keyword
    pyrepr    {"a": [1, None]} -> '{"a": [1, None]}'   a Python literal of JSON-like data
    tojson    json.dumps, non-ASCII kept, key order kept
    quote     'say "hi"' -> a Python string literal
    docstring text that is safe between triple double quotes, collapsed to one line
"""

from __future__ import annotations

import json
import keyword
import math
import re
import textwrap
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "FILTERS",
    "KEYWORDS",
    "SOFT_KEYWORDS",
    "camel",
    "docstring",
    "kebab",
    "pascal",
    "pyident",
    "pyrepr",
    "quote",
    "snake",
    "tojson",
    "words",
]

KEYWORDS = frozenset(keyword.kwlist)
"""Python's hard keywords (``keyword.kwlist`` has not changed since Python 3.7)."""

SOFT_KEYWORDS = frozenset({"_", "case", "match", "type"})
"""Python's soft keywords as of 3.12 (``type`` included), pinned so output never depends
on the interpreter that renders."""

_ACRONYM_BOUNDARY = re.compile(r"([A-Z]+)([A-Z][a-z])")  # HTTPServer -> HTTP Server
_CASE_BOUNDARY = re.compile(r"([a-z0-9])([A-Z])")  # listPets, v2Users -> list Pets, v2 Users
_WORD = re.compile(r"[A-Za-z0-9]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_QUOTE_RUN = re.compile(r'"{3,}|"$')


def words(text: object) -> list[str]:
    """Split ``text`` into ASCII words at case changes and at anything not a letter or digit."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    spaced = _CASE_BOUNDARY.sub(r"\1 \2", _ACRONYM_BOUNDARY.sub(r"\1 \2", ascii_text))
    return _WORD.findall(spaced)


def _identifier(name: str, empty: str) -> str:
    if not name:
        return empty
    return f"_{name}" if name[0].isdigit() else name


def snake(text: object) -> str:
    """``find pet by ID`` → ``find_pet_by_id``; ``_`` before a leading digit; ``value`` if
    there are no words."""
    return _identifier("_".join(word.lower() for word in words(text)), "value")


def pascal(text: object) -> str:
    """``list-pets`` → ``ListPets``; ``HTTPServer`` → ``HttpServer``; ``Value`` if empty."""
    return _identifier("".join(word.capitalize() for word in words(text)), "Value")


def camel(text: object) -> str:
    """``list_pets`` → ``listPets``; ``value`` if empty."""
    parts = words(text)
    head = parts[0].lower() if parts else ""
    return _identifier(head + "".join(word.capitalize() for word in parts[1:]), "value")


def kebab(text: object) -> str:
    """``listPets`` → ``list-pets`` (for file names and URLs; empty without words)."""
    return "-".join(word.lower() for word in words(text))


def pyident(text: object) -> str:
    """A snake_case name usable anywhere in Python: ``class`` → ``class_``, ``2fa`` → ``_2fa``."""
    name = snake(text)
    return f"{name}_" if name in KEYWORDS or name in SOFT_KEYWORDS else name


def quote(text: object) -> str:
    """A Python string literal of ``text``, as ``ruff format`` writes it: double quotes,
    unless the text holds more double quotes than single quotes."""
    value = str(text)
    body = json.dumps(value, ensure_ascii=False)[1:-1]
    if not _encodable(body):  # lone surrogates cannot be written as UTF-8: escape them
        body = json.dumps(value)[1:-1]
    if value.count('"') <= value.count("'"):
        return f'"{body}"'
    return "'" + body.replace('\\"', '"').replace("'", "\\'") + "'"


def pyrepr(value: Any, indent: int | None = None) -> str:
    """A Python literal of JSON-like data (dict, list, tuple, str, int, float, bool, None).

    One line by default. With ``indent``, every non-empty collection is split one item per
    line with a trailing comma, which ``ruff format`` keeps as it is (indent continuation
    lines further with the ``indent`` filter when the literal is not at column 0).
    """
    return _pyrepr(value, indent, 0)


def _pyrepr(value: Any, indent: int | None, level: int) -> str:
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"pyrepr: {value!r} has no Python literal; use a finite number")
        return repr(float(value))
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, Mapping):
        items = [
            f"{_pyrepr(key, indent, level + 1)}: {_pyrepr(item, indent, level + 1)}"
            for key, item in value.items()
        ]
        return _collection("{", items, "}", indent, level)
    if isinstance(value, list | tuple):
        items = [_pyrepr(item, indent, level + 1) for item in value]
        return _collection("[", items, "]", indent, level)
    raise TypeError(
        f"pyrepr: {type(value).__name__} is not JSON-like data; "
        "pass dicts, lists, strings, numbers, booleans or None"
    )


def _collection(
    opening: str, items: list[str], closing: str, indent: int | None, level: int
) -> str:
    if not items:
        return opening + closing
    if indent is None:
        return opening + ", ".join(items) + closing
    inner, outer = " " * (indent * (level + 1)), " " * (indent * level)
    lines = "".join(f"{inner}{item},\n" for item in items)
    return f"{opening}\n{lines}{outer}{closing}"


def tojson(
    value: Any,
    indent: int | None = None,
    separators: tuple[str, str] | list[str] | None = None,
) -> str:
    """``json.dumps`` that keeps key order and non-ASCII text (no HTML escaping, unlike
    jinja2's own ``tojson``); ``separators`` as for ``json.dumps``."""
    pair = (separators[0], separators[1]) if separators is not None else None
    text = json.dumps(value, indent=indent, separators=pair, ensure_ascii=False, sort_keys=False)
    return text if _encodable(text) else json.dumps(value, indent=indent, separators=pair)


def docstring(text: object, width: int = 88) -> str:
    """``text`` safe between triple double quotes: whitespace collapsed to single spaces,
    shortened to ``width`` characters (ending in ``...``), backslashes, runs of three
    quotes, a final quote and control characters escaped."""
    collapsed = " ".join(str(text).split())
    if len(collapsed) > width:
        width = max(width, 4)
        shortened = textwrap.shorten(collapsed, width=width, placeholder="...")
        # one word longer than the width: cut inside it rather than keep nothing
        collapsed = collapsed[: width - 3] + "..." if shortened == "..." else shortened
    escaped = collapsed.replace("\\", "\\\\")
    escaped = _QUOTE_RUN.sub(lambda match: '\\"' * len(match.group()), escaped)
    escaped = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", escaped)
    return escaped if _encodable(escaped) else escaped.encode("utf-8", "backslashreplace").decode()


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


FILTERS: Mapping[str, Callable[..., str]] = {
    "camel": camel,
    "docstring": docstring,
    "kebab": kebab,
    "pascal": pascal,
    "pyident": pyident,
    "pyrepr": pyrepr,
    "quote": quote,
    "snake": snake,
    "tojson": tojson,
}
"""What the template environment registers, as filters and as globals."""
