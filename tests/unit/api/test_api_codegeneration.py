"""CodeGeneration accepts DESIGN.md and the names other modules rely on; it rejects mistakes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from kodegen.api import codegeneration, codegeneration_status

Doc = dict[str, Any]
MANIFESTS = Path(__file__).parent / "manifests"
SPECIFICATIONS: dict[str, Doc] = yaml.safe_load(
    (MANIFESTS / "specifications.yaml").read_text(encoding="utf-8")
)
AI_ON = {"mode": "assist", "providers": [{"provider": "openai", "model": "gpt-4o"}]}


def rejection(document: Doc, model: Any = codegeneration.CodeGeneration) -> str:
    """The message of the ValidationError `model` raises for `document`."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(document)
    return str(caught.value)


def test_accepts_the_design_code_generation(code_generation: Doc) -> None:
    generation = codegeneration.CodeGeneration.model_validate(code_generation)
    spec = generation.spec

    assert generation.api_version == "kodegen.dev/v1alpha1"
    assert generation.kind == "CodeGeneration"
    assert (generation.metadata.name, generation.metadata.namespace) == ("petstore-api", "team-a")
    assert spec.specification.type == "openapi"
    assert spec.specification.openapi is not None
    assert spec.specification.openapi.inline is not None
    assert spec.specification.openapi.inline["info"]["title"] == "Petstore"
    assert spec.specification.operations == ["listPets", "createPet"]
    assert (spec.template.family, spec.template.version) == ("python-fastapi-service", "^1.0")
    assert spec.template.scope == "Cluster"
    assert spec.variables == {"packageName": "petstore"}
    assert spec.preferences.test_framework == "pytest"
    assert spec.ai.mode == "off"
    assert spec.ai.providers[0].secret_ref is not None
    assert spec.ai.providers[0].secret_ref.key == "anthropic"
    assert spec.ai.providers[1].base_url == "http://ollama.ai:11434"
    assert (spec.ai.max_cost_usd, spec.ai.repair_attempts) == (2.0, 2)
    assert spec.quality_gates.min_coverage == 95
    assert spec.quality_gates.fail_on_severity == "medium"
    assert spec.quality_gates.contract is True
    assert spec.output.config_map is not None
    assert spec.output.config_map.name == "petstore-api-code"
    assert (spec.suspend, spec.regenerate) == (False, "")


def test_accepts_the_design_status(code_generation: Doc) -> None:
    status = codegeneration.CodeGeneration.model_validate(code_generation).status

    assert status.phase == "Succeeded"
    assert [c.type for c in status.conditions] == ["SpecValid", "Ready"]
    assert status.conditions[0].last_transition_time.isoformat() == "2025-01-02T03:04:05+00:00"
    assert status.observed_generation == 3
    assert status.resolved_template is not None
    assert status.resolved_template.version == "1.0.0"
    assert status.job is not None
    assert status.job.attempts == 1
    assert status.result is not None
    assert (status.result.coverage, status.result.provider, status.result.cost_usd) == (
        97.2,
        None,
        0,
    )
    assert status.result.findings == {"high": 0, "medium": 0}
    assert status.output is not None
    assert status.output.git is not None
    assert status.output.git.branch == "main"
    assert status.history[0].revision == 3


def test_defaults() -> None:
    spec = codegeneration.CodeGenerationSpec.model_validate(
        {
            "specification": SPECIFICATIONS["openapi-configmap"],
            "template": {"family": "python-fastapi-service"},
        }
    )

    assert spec.template.version == "*"
    assert spec.template.scope is None
    assert spec.variables == {}
    assert spec.ai.mode == "off"
    assert spec.ai.providers == []
    assert spec.quality_gates.min_coverage == 95.0
    assert spec.quality_gates.fail_on_severity == "medium"
    assert spec.quality_gates.contract is True
    assert (spec.output.config_map, spec.output.git) == (None, None)
    assert (spec.suspend, spec.regenerate) == (False, "")


def test_status_defaults_to_empty(code_generation: Doc) -> None:
    del code_generation["status"]

    status = codegeneration.CodeGeneration.model_validate(code_generation).status

    assert status == codegeneration_status.CodeGenerationStatus()
    assert status.phase is None
    assert status.history == []


def test_round_trips_by_alias(code_generation: Doc) -> None:
    generation = codegeneration.CodeGeneration.model_validate(code_generation)

    dumped = generation.model_dump(by_alias=True, exclude_unset=True, mode="json")

    assert dumped == code_generation
    assert codegeneration.CodeGeneration.model_validate(dumped) == generation


def test_fields_are_accepted_by_python_name() -> None:
    gates = codegeneration.QualityGates(
        min_coverage=80, fail_on_severity="high", contract=False, isolation="required"
    )
    ai = codegeneration.AISpec(max_cost_usd=1.5, repair_attempts=0)

    assert gates.model_dump(by_alias=True) == {
        "minCoverage": 80,
        "failOnSeverity": "high",
        "contract": False,
        "isolation": "required",
    }
    assert ai.model_dump(by_alias=True)["maxCostUSD"] == 1.5


@pytest.mark.parametrize("name", sorted(SPECIFICATIONS))
def test_accepts_every_kind_of_specification(generation_spec: Doc, name: str) -> None:
    generation_spec["specification"] = SPECIFICATIONS[name]
    generation_spec["ai"] = AI_ON

    spec = codegeneration.CodeGenerationSpec.model_validate(generation_spec)

    assert (
        spec.specification.model_dump(by_alias=True, exclude_unset=True) == (SPECIFICATIONS[name])
    )


def test_graphql_schema_is_read_from_the_schema_key(generation_spec: Doc) -> None:
    generation_spec["specification"] = SPECIFICATIONS["graphql"]

    spec = codegeneration.CodeGenerationSpec.model_validate(generation_spec)

    assert spec.specification.graphql is not None
    assert spec.specification.graphql.sdl.startswith("type Query")


def test_git_output(generation_spec: Doc) -> None:
    generation_spec["output"] = {
        "git": {
            "url": "ssh://git@git.example.com/svc.git",
            "branch": "generated",
            "path": "services/petstore",
            "secretRef": {"name": "git-creds"},
        }
    }

    output = codegeneration.CodeGenerationSpec.model_validate(generation_spec).output

    assert output.config_map is None
    assert output.git is not None
    assert output.git.branch == "generated"


# -- rejections ------------------------------------------------------------------------------


def test_rejects_a_misspelled_field(code_generation: Doc) -> None:
    code_generation["spec"]["qualityGates"]["minCoverge"] = 90

    message = rejection(code_generation)

    assert "spec.qualityGates.minCoverge" in message
    assert "Extra inputs are not permitted" in message


def test_python_names_are_accepted_in_documents_too(code_generation: Doc) -> None:
    code_generation["spec"]["quality_gates"] = code_generation["spec"].pop("qualityGates")

    # populate_by_name: both spellings are one field (the CRD knows the camelCase one only)
    generation = codegeneration.CodeGeneration.model_validate(code_generation)
    assert generation.spec.quality_gates.min_coverage == 95


@pytest.mark.parametrize("kind", ["CodeTemplate", "Codegeneration", ""])
def test_rejects_the_wrong_kind(code_generation: Doc, kind: str) -> None:
    code_generation["kind"] = kind

    message = rejection(code_generation)

    assert "kind" in message
    assert "'CodeGeneration'" in message


@pytest.mark.parametrize("api_version", ["kodegen.dev/v1beta1", "kodegen.dev", "apps/v1"])
def test_rejects_the_wrong_api_version(code_generation: Doc, api_version: str) -> None:
    code_generation["apiVersion"] = api_version

    message = rejection(code_generation)

    assert "apiVersion" in message
    assert "kodegen.dev/v1alpha1" in message


def test_rejects_two_openapi_sources(code_generation: Doc) -> None:
    code_generation["spec"]["specification"]["openapi"]["configMapRef"] = {"name": "spec"}

    message = rejection(code_generation)

    assert "spec.specification.openapi" in message
    assert "exactly one of inline, configMapRef, git, file (got inline, configMapRef)" in message


def test_rejects_no_openapi_source(code_generation: Doc) -> None:
    code_generation["spec"]["specification"]["openapi"] = {}

    assert "(got none)" in rejection(code_generation)


@pytest.mark.parametrize(
    ("specification", "expected"),
    [
        ({"type": "openapi"}, "type is 'openapi' but openapi is not set"),
        ({"type": "graphql", "openapi": {"inline": {}}}, "type is 'graphql' but graphql"),
        (
            {"type": "openapi", "openapi": {"inline": {}}, "graphql": {"schema": "type Q"}},
            "so graphql must not be set",
        ),
        ({"type": "swagger", "openapi": {"inline": {}}}, "specification.type"),
        ({"type": "graphql", "graphql": {"schema": "type Q", "sdk": "x"}}, "graphql.sdk"),
    ],
)
def test_rejects_a_specification_whose_members_do_not_match_its_type(
    generation_spec: Doc, specification: Doc, expected: str
) -> None:
    generation_spec["specification"] = specification

    assert expected in rejection(generation_spec, codegeneration.CodeGenerationSpec)


def test_rejects_two_outputs(generation_spec: Doc) -> None:
    generation_spec["output"]["git"] = {"url": "https://g/x.git", "branch": "main"}

    message = rejection(generation_spec, codegeneration.CodeGenerationSpec)

    assert "output" in message
    assert "at most one of configMap, git (got configMap, git)" in message


@pytest.mark.parametrize(
    ("gates", "field"),
    [
        ({"minCoverage": 101}, "qualityGates.minCoverage"),
        ({"minCoverage": -1}, "qualityGates.minCoverage"),
        ({"minCoverage": "lots"}, "qualityGates.minCoverage"),
        ({"failOnSeverity": "critical"}, "qualityGates.failOnSeverity"),
        ({"contract": "sometimes"}, "qualityGates.contract"),
    ],
)
def test_rejects_bad_quality_gates(generation_spec: Doc, gates: Doc, field: str) -> None:
    generation_spec["qualityGates"] = gates

    assert field in rejection(generation_spec, codegeneration.CodeGenerationSpec)


@pytest.mark.parametrize("coverage", [0, 0.5, 100])
def test_accepts_coverage_bounds(generation_spec: Doc, coverage: float) -> None:
    generation_spec["qualityGates"] = {"minCoverage": coverage}

    spec = codegeneration.CodeGenerationSpec.model_validate(generation_spec)

    assert spec.quality_gates.min_coverage == coverage


@pytest.mark.parametrize(
    ("ai", "expected"),
    [
        ({"mode": "assist"}, "mode 'assist' needs at least one provider"),
        ({"mode": "auto"}, "ai.mode"),
        ({"mode": "full", "providers": [{"provider": "skynet", "model": "x"}]}, "provider"),
        ({"maxCostUSD": -1}, "ai.maxCostUSD"),
        ({"maxCostUsd": 1}, "ai.maxCostUsd"),
        ({"repairAttempts": 11}, "ai.repairAttempts"),
        ({"providers": [{"provider": "ollama", "model": "m", "baseUrl": "x"}]}, "baseUrl"),
    ],
)
def test_rejects_bad_ai_settings(generation_spec: Doc, ai: Doc, expected: str) -> None:
    generation_spec["ai"] = ai

    assert expected in rejection(generation_spec, codegeneration.CodeGenerationSpec)


@pytest.mark.parametrize("kind", ["adr", "userStory"])
def test_rejects_ai_only_specifications_without_ai(generation_spec: Doc, kind: str) -> None:
    generation_spec["specification"] = SPECIFICATIONS[kind]
    generation_spec["ai"] = {"mode": "off"}

    message = rejection(generation_spec, codegeneration.CodeGenerationSpec)

    assert f"specification type '{kind}' needs AI" in message


@pytest.mark.parametrize(
    ("template", "field"),
    [
        ({"family": "Python Service"}, "template.family"),
        ({"family": "f", "version": "latest!"}, "template.version"),
        ({"family": "f", "scope": "Global"}, "template.scope"),
        ({"version": "^1.0"}, "template.family"),
    ],
)
def test_rejects_bad_template_refs(generation_spec: Doc, template: Doc, field: str) -> None:
    generation_spec["template"] = template

    assert field in rejection(generation_spec, codegeneration.CodeGenerationSpec)


@pytest.mark.parametrize("version", ["*", "1.0.0", "^1.0", "~1.2.3", ">=1.0, <2", "1.x", "1 - 2"])
def test_accepts_semver_ranges(generation_spec: Doc, version: str) -> None:
    generation_spec["template"] = {"family": "f", "version": version}

    spec = codegeneration.CodeGenerationSpec.model_validate(generation_spec)

    assert spec.template.version == version


@pytest.mark.parametrize(
    ("metadata", "field"),
    [
        ({"name": "PetStore"}, "metadata.name"),
        ({"name": "pet_store"}, "metadata.name"),
        ({"namespace": "team-a"}, "metadata.name"),
        ({"name": "p", "namespace": "Team.A"}, "metadata.namespace"),
    ],
)
def test_rejects_bad_metadata(code_generation: Doc, metadata: Doc, field: str) -> None:
    code_generation["metadata"] = metadata

    assert field in rejection(code_generation)


def test_accepts_metadata_as_the_api_server_returns_it(code_generation: Doc) -> None:
    code_generation["metadata"].update(
        {
            "uid": "7c1f",
            "resourceVersion": "42",
            "generation": 3,
            "creationTimestamp": "2025-01-02T03:04:05Z",
            "labels": {"team": "a"},
            "annotations": {"note": "x"},
            "finalizers": ["kopf.zalando.org/KopfFinalizerMarker"],
            "ownerReferences": [],
            "managedFields": [{"manager": "kubectl", "operation": "Apply"}],
        }
    )

    generation = codegeneration.CodeGeneration.model_validate(code_generation)

    assert generation.metadata.generation == 3
    assert generation.metadata.resource_version == "42"


@pytest.mark.parametrize(
    ("status", "field"),
    [
        ({"phase": "Done"}, "status.phase"),
        ({"inputHash": "sha256:xyz"}, "status.inputHash"),
        ({"observedGeneration": -1}, "status.observedGeneration"),
        ({"result": {"coverage": 100.5}}, "status.result.coverage"),
        ({"job": {"name": "j", "attempts": -1}}, "status.job.attempts"),
        (
            {"conditions": [{"type": "Ready", "status": "True", "reason": "Ok"}]},
            "status.conditions.0.lastTransitionTime",
        ),
        (
            {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "has spaces",
                        "lastTransitionTime": "2025-01-02T03:04:05Z",
                    }
                ]
            },
            "status.conditions.0.reason",
        ),
        (
            {
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "Ok",
                        "lastTransitionTime": "2025-01-02T03:04:05",
                    }
                ]
            },
            "status.conditions.0.lastTransitionTime",
        ),
    ],
)
def test_rejects_bad_status(code_generation: Doc, status: Doc, field: str) -> None:
    code_generation["status"] = status

    assert field in rejection(code_generation)


def test_history_is_bounded(code_generation: Doc) -> None:
    entry = code_generation["status"]["history"][0]
    limit = codegeneration_status.HISTORY_LIMIT
    code_generation["status"]["history"] = [{**entry, "revision": n + 1} for n in range(limit)]

    assert len(codegeneration.CodeGeneration.model_validate(code_generation).status.history) == 20

    code_generation["status"]["history"].append({**entry, "revision": limit + 1})
    assert "status.history" in rejection(code_generation)
