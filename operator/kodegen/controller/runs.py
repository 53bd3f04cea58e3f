"""The two documents a run exchanges: the frozen request, and its outcome.

    Request  what to generate: the CodeGeneration (its specification resolved to an inline
             document), the template version it resolved to, the input hash. Written by the
             operator to ConfigMap `<name>-request-<hash8>` before the Job starts, so the Job
             runs exactly what was admitted, however the resource changes meanwhile.
    Outcome  how the run ended: phase, reason, figures, gate reports, where the code went and
             its provenance. Written by the Job to ConfigMap `<name>-result-<hash8>`.

Neither ever holds a secret: AI keys and Git credentials reach the Job as `secretKeyRef`
environment variables, and only the references are part of the spec.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal

import pydantic

from kodegen import errors
from kodegen.api import base, codegeneration, codegeneration_status, codetemplate
from kodegen.controller import names

__all__ = ["GATE_FINDINGS_KEPT", "Outcome", "Request", "TemplateOutcome", "TemplateRequest"]

REQUEST_KEY = "request.json"
OUTCOME_KEY = "outcome.json"
PROVENANCE_KEY = "provenance.json"

GATE_FINDINGS_KEPT = 20
"""Findings kept per gate in an outcome (all of them are in the provenance)."""

Reason = Literal[
    "Succeeded",
    "QualityGatesFailed",
    "InvalidInput",
    "LeakedKey",
    "PublishFailed",
    "Error",
    # a Git output failed: errors.GitError.KINDS' condition reasons
    "GitAuthFailed",
    "GitNonFastForward",
    "GitProtectedBranch",
    "GitUnreachable",
    "GitTimeout",
    "GitNotFound",
    "GitInvalid",
    "GitRejected",
    "ForgeFailed",
    "ForgeUnavailable",
]


@dataclasses.dataclass(frozen=True)
class Request:
    generation: codegeneration.CodeGeneration
    """The CodeGeneration as admitted, its specification inline."""
    uid: str
    """`metadata.uid` of the CodeGeneration: owner of everything the run creates."""
    template: codegeneration_status.ResolvedTemplate
    input_hash: str
    template_spec: codetemplate.CodeTemplateSpec | None = None
    """The template resource's spec, when the version is not builtin (with its files below):
    the Job renders exactly what the operator validated, whatever happens to the resource."""
    template_files: Mapping[str, str] | None = None

    @property
    def name(self) -> str:
        return self.generation.metadata.name

    @property
    def namespace(self) -> str:
        return self.generation.metadata.namespace or "default"

    @property
    def output_name(self) -> str:
        given = self.generation.spec.output.config_map
        return given.name if given else names.output(self.name)

    def owner(self) -> dict[str, Any]:
        """The ownerReference that makes every object of the run garbage with its resource."""
        return {
            "apiVersion": self.generation.api_version,
            "kind": self.generation.kind,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }

    def config_map(self) -> dict[str, Any]:
        document = {
            "generation": self.generation.model_dump(
                mode="json", by_alias=True, exclude={"status"}, exclude_none=True
            ),
            "uid": self.uid,
            "template": self.template.model_dump(mode="json", by_alias=True, exclude_none=True),
            "inputHash": self.input_hash,
        }
        if self.template_spec is not None:
            document["templateSpec"] = self.template_spec.model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
            document["templateFiles"] = dict(sorted((self.template_files or {}).items()))
        return _config_map(
            names.request(self.name, self.input_hash),
            self,
            "request",
            {REQUEST_KEY: _json(document)},
        )

    @classmethod
    def from_config_map(cls, body: Mapping[str, Any]) -> Request:
        with _reading(body, REQUEST_KEY, "request") as document:
            return cls(
                generation=codegeneration.CodeGeneration.model_validate(document["generation"]),
                uid=document["uid"],
                template=codegeneration_status.ResolvedTemplate.model_validate(
                    document["template"]
                ),
                input_hash=document["inputHash"],
                template_spec=codetemplate.CodeTemplateSpec.model_validate(document["templateSpec"])
                if "templateSpec" in document
                else None,
                template_files=document.get("templateFiles"),
            )


@dataclasses.dataclass(frozen=True)
class Outcome:
    input_hash: str
    phase: Literal["Succeeded", "Failed"]
    reason: Reason
    message: str
    finished_at: str
    """RFC 3339, UTC."""
    result: codegeneration_status.GenerationResult = dataclasses.field(
        default_factory=codegeneration_status.GenerationResult
    )
    gates: tuple[Mapping[str, Any], ...] = ()
    """Gate reports (`GateReport.to_dict()`), findings trimmed to `GATE_FINDINGS_KEPT`."""
    not_implemented: tuple[Mapping[str, Any], ...] = ()
    output: codegeneration_status.OutputStatus | None = None
    timings: Mapping[str, float] = dataclasses.field(default_factory=dict)
    """Seconds per pipeline stage, in stage order."""
    provenance: str = ""
    """`.kodegen/provenance.json` of the run, as written."""

    def config_map(self, request: Request) -> dict[str, Any]:
        document = {
            "inputHash": self.input_hash,
            "phase": self.phase,
            "reason": self.reason,
            "message": self.message,
            "finishedAt": self.finished_at,
            "result": self.result.model_dump(mode="json", by_alias=True, exclude_none=True),
            "gates": [_trimmed(gate) for gate in self.gates],
            "notImplemented": list(self.not_implemented),
            "timings": {stage: round(seconds, 3) for stage, seconds in self.timings.items()},
            "output": self.output.model_dump(mode="json", by_alias=True, exclude_none=True)
            if self.output
            else None,
        }
        data = {OUTCOME_KEY: _json(document)}
        if self.provenance:
            data[PROVENANCE_KEY] = self.provenance
        return _config_map(names.result(request.name, self.input_hash), request, "result", data)

    @classmethod
    def from_config_map(cls, body: Mapping[str, Any]) -> Outcome:
        data = body.get("data") or {}
        with _reading(body, OUTCOME_KEY, "outcome") as document:
            output = document.get("output")
            return cls(
                input_hash=document["inputHash"],
                phase=document["phase"],
                reason=document["reason"],
                message=document["message"],
                finished_at=document["finishedAt"],
                result=codegeneration_status.GenerationResult.model_validate(document["result"]),
                gates=tuple(document.get("gates", ())),
                not_implemented=tuple(document.get("notImplemented", ())),
                timings=dict(document.get("timings", {})),
                output=codegeneration_status.OutputStatus.model_validate(output)
                if output
                else None,
                provenance=data.get(PROVENANCE_KEY, ""),
            )

    def failed_gates(self) -> list[Mapping[str, Any]]:
        return [gate for gate in self.gates if not gate.get("passed")]


@contextlib.contextmanager
def _reading(body: Mapping[str, Any], key: str, what: str) -> Iterator[dict[str, Any]]:
    """The JSON document under `key` of a ConfigMap body; anything malformed in it (or in
    what the `with` block builds from it) is one `ManifestError` naming the ConfigMap."""
    where = f"configmap {body.get('metadata', {}).get('name')} {key}"
    try:
        yield json.loads((body.get("data") or {})[key])
    except (KeyError, TypeError, ValueError, pydantic.ValidationError) as exc:
        raise errors.ManifestError(field=where, reason=f"not a kodegen {what}: {exc}") from exc


def _trimmed(gate: Mapping[str, Any]) -> dict[str, Any]:
    findings: Sequence[Any] = gate.get("findings", ())
    kept = dict(gate)
    kept["findings"] = list(findings[:GATE_FINDINGS_KEPT])
    if len(findings) > GATE_FINDINGS_KEPT:
        kept["findingsOmitted"] = len(findings) - GATE_FINDINGS_KEPT
    return kept


def _json(document: Any) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, indent=1) + "\n"


def _config_map(name: str, request: Request, role: str, data: Mapping[str, str]) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": request.namespace,
            "labels": names.labels(request.name, request.input_hash, role),
            "ownerReferences": [request.owner()],
        },
        "data": dict(data),
    }


TEMPLATE_REQUEST_KEY = "template-request.json"
TEMPLATE_OUTCOME_KEY = "template-outcome.json"


@dataclasses.dataclass(frozen=True)
class TemplateRequest:
    """The tests of one template version, frozen for a Job (or the local pool)."""

    kind: str
    """CodeTemplate or ClusterCodeTemplate."""
    namespace: str | None
    """The template's namespace; None for a ClusterCodeTemplate."""
    name: str
    uid: str
    spec: codetemplate.CodeTemplateSpec
    files: Mapping[str, str]
    digest: str
    """The content digest under test."""
    job_namespace: str
    """Where the Job and its ConfigMaps live: the template's namespace, or the operator's."""

    def owner(self) -> dict[str, Any]:
        return {
            "apiVersion": base.API_VERSION,
            "kind": self.kind,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }

    def config_map(self) -> dict[str, Any]:
        document = {
            "kind": self.kind,
            "namespace": self.namespace,
            "name": self.name,
            "uid": self.uid,
            "spec": self.spec.model_dump(mode="json", by_alias=True, exclude_none=True),
            "files": dict(sorted(self.files.items())),
            "digest": self.digest,
            "jobNamespace": self.job_namespace,
        }
        return self._config_map(
            names.template_request(self.name, self.digest),
            "template-request",
            {TEMPLATE_REQUEST_KEY: _json(document)},
        )

    def _config_map(self, name: str, role: str, data: Mapping[str, str]) -> dict[str, Any]:
        return {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": name,
                "namespace": self.job_namespace,
                "labels": names.template_labels(self.kind, self.name, self.digest, role),
                "ownerReferences": [self.owner()],
            },
            "data": dict(data),
        }

    @classmethod
    def from_config_map(cls, body: Mapping[str, Any]) -> TemplateRequest:
        with _reading(body, TEMPLATE_REQUEST_KEY, "template request") as document:
            return cls(
                kind=document["kind"],
                namespace=document["namespace"],
                name=document["name"],
                uid=document["uid"],
                spec=codetemplate.CodeTemplateSpec.model_validate(document["spec"]),
                files=dict(document["files"]),
                digest=document["digest"],
                job_namespace=document["jobNamespace"],
            )


@dataclasses.dataclass(frozen=True)
class TemplateOutcome:
    digest: str
    results: tuple[codetemplate.TemplateTestResult, ...]
    problem: str | None
    """Why the tests could not run at all (no tests, a fixture that needs AI...)."""

    @property
    def passed(self) -> bool:
        return self.problem is None and bool(self.results) and all(r.passed for r in self.results)

    def config_map(self, request: TemplateRequest) -> dict[str, Any]:
        document = {
            "digest": self.digest,
            "problem": self.problem,
            "results": [
                r.model_dump(mode="json", by_alias=True, exclude_none=True) for r in self.results
            ],
        }
        return request._config_map(
            names.template_result(request.name, self.digest),
            "template-result",
            {TEMPLATE_OUTCOME_KEY: _json(document)},
        )

    @classmethod
    def from_config_map(cls, body: Mapping[str, Any]) -> TemplateOutcome:
        with _reading(body, TEMPLATE_OUTCOME_KEY, "template outcome") as document:
            return cls(
                digest=document["digest"],
                problem=document.get("problem"),
                results=tuple(
                    codetemplate.TemplateTestResult.model_validate(r) for r in document["results"]
                ),
            )
