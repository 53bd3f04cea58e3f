"""Turn the JSON schema pydantic writes for a model into a Kubernetes structural schema.

Kubernetes (apiextensions.k8s.io/v1) accepts a subset of OpenAPI v3 and wants it *structural*:
no `$ref`, a `type` on every node (or `x-kubernetes-preserve-unknown-fields`), optional
values as `nullable: true` instead of `anyOf [..., null]`, no `additionalProperties: false`,
and defaults that are valid values. :func:`structural` does that conversion and refuses any
keyword it does not know, so a new kind of field type cannot slip into a CRD unnoticed.
"""

from __future__ import annotations

import copy
from typing import Any

from pydantic import BaseModel

__all__ = ["structural"]

PASSED = frozenset(
    {
        "type",
        "format",
        "description",
        "properties",
        "required",
        "items",
        "additionalProperties",
        "enum",
        "default",
        "nullable",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minLength",
        "maxLength",
        "pattern",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "x-kubernetes-preserve-unknown-fields",
        "x-kubernetes-list-type",
        "x-kubernetes-list-map-keys",
        "x-kubernetes-map-type",
        "x-kubernetes-validations",
        "x-kubernetes-int-or-string",
    }
)
"""JSON schema keywords that Kubernetes accepts as they are."""

DROPPED = frozenset({"title"})
"""Keywords pydantic writes that carry nothing Kubernetes needs."""

PRESERVE = "x-kubernetes-preserve-unknown-fields"

Node = dict[str, Any]


def structural(model: type[BaseModel]) -> Node:
    """The structural schema of `model` (by alias, as it is validated), `$ref`s inlined."""
    raw = model.model_json_schema(by_alias=True, mode="validation")
    definitions = raw.pop("$defs", {})
    return _convert(raw, definitions, (model.__name__,), (model.__name__,))


def _convert(node: Node, definitions: Node, path: tuple[str, ...], seen: tuple[str, ...]) -> Node:
    node, seen = _inline(copy.deepcopy(node), definitions, path, seen)
    out: Node = {}
    for key, value in node.items():
        if key in DROPPED:
            continue
        if key not in PASSED and key != "const":
            raise TypeError(f"schema of {'.'.join(path)}: keyword {key!r} has no Kubernetes form")
        if key == "properties":
            out[key] = {
                name: _convert(child, definitions, (*path, name), seen)
                for name, child in value.items()
            }
        elif key == "items":
            out[key] = _convert(value, definitions, (*path, "[]"), seen)
        elif key == "additionalProperties":
            if value is True:
                out[PRESERVE] = True
            elif isinstance(value, dict):
                out[key] = _convert(value, definitions, (*path, "*"), seen)
        elif key == "const":
            out["enum"] = [value]
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
        elif key == "description":
            out[key] = " ".join(value.split())
        elif key == "default":
            if _scalar(value):
                out[key] = value
        else:
            out[key] = value
    if "type" not in out and not out.get(PRESERVE) and not out.get("x-kubernetes-int-or-string"):
        if set(out) - {"description", "default"}:
            raise TypeError(f"schema of {'.'.join(path)}: no type in {sorted(out)}")
        out[PRESERVE] = True
    return out


def _inline(
    node: Node, definitions: Node, path: tuple[str, ...], seen: tuple[str, ...]
) -> tuple[Node, tuple[str, ...]]:
    """Replace `$ref` by the definition and `anyOf [X, null]` by X with `nullable: true`; the
    keywords beside them (description, default, validations) win over the definition's."""
    while "$ref" in node or "anyOf" in node:
        if "$ref" in node:
            name = node.pop("$ref").removeprefix("#/$defs/")
            if name in seen:
                raise TypeError(f"schema of {'.'.join(path)}: {name} is recursive")
            seen = (*seen, name)
            node = _merge(definitions[name], node)
        else:
            choices = node.pop("anyOf")
            others = [choice for choice in choices if choice != {"type": "null"}]
            if len(others) != 1:
                raise TypeError(f"schema of {'.'.join(path)}: a union has no Kubernetes form")
            node = _merge(others[0], node)
            if len(choices) > 1:
                node["nullable"] = True
    return node, seen


def _merge(inner: Node, outer: Node) -> Node:
    merged = {**copy.deepcopy(inner), **outer}
    rules = "x-kubernetes-validations"
    if rules in inner and rules in outer:
        merged[rules] = [*inner[rules], *outer[rules]]
    return merged


def _scalar(value: Any) -> bool:
    """Whether a default can go into a CRD: Kubernetes applies defaults of objects and arrays
    too, but a scalar default is the only kind that never fights a one-of rule."""
    return isinstance(value, str | int | float | bool)
