"""Metric names: the series the operator really exposes (read from its own registry), and the
metric names a PromQL expression selects."""

from __future__ import annotations

import re

import prometheus_client

from kodegen.controller import metrics

_SUFFIXES = {
    "counter": ("_total",),
    "histogram": ("_bucket", "_count", "_sum"),
    "summary": ("_count", "_sum"),
    "gauge": ("",),
    "info": ("_info",),
}


def exposed() -> frozenset[str]:
    """Every series name of the operator's registry (`kodegen_*_total`, `_bucket`, ...), with
    no sample recorded: a family is exposed by its definition, not by traffic."""
    registry: prometheus_client.CollectorRegistry = metrics.Metrics().registry
    return frozenset(
        family.name + suffix for family in registry.collect() for suffix in _SUFFIXES[family.type]
    )


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.$])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")
_KEYWORDS = frozenset(
    {"and", "or", "unless", "bool", "offset", "inf", "nan", "group_left", "group_right"}
)


def selected(expression: str) -> set[str]:
    """The metric names a PromQL expression reads: identifiers left once strings, label
    matchers, ranges and grouping clauses are removed, that are neither function calls (followed
    by `(`), keywords, nor numbers."""
    text = _STRINGS.sub(" ", expression)
    text = _MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    return {name for name in _IDENTIFIER.findall(text) if name.lower() not in _KEYWORDS}
