"""What every gate shares: the `gate` decorator, running a tool, reading its output.

A gate is `async def run(project: Path, config: GateConfig) -> GateReport`, decorated with
`@gate.gate("name")`. Inside, anything that keeps the gate from judging (a tool that timed out,
was killed, or printed what cannot be parsed) raises `GateError`; the decorator turns it into a
failed report with that reason, times the gate, and records how the sandbox contained it
(metrics `network_isolated`, `contained`). So a gate never raises, and one gate's trouble never
reaches another. A tool that runs generated code says so (`tool(..., runs_generated_code=True)`)
and is refused under `GateConfig.isolation == "required"` where the sandbox cannot contain it.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from kodegen import errors
from kodegen.gates import config as config_
from kodegen.gates import isolation, report, sandbox

__all__ = [
    "GateFunction",
    "all_files",
    "gate",
    "parse_json",
    "project_python",
    "python",
    "python_files",
    "relative",
    "static_tool",
    "tool",
    "unparseable",
]

GateFunction = Callable[[Path, config_.GateConfig], Awaitable[report.GateReport]]

SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        "__pycache__",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        ".hypothesis",
        ".tox",
        ".nox",
    }
)
"""Folders that hold no source of the project: version control, caches, virtual environments."""

_TAIL = 400


def gate(name: str) -> Callable[[GateFunction], GateFunction]:
    """Make a gate function total: it returns a report, timed, whatever happens inside."""

    def decorate(func: GateFunction) -> GateFunction:
        @functools.wraps(func)
        async def wrapper(project: Path, config: config_.GateConfig) -> report.GateReport:
            started = time.perf_counter()
            try:
                result = await func(project.resolve(), config)
            except errors.GateError as exc:
                result = report.GateReport.failure(name, reason=exc.reason)
            except Exception as exc:  # a bug in one gate must fail that gate, not the whole run
                reason = f"internal error in the {name} gate: {type(exc).__name__}: {exc}"
                result = report.GateReport.failure(name, reason=reason)
            contained = isolation.probe()
            isolated = contained.namespaces != "none"
            return report.GateReport(
                name=result.name,
                passed=result.passed,
                counts=result.counts,
                findings=result.findings,
                duration_seconds=time.perf_counter() - started,
                reason=result.reason,
                metrics={
                    **result.metrics,
                    "network_isolated": float(isolated),
                    "contained": float(contained.contained),
                },
            )

        return wrapper

    return decorate


async def tool(
    name: str,
    argv: Sequence[str],
    *,
    cwd: Path,
    config: config_.GateConfig,
    env: Mapping[str, str] | None = None,
    writable: Sequence[Path] = (),
    readable: Sequence[Path] = (),
    runs_generated_code: bool = False,
) -> sandbox.Outcome:
    """Run one tool of gate `name` in the sandbox; raise `GateError` if it did not end by itself.

    `runs_generated_code`: the tool imports or executes the project (pytest, the contract
    probes), so under `GateConfig.isolation == "required"` it runs only fully contained, and
    `GateError` names what is missing otherwise; it runs with `project_python` and sees the
    folders of that environment (or fails with the reason it could not be made). Static tools
    (ruff, bandit) only read the project.
    """
    if runs_generated_code:
        if config.interpreter.problem is not None:
            raise errors.GateError(gate=name, reason=config.interpreter.problem)
        if config.isolation == "required":
            contained = isolation.probe()
            if not contained.contained:
                raise errors.GateError(gate=name, reason=contained.refusal())
        readable = [*readable, *config.interpreter.readable]
    try:
        outcome = await sandbox.run(
            argv,
            cwd=cwd,
            timeout=config.timeout_seconds,
            memory_mb=config.memory_mb,
            env=env,
            writable=writable,
            readable=readable,
        )
    except OSError as exc:
        raise errors.GateError(gate=name, reason=f"could not start {argv[0]}: {exc}") from exc
    reason = sandbox.abnormal_exit(
        outcome, timeout=config.timeout_seconds, memory_mb=config.memory_mb
    )
    if reason is not None:
        raise errors.GateError(gate=name, reason=reason)
    return outcome


def parse_json(name: str, what: str, text: str, outcome: sandbox.Outcome) -> Any:
    """`text` as JSON, or `GateError` saying what could not be parsed and what the tool said."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise unparseable(name, what, exc, outcome) from exc


def unparseable(
    name: str, what: str, problem: object, outcome: sandbox.Outcome
) -> errors.GateError:
    """The error of gate `name` whose tool printed something it cannot read (raise it)."""
    said = (outcome.stderr.strip() or outcome.stdout.strip())[-_TAIL:]
    reason = (
        f"could not parse {what}: {problem} (exit status {outcome.returncode}; output: {said!r})"
    )
    return errors.GateError(gate=name, reason=reason)


def python(*args: str) -> list[str]:
    """A command running this very interpreter, so tools come from kodegen's own environment."""
    return [sys.executable, *args]


def project_python(config: config_.GateConfig, *args: str) -> list[str]:
    """A command running the interpreter of the project's environment (`GateConfig.interpreter`):
    for tools that import the project (pass `runs_generated_code=True` to `tool`)."""
    return [config.interpreter.python, *args]


def static_tool(module: str, *args: str) -> list[str]:
    """`python -I -B -m module ...`: a tool that reads the project but must not run any of it.

    Isolated mode keeps the project off `sys.path`, so neither a project file named like the
    tool (`bandit.py`) nor a `sitecustomize.py` of the project is imported by the tool.
    """
    return python("-I", "-B", "-m", module, *args)


def python_files(project: Path) -> list[Path]:
    """Every `.py` file of the project, sorted, outside `SKIPPED_DIRS`."""
    return sorted(path for path in _walk(project) if path.suffix == ".py")


def all_files(project: Path) -> list[Path]:
    """Every regular file of the project (not links), sorted, outside `SKIPPED_DIRS`."""
    return sorted(_walk(project))


def relative(path: str | Path, project: Path) -> str:
    """`path` (absolute, or relative to the project) as a POSIX path relative to the project."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(project)
        except ValueError:
            candidate = Path(os.path.relpath(candidate, project))
    return candidate.as_posix().removeprefix("./")


def _walk(project: Path) -> Iterator[Path]:
    for folder, dirnames, filenames in os.walk(project):
        dirnames[:] = sorted(name for name in dirnames if name not in SKIPPED_DIRS)
        for filename in filenames:
            path = Path(folder, filename)
            if path.is_file() and not path.is_symlink():
                yield path
