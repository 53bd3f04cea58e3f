"""Why an operation has no store semantics: one line a person can check against the spec.

The rules of `specs.resources`, `specs.actions` and `specs.singletons` turned upside down:
each reason names the rule that came closest and what in the operation kept it out.
"""

from __future__ import annotations

from collections.abc import Mapping

from kodegen.specs import answers, envelopes, model, schemas


def why(spec: model.ApiSpec, op: model.Operation) -> str:
    where = f"{op.method.upper()} {op.path}"
    components = spec.schemas
    success = answers.success(op)
    answer = answers.schema(op)
    if answers.refuses(op):
        codes = ", ".join(sorted(r.status for r in op.responses))
        return f"{where} documents only error answers ({codes}): it answers the first of them"
    if op.method in ("head", "options", "trace"):
        return f"{where}: only a HEAD on a stored item's path is answered from a store"
    if op.body is not None and "json" not in op.body.media_type:
        return f"{where} takes {op.body.media_type}, which kodegen does not store (JSON only)"
    if success is not None and success.media_type and "json" not in success.media_type:
        return f"{where} answers {success.media_type}, which stored JSON items cannot make"
    parent = _under_item(spec, op)
    if parent is not None and op.method != "get":
        verb = op.path[len(parent.item_path or "") + 1 :]
        return (
            f"{where}: an action on a stored {parent.name} whose name ({verb!r}) matches no "
            "enum value or boolean field of it, so there is no field to set"
        )
    if op.method == "get":
        return _read(where, op, answer, components)
    if op.body is not None and not schemas.is_object(op.body.schema, components):
        return f"{where} takes a body that is not a JSON object with properties"
    near = _near_read(spec, op)
    if near is not None:
        return (
            f"{where} sends no field of what GET {near} answers with the same name and type "
            "(or, without a body, names no field of it to set), so it writes no stored value"
        )
    if not any(o.method == "get" and o.path == op.path for o in spec.operations):
        return (
            f"{where} changes something no GET of this spec reads back, so a store "
            "could not show its effect"
        )
    return (
        f"{where}: its GET answers what no create, write or action of this spec produces "
        "(a computed result, not a stored item)"
    )


def _read(
    where: str,
    op: model.Operation,
    answer: model.Schema | None,
    components: Mapping[str, model.Schema],
) -> str:
    if answer is None:
        return f"{where} answers no JSON body, so there is nothing to read from a store"
    resolved = schemas.resolve(answer, components)
    if resolved.type == "array":
        kind = schemas.resolve(resolved.items, components).type if resolved.items else "any"
        if kind == "object":
            return f"{where} answers a list of objects with no declared properties to store"
        return f"{where} answers a list of {kind} values, not of objects a store keeps"
    if envelopes.items(answer, components) is not None:
        return f"{where} lists objects under a path whose item GET answers another schema"
    if not schemas.is_object(answer, components):
        return f"{where} answers a {resolved.type} value computed by the service, not stored"
    if op.path.rstrip("/").endswith("}"):
        return (
            f"{where} reads one object by id, but its item schema has no property matching "
            "the id, or no list or create holds such objects"
        )
    return f"{where} answers an object that no operation of this spec writes, so it is computed"


def _near_read(spec: model.ApiSpec, op: model.Operation) -> str | None:
    """The path of an object GET above or beside `op`'s (with no GET of its own) that an
    RPC-style write there could have written (`specs.singletons`)."""
    if any(o.method == "get" and o.path == op.path for o in spec.operations):
        return None
    parent = op.path.rpartition("/")[0]
    for other in spec.operations:
        answer = answers.schema(other)
        if other.method != "get" or answer is None:
            continue
        if other.path != parent and other.path.rpartition("/")[0] != parent:
            continue
        if schemas.is_object(answer, spec.schemas):
            return other.path
    return None


def _under_item(spec: model.ApiSpec, op: model.Operation) -> model.Resource | None:
    for resource in spec.resources:
        if resource.item_path and op.path.startswith(resource.item_path + "/"):
            rest = op.path[len(resource.item_path) + 1 :]
            if "/" not in rest and "{" not in rest:
                return resource
    return None
