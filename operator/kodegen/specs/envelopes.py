"""Bodies that wrap what a store holds: `{"article": {...}}` around one item, `{"data": [...]}`
or `{"items": [...], "total": n}` around a list.

    item envelope   an object whose only property is an object: that property names the wrap
    list envelope   an object with exactly one property that is an array of objects; its other
                    properties keep the values of a sample, integers named like a count
                    (`total`, `count`, ...) say how many items there are
"""

from __future__ import annotations

from collections.abc import Mapping

from kodegen.specs import model, schemas

COUNTS = ("total", "count", "totalcount", "total_count", "totalitems", "total_items", "size")
REMOVED = ("deleted", "removed", "purged", "affected", "nbdeleted", "deletedcount")
"""Integer properties of a purge's answer that say how many items went."""


def items(
    schema: model.Schema | None, components: Mapping[str, model.Schema], depth: int = 0
) -> tuple[tuple[str, ...], model.Schema] | None:
    """((), item schema) for an array of objects; (path, item schema) for a list envelope,
    `path` the properties leading to the array (`("data", "results")`)."""
    if schema is None or depth > 2:
        return None
    resolved = schemas.resolve(schema, components)
    if resolved.type == "array" and resolved.items is not None:
        return ((), resolved.items) if schemas.is_object(resolved.items, components) else None
    if resolved.one_of or resolved.any_of:
        return None
    flat = schemas.flatten(schema, components)
    if flat.type not in ("object", "any") or not flat.properties:
        return None
    lists = [p for p in flat.properties if schemas.is_array(p.schema, components)]
    if not lists:  # `{"data": {...}}` around a list envelope
        inner = item(schema, components)
        found = items(inner[1], components, depth + 1) if inner else None
        return ((inner[0], *found[0]), found[1]) if inner and found else None
    if len(lists) != 1:
        return None
    array = schemas.resolve(lists[0].schema, components).items
    if array is None or not schemas.is_object(array, components):
        return None
    return (lists[0].name,), array


def item(
    schema: model.Schema | None, components: Mapping[str, model.Schema]
) -> tuple[str, model.Schema] | None:
    """(property, inner schema) when `schema` is an object whose only property is an object."""
    if schema is None:
        return None
    flat = schemas.flatten(schema, components)
    if flat.type != "object" or len(flat.properties) != 1 or flat.one_of or flat.any_of:
        return None
    (prop,) = flat.properties
    if not schemas.is_object(prop.schema, components):
        return None
    return prop.name, prop.schema


def member(
    schema: model.Schema | None, target: model.Schema, components: Mapping[str, model.Schema]
) -> tuple[str, model.Schema] | None:
    """(property, its schema) of the one property of object `schema` that holds a `target`
    beside other fields (`{"principal": Principal, "credentials": {...}}`), or None."""
    if schema is None:
        return None
    flat = schemas.flatten(schema, components)
    if flat.type != "object" or flat.one_of or flat.any_of:
        return None
    found = [
        p
        for p in flat.properties
        if schemas.is_object(p.schema, components) and same(p.schema, target, components)
    ]
    return (found[0].name, found[0].schema) if len(found) == 1 else None


def counts(
    schema: model.Schema, components: Mapping[str, model.Schema], names: tuple[str, ...] = COUNTS
) -> list[str]:
    """The integer properties of a list envelope that say how many items it holds (or, with
    `names=REMOVED`, of a purge's answer that say how many went)."""
    flat = schemas.flatten(schema, components)
    return [
        p.name
        for p in flat.properties
        if p.name.lower().replace("_", "") in names
        and schemas.resolve(p.schema, components).type == "integer"
    ]


def same(a: model.Schema, b: model.Schema, components: Mapping[str, model.Schema]) -> bool:
    """Whether two schemas describe the same item: the same component, or equal property names
    and types (schemas written inline twice)."""
    if a.ref is not None and a.ref == b.ref:
        return True
    fa, fb = schemas.flatten(a, components), schemas.flatten(b, components)
    return _shape(fa, components) == _shape(fb, components)


def _shape(
    schema: model.Schema, components: Mapping[str, model.Schema]
) -> tuple[tuple[str, str, str | None, bool], ...]:
    return tuple(
        sorted(
            (
                p.name,
                schemas.resolve(p.schema, components).type,
                p.schema.ref,
                p.required,
            )
            for p in schema.properties
        )
    )


def holds(
    schema: model.Schema | None, item_schema: model.Schema, components: Mapping[str, model.Schema]
) -> tuple[str, ...] | None:
    """The path to one `item_schema` inside an answer of `schema`: () when it is the item
    itself, (name,) when `{name: item}` wraps it, None when it holds none."""
    if schema is None:
        return None
    if same(schema, item_schema, components):
        return ()
    inner = item(schema, components) or member(schema, item_schema, components)
    if inner is not None and same(inner[1], item_schema, components):
        return (inner[0],)
    return None
