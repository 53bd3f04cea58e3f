"""The pure parts of the operator: conditions, slots, the run documents, peering priority,
secret references and metrics."""

from __future__ import annotations

import datetime
import json
import threading
import urllib.request
from pathlib import Path
from typing import Any

import prometheus_client
import pytest
import yaml

from kodegen.api import codegeneration
from kodegen.api import codegeneration_status as status_api
from kodegen.controller import conditions, executors, handlers, metrics, names, runs, slots

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "petstore.yaml"
T0 = datetime.datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=datetime.UTC)
T1 = T0 + datetime.timedelta(minutes=5)


def _request(**spec: Any) -> runs.Request:
    body = yaml.safe_load(EXAMPLE.read_text())
    body["metadata"]["namespace"] = "team-a"
    body["spec"].update(spec)
    generation = codegeneration.CodeGeneration.model_validate(body)
    template = status_api.ResolvedTemplate(
        kind="Builtin",
        name="python-fastapi-service@1.0.0",
        family="python-fastapi-service",
        version="1.0.0",
        digest="sha256:" + "1" * 64,
    )
    digest = names.input_hash(generation.spec, template.digest)
    return runs.Request(generation=generation, uid="u-1", template=template, input_hash=digest)


# -- conditions --------------------------------------------------------------------------------


def test_conditions_keep_transition_time_while_status_holds() -> None:
    first = conditions.merge([], [("Ready", "False", "Running", "run a")], generation=1, now=T0)
    assert first == [
        {
            "type": "Ready",
            "status": "False",
            "reason": "Running",
            "message": "run a",
            "observedGeneration": 1,
            "lastTransitionTime": "2026-12-01T10:00:00Z",
        }
    ]
    same = conditions.merge(first, [("Ready", "False", "Queued", "b")], generation=2, now=T1)
    assert same[0]["lastTransitionTime"] == "2026-12-01T10:00:00Z"
    assert (same[0]["reason"], same[0]["observedGeneration"]) == ("Queued", 2)
    moved = conditions.merge(same, [("Ready", "True", "Succeeded", "ok")], generation=2, now=T1)
    assert moved[0]["lastTransitionTime"] == "2026-12-01T10:05:00Z"


def test_conditions_come_in_pipeline_order_and_messages_are_bounded() -> None:
    merged = conditions.merge(
        [],
        [
            ("Ready", "True", "A", "x"),
            ("Custom", "True", "A", "y" * 5000),
            ("SpecValid", "True", "A", "multi\n  line"),
        ],
        generation=None,
        now=T0,
    )
    assert [c["type"] for c in merged] == ["SpecValid", "Ready", "Custom"]
    assert merged[0]["message"] == "multi line" and "observedGeneration" not in merged[0]
    assert len(merged[2]["message"]) == conditions.MESSAGE_MAX


# -- slots -------------------------------------------------------------------------------------


def test_slots_limit_per_namespace_and_cluster() -> None:
    pool = slots.Slots(per_namespace=2, cluster=3)
    assert pool.acquire(("a", "1"), "h1") and pool.acquire(("a", "2"), "h2")
    assert not pool.acquire(("a", "3"), "h3")  # the namespace is full
    assert pool.acquire(("b", "1"), "h4")
    assert not pool.acquire(("c", "1"), "h5")  # the cluster is full
    assert (pool.active, pool.waiting) == (3, 2)
    assert pool.acquire(("a", "1"), "h1-new")  # a newer run of a holder keeps its slot
    assert pool.holder(("a", "1")) == "h1-new"
    assert not pool.release(("a", "1"), "h1")  # a stale run frees nothing
    assert pool.release(("a", "1"), "h1-new")
    assert pool.acquire(("a", "3"), "h3") and pool.waiting == 1


def test_slots_hold_ignores_limits_and_is_thread_safe() -> None:
    pool = slots.Slots(per_namespace=1, cluster=1)
    pool.hold(("a", "1"), "x")
    pool.hold(("a", "2"), "y")  # after a restart every running run keeps going
    assert pool.active == 2
    pool = slots.Slots(per_namespace=50, cluster=50)
    won: list[bool] = []
    threads = [
        threading.Thread(target=lambda i=i: won.append(pool.acquire(("a", str(i)), "h")))
        for i in range(200)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert won.count(True) == 50 and pool.active == 50


def test_slots_reject_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        slots.Slots(per_namespace=0, cluster=1)


# -- run documents -----------------------------------------------------------------------------


def test_request_round_trips_through_its_configmap() -> None:
    request = _request()
    body = request.config_map()
    assert body["metadata"]["name"] == names.request("petstore-api", request.input_hash)
    assert body["metadata"]["ownerReferences"][0]["uid"] == "u-1"
    assert body["metadata"]["labels"][names.LABEL_ROLE] == "request"
    again = runs.Request.from_config_map(json.loads(json.dumps(body)))
    assert again == request
    assert again.output_name == "petstore-api-code"


def test_outcome_round_trips_and_trims_findings() -> None:
    request = _request()
    findings = [
        {"file": "a.py", "line": i, "code": "E1", "message": "m", "severity": "low"}
        for i in range(runs.GATE_FINDINGS_KEPT + 5)
    ]
    outcome = runs.Outcome(
        input_hash=request.input_hash,
        phase="Failed",
        reason="QualityGatesFailed",
        message="1 of 2 failed",
        finished_at="2026-12-01T10:00:00Z",
        result=status_api.GenerationResult(files=3, lines=40, coverage=90.0),
        gates=({"name": "style", "passed": False, "findings": findings},),
        timings={"parse": 0.01},
        provenance='{"x": 1}\n',
    )
    body = outcome.config_map(request)
    assert body["metadata"]["name"] == names.result("petstore-api", request.input_hash)
    again = runs.Outcome.from_config_map(body)
    assert again.gates[0]["findingsOmitted"] == 5
    assert len(again.gates[0]["findings"]) == runs.GATE_FINDINGS_KEPT
    assert (again.result, again.timings, again.provenance) == (
        outcome.result,
        outcome.timings,
        outcome.provenance,
    )
    assert [g["name"] for g in again.failed_gates()] == ["style"]


def test_a_damaged_document_is_a_clear_error() -> None:
    with pytest.raises(Exception, match="not a kodegen request"):
        runs.Request.from_config_map({"metadata": {"name": "x"}, "data": {"request.json": "{}"}})
    with pytest.raises(Exception, match="not a kodegen outcome"):
        runs.Outcome.from_config_map({"metadata": {"name": "x"}, "data": {}})


# -- secrets and peering -----------------------------------------------------------------------


def test_ai_keys_reach_the_job_as_secret_references_only() -> None:
    request = _request(
        ai={
            "mode": "assist",
            "providers": [
                {"provider": "anthropic", "model": "m", "secretRef": {"name": "keys", "key": "a"}},
                {"provider": "openai", "model": "m", "secretRef": {"name": "keys", "key": "o"}},
                {"provider": "ollama", "model": "m"},
            ],
        }
    )
    assert executors.secret_env(request) == [
        {"name": "ANTHROPIC_API_KEY", "valueFrom": {"secretKeyRef": {"name": "keys", "key": "a"}}},
        {"name": "OPENAI_API_KEY", "valueFrom": {"secretKeyRef": {"name": "keys", "key": "o"}}},
    ]


def test_every_pod_gets_its_own_peering_priority() -> None:
    pods = [f"kodegen-operator-7d9f-{suffix}" for suffix in ("abcde", "fghij", "klmno")]
    priorities = {handlers.priority(pod) for pod in pods}
    assert len(priorities) == 3 and all(p > 0 for p in priorities)
    assert handlers.priority(pods[0]) == handlers.priority(pods[0])
    assert handlers.priority(None) == 0


# -- metrics -----------------------------------------------------------------------------------


def test_metrics_are_served_with_prometheus_names() -> None:
    registry = metrics.Metrics()
    registry.started.labels(executor="job").inc()
    registry.failed.labels(reason="QualityGatesFailed").inc()
    registry.gate_failures.labels(gate="tests").inc()
    registry.stage_seconds.labels(stage="gates").observe(2.5)
    registry.reconcile_seconds.labels(outcome="unchanged").observe(0.001)
    server = registry.serve(0, "127.0.0.1")
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            text = answer.read().decode()
    finally:
        server.shutdown()
    for line in (
        'kodegen_generations_started_total{executor="job"} 1.0',
        'kodegen_generations_failed_total{reason="QualityGatesFailed"} 1.0',
        'kodegen_gate_failures_total{gate="tests"} 1.0',
        'kodegen_stage_duration_seconds_bucket{le="2.5",stage="gates"} 1.0',
        'kodegen_reconcile_duration_seconds_count{outcome="unchanged"} 1.0',
        "kodegen_generations_active 0.0",
        "kodegen_generations_queued 0.0",
    ):
        assert line in text, line
    # A second operator in the same process has counters of its own.
    assert (
        "kodegen_generations_started_total{"
        not in prometheus_client.generate_latest(metrics.Metrics().registry).decode()
    )
