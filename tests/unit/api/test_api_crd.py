"""The CRDs: generated from the models, structural, valid for Kubernetes 1.30, equal to crds/."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from kodegen.api import codetemplate, crd

ROOT = Path(__file__).resolve().parents[3]
CRDS = ROOT / "crds"
Node = dict[str, Any]


def by_kind() -> dict[str, Node]:
    return {document["spec"]["names"]["kind"]: document for document in crd.crds()}


def root_schema(document: Node) -> Node:
    schema: Node = document["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def walk(node: Node, path: str = "") -> Iterator[tuple[str, Node]]:
    """Every schema node under `node`, with a dotted path (`[]` for array items)."""
    yield path, node
    for name, child in node.get("properties", {}).items():
        yield from walk(child, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from walk(node["additionalProperties"], f"{path}.*")


def at(node: Node, path: str) -> Node:
    """The schema node at a dotted path such as `spec.template.family`."""
    for part in path.strip(".").split("."):
        node = node["items"] if part == "[]" else node["properties"][part]
    return node


ALL = pytest.mark.parametrize("kind", ["CodeGeneration", "CodeTemplate", "ClusterCodeTemplate"])


# -- crds/ is the output of the generator --------------------------------------------------


def test_crds_folder_equals_render_yaml() -> None:
    names = [crd.filename(document) for document in crd.crds()]
    on_disk = "---\n".join((CRDS / name).read_text(encoding="utf-8") for name in names)

    assert on_disk == crd.render_yaml(), "crds/ is stale: run `kodegen crds --out crds`"


def test_crds_folder_holds_exactly_the_generated_files(tmp_path: Path) -> None:
    written = crd.write(tmp_path)

    assert sorted(path.name for path in written) == sorted(path.name for path in CRDS.iterdir())
    for path in written:
        assert (CRDS / path.name).read_bytes() == path.read_bytes()


def test_write_names_one_file_per_crd(tmp_path: Path) -> None:
    written = crd.write(tmp_path / "new")

    assert [path.name for path in written] == [
        "codegenerations.kodegen.dev.yaml",
        "codetemplates.kodegen.dev.yaml",
        "clustercodetemplates.kodegen.dev.yaml",
    ]


def test_render_yaml_is_one_document_per_crd() -> None:
    documents = list(yaml.safe_load_all(crd.render_yaml()))

    assert documents == crd.crds()
    assert crd.render_yaml().count("\n---\n") == 2


def test_output_does_not_depend_on_hash_seed() -> None:
    script = "from kodegen.api import crd; print(crd.render_yaml(), end='')"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }

    assert outputs == {crd.render_yaml()}


# -- what Kubernetes accepts -----------------------------------------------------------------


@ALL
def test_validates_against_kubernetes_1_30(kind: str) -> None:
    assert kubernetes_validate.validate(by_kind()[kind], "1.30", strict=True) == "1.30"


def test_kubernetes_validate_catches_a_broken_crd() -> None:
    broken = by_kind()["CodeGeneration"]
    broken["spec"]["versions"][0]["servd"] = True

    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.30", strict=True)


@ALL
def test_schema_is_structural(kind: str) -> None:
    forbidden = {"$ref", "$defs", "anyOf", "oneOf", "allOf", "not", "const", "title"}
    for path, node in walk(root_schema(by_kind()[kind])):
        assert not forbidden & set(node), f"{path}: {sorted(forbidden & set(node))}"
        preserve = node.get("x-kubernetes-preserve-unknown-fields")
        assert preserve in (None, True), path
        assert "type" in node or preserve, f"{path} has no type"
        if "properties" in node or "additionalProperties" in node or (preserve and "type" in node):
            assert node["type"] == "object", path
        assert not ("properties" in node and "additionalProperties" in node), path
        assert node.get("additionalProperties") is not False, path
        if node.get("type") == "array":
            assert isinstance(node.get("items"), dict), f"{path} has no items"
        for name in node.get("required", []):
            assert name in node["properties"], f"{path} requires unknown {name}"


@ALL
def test_metadata_is_left_to_kubernetes(kind: str) -> None:
    schema = root_schema(by_kind()[kind])

    assert schema["properties"]["metadata"] == {"type": "object"}
    assert schema["required"] == ["spec"]
    assert set(schema["properties"]) == {"apiVersion", "kind", "metadata", "spec", "status"}


@ALL
def test_map_lists_are_keyed_by_required_scalars(kind: str) -> None:
    found = 0
    for path, node in walk(root_schema(by_kind()[kind])):
        if node.get("x-kubernetes-list-type") == "map":
            found += 1
            items = node["items"]
            assert items["type"] == "object", path
            for key in node["x-kubernetes-list-map-keys"]:
                assert key in items["required"], f"{path}: key {key} is not required"
                assert items["properties"][key]["type"] == "string", path
    assert found >= 1


@ALL
def test_defaults_are_valid_values(kind: str) -> None:
    defaults = 0
    for path, node in walk(root_schema(by_kind()[kind])):
        if "default" in node:
            defaults += 1
            assert node["default"] is not None, path
            assert not isinstance(node["default"], dict | list), path
            checked = {k: v for k, v in node.items() if not k.startswith("x-") and k != "default"}
            jsonschema.Draft4Validator(checked).validate(node["default"])
    assert defaults > 0


@ALL
def test_every_field_is_described(kind: str) -> None:
    for path, node in walk(root_schema(by_kind()[kind])):
        if path != ".metadata" and not path.endswith(("[]", ".*")):
            assert node.get("description"), f"{path} has no description"


@ALL
def test_free_form_fields_keep_unknown_fields(kind: str) -> None:
    schema = root_schema(by_kind()[kind])
    paths = {
        "CodeGeneration": [
            "spec.variables",
            "spec.specification.openapi.inline",
            "spec.specification.jsonSchema.inline",
        ],
        "CodeTemplate": ["spec.tests.[].variables", "spec.variables.[].default"],
        "ClusterCodeTemplate": ["spec.tests.[].variables", "spec.variables.[].enum.[]"],
    }[kind]
    for path in paths:
        assert at(schema, path)["x-kubernetes-preserve-unknown-fields"] is True, path


def test_enums_and_bounds_are_kept() -> None:
    schema = root_schema(by_kind()["CodeGeneration"])

    assert at(schema, "spec.specification.type")["enum"] == [
        "openapi",
        "jsonSchema",
        "graphql",
        "adr",
        "userStory",
    ]
    gates = at(schema, "spec.qualityGates")
    assert gates["properties"]["minCoverage"] == {
        "default": 95.0,
        "description": gates["properties"]["minCoverage"]["description"],
        "maximum": 100,
        "minimum": 0,
        "type": "number",
    }
    assert gates["properties"]["failOnSeverity"]["enum"] == ["low", "medium", "high"]
    assert at(schema, "spec.template.version")["default"] == "*"
    assert at(schema, "status.history")["maxItems"] == 20
    assert at(schema, "spec.ai.maxCostUSD")["type"] == "number"
    assert at(schema, "spec.output.configMap")["nullable"] is True
    assert at(schema, "status.conditions.[].lastTransitionTime")["format"] == "date-time"
    template = root_schema(by_kind()["ClusterCodeTemplate"])
    assert at(template, "spec.version")["pattern"].startswith("^(0|[1-9][0-9]*)")


# -- names, scope, columns -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "plural", "short", "scope"),
    [
        ("CodeGeneration", "codegenerations", "cgen", "Namespaced"),
        ("CodeTemplate", "codetemplates", "ctpl", "Namespaced"),
        ("ClusterCodeTemplate", "clustercodetemplates", "cctpl", "Cluster"),
    ],
)
def test_names_and_scope(kind: str, plural: str, short: str, scope: str) -> None:
    document = by_kind()[kind]
    spec = document["spec"]

    assert document["apiVersion"] == "apiextensions.k8s.io/v1"
    assert document["metadata"]["name"] == f"{plural}.kodegen.dev"
    assert spec["group"] == "kodegen.dev"
    assert spec["scope"] == scope
    assert spec["names"] == {
        "kind": kind,
        "listKind": f"{kind}List",
        "plural": plural,
        "singular": kind.lower(),
        "shortNames": [short],
        "categories": ["kodegen"],
    }
    (version,) = spec["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}


@pytest.mark.parametrize(
    ("kind", "columns"),
    [
        (
            "CodeGeneration",
            [
                ("Template", ".spec.template.family"),
                ("Version", ".status.resolvedTemplate.version"),
                ("Ready", '.status.conditions[?(@.type=="Ready")].status'),
                ("Reason", '.status.conditions[?(@.type=="Ready")].reason'),
                ("Coverage", ".status.result.coverage"),
                ("Output", ".status.output.configMaps[0]"),
                ("Age", ".metadata.creationTimestamp"),
                ("Phase", ".status.phase"),
            ],
        ),
        *[
            (
                kind,
                [
                    ("Family", ".spec.family"),
                    ("Version", ".spec.version"),
                    ("Ready", '.status.conditions[?(@.type=="Ready")].status'),
                    ("Deprecated", ".spec.deprecated"),
                    ("Age", ".metadata.creationTimestamp"),
                ],
            )
            for kind in ("CodeTemplate", "ClusterCodeTemplate")
        ],
    ],
)
def test_printer_columns(kind: str, columns: list[tuple[str, str]]) -> None:
    document = by_kind()[kind]
    printed = document["spec"]["versions"][0]["additionalPrinterColumns"]

    assert [(c["name"], c["jsonPath"]) for c in printed] == columns
    schema = root_schema(document)
    for column in printed:
        path = re.sub(r"\[[^]]*\]", ".[]", column["jsonPath"])
        if not path.startswith(".metadata"):
            node = at(schema, path)
            expected = {"number": "number", "boolean": "boolean"}.get(column["type"], "string")
            assert node["type"] == expected, column


# -- CEL rules -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["CodeTemplate", "ClusterCodeTemplate"])
def test_template_spec_is_immutable_but_for_deprecated_and_rollout(kind: str) -> None:
    spec = root_schema(by_kind()[kind])["properties"]["spec"]

    (rule,) = spec["x-kubernetes-validations"]
    assert "oldSelf" in rule["rule"]
    assert "immutable" in rule["message"]
    for field in ("family", "version", "language", "category", "specTypes", "variables"):
        assert f"self.{field} == oldSelf.{field}" in rule["rule"]
    for field in ("source", "tests", "entrypoints"):
        assert f"has(self.{field}) == has(oldSelf.{field})" in rule["rule"]
    for field in codetemplate.MUTABLE_FIELDS:
        assert f"self.{field}" not in rule["rule"]


def test_cross_field_rules_are_in_place() -> None:
    schema = root_schema(by_kind()["CodeGeneration"])
    rules = {
        path: [rule["rule"] for rule in node["x-kubernetes-validations"]]
        for path, node in walk(schema)
        if "x-kubernetes-validations" in node
    }

    assert set(rules) == {
        ".spec",
        ".spec.specification",
        ".spec.specification.openapi",
        ".spec.specification.jsonSchema",
        ".spec.ai",
        ".spec.output",
        ".spec.output.git",
    }
    assert "<= 1" in rules[".spec.output"][0]
    assert "== 1" in rules[".spec.specification.openapi"][0]
