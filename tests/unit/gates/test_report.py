from __future__ import annotations

import json

from kodegen.gates import report


def _finding(file: str, line: int, code: str = "X1") -> report.Finding:
    return report.Finding(file=file, line=line, code=code, message="m", severity="low")


def test_finding_to_dict_has_fixed_keys_in_field_order() -> None:
    finding = report.Finding(file="a/b.py", line=3, code="F401", message="unused", severity="low")
    assert list(finding.to_dict().items()) == [
        ("file", "a/b.py"),
        ("line", 3),
        ("code", "F401"),
        ("message", "unused"),
        ("severity", "low"),
    ]


def test_report_sorts_findings_counts_and_metrics() -> None:
    gate_report = report.GateReport(
        name="style",
        passed=False,
        counts={"lint": 2, "format": 0},
        findings=(_finding("b.py", 1), _finding("a.py", 9), _finding("a.py", 2)),
        metrics={"z": 1.0, "a": 2.0},
    )
    assert [(f.file, f.line) for f in gate_report.findings] == [
        ("a.py", 2),
        ("a.py", 9),
        ("b.py", 1),
    ]
    assert list(gate_report.counts) == ["format", "lint"]
    assert list(gate_report.metrics) == ["a", "z"]


def test_report_copies_its_mappings() -> None:
    counts = {"high": 1}
    gate_report = report.GateReport(name="security", passed=False, counts=counts)
    counts["high"] = 99
    assert gate_report.counts == {"high": 1}


def test_report_to_dict_is_deterministic_json() -> None:
    def build(duration: float) -> report.GateReport:
        return report.GateReport(
            name="tests",
            passed=True,
            counts={"passed": 3, "failed": 0},
            findings=(_finding("t.py", 4),),
            duration_seconds=duration,
            metrics={"coverage": 100.0},
        )

    data = build(1.23456).to_dict()
    assert list(data) == [
        "name",
        "passed",
        "counts",
        "findings",
        "duration_seconds",
        "reason",
        "metrics",
    ]
    assert data["duration_seconds"] == 1.235
    assert json.dumps(data) == json.dumps(build(1.23456).to_dict())


def test_failure_builds_a_failed_report_with_a_reason() -> None:
    failed = report.GateReport.failure("contract", reason="timed out after 3 s")
    assert (failed.name, failed.passed, failed.reason) == ("contract", False, "timed out after 3 s")
    assert failed.findings == () and failed.counts == {} and failed.metrics == {}


def test_failure_keeps_the_findings_counts_and_metrics_it_is_given() -> None:
    found = _finding("a.py", 1)
    failed = report.GateReport.failure(
        "tests",
        reason="1 failed",
        findings=(found,),
        counts={"failed": 1},
        metrics={"coverage": 80.0},
    )
    assert (failed.passed, failed.reason) == (False, "1 failed")
    assert (failed.findings, failed.counts, failed.metrics) == (
        (found,),
        {"failed": 1},
        {"coverage": 80.0},
    )
