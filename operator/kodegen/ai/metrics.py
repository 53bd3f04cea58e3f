"""Metrics per provider: requests, failures by reason, latency histogram, tokens and cost.

Plain counters in the process (`Metrics`), shared like the breakers; `Metrics.collector()`
exposes them to a `prometheus_client` registry for the operator's metrics endpoint:

    kodegen_ai_requests_total{provider}                  calls made (cache hits excluded)
    kodegen_ai_failures_total{provider,reason}           failures by ProviderError.kind
    kodegen_ai_request_duration_seconds{provider}        latency histogram
    kodegen_ai_tokens_total{provider,direction}          input / output tokens
    kodegen_ai_cost_usd_total{provider}                  dollars spent
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kodegen.ai import types

__all__ = ["BUCKETS", "SHARED", "Metrics", "ProviderMetrics"]

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, float("inf"))
"""Latency buckets in seconds: model calls take from tens of milliseconds (a local cache,
a small local model) to minutes (a long answer from a large model)."""


@dataclass
class ProviderMetrics:
    requests: int = 0
    failures: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    latency_buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))
    latency_sum: float = 0.0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


class Metrics:
    def __init__(self) -> None:
        self.providers: dict[str, ProviderMetrics] = defaultdict(ProviderMetrics)
        self._lock = threading.Lock()

    def observe(self, provider: str, seconds: float, response: types.Response | None) -> None:
        """One call that ended after `seconds`, with `response` or (None) a failure."""
        with self._lock:
            entry = self.providers[provider]
            entry.requests += 1
            entry.latency_buckets[bisect.bisect_left(BUCKETS, seconds)] += 1
            entry.latency_sum += seconds
            if response is not None:
                entry.input_tokens += response.usage.input_tokens
                entry.output_tokens += response.usage.output_tokens
                entry.cost_usd += response.cost_usd

    def failure(self, provider: str, reason: str) -> None:
        with self._lock:
            self.providers[provider].failures[reason] += 1

    def collector(self) -> Any:
        """A `prometheus_client` collector over these metrics (register it on a registry)."""
        from prometheus_client import core

        metrics = self

        class _Collector:
            def collect(self) -> Iterator[Any]:
                requests = core.CounterMetricFamily(
                    "kodegen_ai_requests", "AI provider calls", labels=["provider"]
                )
                failures = core.CounterMetricFamily(
                    "kodegen_ai_failures", "AI provider failures", labels=["provider", "reason"]
                )
                latency = core.HistogramMetricFamily(
                    "kodegen_ai_request_duration_seconds", "AI call latency", labels=["provider"]
                )
                tokens = core.CounterMetricFamily(
                    "kodegen_ai_tokens", "AI tokens", labels=["provider", "direction"]
                )
                cost = core.CounterMetricFamily(
                    "kodegen_ai_cost_usd", "AI cost in US dollars", labels=["provider"]
                )
                with metrics._lock:
                    for name, entry in sorted(metrics.providers.items()):
                        requests.add_metric([name], entry.requests)
                        for reason, count in sorted(entry.failures.items()):
                            failures.add_metric([name, reason], count)
                        cumulative, buckets = 0, []
                        for bound, count in zip(BUCKETS, entry.latency_buckets, strict=True):
                            cumulative += count
                            buckets.append(
                                ("+Inf" if bound == float("inf") else str(bound), cumulative)
                            )
                        latency.add_metric([name], buckets, entry.latency_sum)
                        tokens.add_metric([name, "input"], entry.input_tokens)
                        tokens.add_metric([name, "output"], entry.output_tokens)
                        cost.add_metric([name], entry.cost_usd)
                yield from (requests, failures, latency, tokens, cost)

        return _Collector()


SHARED = Metrics()
"""The process-wide metrics the pipeline records into unless given others."""
