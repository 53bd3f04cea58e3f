"""Check the variables a CodeGeneration gives against the ones a template declares."""

from __future__ import annotations

import copy
import difflib
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from kodegen import errors
from kodegen.api import codetemplate
from kodegen.documents import regex

__all__ = ["json_type", "validate"]

_CHECKS: Mapping[str, tuple[str, tuple[type, ...]]] = {
    "string": ("a string", (str,)),
    "integer": ("an integer", (int,)),
    "number": ("a number", (int, float)),
    "boolean": ("a boolean (true or false)", (bool,)),
    "array": ("an array (a YAML list)", (list, tuple)),
    "object": ("an object (a YAML mapping)", (Mapping,)),
}


def validate(
    declared: Sequence[codetemplate.TemplateVariable], given: Mapping[str, Any]
) -> dict[str, Any]:
    """The values to render with, in declared order, defaults applied.

    A variable neither given nor defaulted is ``None`` (templates test it with ``{% if %}``);
    an explicit ``null`` counts as not given. The first problem found raises
    :class:`~kodegen.errors.VariableError` naming the variable and the fix.
    """
    names = [variable.name for variable in declared]
    for name in given:
        if name not in names:
            raise errors.VariableError(variable=name, reason=_unknown(name, names))
    values: dict[str, Any] = {}
    for variable in declared:
        value = given.get(variable.name)
        if value is not None:
            _check(variable, value, origin="")
        elif variable.default is not None:
            value = copy.deepcopy(variable.default)
            _check(variable, value, origin="the template's default ")
        elif variable.required:
            raise errors.VariableError(
                variable=variable.name,
                reason=f"is required but not given; add it to spec.variables "
                f"({_describe(variable)})",
            )
        values[variable.name] = value
    return values


def json_type(value: Any) -> str:
    """The JSON name of a Python value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, Mapping):
        return "object"
    return type(value).__name__


def _check(variable: codetemplate.TemplateVariable, value: Any, origin: str) -> None:
    expected, kinds = _CHECKS[variable.type]
    if not isinstance(value, kinds) or (isinstance(value, bool) and variable.type != "boolean"):
        _fail(variable, f"must be {expected}, got {origin}{value!r} ({json_type(value)})")
    pattern = variable.pattern
    # RE2, linear time: the api admits only patterns RE2 can run
    if pattern is not None and isinstance(value, str) and not regex.fullmatch(pattern, value):
        _fail(variable, f"must match {variable.pattern}, got {origin}{value!r}")
    if variable.enum is not None and not any(_same(value, item) for item in variable.enum):
        allowed = ", ".join(repr(item) for item in variable.enum)
        _fail(variable, f"must be one of {allowed}, got {origin}{value!r}")


def _fail(variable: codetemplate.TemplateVariable, reason: str) -> NoReturn:
    raise errors.VariableError(variable=variable.name, reason=reason)


def _same(value: Any, item: Any) -> bool:
    """Equality that keeps booleans apart from numbers (``True == 1`` in Python)."""
    return isinstance(value, bool) == isinstance(item, bool) and bool(value == item)


def _unknown(name: str, names: Sequence[str]) -> str:
    if not names:
        return "unknown: this template declares no variables; remove it"
    close = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown variable; {hint}the template declares {', '.join(names)}"


def _describe(variable: codetemplate.TemplateVariable) -> str:
    parts: list[str] = [variable.type]
    if variable.pattern is not None:
        parts.append(f"matching {variable.pattern}")
    if variable.enum is not None:
        parts.append("one of " + ", ".join(repr(item) for item in variable.enum))
    if variable.description:
        parts.append(variable.description)
    return "; ".join(parts)
