"""The secrets gate: detect-secrets finds nothing in any file of the project.

Every file is scanned, not only Python (a key in `README.md` or `.github/` leaks as well); the
files are named one by one because detect-secrets otherwise asks git which files exist, and a
generated project is not a git checkout. `--no-verify`: nothing is sent anywhere to check
whether a secret is live. One finding fails the gate; a line that is a deliberate false
positive can carry detect-secrets' `# pragma: allowlist secret` marker.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kodegen.gates import config as config_
from kodegen.gates import gate, report

__all__ = ["NAME", "run"]

NAME = "secrets"


@gate.gate(NAME)
async def run(project: Path, config: config_.GateConfig) -> report.GateReport:
    files = [gate.relative(path, project) for path in gate.all_files(project)]
    if not files:
        return report.GateReport(name=NAME, passed=True, counts={"secrets": 0})
    argv = gate.static_tool("detect_secrets", "scan", "--no-verify", *files)
    outcome = await gate.tool(NAME, argv, cwd=project, config=config)
    if outcome.returncode != 0:
        raise gate.unparseable(NAME, "detect-secrets output", "unexpected exit status", outcome)
    data = gate.parse_json(NAME, "detect-secrets output", outcome.stdout, outcome)
    try:
        findings = tuple(
            _finding(project, secret) for secrets in data["results"].values() for secret in secrets
        )
    except (AttributeError, KeyError, TypeError, ValueError) as exc:
        raise gate.unparseable(NAME, "detect-secrets output", repr(exc), outcome) from exc
    return report.GateReport(
        name=NAME,
        passed=not findings,
        counts={"secrets": len(findings)},
        findings=findings,
        reason=f"{len(findings)} potential secret(s)" if findings else None,
        metrics={"files": float(len(files))},
    )


def _finding(project: Path, secret: Mapping[str, Any]) -> report.Finding:
    kind = str(secret["type"])
    return report.Finding(
        file=gate.relative(secret["filename"], project),
        line=int(secret["line_number"]),
        code=kind,
        # Neither the value nor detect-secrets' SHA-1 of it: a weak password is found from its hash.
        message=f"potential {kind}; the value is not reported",
        severity="high",
    )
