"""What a quality gate reports: a verdict, counts, findings and metrics, as plain frozen values.

Reports are built by the gates and read by the pipeline (status, provenance) and the CLI. They
are normalised on construction (findings sorted, counts and metrics sorted by key) so that two
runs over the same project give equal reports apart from `duration_seconds`, and `to_dict()`
gives the same JSON byte for byte.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

__all__ = ["Finding", "GateReport"]


@dataclasses.dataclass(frozen=True, order=True)
class Finding:
    """One problem a gate found, at a place in the project."""

    file: str
    """Path relative to the project root, with `/` separators; `""` when no file applies."""

    line: int
    """1-based line number; 0 when the problem is not tied to a line."""

    code: str
    """The tool's identifier for the problem: `F401`, `B602`, `AWS Access Key`, a check name."""

    message: str
    """What is wrong, in the tool's words."""

    severity: str
    """`low`, `medium` or `high`."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "code": self.code,
            "message": self.message,
            "severity": self.severity,
        }


@dataclasses.dataclass(frozen=True)
class GateReport:
    """The verdict of one gate over one project."""

    name: str
    """The gate: `syntax`, `style`, `security`, `secrets`, `tests` or `contract`."""

    passed: bool
    """Whether the project may go on; a gate that could not run has not passed."""

    counts: Mapping[str, int] = dataclasses.field(default_factory=dict)
    """Tallies the gate defines, e.g. `{"high": 0, "medium": 1, "low": 3}` or test outcomes."""

    findings: tuple[Finding, ...] = ()
    """Every problem found, sorted by file, line and code."""

    duration_seconds: float = 0.0
    """Wall time of the gate, subprocesses included."""

    reason: str | None = None
    """Why the gate failed or did not run (`"timed out after 180 s"`, `"disabled"`); else None."""

    metrics: Mapping[str, float] = dataclasses.field(default_factory=dict)
    """Measurements, e.g. `coverage` (percent), `network_isolated` and `contained` (1.0 or 0.0:
    whether the gate sandbox had namespaces, and everything `isolation` asks for)."""

    def __post_init__(self) -> None:
        # Copied, so that mutating the caller's dict cannot change a frozen report; sorted.
        object.__setattr__(self, "counts", dict(sorted(self.counts.items())))
        object.__setattr__(self, "metrics", dict(sorted(self.metrics.items())))
        object.__setattr__(self, "findings", tuple(sorted(self.findings)))

    @classmethod
    def failure(
        cls,
        name: str,
        *,
        reason: str,
        findings: tuple[Finding, ...] = (),
        counts: Mapping[str, int] | None = None,
        metrics: Mapping[str, float] | None = None,
    ) -> GateReport:
        """A failed report with a reason: the gate could not judge, or judged and said no."""
        return cls(
            name=name,
            passed=False,
            counts=counts or {},
            findings=findings,
            reason=reason,
            metrics=metrics or {},
        )

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data: keys in field order, counts and metrics sorted by key."""
        return {
            "name": self.name,
            "passed": self.passed,
            "counts": dict(self.counts),
            "findings": [finding.to_dict() for finding in self.findings],
            "duration_seconds": round(self.duration_seconds, 3),
            "reason": self.reason,
            "metrics": dict(self.metrics),
        }
