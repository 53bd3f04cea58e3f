"""What one render may spend: wall time, loop iterations and characters of output.

A template is code from people kodegen does not trust (a team's CodeTemplate, a Git source).
Jinja's sandbox stops attribute tricks, not hangs or memory blow-ups, so the environment
(:mod:`kodegen.templates.sandbox`) asks this module before work that can grow without bound:

- every ``for`` loop steps through :func:`loop`, which counts iterations and checks the
  deadline (``{% for i in range(10**5) %}{% for j in range(10**5) %}`` stops after
  :data:`MAX_ITERATIONS` or :data:`SECONDS`, whichever comes first);
- every printed value is counted by :func:`printed` against :data:`MAX_CHARS`;
- string-widening filters and methods (``center``, ``ljust``, ``indent``, ``wordwrap``,
  ``format``, ``join``, ``replace``, ``%`` with a width, ...) are refused by :func:`widening`
  *before* they run when the string they would build is longer than :data:`MAX_CHARS`.

A render outside :func:`limits` gets the same limits per loop and per printed value.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import jinja2.exceptions

__all__ = [
    "MAX_CHARS",
    "MAX_ITERATIONS",
    "MAX_TOTAL_CHARS",
    "SECONDS",
    "Exceeded",
    "limits",
    "loop",
    "printed",
]

SECONDS = 30.0
"""Wall time one file may take to render; the largest builtin render takes ~0.1 s."""

MAX_CHARS = 16_000_000
"""Characters one file may print (16 M, ~100x the largest generated file), and the longest
string one filter or method may build."""

MAX_TOTAL_CHARS = 64_000_000
"""Characters all files of one render may hold together."""

MAX_ITERATIONS = 2_000_000
"""Loop iterations one file may run, all loops together; builtin templates run thousands."""

_WIDTH = re.compile(r"\d{8,}")  # a width in a format string of 10 M or more


class Exceeded(jinja2.exceptions.SecurityError):
    """A render went past its budget; the message names which one."""


@dataclasses.dataclass
class _Budget:
    deadline: float
    iterations: int = 0
    chars: int = 0

    def tick(self, count: int = 1) -> None:
        self.iterations += count
        if self.iterations > MAX_ITERATIONS:
            raise Exceeded(f"loops ran more than {MAX_ITERATIONS} iterations")
        if self.iterations % 1024 == 0 and time.monotonic() > self.deadline:
            raise Exceeded(f"rendering took longer than {SECONDS:g} s")


_CURRENT: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar(
    "kodegen_render_budget", default=None
)


@contextlib.contextmanager
def limits(seconds: float = SECONDS) -> Iterator[None]:
    """A fresh budget for the render inside the block."""
    token = _CURRENT.set(_Budget(deadline=time.monotonic() + seconds))
    try:
        yield
    finally:
        _CURRENT.reset(token)


def _budget() -> _Budget:
    """The budget of the render under way; outside :func:`limits`, a fresh one for the caller
    alone (one loop, one printed value)."""
    current = _CURRENT.get()
    return current if current is not None else _Budget(deadline=time.monotonic() + SECONDS)


def loop(iterable: Iterable[Any]) -> Iterator[Any]:
    """``iterable``, each step counted and the deadline checked."""
    budget = _budget()
    for item in iterable:
        budget.tick()
        yield item


def printed(text: str) -> None:
    """Count ``text`` against the output budget; check the deadline."""
    budget = _budget()
    budget.chars += len(text)
    if budget.chars > MAX_CHARS:
        raise Exceeded(f"the output is longer than {MAX_CHARS} characters")
    if time.monotonic() > budget.deadline:
        raise Exceeded(f"rendering took longer than {SECONDS:g} s")


def check(length: int, what: str) -> None:
    if length > MAX_CHARS:
        raise Exceeded(f"{what} would build a string of {length} characters (> {MAX_CHARS})")


def _text(value: Any) -> int:
    return len(value) if isinstance(value, str) else len(str(value))


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _format(fmt: Any, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> int:
    text = str(fmt)
    if _WIDTH.search(text):
        raise Exceeded(f"a format width over {MAX_CHARS} characters in {text[:40]!r}")
    values = [*args, *kwargs.values()]
    if len(values) == 1 and isinstance(values[0], tuple | list):
        values = list(values[0])
    return len(text) + sum(_text(v) for v in values) + sum(_int(v) for v in values)


def _replace(text: Any, old: Any = "", new: Any = "", count: Any = None, *_: Any) -> int:
    text, old, new = str(text), str(old), str(new)
    found = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        found = min(found, count)
    return len(text) + found * len(new)


def _join(items: Any, sep: Any = "", *_: Any) -> int:
    values = list(items) if isinstance(items, list | tuple | str) else []
    return sum(_text(v) for v in values) + len(str(sep)) * len(values)


def _indent(text: Any, width: Any = 4, *_: Any, **__: Any) -> int:
    lines = str(text).count("\n") + 1
    return len(str(text)) + lines * (_int(width) if isinstance(width, int) else _text(width))


def _wordwrap(text: Any, width: Any = 79, *args: Any, **kwargs: Any) -> int:
    wrap = kwargs.get("wrapstring", args[1] if len(args) > 1 else "\n")
    return len(str(text)) * (1 + len(str(wrap or "\n"))) + _int(width)


def _padded(text: Any, width: Any = 0, *_: Any, **__: Any) -> int:
    return max(_text(text), _int(width))


def _tabs(text: Any, tabsize: Any = 8, *_: Any, **__: Any) -> int:
    return len(str(text)) * max(_int(tabsize), 1)


ESTIMATES: Mapping[str, Callable[..., int]] = {
    "center": _padded, "ljust": _padded, "rjust": _padded, "zfill": _padded,
    "truncate": _padded, "expandtabs": _tabs, "indent": _indent, "wordwrap": _wordwrap,
    "join": _join, "replace": _replace, "str.join": lambda sep, items, *_: _join(items, sep),
    "format": lambda fmt, *args, **kwargs: _format(fmt, args, kwargs),
}  # fmt: skip
"""Filters and ``str`` methods that can build a string much longer than their input: an upper
bound of the length they would build, from their arguments."""


def widening(name: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> None:
    """Refuse filter or method ``name`` on ``args`` if it would build more than MAX_CHARS
    (``str.join`` for the method, whose first argument is the separator)."""
    estimate = ESTIMATES.get(name) or ESTIMATES.get(name.removeprefix("str."))
    if estimate is not None and args:
        check(estimate(*args, **kwargs), f"{name!r}")


def modulo(left: Any, right: Any) -> None:
    """``'%*s' % (10**9, x)`` and ``'%999999999d' % 1``: refused before they run."""
    if isinstance(left, str):
        values = right if isinstance(right, tuple) else (right,)
        check(_format(left, values, {}), "'%' formatting")


def summing(items: Any, start: Any = 0) -> None:
    """``sum`` of lists or strings is quadratic: refuse it over more than 10,000 items."""
    if isinstance(start, list | tuple | str) and isinstance(items, list | tuple):
        if len(items) > 10_000:
            raise Exceeded(f"sum of {len(items)} sequences (quadratic; at most 10000)")
