"""The operator's metric names follow Prometheus's conventions (prometheus.io/docs/practices/
naming): one `kodegen_` prefix, snake case, base units as suffixes (`_seconds` for every
duration histogram, `_total` for counters only), and a `kodegen_build_info` gauge of 1."""

from __future__ import annotations

import platform
import re

import prometheus_client

import kodegen
from kodegen.controller import metrics


def families() -> list[prometheus_client.Metric]:
    return list(metrics.Metrics().registry.collect())


def test_names_are_prefixed_snake_case() -> None:
    for family in families():
        assert re.fullmatch(r"kodegen_[a-z0-9]+(_[a-z0-9]+)*", family.name), family.name


def test_histograms_measure_seconds() -> None:
    histograms = [f.name for f in families() if f.type == "histogram"]
    assert histograms
    for name in histograms:
        assert name.endswith("_duration_seconds"), name


def test_only_counters_end_in_total() -> None:
    for family in families():
        exposed = {sample.name for sample in family.samples}
        if family.type == "counter":
            assert all(
                not name.endswith("_total") or name == family.name + "_total" for name in exposed
            )
        else:
            assert not family.name.endswith("_total"), family.name
            assert not any(name.endswith("_total") for name in exposed), family.name


def test_build_info_says_the_version() -> None:
    registry = metrics.Metrics().registry
    labels = {"version": kodegen.__version__, "python": platform.python_version()}
    assert registry.get_sample_value("kodegen_build_info", labels) == 1.0
