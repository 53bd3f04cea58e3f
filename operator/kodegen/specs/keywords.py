"""The JSON Schema keywords OpenAPI and JSON Schema documents read the same way, for the two
parsers (`openapi`, `jsonschema`) that turn a schema node into a `model.Schema`."""

from __future__ import annotations

from typing import Any, cast

from kodegen.specs import model

__all__ = ["common", "declared_type"]


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


def common(node: dict[str, Any]) -> dict[str, Any]:
    """`model.Schema` fields read alike in both dialects (`const` is a one-value enum)."""
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
        "min_length": node.get("minLength"),
        "max_length": node.get("maxLength"),
        "pattern": node.get("pattern"),
        "min_items": node.get("minItems"),
        "max_items": node.get("maxItems"),
        "unique_items": bool(node.get("uniqueItems")),
    }
