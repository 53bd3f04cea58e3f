"""Secret-shaped values: spec examples the secrets gate would report if code carried them.

Specs document tokens with realistic examples (jwt.io's sample JWT, `sk_live_...` keys). The
secrets gate stays strict: generated code carries no such string. So kodegen never copies a
secret-shaped example into code or tests; the samples build a value instead
(`samples`, `conformance.invalid_examples` reports it).

Secret-shaped means what the gate itself would say: one of detect-secrets' own plugins, with
its default settings, reports the string written as a Python assignment, whole or in any of
the pieces that long string literals are cut into in generated code (`PIECES`).
"""

from __future__ import annotations

import functools
import json
from typing import Any

from detect_secrets.settings import default_settings, get_plugins

__all__ = ["PIECES", "contains", "flagged"]

PIECES = (48, 32)
"""Generated code writes a long string as pieces of these many characters (`filters.quote`,
and `filters.pyrepr` inside collections)."""

MIN_LENGTH = 8
"""Shorter strings are not scanned: no plugin reports a value this short on its own."""


def contains(value: Any) -> bool:
    """Whether any string in `value` (a JSON value) is secret-shaped."""
    if isinstance(value, str):
        return flagged(value)
    if isinstance(value, dict):
        return any(contains(k) or contains(v) for k, v in value.items())
    if isinstance(value, list):
        return any(contains(item) for item in value)
    return False


@functools.lru_cache(maxsize=8192)
def flagged(text: str) -> bool:
    """Whether detect-secrets reports `text`, whole or cut into pieces of `PIECES` characters."""
    if len(text) < MIN_LENGTH:
        return False
    candidates = [text]
    for size in PIECES:
        if len(text) > size:
            candidates += [text[i : i + size] for i in range(0, len(text), size)]
    with default_settings():
        plugins = get_plugins()
        return any(
            next(
                iter(
                    plugin.analyze_line(
                        filename="example.py",
                        line=f"value = {json.dumps(candidate)}",
                        line_number=1,
                    )
                ),
                None,
            )
            is not None
            for candidate in candidates
            for plugin in plugins
        )
