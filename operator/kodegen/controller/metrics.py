"""The operator's Prometheus metrics, in a registry of their own (no global state: two
operators in one test process never share counters). `kodegen operator` serves them on
`Settings.metrics_port` at `/metrics`."""

from __future__ import annotations

import platform
import wsgiref.simple_server

import prometheus_client

import kodegen
from kodegen.ai import metrics as ai_metrics

__all__ = ["Metrics"]

_STAGE_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900)
_RECONCILE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5)


class Metrics:
    def __init__(self, registry: prometheus_client.CollectorRegistry | None = None) -> None:
        self.registry = registry or prometheus_client.CollectorRegistry()
        r = self.registry
        self.build_info = prometheus_client.Gauge(
            "kodegen_build_info",
            "Always 1; the labels say which kodegen and Python this operator runs "
            "(an alert on its absence finds an operator that is down).",
            ["version", "python"],
            registry=r,
        )
        self.build_info.labels(version=kodegen.__version__, python=platform.python_version()).set(1)
        self.started = prometheus_client.Counter(
            "kodegen_generations_started_total",
            "Runs admitted and started.",
            ["executor"],
            registry=r,
        )
        self.succeeded = prometheus_client.Counter(
            "kodegen_generations_succeeded_total",
            "Runs that passed every gate and published.",
            registry=r,
        )
        self.failed = prometheus_client.Counter(
            "kodegen_generations_failed_total",
            "Runs that ended without publishing, by reason (QualityGatesFailed, InvalidInput, "
            "PublishFailed, Error, ...).",
            ["reason"],
            registry=r,
        )
        self.stage_seconds = prometheus_client.Histogram(
            "kodegen_stage_duration_seconds",
            "Time of each pipeline stage of finished runs.",
            ["stage"],
            buckets=_STAGE_BUCKETS,
            registry=r,
        )
        self.run_seconds = prometheus_client.Histogram(
            "kodegen_generation_duration_seconds",
            "Wall time of finished runs.",
            buckets=_STAGE_BUCKETS,
            registry=r,
        )
        self.gate_failures = prometheus_client.Counter(
            "kodegen_gate_failures_total",
            "Quality gates that failed, by gate.",
            ["gate"],
            registry=r,
        )
        self.active = prometheus_client.Gauge(
            "kodegen_generations_active",
            "Runs holding a slot (Jobs or local workers).",
            registry=r,
        )
        self.queued = prometheus_client.Gauge(
            "kodegen_generations_queued", "CodeGenerations waiting for a slot.", registry=r
        )
        self.reconcile_seconds = prometheus_client.Histogram(
            "kodegen_reconcile_duration_seconds",
            "Time of one reconcile of a CodeGeneration.",
            ["outcome"],
            buckets=_RECONCILE_BUCKETS,
            registry=r,
        )
        r.register(ai_metrics.SHARED.collector())  # kodegen_ai_*: per provider (local runs)
        self.reconcile_errors = prometheus_client.Counter(
            "kodegen_reconcile_errors_total",
            "Reconciles that failed, by kind.",
            ["kind"],
            registry=r,
        )

        self.watchdog_errors = prometheus_client.Counter(
            "kodegen_watchdog_errors_total",
            "Watchdog ticks or pokes that raised unexpectedly (logged, retried next tick).",
            registry=r,
        )

    def serve(self, port: int, address: str = "0.0.0.0") -> wsgiref.simple_server.WSGIServer:  # nosec B104: in-pod port
        """Serve `/metrics` on `port` (0: any free port) in a daemon thread; returns the server
        (its `server_address` says the port, `shutdown()` stops it)."""
        server, _ = prometheus_client.start_http_server(port, addr=address, registry=self.registry)
        return server
