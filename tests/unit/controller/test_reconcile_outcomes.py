"""What the end of a run says on the CodeGeneration, as pure functions of its outcome
(`reconcile._result_conditions`, `_outcome_events`, `_where`, `_uncontained`, `_job_failure`)
and of what the status shows (`_backoff`, `_stalled_before`, `_unchanged`).

Rules:

1. a run that succeeded is Generated, QualityGatesPassed (how many gates, the coverage when
   measured, a warning when generated code ran uncontained), Published (where) and Ready;
2. a run whose gates failed is Generated but neither QualityGatesPassed, Published nor Ready;
3. a run that passed its gates and could not be published (a Git reason, or a held key found
   in the files it generated) is Generated and QualityGatesPassed, not Published nor Ready;
4. any other failure generated nothing: the gates did not run, nothing was published;
5. the Events say the same: the figures and where it went, or the failure's reason;
6. where the code went: the ConfigMaps, or the Git URL, branch, short commit, folder, pull
   request, and whether a commit was made;
7. a Job that failed without writing an outcome failed the run with the Job's own story;
8. a stalled CodeGeneration waits as long as it has been stalled (so the delay doubles),
   from `RETRY_SECONDS` to `BACKOFF_MAX_SECONDS`; a status that would not change is not
   written;
9. the metrics count a run once: succeeded, or failed by reason; each failed gate by name;
   the seconds of each stage, and of the whole run when measured.
"""

from __future__ import annotations

import datetime
import types
from typing import Any

import pytest

from kodegen.api import codegeneration_status as status_api
from kodegen.controller import jobs, metrics, reconcile, runs

DIGEST = "sha256:" + "ab" * 32
RESULT = status_api.GenerationResult(files=12, lines=340, coverage=97.5)


def _outcome(reason: str, **fields: Any) -> runs.Outcome:
    values: dict[str, Any] = {
        "input_hash": DIGEST,
        "phase": "Succeeded" if reason == "Succeeded" else "Failed",
        "reason": reason,
        "message": f"the {reason} message",
        "finished_at": "2026-12-07T10:00:00Z",
        "result": RESULT,
        **fields,
    }
    return runs.Outcome(**values)


GATES = ({"name": "syntax", "passed": True}, {"name": "tests", "passed": True})
CONFIG_MAPS = status_api.OutputStatus(config_maps=["petstore-code-0", "petstore-code-1"])


def test_rule_1_a_run_that_succeeded_is_ready_and_says_where_it_went() -> None:
    outcome = _outcome("Succeeded", gates=GATES, output=CONFIG_MAPS)
    assert reconcile._outcome_conditions(outcome) == [
        ("Generated", "True", "Generated", "12 files, 340 lines"),
        ("QualityGatesPassed", "True", "Passed", "2 gates passed, coverage 97.5 %"),
        ("Published", "True", "Published", "ConfigMap petstore-code-0, petstore-code-1"),
        ("Ready", "True", "Succeeded", "the Succeeded message"),
        ("Reconciling", "False", "Succeeded", "run abababab ended: Succeeded"),
    ]


def test_rule_1_coverage_not_measured_is_not_shown_and_uncontained_code_is() -> None:
    gates = ({"name": "tests", "metrics": {"contained": 0.0}},)
    outcome = _outcome("Succeeded", gates=gates, result=status_api.GenerationResult(files=1))
    assert reconcile._result_conditions(outcome)[1] == (
        "QualityGatesPassed",
        "True",
        "Passed",
        "1 gates passed; WARNING: generated code ran UNCONTAINED (qualityGates.isolation: "
        "best-effort; see predicate.isolation in the provenance)",
    )
    assert reconcile._result_conditions(outcome)[2] == ("Published", "True", "Published", "-")


@pytest.mark.parametrize(
    ("gates", "warned"),
    [
        (({"name": "tests", "metrics": {"contained": 1.0}},), False),
        (({"name": "tests", "metrics": {}}, {"name": "style"}), False),
        (({"name": "style", "metrics": {"contained": 1.0}}, {"metrics": {"contained": 0.0}}), True),
    ],
)
def test_rule_1_only_a_gate_that_ran_uncontained_warns(
    gates: tuple[dict[str, Any], ...], warned: bool
) -> None:
    assert bool(reconcile._uncontained(_outcome("Succeeded", gates=gates))) is warned


def test_rule_2_failed_gates_generated_but_did_not_publish() -> None:
    assert reconcile._result_conditions(_outcome("QualityGatesFailed")) == [
        ("Generated", "True", "Generated", "12 files, 340 lines"),
        ("QualityGatesPassed", "False", "QualityGatesFailed", "the QualityGatesFailed message"),
        (
            "Published",
            "False",
            "QualityGatesFailed",
            "not published; the previous output, if any, stays in place",
        ),
        ("Ready", "False", "QualityGatesFailed", "the QualityGatesFailed message"),
    ]


@pytest.mark.parametrize("reason", ["GitNonFastForward", "ForgeFailed", "LeakedKey"])
def test_rule_3_a_run_that_could_not_publish_passed_its_gates(reason: str) -> None:
    assert reconcile._result_conditions(_outcome(reason, gates=GATES)) == [
        ("Generated", "True", "Generated", "12 files, 340 lines"),
        ("QualityGatesPassed", "True", "Passed", "2 gates passed"),
        ("Published", "False", reason, f"the {reason} message"),
        ("Ready", "False", reason, f"the {reason} message"),
    ]


@pytest.mark.parametrize(
    ("reason", "result"),
    [
        ("InvalidInput", RESULT),
        ("Error", RESULT),
        ("PublishFailed", RESULT),
        ("LeakedKey", status_api.GenerationResult()),  # found before any file was generated
    ],
)
def test_rule_4_any_other_failure_generated_nothing(
    reason: str, result: status_api.GenerationResult
) -> None:
    assert reconcile._result_conditions(_outcome(reason, result=result)) == [
        ("Generated", "False", reason, f"the {reason} message"),
        ("QualityGatesPassed", "Unknown", "NotRun", "the run ended before this step"),
        ("Published", "False", reason, "not published"),
        ("Ready", "False", reason, f"the {reason} message"),
    ]


@pytest.mark.parametrize(
    ("outcome", "events"),
    [
        (
            _outcome("Succeeded"),
            [
                ("Normal", "Generated", "12 files, 340 lines, coverage 97.5 %"),
                ("Normal", "Published", "the Succeeded message"),
            ],
        ),
        (
            _outcome("Succeeded", result=status_api.GenerationResult(files=2, lines=9)),
            [
                ("Normal", "Generated", "2 files, 9 lines, coverage - %"),
                ("Normal", "Published", "the Succeeded message"),
            ],
        ),
        (
            _outcome("QualityGatesFailed"),
            [("Warning", "QualityGatesFailed", "the QualityGatesFailed message")],
        ),
        (_outcome("GitAuthFailed"), [("Warning", "GitAuthFailed", "the GitAuthFailed message")]),
        (_outcome("LeakedKey"), [("Warning", "Failed", "the LeakedKey message")]),
        (_outcome("Error"), [("Warning", "Failed", "the Error message")]),
    ],
)
def test_rule_5_the_events_of_a_run(
    outcome: runs.Outcome, events: list[tuple[str, str, str]]
) -> None:
    assert reconcile._outcome_events(outcome) == events


def _git(**fields: Any) -> status_api.OutputStatus:
    values = {
        "url": "https://git.example/team/api.git",
        "branch": "main",
        "commit": "0123456789abcdef",
    }
    return status_api.OutputStatus(git=status_api.GitPublication(**{**values, **fields}))


@pytest.mark.parametrize(
    ("output", "where"),
    [
        (None, "-"),
        (CONFIG_MAPS, "ConfigMap petstore-code-0, petstore-code-1"),
        (_git(), "Git https://git.example/team/api.git branch main commit 0123456789ab"),
        (
            _git(path="services/api", changed=False),
            "Git https://git.example/team/api.git branch main commit 0123456789ab "
            "path services/api (unchanged: no new commit)",
        ),
        (
            _git(
                pull_request=status_api.PullRequestStatus(
                    url="https://git.example/team/api/pull/7", number=7, state="open"
                )
            ),
            "Git https://git.example/team/api.git branch main commit 0123456789ab; "
            "pull request https://git.example/team/api/pull/7 (open)",
        ),
    ],
)
def test_rule_6_where_the_code_went(output: status_api.OutputStatus | None, where: str) -> None:
    assert reconcile._where(output) == where


@pytest.mark.parametrize(
    ("state", "message"),
    [
        (
            jobs.JobState(phase="Failed", reason="DeadlineExceeded", message="ran 1800 s"),
            "the Job failed before writing a result: DeadlineExceeded: ran 1800 s",
        ),
        (
            jobs.JobState(phase="Failed"),
            "the Job failed before writing a result: Error: no message",
        ),
    ],
)
def test_rule_7_a_job_that_wrote_no_outcome_failed_the_run(
    state: jobs.JobState, message: str
) -> None:
    assert reconcile._job_failure(DIGEST, state, "2026-12-07T10:00:00Z") == runs.Outcome(
        input_hash=DIGEST,
        phase="Failed",
        reason="Error",
        message=message,
        finished_at="2026-12-07T10:00:00Z",
    )


NOW = datetime.datetime(2026, 12, 7, 12, 0, 0, tzinfo=datetime.UTC)


def _stalled_since(seconds: float, status: str = "True") -> Any:
    since = (NOW - datetime.timedelta(seconds=seconds)).isoformat()
    conditions = [
        {"type": "Ready", "status": "False", "lastTransitionTime": NOW.isoformat()},
        {"type": "Stalled", "status": status, "lastTransitionTime": since},
    ]
    return types.SimpleNamespace(body={"status": {"conditions": conditions}})


OP: Any = types.SimpleNamespace(clock=lambda: NOW)


@pytest.mark.parametrize(
    ("report", "delay"),
    [
        (types.SimpleNamespace(body={}), reconcile.RETRY_SECONDS),
        (types.SimpleNamespace(body={"status": {"conditions": None}}), reconcile.RETRY_SECONDS),
        (_stalled_since(120.0, status="False"), reconcile.RETRY_SECONDS),
        (_stalled_since(3.0), reconcile.RETRY_SECONDS),
        (_stalled_since(45.5), 45.5),
        (_stalled_since(3600.0), reconcile.BACKOFF_MAX_SECONDS),
    ],
)
def test_rule_8_a_stalled_generation_waits_as_long_as_it_has_been_stalled(
    report: Any, delay: float
) -> None:
    assert reconcile._backoff(OP, report) == delay


def test_rule_8_stalled_before_is_a_true_stalled_condition() -> None:
    assert reconcile._stalled_before([{"type": "Stalled", "status": "True"}])
    assert not reconcile._stalled_before([{"type": "Stalled", "status": "False"}])
    assert not reconcile._stalled_before([{"type": "Ready", "status": "True"}])
    assert not reconcile._stalled_before([])


@pytest.mark.parametrize(
    ("after", "unchanged"),
    [
        ({"phase": "Succeeded", "job": {"b": 2, "a": 1}}, True),
        ({"phase": "Succeeded"}, True),
        ({}, True),
        ({"phase": "Failed"}, False),
        ({"phase": "Succeeded", "job": {"a": 1}}, False),
        ({"output": None}, True),
        ({"output": {}}, False),
    ],
)
def test_rule_8_a_status_that_would_not_change_is_not_written(
    after: dict[str, Any], unchanged: bool
) -> None:
    before = {"phase": "Succeeded", "job": {"a": 1, "b": 2}}
    assert reconcile._unchanged(before, after) is unchanged


def _sample(registry: metrics.Metrics, name: str, **labels: str) -> float | None:
    return registry.registry.get_sample_value(name, labels)


def test_rule_9_a_run_that_succeeded_is_counted_with_its_times() -> None:
    registry = metrics.Metrics()
    result = status_api.GenerationResult(files=1, duration_seconds=12.5)
    reconcile._count(registry, _outcome("Succeeded", result=result, timings={"render": 0.25}))
    assert _sample(registry, "kodegen_generations_succeeded_total") == 1.0
    assert _sample(registry, "kodegen_generations_failed_total", reason="Succeeded") is None
    assert _sample(registry, "kodegen_stage_duration_seconds_sum", stage="render") == 0.25
    assert _sample(registry, "kodegen_generation_duration_seconds_sum") == 12.5


def test_rule_9_a_failed_run_is_counted_by_reason_and_failed_gate() -> None:
    registry = metrics.Metrics()
    gates = ({"name": "tests", "passed": False}, {"name": "style", "passed": True})
    reconcile._count(registry, _outcome("QualityGatesFailed", gates=gates))
    assert _sample(registry, "kodegen_generations_succeeded_total") == 0.0
    assert _sample(registry, "kodegen_generations_failed_total", reason="QualityGatesFailed") == 1.0
    assert _sample(registry, "kodegen_gate_failures_total", gate="tests") == 1.0
    assert _sample(registry, "kodegen_gate_failures_total", gate="style") is None
    assert _sample(registry, "kodegen_generation_duration_seconds_count") == 0.0
