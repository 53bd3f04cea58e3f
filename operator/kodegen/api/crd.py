"""The CustomResourceDefinitions of kodegen, generated from the models.

`crds()` builds them, `render_yaml()` prints them (what `kodegen crds` shows), `write()`
stores one file per CRD (what `crds/` holds; a test checks that the two agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from kodegen.api import base, codegeneration, codetemplate, schema

__all__ = ["RESOURCES", "Resource", "crds", "filename", "render_yaml", "write"]

CATEGORY = "kodegen"
"""`kubectl get kodegen` lists every kodegen object."""

Column = dict[str, Any]


def _column(
    name: str, path: str, kind: str = "string", description: str = "", priority: int = 0
) -> Column:
    """A printer column; priority 1: shown by `kubectl get -o wide` only."""
    column: Column = {"name": name, "type": kind, "jsonPath": path}
    if description:
        column["description"] = description
    if priority:
        column["priority"] = priority
    return column


AGE = _column("Age", ".metadata.creationTimestamp", "date")

TEMPLATE_COLUMNS: tuple[Column, ...] = (
    _column("Family", ".spec.family", description="Template family"),
    _column("Version", ".spec.version", description="Template version"),
    _column(
        "Ready",
        '.status.conditions[?(@.type=="Ready")].status',
        description="Content fetched and every test passed",
    ),
    _column("Deprecated", ".spec.deprecated", "boolean", "Resolved only as a last resort"),
    AGE,
)


@dataclass(frozen=True)
class Resource:
    """One kodegen kind and how it is served."""

    model: type[BaseModel]
    """The whole-object model (apiVersion, kind, metadata, spec, status)."""
    kind: str
    """Kind, e.g. `CodeGeneration`."""
    plural: str
    """Plural resource name, e.g. `codegenerations`."""
    short_name: str
    """Short name for kubectl, e.g. `cgen`."""
    namespaced: bool
    """Namespaced (True) or cluster-scoped (False)."""
    columns: tuple[Column, ...]
    """Additional printer columns of `kubectl get`."""


RESOURCES: tuple[Resource, ...] = (
    Resource(
        model=codegeneration.CodeGeneration,
        kind="CodeGeneration",
        plural="codegenerations",
        short_name="cgen",
        namespaced=True,
        columns=(
            _column("Template", ".spec.template.family", description="Template family"),
            _column("Version", ".status.resolvedTemplate.version", description="Resolved version"),
            _column(
                "Ready",
                '.status.conditions[?(@.type=="Ready")].status',
                description="The current input's code is generated, tested and published",
            ),
            _column(
                "Reason",
                '.status.conditions[?(@.type=="Ready")].reason',
                description="Why Ready is what it is (Running, Queued, QualityGatesFailed, ...)",
            ),
            _column("Coverage", ".status.result.coverage", "number", "Line coverage in percent"),
            _column(
                "Output",
                ".status.output.configMaps[0]",
                description="The ConfigMap the code was published to",
            ),
            AGE,
            _column("Phase", ".status.phase", description="Phase of the generation", priority=1),
        ),
    ),
    Resource(
        model=codetemplate.CodeTemplate,
        kind="CodeTemplate",
        plural="codetemplates",
        short_name="ctpl",
        namespaced=True,
        columns=TEMPLATE_COLUMNS,
    ),
    Resource(
        model=codetemplate.ClusterCodeTemplate,
        kind="ClusterCodeTemplate",
        plural="clustercodetemplates",
        short_name="cctpl",
        namespaced=False,
        columns=TEMPLATE_COLUMNS,
    ),
)
"""The three kodegen kinds, in the order they are printed."""


def _root_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The schema of the whole object: the standard apiVersion/kind/metadata, then spec and
    status as the model describes them."""
    converted = schema.structural(model)
    properties = converted["properties"]
    return {
        "type": "object",
        "description": converted.get("description", ""),
        "required": ["spec"],
        "properties": {
            "apiVersion": {
                "type": "string",
                "description": "APIVersion defines the versioned schema of this representation "
                "of an object.",
            },
            "kind": {
                "type": "string",
                "description": "Kind is a string value representing the REST resource this "
                "object represents.",
            },
            "metadata": {"type": "object"},
            "spec": properties["spec"],
            "status": properties["status"],
        },
    }


def crd(resource: Resource) -> dict[str, Any]:
    """The CustomResourceDefinition (apiextensions.k8s.io/v1) of one kind."""
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{resource.plural}.{base.GROUP}"},
        "spec": {
            "group": base.GROUP,
            "names": {
                "kind": resource.kind,
                "listKind": f"{resource.kind}List",
                "plural": resource.plural,
                "singular": resource.kind.lower(),
                "shortNames": [resource.short_name],
                "categories": [CATEGORY],
            },
            "scope": "Namespaced" if resource.namespaced else "Cluster",
            "versions": [
                {
                    "name": base.VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": _root_schema(resource.model)},
                    "subresources": {"status": {}},
                    "additionalPrinterColumns": [dict(column) for column in resource.columns],
                }
            ],
        },
    }


def crds() -> list[dict[str, Any]]:
    """The CustomResourceDefinitions of every kodegen kind."""
    return [crd(resource) for resource in RESOURCES]


def _dump(document: dict[str, Any]) -> str:
    return yaml.safe_dump(
        document, sort_keys=True, default_flow_style=False, allow_unicode=True, width=100
    )


def render_yaml() -> str:
    """Every CRD as one multi-document YAML stream (`---` between documents)."""
    return "---\n".join(_dump(document) for document in crds())


def filename(document: dict[str, Any]) -> str:
    """File name of a CRD in `crds/`: `<plural>.<group>.yaml`."""
    return f"{document['metadata']['name']}.yaml"


def write(folder: Path) -> list[Path]:
    """Write one `<plural>.kodegen.dev.yaml` file per CRD into `folder` (created if needed);
    returns the paths written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for document in crds():
        path = folder / filename(document)
        path.write_text(_dump(document), encoding="utf-8")
        written.append(path)
    return written
