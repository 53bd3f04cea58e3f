"""ai.metrics: per-provider counters, exposed to Prometheus."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from kodegen.ai import metrics, types


def test_observations_and_the_prometheus_exposition() -> None:
    meter = metrics.Metrics()
    answer = types.Response("x", types.Usage(100, 20), "m", "stop", cost_usd=0.25)
    meter.observe("openai", 0.3, answer)
    meter.observe("openai", 7.0, None)
    meter.failure("openai", "timeout")
    registry = CollectorRegistry()
    registry.register(meter.collector())
    text = generate_latest(registry).decode()
    assert 'kodegen_ai_requests_total{provider="openai"} 2.0' in text
    assert 'kodegen_ai_failures_total{provider="openai",reason="timeout"} 1.0' in text
    assert 'kodegen_ai_tokens_total{direction="input",provider="openai"} 100.0' in text
    assert 'kodegen_ai_cost_usd_total{provider="openai"} 0.25' in text
    assert 'kodegen_ai_request_duration_seconds_bucket{le="0.5",provider="openai"} 1.0' in text
    assert 'kodegen_ai_request_duration_seconds_bucket{le="10.0",provider="openai"} 2.0' in text
    assert 'kodegen_ai_request_duration_seconds_count{provider="openai"} 2.0' in text
