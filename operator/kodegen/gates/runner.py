"""Run every quality gate over a project, concurrently, and collect their reports.

The project is first copied into a fresh temporary folder (version control data and caches
left out), and each gate gets its own copy of that snapshot: gates run the project's code,
which may write files, and neither the output folder nor another gate may see what it wrote.
Reports come back in a fixed order (`GATES`) whatever order the gates finish in; a gate that
fails to run fails alone, with a reason, and `run_gates` itself never raises for it.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kodegen.gates import config as config_
from kodegen.gates import (
    contract,
    gate,
    isolation,
    report,
    secrets,
    security,
    style,
    syntax,
    tests,
)

__all__ = ["GATES", "Progress", "isolation_record", "policy", "run_all", "run_gates"]

GATES: tuple[tuple[str, gate.GateFunction], ...] = (
    (syntax.NAME, syntax.run),
    (style.NAME, style.run),
    (security.NAME, security.run),
    (secrets.NAME, secrets.run),
    (tests.NAME, tests.run),
    (contract.NAME, contract.run),
)
"""Every gate, in the order of the reports."""

Progress = Callable[[str, report.GateReport], None]
"""Called with a gate's name and report as soon as that gate finishes (the CLI's live display)."""


async def run_gates(
    project: Path,
    config: config_.GateConfig,
    *,
    progress: Progress | None = None,
    gates: Sequence[tuple[str, gate.GateFunction]] = GATES,
) -> tuple[report.GateReport, ...]:
    """Judge `project` with every gate at once; the project folder itself is never written to."""
    with tempfile.TemporaryDirectory(
        prefix="kodegen-gates-", ignore_cleanup_errors=True
    ) as scratch:
        snapshot = Path(scratch, "snapshot")
        try:
            _copy(project, snapshot)
            folders = [Path(scratch, name) for name, _ in gates]
            for folder in folders:
                _copy(snapshot, folder)
        except OSError as exc:
            reason = f"could not copy the project {str(project)!r}: {exc}"
            failed = tuple(report.GateReport.failure(name, reason=reason) for name, _ in gates)
            for failure in failed:
                _notify(progress, failure)
            return failed

        isolation.probe()  # probed once here, not by six gates at once

        async def one(function: gate.GateFunction, folder: Path) -> report.GateReport:
            result = await function(folder, config)
            _notify(progress, result)
            return result

        results = await asyncio.gather(
            *(one(function, folder) for (_, function), folder in zip(gates, folders, strict=True))
        )
    return tuple(results)


def run_all(
    project: Path, config: config_.GateConfig, *, progress: Progress | None = None
) -> tuple[report.GateReport, ...]:
    """`run_gates` for synchronous callers (the CLI, the Job): runs its own event loop."""
    return asyncio.run(run_gates(project, config, progress=progress))


def _copy(source: Path, target: Path) -> None:
    # Links are copied as links, not followed: a link to a file outside the project must not
    # bring that file's content into the sandbox (the gates skip links when they list files).
    shutil.copytree(
        source,
        target,
        symlinks=True,
        ignore=shutil.ignore_patterns(*gate.SKIPPED_DIRS),
    )


def _notify(progress: Progress | None, result: report.GateReport) -> None:
    if progress is not None:
        progress(result.name, result)


def policy(wanted: str | None) -> isolation.Policy:
    """The isolation policy of a run: `qualityGates.isolation`, else the process default."""
    for known in isolation.POLICIES:
        if wanted == known:
            return known
    return isolation.default_policy()


def isolation_record(chosen: isolation.Policy) -> dict[str, Any]:
    """How generated code was contained, for the summary and the provenance: the policy and
    what this machine allowed (`isolation.Isolation.to_dict()`)."""
    return {"policy": chosen, **isolation.probe().to_dict()}
