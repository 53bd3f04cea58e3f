"""The contract gate: the app honours its source OpenAPI document under schemathesis.

The app is called in-process (ASGI, no server, no port) against `GateConfig.openapi`, the
specification the project was generated from, not the schema the framework derives from the
code: a route that drifted from the specification fails here even if it documents itself
faithfully. Valid requests only, `GateConfig.max_examples` per operation (fewer for a large
API: `GateConfig.max_cases` in all, `contract_min_examples` at least), derandomized; the
checks are schemathesis' response checks: `not_a_server_error`, `status_code_conformance`,
`content_type_conformance`, `response_schema_conformance`, `response_headers_conformance`.
The work happens in `_contract_probe.py`, run in the sandbox; zero failures are required.
The one exception is `GateConfig.spec_gaps`: an answer the generator reported as a spec gap
(that status, for that operation, which documents none for the case) is not an undocumented
status code; every other check still applies to it.
A GraphQL service (`GateConfig.graphql` set) is judged by `graphql_contract` instead.
"""

from __future__ import annotations

import importlib.resources
import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kodegen.gates import config as config_
from kodegen.gates import gate, graphql_contract, report, sandbox, unicode_cache

__all__ = ["NAME", "run"]

NAME = "contract"


@gate.gate(NAME)
async def run(project: Path, config: config_.GateConfig) -> report.GateReport:
    if config.contract and config.app is not None and config.graphql is not None:
        return await graphql_contract.check(NAME, project, config.app, config.graphql, config)
    if not config.contract or config.app is None or config.openapi is None:
        return report.GateReport(name=NAME, passed=True, reason=config.contract_skipped())
    spec = config.openapi
    if not (project / spec).is_file():
        return report.GateReport.failure(
            NAME,
            reason=f"the OpenAPI document {spec!r} is not in the project; check GateConfig.openapi",
        )
    probe = importlib.resources.files("kodegen.gates").joinpath("_contract_probe.py").read_text()
    with tempfile.TemporaryDirectory(prefix="kodegen-contract-") as scratch:
        script, result = Path(scratch, "contract_probe.py"), Path(scratch, "result.json")
        script.write_text(probe, encoding="utf-8")
        gaps = Path(scratch, "spec_gaps.json")
        gaps.write_text(json.dumps(_gaps(config.spec_gaps)), encoding="utf-8")
        storage = Path(scratch, "hypothesis")
        await unicode_cache.seed(storage, build_if_missing=True)
        argv = gate.project_python(
            config,
            str(script),
            spec,
            config.app,
            f"{config.max_examples},{config.max_cases},{config.contract_min_examples}",
            str(result),
            str(gaps),
        )
        env = {unicode_cache.ENV: str(storage)}
        outcome = await gate.tool(
            NAME,
            argv,
            cwd=project,
            config=config,
            env=env,
            writable=[Path(scratch)],
            runs_generated_code=True,
        )
        if not result.is_file():
            raise gate.unparseable(NAME, "the contract probe's result", "no result file", outcome)
        data = gate.parse_json(
            NAME, "the contract probe's result", result.read_text("utf-8"), outcome
        )
    return _report(spec, data, outcome)


def _gaps(spec_gaps: tuple[tuple[str, str, int], ...]) -> dict[str, list[int]]:
    """`{"GET /pets/{petId}": [404]}`: the statuses accepted per operation label."""
    accepted: dict[str, set[int]] = {}
    for method, path, status in spec_gaps:
        accepted.setdefault(f"{method.upper()} {path}", set()).add(status)
    return {label: sorted(statuses) for label, statuses in sorted(accepted.items())}


def _report(spec: str, data: Mapping[str, Any], outcome: sandbox.Outcome) -> report.GateReport:
    try:
        if data["fatal"]:
            return report.GateReport.failure(
                NAME, reason=f"could not load the app or {spec}: {data['fatal']}"
            )
        failures = tuple(_failure(spec, failure) for failure in data["failures"])
        problems = tuple(_error(spec, error) for error in data["errors"])
        operations, cases = int(data["operations"]), int(data["cases"])
    except (KeyError, TypeError, ValueError) as exc:
        raise gate.unparseable(NAME, "the contract probe's result", repr(exc), outcome) from exc
    reasons = []
    if failures:
        reasons.append(f"{len(failures)} contract failure(s)")
    if problems:
        reasons.append(f"{len(problems)} operation(s) could not be tested")
    return report.GateReport(
        name=NAME,
        passed=not reasons,
        counts={
            "operations": operations,
            "cases": cases,
            "failures": len(failures),
            "errors": len(problems),
        },
        findings=failures + problems,
        reason="; ".join(reasons) or None,
    )


def _failure(spec: str, failure: Mapping[str, Any]) -> report.Finding:
    detail = " ".join(str(failure["message"]).split())
    message = f"{failure['operation']}: {failure['title']}" + (f": {detail}" if detail else "")
    return report.Finding(
        file=spec,
        line=0,
        code=str(failure["check"]),
        message=message,
        severity=str(failure["severity"]),
    )


def _error(spec: str, error: Mapping[str, Any]) -> report.Finding:
    return report.Finding(
        file=spec,
        line=0,
        code="untestable",
        message=f"{error['operation']}: {error['message']}",
        severity="high",
    )
