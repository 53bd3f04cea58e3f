"""Mistakes in an OpenAPI document with one obvious reading, repaired before it is validated.

Real specs carry slips their own specification forbids but whose intent nobody could doubt.
Each is repaired in a copy of the document and reported (`Repair`: where, what was done); the
service serves the repaired document and the contract gate tests against it. Only these:

- a `default` or `example` of a boolean, integer or number schema written as a string that
  spells such a value (`default: 'true'`, `example: "10"`): the value it spells;
- an `enum` of objects that each hold a `const` (and notes: `description`, `deprecated`), on
  a schema of a scalar type (`enum: [{const: fastest_addr}, ...]`, meant as `oneOf` of
  consts): the enum of those values;
- a path parameter whose name no template expression of its path holds (`in: path` on
  `/check`): no request can carry it, so it is dropped;
- an example of a path parameter holding a `/` (`/local`), which no path segment carries:
  dropped, so a sample stands in;
- a template expression of a path no parameter of an operation declares (`{workspaceName}`):
  a required string path parameter (in Swagger 2.0 documents too, before their validation);
- a `pattern` written as a JavaScript regex literal (`/^[0-9]+$/`), whose `/` before `^`
  no string can match: the expression between the slashes;
- a `oneOf` of open objects that require nothing (`JobSerialPrint`, `JobFilePrint`), which
  every object meets at once so no sensible answer meets exactly one: `anyOf`;
- a `type` that names nothing (`type:` left empty, `type: {}`): left out, as no type at all
  (any value), which is what an author who wrote no type gets;
- a misspelled field of an operation (`paramteters`) or of a schema with a `type`
  (`propoerties`): the field it is one slip from, when the object lacks that field.

Anything else invalid is still refused, with the rule and the place (`explain`).
"""

from __future__ import annotations

import copy
import difflib
import math
import re
from dataclasses import dataclass
from typing import Any

from kodegen import errors
from kodegen.specs import refs

__all__ = ["Repair", "repair"]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
OPERATION_FIELDS = (
    "tags", "summary", "description", "externalDocs", "operationId", "parameters",
    "requestBody", "responses", "callbacks", "deprecated", "security", "servers",
    "consumes", "produces", "schemes",
)  # fmt: skip
"""The fields of an Operation Object (OpenAPI 3, and Swagger 2.0's three of its own)."""
SCHEMA_FIELDS = (
    "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems",
    "maxProperties", "minProperties", "required", "enum", "type", "allOf", "oneOf", "anyOf",
    "not", "items", "properties", "additionalProperties", "description", "format", "default",
    "nullable", "discriminator", "readOnly", "writeOnly", "xml", "externalDocs", "example",
    "examples", "deprecated", "const", "patternProperties",
)  # fmt: skip
TYPES = ("string", "integer", "number", "boolean", "array", "object", "null")
MAPS = frozenset(
    {"properties", "patternProperties", "definitions", "schemas", "$defs", "paths", "headers",
     "responses", "parameters", "requestBodies", "securitySchemes", "links", "callbacks",
     "content", "variables", "mapping", "examples", "encoding", "scopes"}
)  # fmt: skip
"""Keys whose object maps names to objects: none of its keys is a field to repair."""
_INTEGER = re.compile(r"-?(0|[1-9][0-9]*)")
_LITERAL = re.compile(r"/(\^.*)/[a-z]*", re.DOTALL)
"""`/^...$/flags`: a `/` then the start anchor matches nothing, so the slashes are delimiters."""


@dataclass(frozen=True, order=True)
class Repair:
    pointer: str
    message: str


def repair(document: dict[str, Any]) -> tuple[dict[str, Any], tuple[Repair, ...]]:
    """The document with its repairable slips repaired (the input is not changed)."""
    fixed = copy.deepcopy(document)
    found: list[Repair] = []
    _scalars(fixed, "", found, fixed)
    _misspelled(fixed, found)
    _path_parameters(fixed, found)
    _undeclared(fixed, found, swagger=False)
    return (fixed, tuple(found)) if found else (document, ())


def declare(document: dict[str, Any]) -> tuple[dict[str, Any], tuple[Repair, ...]]:
    """A Swagger 2.0 document with its undeclared template expressions declared."""
    fixed = copy.deepcopy(document)
    found: list[Repair] = []
    _misspelled(fixed, found)
    _undeclared(fixed, found, swagger=True)
    return (fixed, tuple(found)) if found else (document, ())


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    """(path, pointer, path item, operation) for every operation of the document."""
    paths = document.get("paths")
    found = []
    for path, item in paths.items() if isinstance(paths, dict) else ():
        if not isinstance(item, dict):
            continue
        for method in METHODS:
            if isinstance(item.get(method), dict):
                found.append((path, refs.join("/paths", path, method), item, item[method]))
    return found


def _misspelled(document: dict[str, Any], found: list[Repair]) -> None:
    for _, pointer, _, operation in _operations(document):
        _renamed(operation, OPERATION_FIELDS, pointer, "operation", found)


def _renamed(
    node: dict[str, Any], fields: tuple[str, ...], pointer: str, kind: str, found: list[Repair]
) -> None:
    """Each key of `node` one slip from a field of `fields` it lacks, renamed to it."""
    for key in list(node):
        if key in fields or str(key).startswith(("x-", "$")):
            continue
        close = difflib.get_close_matches(str(key), fields, n=1, cutoff=0.85)
        if close and close[0] not in node:
            node[close[0]] = node.pop(key)
            message = f"the {kind} field {key!r} is read as {close[0]!r}"
            found.append(Repair(refs.join(pointer, key), message))


def _undeclared(document: dict[str, Any], found: list[Repair], *, swagger: bool) -> None:
    for path, pointer, item, operation in _operations(document):
        declared = {
            resolved.get("name")
            for parameter in [*(item.get("parameters") or []), *(operation.get("parameters") or [])]
            if isinstance(resolved := _resolved(document, parameter, pointer), dict)
            and resolved.get("in") == "path"
        }
        for name in re.findall(r"\{([^{}]+)\}", str(path)):
            if name in declared or not isinstance(operation.get("parameters", []), list):
                continue
            value = {"type": "string"} if swagger else {"schema": {"type": "string"}}
            operation.setdefault("parameters", []).append(
                {"name": name, "in": "path", "required": True, **value}
            )
            declared.add(name)
            message = f"{{{name}}} in the path has no parameter: declared as a required string"
            found.append(Repair(pointer, message))


def _scalars(node: Any, pointer: str, found: list[Repair], root: dict[str, Any]) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _scalars(item, refs.join(pointer, index), found, root)
        return
    if not isinstance(node, dict):
        return
    if pointer.rsplit("/", 1)[-1] in MAPS:  # names -> objects: a key is a name, not a field
        for key, value in node.items():
            _scalars(value, refs.join(pointer, key), found, root)
        return
    if "type" in node and node["type"] in (None, {}, ""):
        node.pop("type")
        found.append(Repair(refs.join(pointer, "type"), "a `type` naming nothing is left out"))
    pattern = node.get("pattern")
    literal = _LITERAL.fullmatch(pattern) if isinstance(pattern, str) else None
    if literal is not None:
        node["pattern"] = literal.group(1)
        message = f"the pattern {pattern!r} is a regex literal; read as {literal.group(1)!r}"
        found.append(Repair(refs.join(pointer, "pattern"), message))
    kind = node.get("type")
    if isinstance(kind, str) and kind in TYPES:
        _renamed(node, SCHEMA_FIELDS, pointer, "schema", found)
    _consts(node, pointer, found)
    _open_choice(node, pointer, found, root)
    for key in ("default", "example"):
        value = node.get(key)
        if isinstance(kind, str) and isinstance(value, str):
            spelled = _spelled(kind, value)
            if spelled is not None:
                node[key] = spelled
                found.append(
                    Repair(
                        refs.join(pointer, key),
                        f"the {key} {value!r} is a string; read as the {kind} {spelled!r}",
                    )
                )
    for key, value in node.items():
        if key not in ("default", "example", "examples", "enum", "const"):
            _scalars(value, refs.join(pointer, key), found, root)


def _open_choice(
    node: dict[str, Any], pointer: str, found: list[Repair], root: dict[str, Any]
) -> None:
    members = node.get("oneOf")
    if not isinstance(members, list) or len(members) < 2 or "discriminator" in node:
        return
    resolved = [_resolved(root, m, pointer) for m in members]
    if all(
        isinstance(m, dict)
        and (m.get("type") == "object" or "properties" in m)
        and not m.get("required")
        and m.get("additionalProperties", True) is not False
        and not any(k in m for k in ("allOf", "oneOf", "anyOf", "not", "enum", "const"))
        for m in resolved
    ):
        node["anyOf"] = node.pop("oneOf")
        message = (
            "a oneOf of open objects that require nothing (every object meets them all) is "
            "read as anyOf"
        )
        found.append(Repair(refs.join(pointer, "oneOf"), message))


_NOTES = frozenset({"const", "description", "deprecated", "title", "x-enum-description"})


def _consts(node: dict[str, Any], pointer: str, found: list[Repair]) -> None:
    members = node.get("enum")
    if (
        node.get("type") not in ("string", "integer", "number", "boolean")
        or not isinstance(members, list)
        or not members
        or not all(isinstance(m, dict) and "const" in m and set(m) <= _NOTES for m in members)
    ):
        return
    node["enum"] = [member["const"] for member in members]
    found.append(
        Repair(
            refs.join(pointer, "enum"),
            f"an enum of {len(members)} objects each holding a `const` is read as the enum of "
            "their values",
        )
    )


def _spelled(kind: str, text: str) -> Any:
    """The value of JSON type `kind` that `text` spells, or None."""
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    if kind in ("integer", "number") and _INTEGER.fullmatch(text):
        return int(text)
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _path_parameters(document: dict[str, Any], found: list[Repair]) -> None:
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return
    for path, item in paths.items():
        if not isinstance(item, dict):
            continue
        names = set(re.findall(r"\{([^{}]+)\}", str(path)))
        where = refs.join("/paths", path)
        holders = [(where, item)] + [
            (refs.join(where, method), item[method])
            for method in METHODS
            if isinstance(item.get(method), dict)
        ]
        for pointer, holder in holders:
            parameters = holder.get("parameters")
            if not isinstance(parameters, list):
                continue
            kept = []
            for index, parameter in enumerate(parameters):
                resolved = _resolved(document, parameter, refs.join(pointer, "parameters", index))
                name = resolved.get("name") if isinstance(resolved, dict) else None
                if (
                    isinstance(resolved, dict)
                    and resolved.get("in") == "path"
                    and name not in names
                ):
                    found.append(
                        Repair(
                            refs.join(pointer, "parameters", index),
                            f"the path parameter {name!r} names no part of the path {path!r}; "
                            "no request can carry it, so it is left out",
                        )
                    )
                    continue
                if isinstance(resolved, dict) and resolved.get("in") == "path":
                    _slashed(resolved, refs.join(pointer, "parameters", index), found)
                kept.append(parameter)
            holder["parameters"] = kept


def _slashed(parameter: dict[str, Any], pointer: str, found: list[Repair]) -> None:
    """Drop a path parameter's examples that hold a `/`: one path segment cannot carry it
    (sent as `%2F`, servers route it as a `/`), so tests and the contract gate use a sample."""
    schema = parameter.get("schema")
    for holder, where in ((parameter, pointer), (schema, refs.join(pointer, "schema"))):
        if isinstance(holder, dict) and "/" in str(holder.get("example", "")):
            found.append(
                Repair(
                    refs.join(where, "example"),
                    f"the example {holder.pop('example')!r} of a path parameter holds a '/', "
                    "which no path segment carries: a sample is used",
                )
            )


def _resolved(document: dict[str, Any], node: Any, pointer: str) -> Any:
    """A parameter, its `$ref` followed (`refs.check` has seen every one resolve)."""
    try:
        return refs.deref(document, node, at=pointer)
    except errors.SpecError:  # a cycle: the validator reports it, in place
        return None
