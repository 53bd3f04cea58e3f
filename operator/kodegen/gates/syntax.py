"""The syntax gate: every `.py` file of the project compiles.

Compiling happens in a sandboxed subprocess too: a pathological file (deep nesting, a huge
literal) may exhaust the compiler, and that must fail this gate, not kodegen.
"""

from __future__ import annotations

from pathlib import Path

from kodegen.gates import config as config_
from kodegen.gates import gate, report

__all__ = ["NAME", "run"]

NAME = "syntax"

# Compiles the files named on the command line; prints [[file, line, kind, message], ...] as JSON.
_COMPILER = """
import json, sys
found = []
for path in sys.argv[1:]:
    try:
        with open(path, "rb") as file:
            compile(file.read(), path, "exec", dont_inherit=True)
    except SyntaxError as exc:
        found.append([path, exc.lineno or 0, type(exc).__name__, exc.msg])
    except (ValueError, UnicodeError) as exc:
        found.append([path, 0, type(exc).__name__, str(exc)])
print(json.dumps(found))
"""


@gate.gate(NAME)
async def run(project: Path, config: config_.GateConfig) -> report.GateReport:
    files = [gate.relative(path, project) for path in gate.python_files(project)]
    if not files:
        return report.GateReport(name=NAME, passed=True, counts={"files": 0, "errors": 0})
    outcome = await gate.tool(
        NAME, gate.python("-I", "-B", "-c", _COMPILER, *files), cwd=project, config=config
    )
    rows = gate.parse_json(NAME, "the compiler's output", outcome.stdout, outcome)
    try:
        findings = tuple(
            report.Finding(
                file=gate.relative(str(path), project),
                line=int(line),
                code=str(kind),
                message=str(message),
                severity="high",
            )
            for path, line, kind, message in rows
        )
    except (TypeError, ValueError) as exc:
        raise gate.unparseable(NAME, "the compiler's output", exc, outcome) from exc
    return report.GateReport(
        name=NAME,
        passed=not findings,
        counts={"files": len(files), "errors": len(findings)},
        findings=findings,
        reason=f"{len(findings)} syntax error(s)" if findings else None,
    )
