"""The security gate: bandit finds no issue at or above `GateConfig.fail_on_severity`.

Test code is left out (folders named `tests` or `test`, and `conftest.py`, `test_*.py`,
`*_test.py` files): `assert` and fixed fake credentials are normal there and would bury the
findings that matter. Every issue is counted per severity; `# nosec` markers are honoured
(templates need a few, e.g. binding to 0.0.0.0 in a container) and their number is reported as
the metric `nosec`, so that a reviewer sees how much was silenced.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from kodegen.gates import config as config_
from kodegen.gates import gate, report

__all__ = ["NAME", "is_test_file", "run"]

NAME = "security"

_TEST_DIRS = frozenset({"tests", "test"})


@gate.gate(NAME)
async def run(project: Path, config: config_.GateConfig) -> report.GateReport:
    files = [
        name
        for name in (gate.relative(path, project) for path in gate.python_files(project))
        if not is_test_file(name)
    ]
    counts = {"high": 0, "medium": 0, "low": 0}
    if not files:
        return report.GateReport(name=NAME, passed=True, counts=counts)
    outcome = await gate.tool(
        NAME,
        gate.static_tool("bandit", "--format", "json", "--quiet", *files),
        cwd=project,
        config=config,
    )
    if outcome.returncode not in (0, 1):
        raise gate.unparseable(NAME, "bandit output", "unexpected exit status", outcome)
    data = gate.parse_json(NAME, "bandit output", outcome.stdout, outcome)
    try:
        issues = tuple(_issue(project, result) for result in data["results"])
        problems = tuple(_error(project, error) for error in data["errors"])
        totals = data["metrics"]["_totals"]
        nosec = float(totals.get("nosec", 0))
    except (KeyError, TypeError, ValueError) as exc:
        raise gate.unparseable(NAME, "bandit output", repr(exc), outcome) from exc
    for issue in issues:
        if issue.severity in counts:
            counts[issue.severity] += 1
    threshold = config_.SEVERITIES.index(config.fail_on_severity)
    blocking = sum(counts[level] for level in config_.SEVERITIES[threshold:])
    reasons = []
    if blocking:
        reasons.append(f"{blocking} issue(s) of severity {config.fail_on_severity} or higher")
    if problems:
        reasons.append(f"bandit could not scan {len(problems)} file(s)")
    return report.GateReport(
        name=NAME,
        passed=not reasons,
        counts=counts,
        findings=issues + problems,
        reason="; ".join(reasons) or None,
        metrics={"nosec": nosec, "files": float(len(files))},
    )


def is_test_file(name: str) -> bool:
    """Whether the project-relative POSIX path `name` is test code."""
    path = PurePosixPath(name)
    filename = path.name
    return (
        any(part in _TEST_DIRS for part in path.parts[:-1])
        or filename == "conftest.py"
        or filename.startswith("test_")
        or filename.endswith("_test.py")
    )


def _issue(project: Path, result: Mapping[str, Any]) -> report.Finding:
    return report.Finding(
        file=gate.relative(result["filename"], project),
        line=int(result["line_number"]),
        code=str(result["test_id"]),
        message=str(result["issue_text"]),
        severity=str(result["issue_severity"]).lower(),
    )


def _error(project: Path, error: Mapping[str, Any]) -> report.Finding:
    return report.Finding(
        file=gate.relative(error["filename"], project),
        line=0,
        code="bandit-error",
        message=str(error.get("reason", "")),
        severity="high",
    )
