"""Run every quality gate over a project, concurrently, and collect their reports.

The project is first copied into a fresh temporary folder (version control data and caches
left out), and each gate gets its own copy of that snapshot: gates run the project's code,
which may write files, and neither the output folder nor another gate may see what it wrote.
Reports come back in a fixed order (`GATES`) whatever order the gates finish in; a gate that
fails to run fails alone, with a reason, and `run_gates` itself never raises for it.

The gates that only read the project (`STATIC`) start at once; the others run its code, and
start when the Python environment for it is ready (`environment.prepare`: kodegen's own when
that has every package the project declares, else a cached virtualenv, built the first time).
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from kodegen.gates import config as config_
from kodegen.gates import (
    contract,
    environment,
    gate,
    isolation,
    report,
    secrets,
    security,
    style,
    syntax,
    tests,
)

__all__ = [
    "GATES",
    "STATIC",
    "Progress",
    "isolation_record",
    "policy",
    "run_all",
    "run_gates",
]

GATES: tuple[tuple[str, gate.GateFunction], ...] = (
    (syntax.NAME, syntax.run),
    (style.NAME, style.run),
    (security.NAME, security.run),
    (secrets.NAME, secrets.run),
    (tests.NAME, tests.run),
    (contract.NAME, contract.run),
)
"""Every gate, in the order of the reports."""

STATIC = frozenset({syntax.NAME, style.NAME, security.NAME, secrets.NAME})
"""The gates that only read the project: they need not wait for its Python environment."""

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
        interpreter = asyncio.ensure_future(_interpreter(snapshot))

        async def one(name: str, function: gate.GateFunction, folder: Path) -> report.GateReport:
            settings = config
            if name not in STATIC:
                settings = dataclasses.replace(config, interpreter=await interpreter)
            result = await function(folder, settings)
            _notify(progress, result)
            return result

        try:
            results = await asyncio.gather(
                *(
                    one(name, function, folder)
                    for (name, function), folder in zip(gates, folders, strict=True)
                )
            )
        finally:
            await interpreter  # a thread: let it finish before the snapshot is removed
    return tuple(results)


def run_all(
    project: Path, config: config_.GateConfig, *, progress: Progress | None = None
) -> tuple[report.GateReport, ...]:
    """`run_gates` for synchronous callers (the CLI, the Job): runs its own event loop."""
    return asyncio.run(run_gates(project, config, progress=progress))


async def _interpreter(project: Path) -> environment.Environment:
    """`environment.prepare`, total: a bug there fails the gates that run code, with a reason
    (as the `gate` decorator does for a bug in one gate), never the run."""
    try:
        return await environment.prepare(project)
    except Exception as exc:
        return environment.Environment.unavailable(f"internal error: {type(exc).__name__}: {exc}")


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
