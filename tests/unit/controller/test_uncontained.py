"""The QualityGatesPassed condition warns when generated code ran without full containment."""

from __future__ import annotations

from typing import Any

from kodegen.controller import reconcile, runs


def outcome(contained: float) -> runs.Outcome:
    gates: tuple[dict[str, Any], ...] = (
        {"name": "syntax", "passed": True, "metrics": {"contained": 1.0}},
        {"name": "tests", "passed": True, "metrics": {"coverage": 100.0, "contained": contained}},
    )
    return runs.Outcome(
        input_hash="sha256:0",
        phase="Succeeded",
        reason="Succeeded",
        message="done",
        finished_at="2026-01-01T00:00:00Z",
        gates=gates,
    )


def gates_condition(result: runs.Outcome) -> tuple[str, ...]:
    found = [c for c in reconcile._outcome_conditions(result) if c[0] == "QualityGatesPassed"]
    return tuple(found[0])


def test_a_contained_run_says_nothing_more() -> None:
    assert gates_condition(outcome(1.0)) == (
        "QualityGatesPassed",
        "True",
        "Passed",
        "2 gates passed",
    )


def test_an_uncontained_run_is_flagged_in_the_condition() -> None:
    _, status, reason, message = gates_condition(outcome(0.0))
    assert (status, reason) == ("True", "Passed")
    assert "WARNING: generated code ran UNCONTAINED" in message
    assert "predicate.isolation" in message
