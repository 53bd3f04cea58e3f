"""Singletons: a path with no id of its own whose GET answers one object that a PUT, PATCH,
POST or DELETE on the same path writes, changes or resets (`/settings`, `/users/{id}/config`),
one stored value per scope (the path's parameters), starting from a sample of the GET's answer.

    GET -> read   PUT, POST -> write   PATCH -> modify   DELETE -> reset (to the sample)

Probes (`/health`, `/ping`, `/version`, `/livez`, ...) are singletons no operation writes: their
GET answers a fixed value. A write whose body shares no field with what the GET answers, or
that answers something other than the stored value or nothing, keeps its path custom.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Set

from kodegen.specs import answers, envelopes, model, schemas

WRITES: dict[str, model.Semantics] = {"put": "write", "post": "write", "patch": "modify"}
PROBES = re.compile(r"(?i)^(health|healthz|healthcheck|health-check|ping|livez|readyz|version)$")
PARAM = re.compile(r"^\{[^}]+\}$")


def infer(
    by_path: Mapping[str, Mapping[str, model.Operation]],
    components: Mapping[str, model.Schema],
    claimed: Set[str],
) -> list[model.Resource]:
    found = []
    for path in sorted(by_path):
        last = path.rsplit("/", 1)[-1]
        read = by_path[path].get("get")
        if read is None or read.operation_id in claimed or PARAM.match(last):
            continue
        schema = answers.schema(read)
        success = answers.success(read)
        semantics: dict[str, model.Semantics] = {}
        if schema is not None and schemas.is_object(schema, components):
            semantics = _writes(by_path[path], schema, components, claimed)
        if semantics or (PROBES.match(last) and success is not None):
            semantics[read.operation_id] = "read"
            found.append(
                model.Resource(
                    name=re.sub(r"[^A-Za-z0-9_]", "_", last) or "root",
                    collection_path=path,
                    item_path=None,
                    id_parameter=None,
                    key="",
                    item_schema=schema or model.Schema(),
                    create_body=None,
                    operations=semantics,
                    singleton=True,
                )
            )
    return found


def _writes(
    methods: Mapping[str, model.Operation],
    item: model.Schema,
    components: Mapping[str, model.Schema],
    claimed: Set[str],
) -> dict[str, model.Semantics]:
    found: dict[str, model.Semantics] = {}
    fields = {p.name for p in schemas.flatten(item, components).properties}
    for method, op in methods.items():
        if op.operation_id in claimed or not _answers(op, item, components):
            continue
        if method == "delete":
            found[op.operation_id] = "reset"
            continue
        body = answers.json_object(op, components)
        if method in WRITES and body is not None:
            written = {p.name for p in schemas.flatten(body.schema, components).properties}
            if written & fields:
                found[op.operation_id] = WRITES[method]
    return found


def _answers(op: model.Operation, item: model.Schema, components: Mapping[str, model.Schema]) -> bool:
    """Whether a write answers the stored value, or nothing."""
    if answers.success(op) is None:
        return False
    schema = answers.schema(op)
    return schema is None or envelopes.holds(schema, item, components) is not None
