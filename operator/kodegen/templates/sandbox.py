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
- Text from a specification (:class:`~kodegen.templates.untrusted.SpecText`) keeps its mark
  through ``~``, builtin filters and method calls, and ``finalize`` refuses to print it: only a
  context filter (:data:`kodegen.templates.filters.CONTEXT_FILTERS`) turns it into output.
- Loops, printed characters and string-widening filters are bounded by
  :mod:`kodegen.templates.budget`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jinja2
import jinja2.compiler
import jinja2.exceptions
import jinja2.nodes
import jinja2.sandbox

from kodegen.templates import budget, filters, untrusted

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


class _CodeGenerator(jinja2.compiler.CodeGenerator):
    """Jinja's code generator with two changes: ``~`` keeps the spec-text mark
    (:func:`_concat`), and every ``for`` loop steps through :func:`budget.loop`."""

    def visit_Concat(self, node: jinja2.nodes.Concat, frame: jinja2.compiler.Frame) -> None:
        self.write("environment.kodegen_concat((")
        for argument in node.nodes:
            self.visit(argument, frame)
            self.write(", ")
        self.write("))")

    def visit_For(self, node: jinja2.nodes.For, frame: jinja2.compiler.Frame) -> None:
        counted = jinja2.nodes.Call(
            jinja2.nodes.EnvironmentAttribute("kodegen_loop"), [node.iter], [], None, None
        )
        super().visit_For(
            jinja2.nodes.For(
                node.target,
                counted,
                node.body,
                node.else_,
                node.test,
                node.recursive,
                lineno=node.lineno,
            ),
            frame,
        )


def _concat(values: tuple[Any, ...]) -> str:
    text = "".join(map(str, values))
    budget.check(len(text), "'~'")
    return untrusted.SpecText(text) if untrusted.tainted(values) else text


class _Sandbox(jinja2.sandbox.ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _CodeGenerator
    kodegen_concat = staticmethod(_concat)
    kodegen_loop = staticmethod(budget.loop)

    def call_binop(
        self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any
    ) -> Any:
        if operator == "**":
            _check_power(left, right)
        elif operator == "%":
            budget.modulo(left, right)
        elif operator == "+":
            _check_sum(left, right)
        else:
            _check_product(left, right)
        return super().call_binop(context, operator, left, right)

    def call(
        __self,  # noqa: N805 - Jinja's signature: the names keep keyword arguments free
        __context: jinja2.runtime.Context,
        __obj: Any,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        method = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped by Jinja
        owner = getattr(method, "__self__", None)
        name = getattr(method, "__name__", "")
        if isinstance(owner, str):
            args = tuple(list(a) if isinstance(a, Iterator) else a for a in args)
            budget.widening(f"str.{name}", (owner, *args), kwargs)
        if __obj is budget.loop:
            return super().call(__context, __obj, *args, **kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        if getattr(__obj, "kodegen_context_filter", False):
            return result
        return _keep_mark(result, (owner, args, kwargs))


def _keep_mark(result: Any, inputs: Any) -> Any:
    """``result`` marked as spec text when anything it was made from was."""
    if isinstance(result, str) and not isinstance(result, untrusted.SpecText):
        return untrusted.SpecText(result) if untrusted.tainted(inputs) else result
    if (
        isinstance(result, list | tuple)
        and any(type(item) is str for item in result)  # noqa: E721 - exactly str, unmarked
        and untrusted.tainted(inputs)
    ):
        return untrusted.mark(result)
    return result


def _guarded(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    """A builtin filter that refuses to widen past the budget and keeps the spec-text mark."""
    skip = 1 if getattr(function, "jinja_pass_arg", None) is not None else 0

    @functools.wraps(function)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        # a generator from `map`, `select`...: made a list, so its items' mark can be seen
        args = tuple(list(a) if isinstance(a, Iterator) else a for a in args)
        budget.widening(name, args[skip:], kwargs)
        if name == "sum":
            budget.summing(args[skip] if len(args) > skip else None, kwargs.get("start", 0))
        return _keep_mark(function(*args, **kwargs), (args[skip:], kwargs))

    return guarded


def _plain(function: Callable[..., str]) -> Callable[..., str]:
    """A context filter: its result is plain, safe text, whatever went in."""

    @functools.wraps(function)
    def plain(*args: Any, **kwargs: Any) -> str:
        return untrusted.plain(function(*args, **kwargs))

    plain.kodegen_context_filter = True  # type: ignore[attr-defined]
    return plain


def _finalize(value: Any) -> Any:
    """Every ``{{ }}`` passes here before it is printed."""
    if type(value) is str:  # noqa: E721 - the common case, exactly str: nothing to look into
        budget.printed(value)
        return value
    if untrusted.tainted(value):
        shown = str.__repr__(untrusted.plain(value)) if isinstance(value, str) else "a value"
        raise jinja2.exceptions.SecurityError(
            f"{shown[:60]} is text from the specification printed without a context filter; "
            f"pass it through one of {', '.join(filters.CONTEXT_FILTERS)}"
        )
    budget.printed(value if isinstance(value, str) else str(value))
    return value


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


def _check_sum(left: Any, right: Any) -> None:
    """``s + s`` in a loop doubles a string or list each time: refuse past the budget."""
    sized = (str, list, tuple)
    if isinstance(left, sized) and isinstance(right, sized):
        budget.check(len(left) + len(right), "'+'")


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
        finalize=_finalize,
    )
    for name in NONDETERMINISTIC_FILTERS:
        env.filters.pop(name, None)
    for name in NONDETERMINISTIC_GLOBALS:
        env.globals.pop(name, None)
    env.filters = {name: _guarded(name, function) for name, function in env.filters.items()}
    context_filters = {name: _plain(function) for name, function in filters.FILTERS.items()}
    env.filters.update(context_filters)
    env.globals.update(context_filters)
    return env
