"""The CRDs of `crds/` on the real API server: they install (so every CEL rule compiles within
the server's cost budget: it refuses a CRD otherwise), the shipped examples are admitted, and
every CEL rule refuses what it should, with its own message."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import controlplane
import pytest
import yaml
from kubernetes import client

GROUP, VERSION = "kodegen.dev", "v1alpha1"
Doc = dict[str, Any]


def _example(path: str) -> Doc:
    body: Doc = yaml.safe_load((controlplane.REPO / path).read_text())
    return body


GENERATION = _example("examples/petstore.yaml")
ADR = _example("examples/adr.yaml")
TEMPLATE = _example("templates/python-fastapi-service-1.0.0.yaml")


def _rules(crd: Doc) -> list[str]:
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            found.extend(r["rule"] for r in node.get("x-kubernetes-validations") or [])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(crd["spec"]["versions"])
    return found


def test_crds_install_with_every_rule(crds: list[Doc]) -> None:
    shipped = {}
    for path in sorted((controlplane.REPO / "crds").glob("*.yaml")):
        body = yaml.safe_load(path.read_text())
        shipped[body["metadata"]["name"]] = _rules(body)
    stored = {crd["metadata"]["name"]: _rules(crd) for crd in crds}
    assert stored == shipped
    assert sum(len(rules) for rules in stored.values()) >= 18


def _create(api: client.CustomObjectsApi, namespace: str, body: Doc) -> Doc:
    plural = {"CodeGeneration": "codegenerations", "CodeTemplate": "codetemplates"}
    if body["kind"] == "ClusterCodeTemplate":
        created: Doc = api.create_cluster_custom_object(
            GROUP, VERSION, "clustercodetemplates", body
        )
    else:
        created = api.create_namespaced_custom_object(
            GROUP, VERSION, namespace, plural[body["kind"]], body
        )
    return created


def _named(body: Doc, name: str, kind: str | None = None) -> Doc:
    copied = copy.deepcopy(body)
    copied["metadata"] = {"name": name}
    if kind:
        copied["kind"] = kind
    return copied


@pytest.mark.parametrize(
    "body",
    [
        _named(GENERATION, "petstore"),
        _named(ADR, "adr"),
        _named(TEMPLATE, "tpl", "CodeTemplate"),
    ],
    ids=["codegeneration", "adr", "codetemplate"],
)
def test_shipped_examples_are_admitted(
    crds: list[Doc], admin: client.ApiClient, namespace: str, body: Doc
) -> None:
    created = _create(client.CustomObjectsApi(admin), namespace, body)
    assert created["metadata"]["uid"]


def _set(path: str, value: Any) -> Callable[[Doc], None]:
    def change(body: Doc) -> None:
        node = body
        parts = path.split(".")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        if value is None:
            node.pop(parts[-1], None)
        else:
            node[parts[-1]] = value

    return change


INLINE = {"inline": {"openapi": "3.0.0", "info": {"title": "t", "version": "1"}, "paths": {}}}
REFUSALS: list[tuple[str, Doc, list[Callable[[Doc], None]], str]] = [
    (
        "adr-without-ai",
        ADR,
        [_set("spec.ai", None)],
        "specification types adr and userStory need ai.mode assist or full",
    ),
    (
        "ai-without-providers",
        GENERATION,
        [_set("spec.ai", {"mode": "assist"})],
        "mode assist or full needs at least one provider",
    ),
    (
        "two-outputs",
        GENERATION,
        [
            _set(
                "spec.output",
                {
                    "configMap": {"name": "x"},
                    "git": {"url": "https://git.test/r.git", "branch": "main"},
                },
            )
        ],
        "set at most one of configMap, git",
    ),
    (
        "type-and-member-differ",
        GENERATION,
        [_set("spec.specification.type", "graphql")],
        "set the member named by type",
    ),
    (
        "openapi-two-sources",
        GENERATION,
        [_set("spec.specification.openapi.configMapRef", {"name": "spec"})],
        "set exactly one of inline, configMapRef, git",
    ),
    (
        "json-schema-no-source",
        GENERATION,
        [
            _set("spec.specification", {"type": "jsonSchema", "jsonSchema": {}}),
        ],
        "set exactly one of inline, configMapRef",
    ),
    (
        "template-two-sources",
        TEMPLATE,
        [_set("spec.source.inline", {"files": {"a.j2": "x"}})],
        "set exactly one of builtin, inline, configMapRef, git",
    ),
    (
        "rollout-percent-without-canary",
        TEMPLATE,
        [_set("spec.rollout", {"strategy": "Manual", "percent": 10})],
        "percent is required with strategy Canary",
    ),
    (
        "canary-without-percent",
        TEMPLATE,
        [_set("spec.rollout", {"strategy": "Canary"})],
        "percent is required with strategy Canary",
    ),
    (
        "template-test-type-and-member-differ",
        TEMPLATE,
        [_set("spec.tests.0.specification.type", "jsonSchema")],
        "set the member named by type",
    ),
    (
        "template-test-openapi-two-sources",
        TEMPLATE,
        [_set("spec.tests.0.specification.openapi.configMapRef", {"name": "spec"})],
        "set exactly one of inline, configMapRef, git",
    ),
    (
        "template-test-json-schema-no-source",
        TEMPLATE,
        [_set("spec.tests.0.specification", {"type": "jsonSchema", "jsonSchema": {}})],
        "set exactly one of inline, configMapRef",
    ),
]


CASES = [
    (f"{kind}-{case}", kind, base, changes, message)
    for case, base, changes, message in REFUSALS
    for kind in (
        ["CodeGeneration"]
        if base["kind"] == "CodeGeneration"
        else ["CodeTemplate", "ClusterCodeTemplate"]
    )
]


@pytest.mark.parametrize(
    ("case", "kind", "base", "changes", "message"), CASES, ids=[c[0] for c in CASES]
)
def test_cel_rule_refuses(
    crds: list[Doc],
    admin: client.ApiClient,
    namespace: str,
    case: str,
    kind: str,
    base: Doc,
    changes: list[Callable[[Doc], None]],
    message: str,
) -> None:
    body = _named(base, case.lower(), kind)
    for change in changes:
        change(body)
    with pytest.raises(client.ApiException) as refused:
        _create(client.CustomObjectsApi(admin), namespace, body)
    assert refused.value.status == 422, refused.value.body
    assert message in refused.value.body


@pytest.mark.parametrize("kind", ["CodeTemplate", "ClusterCodeTemplate"])
def test_template_spec_is_immutable_but_deprecated_and_rollout(
    crds: list[Doc], admin: client.ApiClient, namespace: str, kind: str
) -> None:
    api = client.CustomObjectsApi(admin)
    name = f"immutable-{namespace}"
    _create(api, namespace, _named(TEMPLATE, name, kind))

    def patch(spec: Doc) -> Doc:
        if kind == "ClusterCodeTemplate":
            found: Doc = api.patch_cluster_custom_object(
                GROUP, VERSION, "clustercodetemplates", name, {"spec": spec}
            )
        else:
            found = api.patch_namespaced_custom_object(
                GROUP, VERSION, namespace, "codetemplates", name, {"spec": spec}
            )
        return found

    changed = patch({"deprecated": True, "rollout": {"strategy": "Canary", "percent": 20}})
    assert changed["spec"]["deprecated"] is True
    for spec in ({"version": "1.0.1"}, {"language": "go"}, {"source": {"builtin": "other/1.0.0"}}):
        with pytest.raises(client.ApiException) as refused:
            patch(spec)
        assert refused.value.status == 422, spec
        assert "a template version is immutable" in refused.value.body, refused.value.body
    if kind == "ClusterCodeTemplate":
        api.delete_cluster_custom_object(GROUP, VERSION, "clustercodetemplates", name)
