"""Regular expressions kodegen did not write, run in time linear in the text (RE2).

Patterns come from specs and from templates, written by people kodegen does not trust.
Python's `re` backtracks, so one pattern such as `^(a+)+$` makes a single match take years;
RE2 (google-re2) runs in linear time, with a memory cap per pattern, and reads Unicode
property classes (`\\p{L}`) that `re` does not. ECMA-262 spellings RE2 writes differently
(`\\uFFFF`, `\\u{1F600}`) are translated first.

    compile_re2(pattern)       the RE2 program, or None when RE2 cannot compile it
    fullmatch(pattern, text)   True/False, or None when RE2 cannot run the pattern
"""

from __future__ import annotations

import functools
import re
from typing import Any

import re2

from kodegen.documents import limits

__all__ = ["compile_re2", "fullmatch"]

_ECMA_UNICODE = re.compile(r"\\u\{([0-9A-Fa-f]{1,6})\}|\\u([0-9A-Fa-f]{4})")


def to_re2(pattern: str) -> str:
    """ECMA spellings RE2 writes differently: `\\uFFFF` and `\\u{1F600}` are `\\x{...}`."""
    return _ECMA_UNICODE.sub(lambda m: "\\x{" + (m.group(1) or m.group(2)) + "}", pattern)


@functools.lru_cache(maxsize=1024)
def compile_re2(pattern: str, max_memory: int = limits.DEFAULT.max_regex_memory) -> Any:
    """The RE2 program of `pattern`, or None when RE2 cannot compile it (lookaround,
    backreferences, over `max_memory` bytes)."""
    options = re2.Options()
    options.max_mem = max_memory
    options.log_errors = False
    try:
        return re2.compile(to_re2(pattern), options)
    except re2.error:
        return None


def fullmatch(pattern: str, text: str) -> bool | None:
    """Whether `pattern` matches all of `text`, or None when RE2 cannot run it."""
    if len(pattern) > limits.DEFAULT.max_pattern_length:
        return None
    program = compile_re2(pattern)
    if program is None:
        return None
    return program.fullmatch(text) is not None
