"""The contract gate for a GraphQL service: it serves the source schema and answers real queries.

The app (`GateConfig.app`, an ASGI application) is called in-process, in the sandbox, by
`_graphql_probe.py`:

1. its schema, read back by introspection over HTTP, must equal the source SDL
   (`GateConfig.graphql`): both are built with graphql-core, sorted
   (`lexicographic_sort_schema`) and printed, so the order of types, fields and arguments does
   not count but every name, type, argument, default, description and deprecation does;
2. every query and mutation field is called once, mutations first, with arguments built from
   the schema and a selection of its fields: the answer must be HTTP 200 with `data` and no
   errors, but a `NOT_FOUND` error (`extensions.code`), which is how the generated services
   answer an unknown id.
"""

from __future__ import annotations

import importlib.resources
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kodegen.gates import config as config_
from kodegen.gates import gate, report, sandbox

__all__ = ["check"]

SCHEMA_FILE = "schema.graphql"


async def check(
    name: str, project: Path, app: str, sdl: str, config: config_.GateConfig
) -> report.GateReport:
    """Run the probe against `app` of `project` and report as gate `name`."""
    probe = importlib.resources.files("kodegen.gates").joinpath("_graphql_probe.py").read_text()
    with tempfile.TemporaryDirectory(prefix="kodegen-graphql-") as scratch:
        script, result = Path(scratch, "graphql_probe.py"), Path(scratch, "result.json")
        schema = Path(scratch, SCHEMA_FILE)
        script.write_text(probe, encoding="utf-8")
        schema.write_text(sdl, encoding="utf-8")
        argv = gate.project_python(config, str(script), str(schema), app, str(result))
        outcome = await gate.tool(
            name,
            argv,
            cwd=project,
            config=config,
            writable=[Path(scratch)],
            runs_generated_code=True,
        )
        if not result.is_file():
            raise gate.unparseable(name, "the GraphQL probe's result", "no result file", outcome)
        data = gate.parse_json(
            name, "the GraphQL probe's result", result.read_text("utf-8"), outcome
        )
    return _report(name, data, outcome)


def _report(name: str, data: Mapping[str, Any], outcome: sandbox.Outcome) -> report.GateReport:
    try:
        if data["fatal"]:
            return report.GateReport.failure(
                name, reason=f"could not load the app or its schema: {data['fatal']}"
            )
        differences = [str(line) for line in data["differences"]]
        failures = tuple(
            report.Finding(
                file=SCHEMA_FILE,
                line=0,
                code="graphql_error",
                message=f"{failure['operation']}: {failure['message']}",
                severity="high",
            )
            for failure in data["failures"]
        )
        operations, cases = int(data["operations"]), int(data["cases"])
    except (KeyError, TypeError, ValueError) as exc:
        raise gate.unparseable(name, "the GraphQL probe's result", repr(exc), outcome) from exc
    findings = failures
    reasons = []
    if differences:
        diff = " | ".join(differences[:12])
        schema_finding = report.Finding(
            file=SCHEMA_FILE,
            line=0,
            code="schema_mismatch",
            message=f"the served schema differs from the specification: {diff}",
            severity="high",
        )
        findings = (schema_finding, *failures)
        reasons.append("the served schema differs from the specification")
    if failures:
        reasons.append(f"{len(failures)} operation(s) answered with errors")
    return report.GateReport(
        name=name,
        passed=not reasons,
        counts={
            "operations": operations,
            "cases": cases,
            "failures": len(findings),
            "errors": 0,
        },
        findings=findings,
        reason="; ".join(reasons) or None,
    )
