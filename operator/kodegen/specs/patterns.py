"""Regular expressions from specs (`pattern`, `patternProperties`), run in bounded time.

Spec patterns are ECMA-262 regular expressions written by people kodegen does not trust.
Python's `re` backtracks, so one pattern such as `^(a+)+$` makes a single search take years;
RE2 (google-re2) runs in time linear in the text, with a memory cap per pattern, and reads
Unicode property classes (`\\p{L}`) that `re` does not. So every search kodegen itself makes
goes through `search` here, on RE2 only.

    check(pattern, pointer)   SpecError unless RE2 or Python can read it (at parse time)
    search(pattern, text)     True/False, or None when RE2 cannot run the pattern
    format_checker(...)       a jsonschema FormatChecker whose "regex" format means this
    example(pattern, lo, hi)  a short string the pattern matches, or None (samples use it;
                              `last=True`: each class at its last member, another string)

Patterns only RE2 lacks features for (lookaround, backreferences) stay valid: kodegen does no
matching with them (`search` says None: unknown), which is deterministic, unlike a timeout.
The `regex` module with a timeout was the other choice; a timeout's verdict depends on the
machine's speed, and generated output must not.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import re2

from kodegen import errors
from kodegen.documents import limits as limits_
from kodegen.documents import regex
from kodegen.specs import refs

__all__ = ["DATA_KEYWORDS", "check", "checked", "example", "format_checker", "search"]


def search(pattern: str, text: str, *, limits: limits_.Limits = limits_.DEFAULT) -> bool | None:
    """Whether `pattern` matches somewhere in `text` (JSON Schema's semantics: unanchored), or
    None when RE2 cannot run it (lookaround, backreference) or it is too long."""
    if len(pattern) > limits.max_pattern_length:
        return None
    program = regex.compile_re2(pattern, limits.max_regex_memory)
    if program is None:
        return None
    return program.search(text) is not None


def check(pattern: Any, pointer: str, *, limits: limits_.Limits = limits_.DEFAULT) -> None:
    """SpecError naming `pointer` unless `pattern` is a regular expression kodegen can read."""
    if not isinstance(pattern, str):
        return  # the metaschema says what type it must be
    if len(pattern) > limits.max_pattern_length:
        raise errors.SpecError(
            pointer=pointer,
            reason=f"pattern of {len(pattern)} characters; kodegen reads at most "
            f"{limits.max_pattern_length} (limits.max_pattern_length)",
        )
    if regex.compile_re2(pattern, limits.max_regex_memory) is not None:
        return
    try:
        re.compile(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        raise errors.SpecError(
            pointer=pointer, reason=f"not a regular expression ({_reason(pattern, exc)})"
        ) from exc


def _reason(pattern: str, exc: BaseException) -> str:
    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(regex.to_re2(pattern), options)
    except re2.error as problem:
        detail = problem.args[0] if problem.args else problem
        text = detail.decode(errors="replace") if isinstance(detail, bytes) else str(detail)
        return " ".join(text.split())[:160]
    return " ".join(str(exc).split())[:160]


def is_regex(instance: object) -> bool:
    """The "regex" format: what `check` accepts."""
    if not isinstance(instance, str):
        return True
    try:
        check(instance, "")
    except errors.SpecError:
        return False
    return True


def format_checker(base: jsonschema.FormatChecker) -> jsonschema.FormatChecker:
    """`base` with its "regex" format read by `is_regex` (Python's `re` refuses `\\p{L}`)."""
    checker = jsonschema.FormatChecker(formats=())
    checker.checkers = {**base.checkers, "regex": (is_regex, ())}
    return checker


DATA_KEYWORDS = frozenset({"default", "example", "examples", "enum", "const"})
"""Keywords whose values are data, not schemas: a `pattern` key in them is no regex."""


def checked(document: Any, *, limits: limits_.Limits = limits_.DEFAULT) -> Any:
    """Check every pattern of `document` (SpecError naming the first bad one, and a string
    `default` its own `pattern` refuses), and return a copy in which no pattern is left for
    another library to run: `pattern` values become "" and `patternProperties` keys distinct
    literal patterns, so a validator built on Python's `re` (openapi-spec-validator checks the
    "regex" format and `default` values with it) never runs a spec's regex."""
    return _Checker(limits).copy(document, "")


class _Checker:
    def __init__(self, limits: limits_.Limits) -> None:
        self.limits = limits

    def copy(self, node: Any, pointer: str) -> Any:
        if isinstance(node, list):
            return [self.copy(item, refs.join(pointer, i)) for i, item in enumerate(node)]
        if not isinstance(node, dict):
            return node
        result: dict[str, Any] = {}
        pattern = node.get("pattern")
        for key, value in node.items():
            where = refs.join(pointer, key)
            if key in DATA_KEYWORDS or key.startswith("x-"):
                result[key] = value
            elif key == "pattern" and isinstance(value, str):
                check(value, where, limits=self.limits)
                result[key] = ""
            elif key == "patternProperties" and isinstance(value, dict):
                renamed: dict[str, Any] = {}
                for index, (name, schema) in enumerate(value.items()):
                    check(name, refs.join(where, name), limits=self.limits)
                    renamed[f"^kodegen-pattern-{index}$"] = self.copy(
                        schema, refs.join(where, name)
                    )
                result[key] = renamed
            else:
                result[key] = self.copy(value, where)
        default = node.get("default")
        if (
            isinstance(pattern, str)
            and isinstance(default, str)
            and search(pattern, default, limits=self.limits) is False
        ):
            raise errors.SpecError(
                pointer=refs.join(pointer, "default"),
                reason=f"the default {default[:60]!r} does not match the pattern "
                f"{pattern[:60]!r} beside it",
            )
        return result


def example(pattern: str, low: int | None, high: int | None, last: bool = False) -> str | None:
    """A short string `pattern` matches within the length bounds, or None if the simple
    construction below finds none (back-references, look-arounds that fail, ...). `last`: each
    class at its last member (`[0-9a-fA-F]`: F, not 0), for a second string unlike the first."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import sre_parse  # the standard library's own regex parser: exact, no new dependency

            parsed = sre_parse.parse(pattern)
    except (re.error, RecursionError):
        return None
    for extra in range(0, (low or 0) + 2):
        try:
            text = _shortest(list(parsed.data), extra, last)
        except _Unsupported:
            return None
        padded = text + "a" * max(0, (low or 0) - len(text))  # an unanchored end takes more
        for candidate in (text, padded):
            fits = (low is None or len(candidate) >= low) and (
                high is None or len(candidate) <= high
            )
            if fits and search(pattern, candidate):
                return candidate
    return None


class _Unsupported(Exception):
    """A construct `_shortest` does not build strings for."""


_CATEGORIES = {
    "CATEGORY_DIGIT": "0",
    "CATEGORY_NOT_DIGIT": "a",
    "CATEGORY_SPACE": " ",
    "CATEGORY_NOT_SPACE": "a",
    "CATEGORY_WORD": "a",
    "CATEGORY_NOT_WORD": "-",
}


def _shortest(items: list[Any], extra: int, last: bool = False) -> str:
    """The string a parsed pattern matches with each repeat taken `extra` more times than its
    minimum (within its maximum), every class at its first member (`last`: at its last) and
    every branch at its first alternative."""
    out = []
    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            out.append(chr(arg))
        elif name == "NOT_LITERAL":
            out.append("b" if chr(arg) == "a" else "a")
        elif name == "ANY":
            out.append("a")
        elif name == "IN":
            out.append(_member(arg, last))
        elif name == "CATEGORY":
            out.append(_CATEGORIES.get(str(arg), "a"))
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            least, most, sub = arg
            count = least + extra if most == sre_constants_maxrepeat() else min(most, least + extra)
            out.append(_shortest(list(sub), extra, last) * count)
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            out.append(_shortest(list(arg[-1]), extra, last))
        elif name == "BRANCH":
            out.append(_shortest(list(arg[1][0]), extra, last))
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue  # anchors and look-arounds add nothing; re.search checks the result
        else:
            raise _Unsupported(name)
    return "".join(out)


def _member(members: list[Any], last: bool = False) -> str:
    if members and str(members[0][0]) == "NEGATE":
        rest = members[1:]
        for char in "a0A_- ":
            if not _in(char, rest):
                return char
        raise _Unsupported("NEGATE")
    op, arg = members[-1 if last else 0]
    name = str(op)
    if name == "LITERAL":
        return chr(arg)
    if name == "RANGE":
        return chr(arg[1 if last else 0])
    if name == "CATEGORY":
        return _CATEGORIES.get(str(arg), "a")
    raise _Unsupported(name)


def _in(char: str, members: list[Any]) -> bool:
    for op, arg in members:
        name = str(op)
        if name == "LITERAL" and chr(arg) == char:
            return True
        if name == "RANGE" and arg[0] <= ord(char) <= arg[1]:
            return True
        if name == "CATEGORY" and _CATEGORIES.get(str(arg)) == char:
            return True
    return False


def sre_constants_maxrepeat() -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import sre_constants

        return int(sre_constants.MAXREPEAT)
