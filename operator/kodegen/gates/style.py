"""The style gate: `ruff check` finds nothing and `ruff format --check` would change nothing.

The project's own ruff configuration (`ruff.toml`, `.ruff.toml`, or `[tool.ruff]` in
`pyproject.toml`) applies when it has one; otherwise ruff's defaults, with `--isolated` so that
no configuration of a parent folder or of the user is picked up by accident.
"""

from __future__ import annotations

import asyncio
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kodegen.gates import config as config_
from kodegen.gates import gate, report, sandbox

__all__ = ["NAME", "run"]

NAME = "style"


@gate.gate(NAME)
async def run(project: Path, config: config_.GateConfig) -> report.GateReport:
    options = ["--no-cache", "--output-format", "json"]
    if not has_ruff_config(project):
        options.append("--isolated")
    lint, layout = await asyncio.gather(
        gate.tool(
            NAME, gate.static_tool("ruff", "check", *options, "."), cwd=project, config=config
        ),
        gate.tool(
            NAME,
            gate.static_tool("ruff", "format", "--check", *options, "."),
            cwd=project,
            config=config,
        ),
    )
    lint_findings = _findings(project, "ruff check", lint, ok_codes=(0, 1))
    # `ruff format` exits 2 when a file does not parse; `ruff check` reported that already.
    format_findings = tuple(
        finding
        for finding in _findings(project, "ruff format", layout, ok_codes=(0, 1, 2))
        if finding.code != "invalid-syntax"
    )
    findings = lint_findings + format_findings
    return report.GateReport(
        name=NAME,
        passed=not findings,
        counts={"lint": len(lint_findings), "format": len(format_findings)},
        findings=findings,
        reason=_summary(len(lint_findings), len(format_findings)),
    )


def has_ruff_config(project: Path) -> bool:
    """Whether the project configures ruff itself (ruff would then use that configuration)."""
    if (project / "ruff.toml").is_file() or (project / ".ruff.toml").is_file():
        return True
    try:
        pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    except (OSError, UnicodeError, tomllib.TOMLDecodeError):
        return False
    tool = pyproject.get("tool")
    return isinstance(tool, Mapping) and "ruff" in tool


def _findings(
    project: Path, what: str, outcome: sandbox.Outcome, *, ok_codes: tuple[int, ...]
) -> tuple[report.Finding, ...]:
    if outcome.returncode not in ok_codes:
        raise gate.unparseable(NAME, f"{what} output", "unexpected exit status", outcome)
    diagnostics = gate.parse_json(NAME, f"{what} output", outcome.stdout or "[]", outcome)
    try:
        return tuple(_finding(project, diagnostic) for diagnostic in diagnostics)
    except (KeyError, TypeError, ValueError) as exc:
        raise gate.unparseable(NAME, f"{what} output", repr(exc), outcome) from exc


def _finding(project: Path, diagnostic: Mapping[str, Any]) -> report.Finding:
    location = diagnostic.get("location") or {}
    return report.Finding(
        file=gate.relative(diagnostic["filename"], project),
        line=int(location.get("row") or 0),
        code=str(diagnostic.get("code") or diagnostic.get("name") or "ruff"),
        message=str(diagnostic.get("message") or ""),
        severity="low",
    )


def _summary(lint: int, layout: int) -> str | None:
    parts = [
        f"{lint} lint finding(s)" if lint else "",
        f"{layout} unformatted file(s)" if layout else "",
    ]
    return ", ".join(part for part in parts if part) or None
