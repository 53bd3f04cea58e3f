"""The run as JSON (`kodegen generate -o json`, `kodegen validate -o json`): one object on
stdout whose keys are stable, so scripts and CI can read it.

    result       "passed" | "gates failed" (generate), "valid" (validate), "error" (any refusal)
    exitCode     the command's exit code
    name         metadata.name of the CodeGeneration
    template     {name, family, version, digest}
    gates        [{name, passed, seconds, reason, findings}]   findings: how many
    files        files written, provenance included;  lines;  coverage (percent or null)
    operations   {implemented, total, notImplemented: [{operationId, method, path, reason}]}
    specGaps     what the spec leaves undocumented that the service had to answer (only when
                 the pipeline reports some)
    outputs      {directory}
    provenance   {path, digest (sha256 of the statement file), specDigest}
    timings      {stage: seconds};  seconds: their sum
    ai           what AI did (provider, model, tokens, cost, attempts), only for AI runs
    isolation    how the gates contained the generated code
    error        the one-line message (result "error" only)
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from kodegen import errors, provenance
from kodegen.pipeline import generate, stages

__all__ = ["dump", "failure", "of_run", "of_validation", "operations"]


def of_run(result: generate.Result, outputs: dict[str, Any], code: int) -> dict[str, Any]:
    """The summary of `kodegen generate` that wrote `result` where `outputs` says
    (`{"directory": "out/x"}`, or `{"git": {...}}`)."""
    prepared = result.prepared
    implemented, total = operations(prepared)
    statement = result.files.get(provenance.PATH, b"")
    summary: dict[str, Any] = {
        "result": "passed" if result.passed else "gates failed",
        "exitCode": code,
        "name": prepared.manifest.metadata.name,
        "template": _template(prepared),
        "gates": [
            {
                "name": gate.name,
                "passed": gate.passed,
                "seconds": round(gate.duration_seconds, 3),
                "reason": gate.reason,
                "findings": len(gate.findings),
            }
            for gate in result.gates
        ],
        "files": result.counts.files,
        "lines": result.counts.lines,
        "coverage": result.counts.coverage,
        "operations": {
            "implemented": implemented,
            "total": total,
            "notImplemented": [_operation(op) for op in result.not_implemented],
        },
    }
    gaps = _spec_gaps(result, statement)
    if gaps:
        summary["specGaps"] = gaps
    summary["outputs"] = outputs
    summary["provenance"] = {
        "path": provenance.PATH,
        "digest": "sha256:" + hashlib.sha256(statement).hexdigest(),
        "specDigest": prepared.spec.digest,
    }
    summary["timings"] = {stage: round(seconds, 3) for stage, seconds in result.timings.items()}
    summary["seconds"] = round(sum(result.timings.values()), 3)
    if result.ai is not None:
        summary["ai"] = result.ai.to_dict()
    if result.isolation is not None:
        summary["isolation"] = dict(result.isolation)
    return summary


def of_validation(prepared: stages.Prepared) -> dict[str, Any]:
    """The summary of `kodegen validate`: what a run would generate from."""
    implemented, total = operations(prepared)
    return {
        "result": "valid",
        "exitCode": int(errors.ExitCode.OK),
        "name": prepared.manifest.metadata.name,
        "template": _template(prepared),
        "operations": {
            "implemented": implemented,
            "total": total,
            "notImplemented": [_operation(op) for op in prepared.plan.not_implemented],
        },
        "provenance": {"specDigest": prepared.spec.digest},
        "timings": {stage: round(seconds, 3) for stage, seconds in prepared.timings.items()},
    }


def failure(message: str, code: int) -> dict[str, Any]:
    """The summary of a command that stopped: its one-line error and exit code."""
    return {"result": "error", "exitCode": code, "error": " ".join(message.split())}


def dump(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=2, ensure_ascii=False) + "\n"


def operations(prepared: stages.Prepared) -> tuple[int, int]:
    """(implemented, total) operations of the plan: the planned ones (OpenAPI operations or
    GraphQL root fields, the manifest's subset when it names one) less the not-implemented.
    A models-only template plans none."""
    planned = prepared.plan.context.get("operations")
    if planned is None:
        roots = getattr(prepared.spec, "roots", None)
        planned = roots if roots is not None else ()
    total = len(planned)
    # what is not implemented beyond the operations is no operation: a GraphQL object field
    # with arguments, a callback (an operation the client serves)
    missing = [op for op in prepared.plan.not_implemented if op.method not in ("field", "callback")]
    return max(0, total - len(missing)), total


def _template(prepared: stages.Prepared) -> dict[str, str]:
    template = prepared.template
    return {
        "name": template.name,
        "family": template.spec.family,
        "version": template.spec.version,
        "digest": template.digest,
    }


def _operation(op: Any) -> dict[str, str]:
    return {
        "operationId": op.operation_id,
        "method": op.method,
        "path": op.path,
        "reason": op.reason,
    }


def _spec_gaps(result: generate.Result, statement: bytes) -> list[Any]:
    """The spec gaps of the run: the result's own, else the provenance's `specGaps`."""
    gaps = getattr(result, "spec_gaps", None)
    if gaps:
        return [gap.to_dict() if hasattr(gap, "to_dict") else gap for gap in gaps]
    try:
        predicate = json.loads(statement or b"{}").get("predicate", {})
    except (ValueError, AttributeError):
        return []
    found = predicate.get("specGaps") if isinstance(predicate, dict) else None
    return list(found) if isinstance(found, list) else []
