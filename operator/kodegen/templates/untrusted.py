"""Text from a specification, marked so that no template can print it by accident.

``SpecText`` is a ``str`` whose every derived string stays ``SpecText``: slicing, iteration,
``+``, ``%``, ``format``, ``upper``, ``replace``, ``join``... (the way markupsafe's ``Markup``
keeps its mark, with the opposite meaning: this one is *unsafe*). The template environment
(:mod:`kodegen.templates.sandbox`) keeps the mark through Jinja's own ``~``, its builtin
filters and method calls, and refuses to print a marked value: it must go through a context
filter of :mod:`kodegen.templates.filters` (``quote``, ``ident``, ``docstring``, ``comment``,
``toml``, ``md``, ``yaml``, ``tojson``...), which returns plain ``str``.

View builders call :func:`mark` on what they take from a spec: names, titles, versions,
descriptions, paths, examples.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, SupportsIndex

__all__ = ["SpecText", "mark", "plain", "tainted"]

MAX_DEPTH = 64
"""How deep :func:`tainted` looks into nested lists and dicts (spec data is bounded earlier;
anything deeper counts as tainted, which only ever refuses more)."""


class SpecText(str):
    """A ``str`` that came from a specification: never printed raw into generated code."""

    __slots__ = ()

    def __str__(self) -> SpecText:
        return self

    def __add__(self, other: str) -> SpecText:
        return SpecText(str.__add__(self, other))

    def __radd__(self, other: str) -> SpecText:
        return SpecText(str.__add__(other, self))

    def __mul__(self, count: SupportsIndex) -> SpecText:
        return SpecText(str.__mul__(self, count))

    __rmul__ = __mul__

    def __mod__(self, values: Any) -> SpecText:
        return SpecText(str.__mod__(self, values))

    def __rmod__(self, template: str) -> SpecText:
        return SpecText(str.__mod__(template, self))

    def __getitem__(self, index: SupportsIndex | slice) -> SpecText:
        return SpecText(str.__getitem__(self, index))

    def __iter__(self) -> Iterator[SpecText]:
        return (SpecText(char) for char in str.__iter__(self))

    def __format__(self, spec: str) -> SpecText:
        return SpecText(str.__format__(self, spec))

    def join(self, parts: Any) -> SpecText:
        return SpecText(str.join(self, parts))

    def split(self, sep: str | None = None, maxsplit: SupportsIndex = -1) -> list[str]:
        return [SpecText(part) for part in str.split(self, sep, maxsplit)]

    def rsplit(self, sep: str | None = None, maxsplit: SupportsIndex = -1) -> list[str]:
        return [SpecText(part) for part in str.rsplit(self, sep, maxsplit)]

    def splitlines(self, keepends: bool = False) -> list[str]:
        return [SpecText(part) for part in str.splitlines(self, keepends)]

    def partition(self, sep: str) -> tuple[str, str, str]:
        head, middle, tail = str.partition(self, sep)
        return SpecText(head), SpecText(middle), SpecText(tail)

    def rpartition(self, sep: str) -> tuple[str, str, str]:
        head, middle, tail = str.rpartition(self, sep)
        return SpecText(head), SpecText(middle), SpecText(tail)


def _keep_mark(name: str) -> None:
    method = getattr(str, name)

    def marked(self: SpecText, *args: Any, **kwargs: Any) -> SpecText:
        return SpecText(method(self, *args, **kwargs))

    marked.__name__ = name
    marked.__doc__ = method.__doc__
    setattr(SpecText, name, marked)


for _name in (
    "capitalize", "casefold", "center", "expandtabs", "format", "format_map", "ljust",
    "lower", "lstrip", "removeprefix", "removesuffix", "replace", "rjust", "rstrip", "strip",
    "swapcase", "title", "translate", "upper", "zfill",
):  # fmt: skip
    _keep_mark(_name)


def mark(value: Any) -> Any:
    """``value`` with every string in it (dict keys included) a :class:`SpecText`; other
    values unchanged; tuples stay tuples."""
    if isinstance(value, str):
        return value if isinstance(value, SpecText) else SpecText(value)
    if isinstance(value, Mapping):
        return {mark(key): mark(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mark(item) for item in value]
    if isinstance(value, tuple):
        return tuple(mark(item) for item in value)
    return value


def plain(text: str) -> str:
    """The same characters as an exact ``str``, the mark removed (for filter results)."""
    return str.__str__(text)


def tainted(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is, or holds, a :class:`SpecText`."""
    if isinstance(value, SpecText):
        return True
    if isinstance(value, str | int | float | bool | type(None)):
        return False
    if depth >= MAX_DEPTH:
        return True
    if isinstance(value, Mapping):
        return any(tainted(k, depth + 1) or tainted(v, depth + 1) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return any(tainted(item, depth + 1) for item in value)
    return False
