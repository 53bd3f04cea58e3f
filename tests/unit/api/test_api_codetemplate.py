"""CodeTemplate, ClusterCodeTemplate and CodeTemplateSpec accept DESIGN.md and reject mistakes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from kodegen.api import codetemplate

Doc = dict[str, Any]
MANIFESTS = Path(__file__).parent / "manifests"
SOURCES = yaml.safe_load((MANIFESTS / "template-sources.yaml").read_text(encoding="utf-8"))


def rejection(model: Any, document: Doc) -> str:
    """The message of the ValidationError `model` raises for `document`."""
    with pytest.raises(ValidationError) as caught:
        model.model_validate(document)
    return str(caught.value)


def test_accepts_the_design_cluster_template(cluster_template: Doc) -> None:
    template = codetemplate.ClusterCodeTemplate.model_validate(cluster_template)

    assert template.metadata.name == "python-fastapi-service-1.0.0"
    assert template.spec.family == "python-fastapi-service"
    assert template.spec.version == "1.0.0"
    assert template.spec.category == "service"
    assert template.spec.spec_types == ["openapi"]
    assert [v.name for v in template.spec.variables] == ["packageName", "port"]
    assert template.spec.variables[0].required is True
    assert template.spec.variables[1].default == 8000
    assert template.spec.source is not None
    assert template.spec.source.builtin == "python-fastapi-service/1.0.0"
    test = template.spec.tests[0]
    assert test.specification.openapi is not None
    assert test.specification.openapi.config_map_ref is not None
    assert test.specification.openapi.config_map_ref.name == "petstore-spec"
    assert test.variables == {"packageName": "petstore"}
    assert template.spec.rollout.strategy == "Manual"
    assert [c.type for c in template.status.conditions] == ["Validated", "Ready"]
    assert template.status.tests[0].coverage == 97.5


def test_accepts_the_design_template_as_a_namespaced_code_template(code_template: Doc) -> None:
    template = codetemplate.CodeTemplate.model_validate(code_template)

    assert template.kind == "CodeTemplate"
    assert template.metadata.namespace == "team-a"


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: next(iter(s)))
def test_accepts_every_kind_of_source(template_spec: Doc, source: Doc) -> None:
    template_spec["source"] = source

    spec = codetemplate.CodeTemplateSpec.model_validate(template_spec)

    assert spec.source is not None
    assert spec.source.model_dump(by_alias=True, exclude_unset=True) == source


def test_on_disk_template_yaml_needs_no_source_nor_tests() -> None:
    spec = codetemplate.CodeTemplateSpec.model_validate(
        yaml.safe_load(
            """
            family: python-fastapi-service
            version: 1.0.0
            language: python
            category: service
            variables: [{name: packageName, required: true}]
            entrypoints:
              package: "{{ packageName }}"
              app: "{{ packageName }}.main:app"
              openapi: "{{ packageName }}/openapi.json"
            """
        )
    )

    assert spec.source is None
    assert spec.tests == []
    assert spec.variables[0].type == "string"
    assert spec.entrypoints.app == "{{ packageName }}.main:app"
    assert spec.entrypoints.openapi == "{{ packageName }}/openapi.json"


def test_defaults(template_spec: Doc) -> None:
    for optional in ("specTypes", "variables", "source", "tests", "deprecated", "rollout"):
        del template_spec[optional]

    spec = codetemplate.CodeTemplateSpec.model_validate(template_spec)

    assert spec.spec_types == ["openapi"]
    assert spec.variables == []
    assert spec.deprecated is False
    assert spec.rollout.strategy == "Manual"
    assert spec.entrypoints.package == "{{ packageName }}"
    assert spec.entrypoints.app is None


def test_fields_are_accepted_by_python_name() -> None:
    spec = codetemplate.CodeTemplateSpec(
        family="f",
        version="2.0.0-rc.1+build.5",
        language="python",
        category="model",
        spec_types=["graphql"],
    )

    assert spec.model_dump(by_alias=True)["specTypes"] == ["graphql"]


def test_round_trips_by_alias(cluster_template: Doc) -> None:
    template = codetemplate.ClusterCodeTemplate.model_validate(cluster_template)

    dumped = template.model_dump(by_alias=True, exclude_unset=True, mode="json")

    assert dumped == cluster_template
    assert codetemplate.ClusterCodeTemplate.model_validate(dumped) == template


def test_canary_rollout(template_spec: Doc) -> None:
    template_spec["rollout"] = {
        "strategy": "Canary",
        "percent": 10,
        "selector": {"matchLabels": {"tier": "dev"}},
        "maxFailures": 1,
    }

    spec = codetemplate.CodeTemplateSpec.model_validate(template_spec)

    assert spec.rollout.percent == 10
    assert spec.rollout.selector is not None
    assert spec.rollout.selector.match_labels == {"tier": "dev"}


def test_rejects_a_misspelled_spec_field(cluster_template: Doc) -> None:
    cluster_template["spec"]["famly"] = cluster_template["spec"].pop("family")

    message = rejection(codetemplate.ClusterCodeTemplate, cluster_template)

    assert "spec.famly" in message
    assert "Extra inputs are not permitted" in message
    assert "spec.family" in message  # and the real one is missing


def test_rejects_a_misspelled_nested_field(cluster_template: Doc) -> None:
    cluster_template["spec"]["variables"][0]["requried"] = True

    assert "spec.variables.0.requried" in rejection(
        codetemplate.ClusterCodeTemplate, cluster_template
    )


def test_rejects_a_misspelled_metadata_field(cluster_template: Doc) -> None:
    cluster_template["metadata"]["lables"] = {"a": "b"}

    assert "metadata.lables" in rejection(codetemplate.ClusterCodeTemplate, cluster_template)


@pytest.mark.parametrize(
    ("model", "kind"),
    [
        (codetemplate.ClusterCodeTemplate, "CodeTemplate"),
        (codetemplate.CodeTemplate, "ClusterCodeTemplate"),
        (codetemplate.CodeTemplate, "CodeGeneration"),
    ],
)
def test_rejects_the_wrong_kind(cluster_template: Doc, model: Any, kind: str) -> None:
    cluster_template["kind"] = kind

    message = rejection(model, cluster_template)

    assert "kind" in message
    assert kind in message


@pytest.mark.parametrize("api_version", ["kodegen.dev/v1", "v1", "kodegen.io/v1alpha1"])
def test_rejects_the_wrong_api_version(cluster_template: Doc, api_version: str) -> None:
    cluster_template["apiVersion"] = api_version

    assert "apiVersion" in rejection(codetemplate.ClusterCodeTemplate, cluster_template)


def test_rejects_a_missing_api_version(cluster_template: Doc) -> None:
    del cluster_template["apiVersion"]

    assert "apiVersion" in rejection(codetemplate.ClusterCodeTemplate, cluster_template)


def test_rejects_two_sources(template_spec: Doc) -> None:
    template_spec["source"]["configMapRef"] = {"name": "my-template"}

    message = rejection(codetemplate.CodeTemplateSpec, template_spec)

    assert "source" in message
    assert "exactly one of builtin, inline, configMapRef, git" in message
    assert "builtin" in message
    assert "configMapRef" in message


def test_rejects_an_empty_source(template_spec: Doc) -> None:
    template_spec["source"] = {}

    assert "got none" in rejection(codetemplate.CodeTemplateSpec, template_spec)


@pytest.mark.parametrize(
    "version", ["1.0", "v1.0.0", "01.0.0", "1.0.0.0", "1.0.0-", "latest", "", "1.0.0 "]
)
def test_rejects_a_version_that_is_not_semver(template_spec: Doc, version: str) -> None:
    template_spec["version"] = version

    assert "version" in rejection(codetemplate.CodeTemplateSpec, template_spec)


@pytest.mark.parametrize("version", ["0.0.1", "1.0.0", "10.20.30", "1.0.0-alpha.1", "1.0.0+b.7"])
def test_accepts_semver_versions(template_spec: Doc, version: str) -> None:
    template_spec["version"] = version

    assert codetemplate.CodeTemplateSpec.model_validate(template_spec).version == version


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("family", "Python_FastAPI"),
        ("family", "x" * 64),
        ("category", "services"),
        ("language", "Python"),
        ("specTypes", ["openapi", "openapi"]),
        ("specTypes", ["swagger"]),
        ("specTypes", []),
        ("deprecated", "maybe"),
    ],
)
def test_rejects_bad_field_values(template_spec: Doc, field: str, value: Any) -> None:
    template_spec[field] = value

    assert field in rejection(codetemplate.CodeTemplateSpec, template_spec)


@pytest.mark.parametrize("name", ["Python-1.0.0", "a_b", "-a", "a-", "a" * 254, "a..b", ""])
def test_rejects_a_name_that_is_not_a_dns_subdomain(cluster_template: Doc, name: str) -> None:
    cluster_template["metadata"]["name"] = name

    assert "metadata.name" in rejection(codetemplate.ClusterCodeTemplate, cluster_template)


def test_rejects_a_variable_declared_twice(template_spec: Doc) -> None:
    template_spec["variables"].append({"name": "port", "type": "string"})

    assert "variable 'port' is declared twice" in rejection(
        codetemplate.CodeTemplateSpec, template_spec
    )


def test_rejects_a_test_declared_twice(template_spec: Doc) -> None:
    template_spec["tests"].append(copy.deepcopy(template_spec["tests"][0]))

    assert "test 'petstore' is declared twice" in rejection(
        codetemplate.CodeTemplateSpec, template_spec
    )


@pytest.mark.parametrize(
    ("variable", "expected"),
    [
        ({"name": "port", "type": "integer", "pattern": "^[0-9]+$"}, "type string only"),
        ({"name": "p", "pattern": "(unclosed"}, "not a regular expression RE2 can run"),
        ({"name": "2bad"}, "variables.0.name"),
        ({"name": "x", "type": "float"}, "variables.0.type"),
    ],
)
def test_rejects_bad_variables(template_spec: Doc, variable: Doc, expected: str) -> None:
    template_spec["variables"] = [variable]

    assert expected in rejection(codetemplate.CodeTemplateSpec, template_spec)


@pytest.mark.parametrize(
    ("rollout", "expected"),
    [
        ({"strategy": "Canary"}, "percent is required"),
        ({"strategy": "Manual", "percent": 10}, "percent apply to strategy Canary only"),
        ({"strategy": "Automatic", "maxFailures": 1}, "maxFailures apply to strategy Canary"),
        ({"strategy": "Canary", "percent": 0}, "rollout.percent"),
        ({"strategy": "Sometimes"}, "rollout.strategy"),
    ],
)
def test_rejects_bad_rollouts(template_spec: Doc, rollout: Doc, expected: str) -> None:
    template_spec["rollout"] = rollout

    assert expected in rejection(codetemplate.CodeTemplateSpec, template_spec)


def test_rejects_a_test_whose_specification_lacks_its_member(template_spec: Doc) -> None:
    template_spec["tests"][0]["specification"] = {"type": "graphql"}

    message = rejection(codetemplate.CodeTemplateSpec, template_spec)

    assert "tests.0.specification" in message
    assert "graphql is not set" in message


def test_rejects_bad_status(cluster_template: Doc) -> None:
    cluster_template["status"]["contentDigest"] = "md5:abc"
    cluster_template["status"]["usedBy"] = -1

    message = rejection(codetemplate.ClusterCodeTemplate, cluster_template)

    assert "status.contentDigest" in message
    assert "status.usedBy" in message


def test_rejects_a_condition_with_a_bad_status(cluster_template: Doc) -> None:
    cluster_template["status"]["conditions"][0]["status"] = "Yes"

    assert "status.conditions.0.status" in rejection(
        codetemplate.ClusterCodeTemplate, cluster_template
    )
