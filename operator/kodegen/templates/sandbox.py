"""The one Jinja environment templates render in: sandboxed, strict, deterministic.

- ``ImmutableSandboxedEnvironment``: no private or dunder attribute, no ``str.format``
  attribute tricks, no mutation of the context's lists and dicts (one file cannot change what
  the next one sees), ``range`` capped at ``jinja2.sandbox.MAX_RANGE`` items.
- ``*`` and ``**`` are checked before they run, so ``'x' * 10**10`` or ``9**9**9`` fail fast
  instead of exhausting memory or time.
- ``StrictUndefined``: a misspelled name is an error, never an empty string.
- No ``random`` filter and no ``lipsum`` global: the same input renders the same bytes.
- Templates can ``include``/``import`` each other's files (:class:`FilesLoader`), nothing on
  disk.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jinja2
import jinja2.exceptions
import jinja2.sandbox

from kodegen.templates import filters

__all__ = ["MAX_POWER_BITS", "MAX_REPEAT", "FilesLoader", "environment"]

MAX_REPEAT = 1_000_000
"""Largest string or list ``*`` may build, in items: far beyond any source file."""

MAX_POWER_BITS = 65_536
"""Largest integer ``**`` (or ``*`` of two integers) may build, in bits (~20,000 digits)."""

NONDETERMINISTIC_FILTERS = ("random",)
NONDETERMINISTIC_GLOBALS = ("lipsum",)


class FilesLoader(jinja2.BaseLoader):
    """Serves a template's own files to ``include``, ``import`` and ``extends``, by their
    path under ``files/``. The file name Jinja records is that path, so tracebacks and errors
    point into the template, not into kodegen."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = files

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        if template not in self.files:
            raise jinja2.TemplateNotFound(template)
        return self.files[template], template, lambda: True

    def list_templates(self) -> list[str]:
        return sorted(self.files)


class _Sandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "**":
            _check_power(left, right)
        else:
            _check_product(left, right)
        return super().call_binop(context, operator, left, right)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_power(base: Any, exponent: Any) -> None:
    if not (_is_int(base) and _is_int(exponent) and exponent > 0 and abs(base) > 1):
        return
    if base.bit_length() * exponent > MAX_POWER_BITS:
        raise jinja2.exceptions.SecurityError(
            f"{base} ** {exponent} has more than {MAX_POWER_BITS} bits"
        )


def _check_product(left: Any, right: Any) -> None:
    if _is_int(left) and _is_int(right):
        if left.bit_length() + right.bit_length() > MAX_POWER_BITS:
            raise jinja2.exceptions.SecurityError(f"a product of more than {MAX_POWER_BITS} bits")
        return
    for sequence, count in ((left, right), (right, left)):
        if not (isinstance(sequence, str | list | tuple) and _is_int(count)):
            continue
        if len(sequence) * count > MAX_REPEAT:
            raise jinja2.exceptions.SecurityError(
                f"repeating {len(sequence)} items {count} times exceeds {MAX_REPEAT}"
            )


def environment(files: Mapping[str, str] | None = None) -> jinja2.Environment:
    """A fresh environment; ``files`` (path -> text) are what ``include`` can reach."""
    env = _Sandbox(
        loader=FilesLoader(files) if files is not None else None,
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    for name in NONDETERMINISTIC_FILTERS:
        env.filters.pop(name, None)
    for name in NONDETERMINISTIC_GLOBALS:
        env.globals.pop(name, None)
    env.filters.update(filters.FILTERS)
    env.globals.update(filters.FILTERS)
    return env
