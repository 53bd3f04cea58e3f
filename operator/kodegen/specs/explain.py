"""openapi-spec-validator's findings as one line a person can act on: where (the JSON
pointer in the document), why, and what would fix it.

The validator reports some problems without a place in the document: an undeclared path
parameter names only the path and method; a schema's `default` is checked against the schema
on its own (the error's path is empty); each schema of a 3.1 document is validated apart, so a
path is relative to that schema. `explain` finds the place (`locate`: the first node, in
document order, from which the error's path leads to the error's value) and says the rule.

    explain(document, error, version)  -> (pointer, reason), or None for a finding kodegen
                                          accepts (see `accepted`)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from kodegen.specs import keywords, refs

__all__ = ["accepted", "explain", "locate"]

_OPERATION = re.compile(r"for '(\w+)' operation in '([^']*)'")
_UNRESOLVED = re.compile(r"Path parameter '([^']+)' for '(\w+)' operation in '([^']*)'")
_UNEXPECTED = re.compile(r"\('([^']+)'(?:, '[^']+')* (?:was|were) unexpected\)")
_NOT_MATCHING = re.compile(r"^'([^']+)' does not match any of the regexes: '\^x-'")
_RANGES = {"int32": 2**31, "int64": 2**63}
_FIELDS = [
    "openapi",
    "info",
    "servers",
    "paths",
    "components",
    "security",
    "tags",
    "externalDocs",
    "webhooks",
    "summary",
    "description",
    "operationId",
    "parameters",
    "requestBody",
    "responses",
    "callbacks",
    "deprecated",
    "content",
    "schema",
    "schemas",
    "required",
    "name",
    "in",
    "style",
    "explode",
    "allowReserved",
    "example",
    "examples",
    "headers",
    "links",
    "properties",
    "items",
    "type",
    "format",
    "enum",
    "default",
    "nullable",
    "discriminator",
    "readOnly",
    "writeOnly",
    "additionalProperties",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "title",
    "pattern",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "securitySchemes",
    "requestBodies",
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
    "url",
    "variables",
    "version",
    "license",
    "contact",
    "termsOfService",
]
"""The fixed fields of OpenAPI's objects: what a misspelled field most likely meant."""


def accepted(error: Any) -> bool:
    """A finding kodegen reads past: a `default` integer just outside its `format`'s range
    (`default: 9223372036854776000` with `format: int64`, JavaScript's rounding of the
    largest long). OpenAPI asks a default to conform to the schema's *type* (an integer it
    is); `format` is an open annotation, and the value is kept as it is written."""
    if getattr(error, "validator", None) != "format" or list(error.absolute_path):
        return False
    instance, schema = error.instance, getattr(error, "schema", None)
    return (
        isinstance(instance, int)
        and not isinstance(instance, bool)
        and isinstance(schema, dict)
        and schema.get("default") == instance
        and error.validator_value in _RANGES
    )


def explain(document: dict[str, Any], error: Any, version: str) -> tuple[str, str]:
    """The pointer and the one-line reason of a validator finding."""
    message = " ".join(str(getattr(error, "message", error)).split())
    unresolved = _UNRESOLVED.search(message)
    if unresolved:
        return _path_parameter(document, *unresolved.groups())
    path = list(getattr(error, "absolute_path", ()) or ())
    schema = getattr(error, "schema", None)
    if not path and isinstance(schema, dict) and "default" in schema and _about_default(error):
        where = locate(document, (), schema)
        pointer = refs.join(where or "", "default")
        declared = schema.get("type")
        return pointer, (
            f"the default {_short(schema['default'])} does not fit its schema "
            f"({keywords.reason(error)}); OpenAPI {version} requires a default to conform to "
            f"the schema{'' if declared is None else f' (type {declared})'}: write it as such "
            "a value, or remove it"
        )
    pointer = refs.join("", *path)
    if path and not _reaches(document, path, error.instance):
        found = locate(document, path, error.instance)
        pointer = refs.join(found, *path) if found is not None else pointer
    if not path:
        operation = _OPERATION.search(message)
        if operation:
            pointer = refs.join("/paths", operation.group(2), operation.group(1))
    return pointer, _reason(error, message)


def locate(document: Any, path: Sequence[Any], instance: Any) -> str | None:
    """The pointer of the first node (document order) from which `path` leads to a value
    equal to `instance`."""
    stack: list[tuple[str, Any]] = [("", document)]
    while stack:
        pointer, node = stack.pop()
        if _follow(node, path, instance):
            return pointer
        if isinstance(node, dict):
            stack.extend((refs.join(pointer, k), v) for k, v in reversed(list(node.items())))
        elif isinstance(node, list):
            stack.extend((refs.join(pointer, i), v) for i, v in reversed(list(enumerate(node))))
    return None


def _follow(node: Any, path: Sequence[Any], instance: Any) -> bool:
    for segment in path:
        if isinstance(node, list) and isinstance(segment, int) and 0 <= segment < len(node):
            node = node[segment]
            continue
        if not (isinstance(node, dict) and isinstance(segment, str) and segment in node):
            return False
        node = node[segment]
    return bool(node == instance and type(node) is type(instance))


def _reaches(document: Any, path: Sequence[Any], instance: Any) -> bool:
    return _follow(document, path, instance)


def _about_default(error: Any) -> bool:
    schema = error.schema
    return bool(error.instance == schema.get("default"))


def _path_parameter(document: dict[str, Any], name: str, method: str, path: str) -> tuple[str, str]:
    operation = refs.join("/paths", path, method)
    item = document.get("paths", {}).get(path, {})
    node = item.get(method, {}) if isinstance(item, dict) else {}
    pointer = operation
    for holder, where in ((node, operation), (item, refs.join("/paths", path))):
        parameters = holder.get("parameters") if isinstance(holder, dict) else None
        for index, parameter in enumerate(parameters if isinstance(parameters, list) else ()):
            if isinstance(parameter, dict) and parameter.get("name") == name:
                pointer = refs.join(where, "parameters", index)
                break
    in_path = "{" + name + "}" in path
    reason = (
        f"the path parameter {name!r} is not in the path {path!r}: write {{{name}}} into the "
        "path, or declare the parameter `in: query` (a path parameter must name a template "
        "expression of its path)"
        if not in_path
        else f"the path parameter {name!r} of {path!r} is not declared for {method}: add it "
        "to the operation's (or the path's) parameters with `in: path, required: true`"
    )
    return pointer, reason


def _reason(error: Any, message: str) -> str:
    unexpected = _UNEXPECTED.search(message) or _NOT_MATCHING.search(message)
    if unexpected:
        field = unexpected.group(1)
        known = [*(getattr(error, "schema", None) or {}).get("properties", {}), *_FIELDS]
        close = difflib.get_close_matches(field, known, n=1, cutoff=0.6)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return (
            f"unknown field {field!r}: this object takes only its own fields and `x-` "
            f"extensions{hint}"
        )
    path = list(getattr(error, "absolute_path", ()) or ())
    if path and path[-1] == "type" and getattr(error, "validator", None) == "enum":
        names = ", ".join(repr(v) for v in error.validator_value)
        return (
            f"`type` {_short(error.instance)} is not a type: write one of {names} (a list of "
            "them in 3.1), or leave `type` out to allow any value"
        )
    return keywords.reason(error)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
