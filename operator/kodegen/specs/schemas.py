"""Questions asked of schemas: follow a reference, see an object through its `allOf`, see the
one member an `allOf` only annotates."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

from kodegen.specs import model


def resolve(schema: model.Schema, schemas: Mapping[str, model.Schema]) -> model.Schema:
    """The schema a reference names (references to references are followed)."""
    seen: set[str] = set()
    while schema.ref is not None and schema.ref not in seen:
        seen.add(schema.ref)
        schema = schemas[schema.ref]
    return schema


def flatten(schema: model.Schema, schemas: Mapping[str, model.Schema]) -> model.Schema:
    """An object schema with the properties and `required` of its `allOf` members merged in.

    Recursion through references stops at a reference already being flattened.
    """
    return _flatten(schema, schemas, frozenset())


def _flatten(
    schema: model.Schema, schemas: Mapping[str, model.Schema], seen: frozenset[str]
) -> model.Schema:
    if schema.ref is not None:
        if schema.ref in seen:
            return model.Schema(type="object")
        seen = seen | {schema.ref}
    schema = resolve(schema, schemas)
    if not schema.all_of:
        return schema
    properties: dict[str, model.Property] = {}
    required: list[str] = []
    for part in (*schema.all_of, dataclasses.replace(schema, all_of=())):
        flat = _flatten(part, schemas, seen)
        for prop in flat.properties:
            properties[prop.name] = prop
        required += [name for name in flat.required if name not in required]
    return dataclasses.replace(
        schema,
        type="object",
        all_of=(),
        properties=tuple(
            dataclasses.replace(p, required=p.name in required) for p in properties.values()
        ),
        required=tuple(required),
    )


def is_object(schema: model.Schema, schemas: Mapping[str, model.Schema]) -> bool:
    flat = flatten(schema, schemas)
    return flat.type == "object" and bool(flat.properties)


def is_array(schema: model.Schema, schemas: Mapping[str, model.Schema]) -> bool:
    return resolve(schema, schemas).type == "array"


_ANNOTATIONS = {
    "title": None,
    "description": None,
    "default": model.MISSING,
    "example": model.MISSING,
    "read_only": False,
    "write_only": False,
    "pointer": "",
}
"""Fields that say nothing of which values a schema accepts, as an empty schema has them."""


def sole(schema: model.Schema) -> model.Schema | None:
    """The one member of `schema`'s `allOf` that says what its values are, when `schema` and
    its other members only annotate (`allOf: [{$ref: X}]` beside a `description`; `allOf:
    [{$ref: X}, {default: 0}]`): the values are that member's. None otherwise."""
    if not schema.all_of or not _annotates(dataclasses.replace(schema, all_of=())):
        return None
    typed = [member for member in schema.all_of if not _annotates(member)]
    return typed[0] if len(typed) == 1 else None


def _annotates(schema: model.Schema) -> bool:
    return dataclasses.replace(schema, **_ANNOTATIONS) == model.Schema()
