"""The CEL rules of the CRDs, evaluated with cel-python on the objects the API server would see
(scalar defaults applied first, as the API server does), and compared with the pydantic
validators they mirror."""

from __future__ import annotations

import copy
import functools
from pathlib import Path
from typing import Any

import celpy
import pytest
import yaml
from pydantic import BaseModel, ValidationError

from kodegen.api import codegeneration, codetemplate, crd, specification

Doc = dict[str, Any]
MANIFESTS = Path(__file__).parent / "manifests"
SPECIFICATIONS: dict[str, Doc] = yaml.safe_load(
    (MANIFESTS / "specifications.yaml").read_text(encoding="utf-8")
)
TEMPLATE_SOURCES: list[Doc] = yaml.safe_load(
    (MANIFESTS / "template-sources.yaml").read_text(encoding="utf-8")
)


@functools.cache
def crds_by_kind() -> dict[str, Doc]:
    """The CRDs, built once for this module (read, never changed)."""
    return {document["spec"]["names"]["kind"]: document for document in crd.crds()}


def schema_at(kind: str, path: str) -> Doc:
    """The schema node of `kind`'s CRD at a dotted path such as `spec.ai`."""
    document = crds_by_kind()[kind]
    node: Doc = document["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    for part in path.split("."):
        node = node["properties"][part]
    return node


def with_defaults(schema: Doc, value: Any) -> Any:
    """`value` with the schema's defaults filled in, as the API server stores it."""
    value = copy.deepcopy(value)
    if isinstance(value, dict) and "properties" in schema:
        for name, child in schema["properties"].items():
            if name not in value and "default" in child:
                value[name] = child["default"]
            if name in value:
                value[name] = with_defaults(child, value[name])
    elif isinstance(value, list) and "items" in schema:
        value = [with_defaults(schema["items"], item) for item in value]
    return value


@functools.cache
def program(rule: str) -> celpy.Runner:
    """The compiled rule (compiling is the slow part)."""
    environment = celpy.Environment()
    return environment.program(environment.compile(rule))


def cel(rule: str, new: Any, old: Any = None) -> bool:
    """Evaluate one rule with `self` (and `oldSelf`); an evaluation error fails the test."""
    activation = {"self": celpy.json_to_cel(new)}
    if old is not None:
        activation["oldSelf"] = celpy.json_to_cel(old)
    result = program(rule).evaluate(activation)
    assert isinstance(result, celpy.celtypes.BoolType), f"{rule} gave {result!r}"
    return bool(result)


def server_accepts(kind: str, path: str, value: Doc, old: Doc | None = None) -> bool:
    """Whether every CEL rule at `path` holds for `value` (and `old`), defaults applied."""
    schema = schema_at(kind, path)
    rules = schema["x-kubernetes-validations"]
    new = with_defaults(schema, value)
    before = None if old is None else with_defaults(schema, old)
    return all(cel(rule["rule"], new, before) for rule in rules)


def model_accepts(model: type[BaseModel], value: Doc) -> bool:
    try:
        model.model_validate(value)
    except ValidationError:
        return False
    return True


# -- immutability of template versions -------------------------------------------------------


def edited(spec: Doc, path: str, value: Any) -> Doc:
    """A copy of `spec` with the value at a dotted path (list indexes as numbers) replaced, or
    removed when `value` is ...."""
    spec = copy.deepcopy(spec)
    *parents, last = path.split(".")
    node: Any = spec
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    key: Any = int(last) if isinstance(node, list) else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    return spec


@pytest.mark.parametrize("kind", ["CodeTemplate", "ClusterCodeTemplate"])
@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("deprecated", True),
        ("rollout", {"strategy": "Automatic"}),
        ("rollout", {"strategy": "Canary", "percent": 20, "maxFailures": 2}),
        ("rollout", ...),
    ],
)
def test_deprecated_and_rollout_may_change(
    template_spec: Doc, kind: str, path: str, value: Any
) -> None:
    assert server_accepts(kind, "spec", template_spec, template_spec)
    assert server_accepts(kind, "spec", edited(template_spec, path, value), template_spec)


@pytest.mark.parametrize("kind", ["CodeTemplate", "ClusterCodeTemplate"])
@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("family", "python-flask-service"),
        ("version", "1.0.1"),
        ("language", "go"),
        ("category", "model"),
        ("specTypes", ["openapi", "graphql"]),
        ("variables.1.default", 8080),
        ("variables.0.required", False),
        ("variables", ...),
        ("source.builtin", "python-fastapi-service/1.0.1"),
        ("source", ...),
        ("tests.0.variables.packageName", "shop"),
        ("tests", []),
        ("entrypoints", {"package": "app"}),
    ],
)
def test_everything_else_is_immutable(template_spec: Doc, kind: str, path: str, value: Any) -> None:
    changed = edited(template_spec, path, value)

    assert not server_accepts(kind, "spec", changed, template_spec)
    assert not server_accepts(kind, "spec", template_spec, changed)


def test_immutability_covers_every_spec_field() -> None:
    rule = schema_at("CodeTemplate", "spec")["x-kubernetes-validations"][0]["rule"]
    fields = {f.alias for f in codetemplate.CodeTemplateSpec.model_fields.values()}

    immutable = {field for field in fields if f"self.{field} ==" in rule}
    assert immutable == fields - set(codetemplate.MUTABLE_FIELDS)


# -- CEL rules agree with the pydantic validators ----------------------------------------------

OPENAPI_SOURCES = [
    {"inline": {"openapi": "3.0.3"}},
    {"configMapRef": {"name": "spec"}},
    {"git": {"url": "https://g/x.git", "ref": "main", "path": "openapi.yaml"}},
    {},
    {"inline": {}, "configMapRef": {"name": "spec"}},
    {
        "inline": {},
        "configMapRef": {"name": "spec"},
        "git": {"url": "https://g/x.git", "ref": "main", "path": "a.yaml"},
    },
]


@pytest.mark.parametrize("source", OPENAPI_SOURCES)
def test_openapi_source_rule_agrees(source: Doc) -> None:
    expected = model_accepts(specification.OpenAPISource, source)

    assert server_accepts("CodeGeneration", "spec.specification.openapi", source) is expected
    assert expected is (len(source) == 1)


JSON_SCHEMA_SOURCES = [
    {"inline": {"$defs": {}}},
    {"configMapRef": {"name": "schema"}},
    {},
    {"inline": {}, "configMapRef": {"name": "schema"}},
]


@pytest.mark.parametrize("source", JSON_SCHEMA_SOURCES)
def test_json_schema_source_rule_agrees(source: Doc) -> None:
    expected = model_accepts(specification.JSONSchemaSource, source)

    assert server_accepts("CodeGeneration", "spec.specification.jsonSchema", source) is expected
    assert expected is (len(source) == 1)


TEMPLATE_SOURCE_CASES = [
    *TEMPLATE_SOURCES,
    {},
    {**TEMPLATE_SOURCES[0], **TEMPLATE_SOURCES[1]},
    {**TEMPLATE_SOURCES[2], **TEMPLATE_SOURCES[3]},
]


@pytest.mark.parametrize("source", TEMPLATE_SOURCE_CASES)
def test_template_source_rule_agrees(source: Doc) -> None:
    expected = model_accepts(codetemplate.TemplateSource, source)

    assert server_accepts("ClusterCodeTemplate", "spec.source", source) is expected
    assert expected is (len(source) == 1)


SPECIFICATION_CASES = [
    *SPECIFICATIONS.values(),
    {"type": "openapi"},
    {"type": "graphql", **SPECIFICATIONS["openapi-inline"]},
    {**SPECIFICATIONS["graphql"], "openapi": {"inline": {}}},
    {**SPECIFICATIONS["adr"], "type": "userStory"},
    {"type": "jsonSchema", **SPECIFICATIONS["openapi-inline"]},
    {**SPECIFICATIONS["jsonSchema-inline"], "openapi": {"inline": {}}},
    {"type": "openapi", "jsonSchema": {"inline": {}}},
]


@pytest.mark.parametrize("value", SPECIFICATION_CASES)
def test_specification_rule_agrees(value: Doc) -> None:
    expected = model_accepts(specification.Specification, value)

    assert server_accepts("CodeGeneration", "spec.specification", value) is expected


@pytest.mark.parametrize(
    "output",
    [
        {},
        {"configMap": {"name": "code"}},
        {"git": {"url": "https://g/x.git", "branch": "main"}},
        {"configMap": {"name": "code"}, "git": {"url": "https://g/x.git", "branch": "main"}},
    ],
)
def test_output_rule_agrees(output: Doc) -> None:
    expected = model_accepts(codegeneration.Output, output)

    assert server_accepts("CodeGeneration", "spec.output", output) is expected


PROVIDER = {"provider": "anthropic", "model": "m"}


@pytest.mark.parametrize(
    "ai",
    [
        {},
        {"mode": "off"},
        {"mode": "assist"},
        {"mode": "full", "providers": []},
        {"mode": "full", "providers": [PROVIDER]},
        {"providers": [PROVIDER]},
    ],
)
def test_ai_rule_agrees(ai: Doc) -> None:
    expected = model_accepts(codegeneration.AISpec, ai)

    assert server_accepts("CodeGeneration", "spec.ai", ai) is expected


@pytest.mark.parametrize("kind", sorted(SPECIFICATIONS))
@pytest.mark.parametrize("ai", [None, {"mode": "off"}, {"mode": "assist", "providers": [PROVIDER]}])
def test_ai_only_specification_rule_agrees(generation_spec: Doc, kind: str, ai: Doc | None) -> None:
    generation_spec["specification"] = SPECIFICATIONS[kind]
    if ai is None:
        del generation_spec["ai"]
    else:
        generation_spec["ai"] = ai
    expected = model_accepts(codegeneration.CodeGenerationSpec, generation_spec)

    assert server_accepts("CodeGeneration", "spec", generation_spec) is expected
    assert expected is (
        kind not in ("adr", "userStory") or (ai is not None and ai["mode"] != "off")
    )


@pytest.mark.parametrize(
    "rollout",
    [
        {},
        {"strategy": "Manual"},
        {"strategy": "Automatic"},
        {"strategy": "Canary"},
        {"strategy": "Canary", "percent": 10},
        {"strategy": "Canary", "percent": 10, "selector": {}, "maxFailures": 0},
        {"strategy": "Manual", "percent": 10},
        {"selector": {"matchLabels": {"a": "b"}}},
        {"strategy": "Automatic", "maxFailures": 1},
    ],
)
def test_rollout_rule_agrees(rollout: Doc) -> None:
    expected = model_accepts(codetemplate.Rollout, rollout)

    assert server_accepts("CodeTemplate", "spec.rollout", rollout) is expected


GIT_OUTPUTS = [
    {"url": "https://g/x.git", "branch": "main"},
    {"url": "https://g/x.git", "branch": "main", "mode": "push"},
    {"url": "https://g/x.git", "branch": "main", "mode": "pullRequest"},
    {
        "url": "https://g/x.git",
        "branch": "main",
        "mode": "pullRequest",
        "pullRequest": {"provider": "gitea"},
    },
]


@pytest.mark.parametrize("output", GIT_OUTPUTS)
def test_git_output_rule_agrees(output: Doc) -> None:
    expected = model_accepts(codegeneration.GitOutput, output)

    assert server_accepts("CodeGeneration", "spec.output.git", output) is expected
    assert expected is (output.get("mode") != "pullRequest" or "pullRequest" in output)
