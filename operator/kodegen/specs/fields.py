"""Fields two object schemas share: the same name and the same type (a value written through
one is valid when read through the other)."""

from __future__ import annotations

from collections.abc import Mapping

from kodegen.specs import model, schemas


def shared(
    written: model.Schema, read: model.Schema, components: Mapping[str, model.Schema]
) -> list[str]:
    """Names of `written`'s properties that `read` has with the same type, sorted."""
    kept = {p.name: p.schema for p in schemas.flatten(read, components).properties}
    return sorted(
        p.name
        for p in schemas.flatten(written, components).properties
        if p.name in kept and alike(p.schema, kept[p.name], components)
    )


def alike(a: model.Schema, b: model.Schema, components: Mapping[str, model.Schema]) -> bool:
    """The same component, the same scalar type with the same constraints, or arrays of
    alike items."""
    if a.ref is not None or b.ref is not None:
        return a.ref == b.ref
    ra, rb = schemas.resolve(a, components), schemas.resolve(b, components)
    if ra.type == "array" and rb.type == "array" and ra.items and rb.items:
        same = (ra.min_items, ra.max_items, ra.unique_items) == (
            rb.min_items, rb.max_items, rb.unique_items
        )  # fmt: skip
        return same and alike(ra.items, rb.items, components)
    if ra.type in ("object", "array", "any") or ra.type != rb.type:
        return False
    return (ra.enum, ra.format, ra.pattern, ra.nullable, ra.minimum, ra.maximum) == (
        rb.enum, rb.format, rb.pattern, rb.nullable, rb.minimum, rb.maximum
    ) and (ra.min_length, ra.max_length) == (rb.min_length, rb.max_length)  # fmt: skip
