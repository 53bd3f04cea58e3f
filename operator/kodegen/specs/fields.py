"""Fields two object schemas share: the same name and the same type (a value written through
one is valid when read through the other); `fits`, the looser question whether a value written
through one schema reads as valid through another."""

from __future__ import annotations

from collections.abc import Mapping

from kodegen.specs import model, schemas

NUMBER_DEMANDS = ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum", "multiple_of")
SCALAR_DEMANDS = ("format", "pattern", "min_length", "max_length", *NUMBER_DEMANDS)
"""What a reader of a scalar may demand that its writer must demand too (`fits`)."""


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


def fits(
    written: model.Schema,
    read: model.Schema,
    components: Mapping[str, model.Schema],
    depth: int = 8,
) -> bool:
    """Whether a value written through `written` can be read through `read` as it is: alike,
    or of the same kind with no stricter demand (`read`'s required properties all written,
    its enum holding `written`'s, each of its scalar constraints `written`'s too), looser than
    `alike` for inline objects; a written `oneOf`/`anyOf` fits a typed `read` when each of its
    members does; an otherwise untyped side fits. `depth` bounds the walk down recursive
    schemas (what lies deeper fits)."""
    if depth == 0 or alike(written, read, components):
        return True
    w, r = schemas.flatten(written, components), schemas.flatten(read, components)
    if w.nullable and not r.nullable:
        return False
    choices = (*w.one_of, *w.any_of)
    if choices and not (r.one_of or r.any_of) and r.type != "any":
        # each member may be what is written (a null one is never stored)
        return all(
            fits(member, read, components, depth - 1)
            for member in choices
            if schemas.resolve(member, components).type != "null"
        )
    if choices or r.one_of or r.any_of or "any" in (w.type, r.type):
        return True
    if (w.type, r.type) == ("integer", "number"):
        return r.enum is None and _demands(w, r, NUMBER_DEMANDS)
    if w.type != r.type:
        return False
    if r.enum is not None:
        return w.enum is not None and all(value in r.enum for value in w.enum)
    if w.type == "array":
        return w.items is None or r.items is None or fits(w.items, r.items, components, depth - 1)
    if w.type != "object":
        return _demands(w, r, SCALAR_DEMANDS)
    own = {p.name: p for p in w.properties}
    for prop in r.properties:
        mine = own.get(prop.name)
        if mine is None:
            if prop.required:
                return False
            continue
        if prop.required and not mine.required:
            return False
        if not fits(mine.schema, prop.schema, components, depth - 1):
            return False
    return True


def _demands(written: model.Schema, read: model.Schema, names: tuple[str, ...]) -> bool:
    """Whether each of `read`'s constraints among `names` is `written`'s too."""
    return all(
        getattr(read, name) is None or getattr(read, name) == getattr(written, name)
        for name in names
    )
