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
    comment   text that is safe after ``#``: one line, control characters escaped
    ident     a name that is already a Python identifier, checked (never changed)
    code      Python source kodegen built from escaped parts (refuses text from a spec)
    toml      a TOML basic string (quotes included)
    yaml      a YAML double-quoted scalar (quotes included)
    md        Markdown inline text: one line, every markup character backslash-escaped
    mdcode    a Markdown code span (backticks included) that shows the text as it is
    pep440    a version as Python packaging accepts it ("1.0.0-beta" -> "1.0.0b0")

Text from a specification reaches generated files only through one of CONTEXT_FILTERS (the
sandbox refuses to print it otherwise, and `kodegen.templates.escaping` checks that every
``{{ }}`` of a builtin template ends in one).
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
    "CONTEXT_FILTERS",
    "FILTERS",
    "code",
    "comment",
    "ident",
    "md",
    "mdcode",
    "pep440",
    "toml",
    "yaml",
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
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]")
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~&:=\"'$^@])")
_PEP440 = re.compile(
    r"v?(?:\d+!)?\d+(?:\.\d+)*(?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d*)?"
    r"(?:-\d+|[-_.]?(?:post|rev|r)[-_.]?\d*)?(?:[-_.]?dev[-_.]?\d*)?(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?",
    re.IGNORECASE,
)
_RELEASE = re.compile(r"\d+(?:\.\d+)*")


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


LONG_STRING = 64
"""Strings longer than this are written as an implicit concatenation of shorter pieces in
parentheses, so text copied from a spec never breaks a line-length rule (``ruff format``
puts one piece per line)."""

_PIECE = 48

NESTED_STRING = 32
"""pyrepr cuts strings inside collections longer than this into pieces of at most this many
characters: ``ruff format`` indents each nesting level, and a dict entry carries its key on
the line as well, so a shorter cut keeps deep data from spec examples within the line length."""


def quote(text: object) -> str:
    """A Python string literal of ``text``, as ``ruff format`` writes it: double quotes,
    unless the text holds more double quotes than single quotes. Longer than LONG_STRING
    characters: ``("piece " "piece")``, cut after spaces where it can."""
    return _quote_cut(str(text), LONG_STRING, _PIECE)


def _quote_cut(value: str, longest: int, piece: int) -> str:
    if len(value) <= longest:
        return _quote_one(value)
    return "(" + " ".join(_quote_one(part) for part in _pieces(value, piece)) + ")"


def _pieces(value: str, size: int = _PIECE) -> list[str]:
    pieces = []
    while len(value) > size:
        cut = value.rfind(" ", size // 2, size) + 1 or size
        if 0xDC00 <= ord(value[cut]) <= 0xDFFF:  # never split a surrogate pair's escape
            cut -= 1
        pieces.append(value[:cut])
        value = value[cut:]
    return [*pieces, value] if value else pieces


def _quote_one(value: str) -> str:
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
    return _pyrepr(value, _indent(indent), 0)


MAX_INDENT = 16
"""Largest ``indent`` pyrepr and tojson take: each nesting level repeats it."""


def _indent(indent: int | None) -> int | None:
    if indent is not None and not 0 <= indent <= MAX_INDENT:
        raise ValueError(f"indent {indent} is outside 0..{MAX_INDENT}")
    return indent


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
        if level == 0:
            return quote(value)
        return _quote_cut(value, NESTED_STRING, NESTED_STRING)
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
    indent = _indent(indent)
    pair = (separators[0], separators[1]) if separators is not None else None
    text = json.dumps(value, indent=indent, separators=pair, ensure_ascii=False, sort_keys=False)
    return text if _encodable(text) else json.dumps(value, indent=indent, separators=pair)


def docstring(text: object, width: int = 88) -> str:
    """``text`` safe between triple double quotes: whitespace collapsed to single spaces,
    shortened to ``width`` characters (ending in ``...``), backslashes, runs of three
    quotes, a final quote and control characters escaped."""
    collapsed = " ".join(str(text).split())
    limit = width
    escaped = _docstring_escape(
        _shorten(collapsed, max(width, 4)) if len(collapsed) > width else collapsed
    )
    while len(escaped) > width and limit > 4:  # escapes lengthen the text: shorten more
        limit -= max(len(escaped) - width, 1)
        escaped = _docstring_escape(_shorten(collapsed, max(limit, 4)))
    return escaped


def _shorten(collapsed: str, width: int) -> str:
    shortened = textwrap.shorten(collapsed, width=width, placeholder="...")
    # one word longer than the width: cut inside it rather than keep nothing
    return collapsed[: width - 3] + "..." if shortened == "..." else shortened


def _docstring_escape(collapsed: str) -> str:
    escaped = collapsed.replace("\\", "\\\\")
    escaped = _QUOTE_RUN.sub(lambda match: '\\"' * len(match.group()), escaped)
    escaped = _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", escaped)
    return escaped if _encodable(escaped) else escaped.encode("utf-8", "backslashreplace").decode()


def _escape_unprintable(text: str) -> str:
    def escape(match: re.Match[str]) -> str:
        code = ord(match.group())
        return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"

    return _UNPRINTABLE.sub(escape, text)


def comment(text: object, width: int = 64) -> str:
    """``text`` safe after ``#`` on one line: whitespace collapsed, control characters and
    line separators escaped, shortened to ``width`` characters."""
    escaped = _escape_unprintable(" ".join(_LINE_BREAKS.sub(" ", str(text)).split()))
    return escaped if len(escaped) <= width else escaped[: max(width - 3, 1)] + "..."


def ident(text: object) -> str:
    """``text`` unchanged if it is an ASCII Python identifier and no keyword; a name from a
    spec must be made one first (``pyident``, ``pascal``), so anything else is an error."""
    name = str(text)
    if not (name.isascii() and name.isidentifier()) or name in KEYWORDS:
        raise ValueError(
            f"ident: {name[:60]!r} is not a Python identifier; "
            "build names from spec text with pyident, snake or pascal"
        )
    return name


def code(text: object) -> str:
    """Python source that kodegen's view builders built from escaped parts, printed as it
    is. Text taken from a specification is refused: escape it for its context instead."""
    from kodegen.templates import untrusted  # filters stay importable without the sandbox

    if untrusted.tainted(text):
        raise ValueError(
            f"code: {str.__repr__(untrusted.plain(str(text)))[:60]} is text from the "
            "specification, not code; use quote, ident, docstring or comment"
        )
    return str(text)


def toml(text: object) -> str:
    """A TOML basic string of ``text`` (``"..."``): quotes, backslashes and every control
    character escaped; text that cannot be UTF-8 (lone surrogates) as ``\\u`` escapes
    (``\\udc80``)."""
    out = []
    for char in str(text):
        code_point = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\t":
            out.append("\\t")
        elif code_point < 0x20 or code_point == 0x7F or 0xD800 <= code_point <= 0xDFFF:
            out.append(f"\\u{code_point:04X}" if code_point < 0xD800 else "\\uFFFD")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def yaml(text: object) -> str:
    """A YAML double-quoted scalar of ``text``: JSON escapes plus YAML's own line breaks
    (NEL, U+2028, U+2029), the BOM and C1 controls as ``\\u`` escapes (``\\u2028``)."""
    body = json.dumps(str(text), ensure_ascii=False)[1:-1]
    body = re.sub(
        r"[\x7f-\x9f\u2028\u2029\ufeff\ud800-\udfff]",
        lambda match: f"\\u{ord(match.group()):04x}",
        body,
    )
    return f'"{body}"'


def md(text: object) -> str:
    """``text`` as Markdown inline text that renders as the same characters: one line,
    every markup character backslash-escaped, control characters escaped."""
    collapsed = " ".join(_LINE_BREAKS.sub(" ", str(text)).split())
    return _escape_unprintable(_MARKDOWN.sub(r"\\\1", collapsed))


def mdcode(text: object) -> str:
    """``text`` as a Markdown code span: one line, fenced by more backticks than it holds in
    a row (CommonMark's rule), padded with spaces when it starts or ends with a backtick."""
    collapsed = _escape_unprintable(" ".join(_LINE_BREAKS.sub(" ", str(text)).split()))
    longest = max((len(run) for run in re.findall(r"`+", collapsed)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if not collapsed or collapsed[0] == "`" or collapsed[-1] == "`" else ""
    return f"{fence}{pad}{collapsed}{pad}{fence}"


def pep440(text: object, default: str = "0.0.0") -> str:
    """A version Python packaging accepts: ``text`` if it is one (a leading ``v`` dropped),
    else the first run of dotted numbers in it, else ``default``."""
    value = str(text).strip()
    if _PEP440.fullmatch(value):
        return value.removeprefix("v").removeprefix("V")
    release = _RELEASE.search(value)
    return release.group() if release else default


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


FILTERS: Mapping[str, Callable[..., str]] = {
    "camel": camel,
    "code": code,
    "comment": comment,
    "docstring": docstring,
    "ident": ident,
    "kebab": kebab,
    "md": md,
    "mdcode": mdcode,
    "pascal": pascal,
    "pep440": pep440,
    "pyident": pyident,
    "pyrepr": pyrepr,
    "quote": quote,
    "snake": snake,
    "tojson": tojson,
    "toml": toml,
    "yaml": yaml,
}
"""What the template environment registers, as filters and as globals."""

CONTEXT_FILTERS = (
    "quote", "pyrepr", "ident", "pyident", "snake", "pascal", "camel", "kebab", "docstring",
    "comment", "code", "toml", "yaml", "tojson", "md", "mdcode", "int",
)  # fmt: skip
"""Filters whose output is safe where the template puts it (``int`` is Jinja's own): the last
filter of every ``{{ }}`` that prints data, by the escaping check and the sandbox."""
