"""State actions: `POST /orders/{id}/cancel`, `PUT /users/{id}/enable` set one field of a stored
item, the field the action's name points at.

    an enum field with a value the verb starts   cancel -> "cancelled", approve -> "approved"
    a boolean field the verb names               enable -> enabled = true, lock -> locked = true
    the same with a negating prefix              disable, unlock, deactivate -> ... = false

The action answers the item (or nothing, when it declares no body); anything else it answers
keeps it custom. A write at such a path whose body sends fields of the item (same types:
`PUT /campaigns/{id}/status {"status": ...}`) is a partial update of those fields.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any

from kodegen.specs import answers, envelopes, fields, model, schemas

METHODS = ("post", "put", "patch")
NEGATIONS = {"disable": "enable", "deactivate": "activate", "hide": "show"}
PREFIXES = ("un", "de", "dis")


def attach(
    resource: model.Resource,
    by_path: Mapping[str, Mapping[str, model.Operation]],
    components: Mapping[str, model.Schema],
) -> model.Resource:
    """`resource` with the actions found one segment under its item path."""
    if resource.item_path is None or not resource.key:
        return resource
    prefix = resource.item_path + "/"
    found = dict(resource.operations)
    sets = dict(resource.actions)
    for path in sorted(by_path):
        verb = path[len(prefix) :] if path.startswith(prefix) else ""
        if not verb or not re.fullmatch(r"[A-Za-z][A-Za-z_-]*", verb):
            continue
        for method in METHODS:
            op = by_path[path].get(method)
            if (
                op is None
                or op.operation_id in found
                or not _answers_item(op, resource, components)
            ):
                continue
            change = target(verb, resource.item_schema, components)
            body = answers.json_object(op, components)
            sent = fields.shared(body.schema, resource.item_schema, components) if body else []
            if set(sent) - {resource.key}:
                found[op.operation_id] = "update"
            elif change is not None:
                found[op.operation_id] = "action"
                sets[op.operation_id] = change
    return dataclasses.replace(resource, operations=found, actions=sets)


def target(
    verb: str, item: model.Schema, components: Mapping[str, model.Schema]
) -> tuple[str, Any] | None:
    """(field, value) the verb sets on an item of schema `item`, or None."""
    word = re.sub(r"[^a-z]", "", verb.lower())
    flat = schemas.flatten(item, components)
    for prop in flat.properties:
        resolved = schemas.resolve(prop.schema, components)
        for value in resolved.enum or ():
            if isinstance(value, str) and _stem(word) and _norm(value).startswith(_stem(word)):
                return prop.name, value
    for prop in flat.properties:
        resolved = schemas.resolve(prop.schema, components)
        if resolved.type != "boolean":
            continue
        name = re.sub(r"^is", "", _norm(prop.name)) or _norm(prop.name)
        if _names(word, name):
            return prop.name, True
        positive = NEGATIONS.get(word) or next(
            (word[len(p) :] for p in PREFIXES if word.startswith(p) and len(word) > len(p) + 2),
            "",
        )
        if positive and _names(positive, name):
            return prop.name, False
    return None


def _names(word: str, field: str) -> bool:
    stem = _stem(word)
    return bool(stem) and field.startswith(stem) and len(field) - len(stem) <= 3


def _stem(word: str) -> str:
    stem = word[:-1] if word.endswith("e") and len(word) > 4 else word
    return stem if len(stem) >= 3 else ""


def _norm(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower())


def _answers_item(
    op: model.Operation, resource: model.Resource, components: Mapping[str, model.Schema]
) -> bool:
    success = answers.success(op)
    if success is None:
        return False
    schema = answers.schema(op)
    if schema is None:
        return True
    return envelopes.holds(schema, resource.item_schema, components) is not None
