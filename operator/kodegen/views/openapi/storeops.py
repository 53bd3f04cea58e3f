"""How one operation with store semantics reads and writes its store, seen by a template.

- unwrap: the request body's envelope property (`{"article": {...}}` -> the article), or None
- wrap: the properties leading to the stored value in the answer (`("data", "results")`)
- shell: a sample of the answer the value is placed in (an envelope's other fields)
- key_only: a create answering a scalar (the new item's name or id) answers the item's key
- fill: fields the answer requires that the stored item has no schema for, with sample values
  (a create answering `TemplateLegacy` for a stored `Template`), put under the item
- counts: integer fields of a list envelope set to the number of items (of a purge: removed)
- change: (field, value) an action sets
- singleton: whether the operation reads or writes a singleton (no key)
- keep: the fields an RPC-style update (`POST /items/{id}`, `PUT /items/{id}/status`) keeps
- expected: what a singleton or an item holds after the test's write (the fields kept)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kodegen.specs import answers, envelopes, fields, model, samples, schemas
from kodegen.templates import untrusted

LISTS = ("list",)
ITEMS = ("create", "get", "replace", "update", "delete", "action", "read", "write", "modify")


def view(
    spec: model.ApiSpec, op: model.Operation, resource: model.Resource | None, semantics: str
) -> dict[str, Any]:
    found: dict[str, Any] = {
        "unwrap": None, "wrap": [], "shell": None, "counts": [], "change": None,
        "seeded": bool(resource and resource.create_body is None and not resource.singleton),
        "expected": {}, "singleton": bool(resource and resource.singleton), "keep": None,
        "fill": {}, "key_only": False,
    }  # fmt: skip
    if resource is None or semantics == "custom":
        return found
    components = spec.schemas
    answer = answers.schema(op)
    if op.body is not None and resource.create_body is not None:
        created = resource.create_body.schema
        inner = envelopes.item(op.body.schema, components) or envelopes.member(
            op.body.schema, created, components
        )
        if inner is not None and envelopes.same(inner[1], created, components):
            found["unwrap"] = untrusted.mark(inner[0])
    elif op.body is not None and semantics in ("replace", "update"):
        inner = envelopes.item(op.body.schema, components)
        if inner is not None and envelopes.same(inner[1], resource.item_schema, components):
            found["unwrap"] = untrusted.mark(inner[0])
    if semantics in LISTS and answer is not None:
        listed = envelopes.items(answer, components)
        if listed is not None and listed[0]:
            found["wrap"] = untrusted.mark(list(listed[0]))
            found["shell"] = samples.sample(answer, components)
            found["counts"] = untrusted.mark(_counts(answer, listed[0], components))
    elif semantics == "count" and answer is not None:
        found["counts"] = untrusted.mark(envelopes.counts(answer, components))
    elif semantics == "purge" and answer is not None:
        names = envelopes.COUNTS + envelopes.REMOVED
        found["counts"] = untrusted.mark(envelopes.counts(answer, components, names))
    elif semantics in ITEMS and answer is not None and not resource.singleton:
        path = envelopes.holds(answer, resource.item_schema, components)
        if path:  # the envelope's other fields (`credentials` beside `principal`): a sample
            found["wrap"] = untrusted.mark(list(path))
            found["shell"] = samples.sample(answer, components)
        elif semantics == "create" and resource.key and _scalar(answer, components):
            found["key_only"] = True
        elif path is None:
            found["fill"] = _fill(answer, resource.item_schema, components)
    if semantics in ("write", "modify"):
        found["expected"] = expected(spec, op, accepted(spec, resource))
    if (
        semantics == "update"
        and op.body is not None
        and (op.method == "post" or op.path.rstrip("/") != resource.item_path)
    ):  # RPC style: only the item's fields it sends, with the item's types
        keep = [
            name
            for name in fields.shared(op.body.schema, resource.item_schema, components)
            if name != resource.key
        ]
        found["keep"] = untrusted.mark(keep)
        found["expected"] = expected(spec, op, keep)
    if semantics == "action":
        field, value = resource.actions[op.operation_id]
        found["change"] = untrusted.mark([field, value])
    return found


def _scalar(schema: model.Schema, components: Mapping[str, model.Schema]) -> bool:
    return schemas.resolve(schema, components).type in ("string", "integer", "number")


def _fill(
    answer: model.Schema, item: model.Schema, components: Mapping[str, model.Schema]
) -> dict[str, Any]:
    """Sample values of the fields `answer` requires that `item` does not declare."""
    if not schemas.is_object(answer, components):
        return {}
    declared = {p.name for p in schemas.flatten(item, components).properties}
    sample = samples.sample(answer, components)
    wanted = schemas.flatten(answer, components).required
    if not isinstance(sample, dict):
        return {}
    return {name: sample[name] for name in wanted if name not in declared and name in sample}


def accepted(spec: model.ApiSpec, resource: model.Resource) -> list[str]:
    """Fields of a singleton its writes keep: those a write's body and the read's answer share,
    with the same type (anything else would make the read answer what its schema forbids)."""
    keep: set[str] = set()
    for op in spec.operations:
        if resource.operations.get(op.operation_id) not in ("write", "modify") or op.body is None:
            continue
        keep.update(fields.shared(op.body.schema, resource.item_schema, spec.schemas))
    return sorted(keep)


def expected(spec: model.ApiSpec, op: model.Operation, keep: list[str]) -> dict[str, Any]:
    """What a singleton's write of the test's body leaves in the fields it keeps."""
    if op.body is None:
        return {}
    sent = samples.sample(op.body.schema, spec.schemas, writing=True)
    return {k: v for k, v in sent.items() if k in keep} if isinstance(sent, dict) else {}


def _counts(
    answer: model.Schema, path: tuple[str, ...], components: Mapping[str, model.Schema]
) -> list[str]:
    """Count fields of the object that holds the list."""
    schema = answer
    for name in path[:-1]:
        flat = schemas.flatten(schema, components)
        schema = next(p.schema for p in flat.properties if p.name == name)
    return envelopes.counts(schema, components)
