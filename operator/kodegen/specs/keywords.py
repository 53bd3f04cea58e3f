"""The JSON Schema keywords OpenAPI and JSON Schema documents read the same way, for the two
parsers (`openapi`, `jsonschema`) that turn a schema node into a `model.Schema`."""

from __future__ import annotations

import json
import math
from typing import Any, cast

from kodegen import errors
from kodegen.documents import limits as limits_
from kodegen.specs import model, refs

__all__ = ["common", "declared_type", "deepest", "reason"]


def declared_type(node: dict[str, Any]) -> tuple[model.SchemaType, bool]:
    """The node's type and whether null is allowed (`["string", "null"]`); inferred from the
    keywords present when `type` is absent."""
    declared = node.get("type")
    nullable = False
    if isinstance(declared, list):
        nullable = "null" in declared
        rest = [t for t in declared if t != "null"]
        declared = rest[0] if len(rest) == 1 else (None if rest else "null")
    if isinstance(declared, str):
        return cast(model.SchemaType, declared), nullable
    if "properties" in node or "additionalProperties" in node:
        return "object", nullable
    if "items" in node or "prefixItems" in node:
        return "array", nullable
    return "any", nullable


def common(
    node: dict[str, Any], pointer: str = "", *, limits: limits_.Limits = limits_.DEFAULT
) -> dict[str, Any]:
    """`model.Schema` fields read alike in both dialects (`const` is a one-value enum). Counts
    (`minLength`, `maxItems`, ...) are whole numbers (`5.0` is 5); the lower bounds, which a
    sample must meet, are at most `limits.max_count`."""
    enum = [node["const"]] if "const" in node else node.get("enum")
    return {
        "title": node.get("title"),
        "description": node.get("description"),
        "enum": tuple(enum) if isinstance(enum, list) else None,
        "format": node.get("format"),
        "read_only": bool(node.get("readOnly")),
        "write_only": bool(node.get("writeOnly")),
        "default": node.get("default", model.MISSING),
        "multiple_of": node.get("multipleOf"),
        "min_length": _count(node, "minLength", pointer, limits.max_count),
        "max_length": _count(node, "maxLength", pointer, None),
        "pattern": node.get("pattern"),
        "min_items": _count(node, "minItems", pointer, limits.max_count),
        "max_items": _count(node, "maxItems", pointer, None),
        "unique_items": bool(node.get("uniqueItems")),
    }


def _count(node: dict[str, Any], keyword: str, pointer: str, most: int | None) -> int | None:
    value = node.get(keyword)
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        return None  # the metaschema reports a count that is not a number
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise errors.SpecError(
            pointer=refs.join(pointer, keyword), reason=f"{value!r} is not a whole number"
        )
    count = int(value)
    if most is not None and count > most:
        raise errors.SpecError(
            pointer=refs.join(pointer, keyword),
            reason=f"{count} is more than the {most} kodegen builds sample values for "
            "(limits.max_count); a value this long cannot be generated or tested",
        )
    return max(count, 0)


def deepest(error: Any) -> Any:
    """The most specific cause of a jsonschema `ValidationError`: a failed `oneOf`/`anyOf`
    keeps one error per alternative in its context; the alternative that got furthest into
    the value (the longest path: the Schema of `Schema | Reference`, not "'$ref' is a required
    property") and, among those, the one `best_match` picks says why (`'jsonb' is not one of
    [...]`) where the top error only dumps the value."""
    import jsonschema.exceptions  # type: ignore[import-untyped]  # only on the error path

    while error.context:
        furthest = max(len(e.absolute_path) for e in error.context)
        candidates = [e for e in error.context if len(e.absolute_path) == furthest]
        best = jsonschema.exceptions.best_match(candidates)
        error = best if best is not None else candidates[0]
    return error


def reason(error: Any) -> str:
    """A jsonschema `ValidationError` as one line of at most 300 characters, a value quoted
    in it cut short: a dump of the offending subtree is no reason."""
    lines = str(error.message).strip().splitlines() or [""]
    message = " ".join(lines[0].split())  # later lines: the failing schema and instance
    if isinstance(error.instance, dict | list):
        for dump in (
            json.dumps(error.instance, sort_keys=True, default=str),
            json.dumps(error.instance, default=str),
            repr(error.instance),
        ):
            if len(dump) > 80 and dump in message:
                message = message.replace(dump, dump[:60] + "...")
    return message if len(message) <= 300 else message[:297] + "..."
