"""Whether a JSON value meets a schema: the check a spec's own example passes before use.

Real specs carry examples that their schemas refuse (a number where a string is declared, an
enum value spelled differently); served or used in tests as they are, the generated models reject
them. `problem(value, schema, components)` says why a value does not conform (None when it
does), by JSON Schema validation (the `jsonschema` library) of the value against the normalized
schema written back as JSON Schema 2020-12:

- `oneOf` as JSON Schema says: exactly one member accepts the value (the contract gate checks
  the service's answers so; an example two members accept is refused);
- `pattern` runs on RE2 (`patterns.search`, linear time; a pattern RE2 cannot run is unknown,
  so it passes); formats are checked for those the generated models enforce: `date-time`,
  `date`, `uuid`, `email`;
- `readOnly`/`writeOnly` are not checked (an example shows a whole item).

Deterministic; the component schemas are converted once per `components` mapping.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema  # type: ignore[import-untyped]

from kodegen.specs import model, patterns, secret_shapes

__all__ = ["Invalid", "conforms", "invalid_examples", "problem"]

FORMATS = ("date-time", "date", "uuid", "email")
"""Formats the generated models enforce (pyview.FORMATS): only these are checked."""

_CACHE_SIZE = 4


def conforms(value: Any, schema: model.Schema, components: Mapping[str, model.Schema]) -> bool:
    return problem(value, schema, components) is None


def problem(value: Any, schema: model.Schema, components: Mapping[str, model.Schema]) -> str | None:
    """Why `value` does not meet `schema` (one line: where, what), or None when it does."""
    if value is model.MISSING:
        return None
    document = {**_json(schema), "$defs": _definitions(components)}
    validator = _Validator(document, format_checker=_FORMAT_CHECKER)
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(part) for part in error.absolute_path)
    message = " ".join(str(error.message).split())
    if len(message) > 120:
        message = message[:117] + "..."
    return f"at /{where}: {message}" if where else message


@dataclasses.dataclass(frozen=True, order=True)
class Invalid:
    """A spec's example (or default) its own schema refuses."""

    pointer: str
    """Where the example is: a JSON pointer into the document, or `GET /path` and a status."""
    reason: str
    secret: bool = False
    """The example meets its schema but is secret-shaped (`secret_shapes`): not copied."""


def invalid_examples(spec: model.ApiSpec) -> tuple[Invalid, ...]:
    """Every `example` and `default` of `spec` that its schema refuses or that is secret-shaped,
    sorted by pointer: the samples use a built value in their place."""
    found: dict[str, Invalid] = {}
    walker = _Walker(spec.schemas, found)
    for schema in spec.schemas.values():
        walker.schema(schema)
    for op in spec.operations:
        where = op.pointer or f"{op.method.upper()} {op.path}"
        for param in op.parameters:
            walker.value(param.example, param.schema, f"{where} parameter {param.name}/example")
            walker.schema(param.schema)
        if op.body is not None:
            walker.value(op.body.example, op.body.schema, f"{where}/requestBody/example")
            walker.schema(op.body.schema)
        for response in op.responses:
            if response.schema is not None:
                pointer = f"{where}/responses/{response.status}/example"
                walker.value(response.example, response.schema, pointer)
                walker.schema(response.schema)
    return tuple(sorted(found.values()))


class _Walker:
    def __init__(self, components: Mapping[str, model.Schema], found: dict[str, Invalid]):
        self.components, self.found = components, found
        self.seen: set[int] = set()

    def value(self, value: Any, schema: model.Schema, pointer: str) -> None:
        reason = problem(value, schema, self.components)
        if reason is not None:
            self.found.setdefault(pointer, Invalid(pointer, reason))
        elif value is not model.MISSING and secret_shapes.contains(value):
            reason = "detect-secrets would report a value in it"
            self.found.setdefault(pointer, Invalid(pointer, reason, secret=True))

    def schema(self, schema: model.Schema) -> None:
        for node in _nodes(schema, self.seen):
            for keyword in ("example", "default"):
                self.value(getattr(node, keyword), node, f"{node.pointer}/{keyword}")


def _nodes(schema: model.Schema, seen: set[int]) -> Iterator[model.Schema]:
    """`schema` and every schema inside it, each once; references are not followed."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if id(node) in seen or node.ref is not None:
            continue
        seen.add(id(node))
        yield node
        stack.extend(p.schema for p in node.properties)
        stack.extend((*node.all_of, *node.one_of, *node.any_of))
        if node.items is not None:
            stack.append(node.items)
        if isinstance(node.additional_properties, model.Schema):
            stack.append(node.additional_properties)


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Any:
    if not validator.is_type(instance, "string") or not isinstance(pattern, str):
        return
    if patterns.search(pattern, instance) is False:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, validators={"pattern": _pattern}
)
_FORMAT_CHECKER = jsonschema.FormatChecker(formats=FORMATS)

_converted: list[tuple[Mapping[str, model.Schema], dict[str, Any]]] = []


def _definitions(components: Mapping[str, model.Schema]) -> dict[str, Any]:
    """`components` as JSON Schema `$defs`, converted once per mapping (a few kept)."""
    for known, definitions in _converted:
        if known is components:
            return definitions
    definitions = {name: _json(schema) for name, schema in components.items()}
    _converted.insert(0, (components, definitions))
    del _converted[_CACHE_SIZE:]
    return definitions


def _ref(name: str) -> str:
    return "#/$defs/" + name.replace("~", "~0").replace("/", "~1")


def _json(schema: model.Schema) -> dict[str, Any]:
    if schema.ref is not None:
        node: dict[str, Any] = {"$ref": _ref(schema.ref)}
        return {"anyOf": [node, {"type": "null"}]} if schema.nullable else node
    out: dict[str, Any] = {}
    if schema.type != "any":
        out["type"] = [schema.type, "null"] if schema.nullable else schema.type
    if schema.enum is not None:
        out["enum"] = [*schema.enum, None] if schema.nullable else list(schema.enum)
    if schema.properties:
        out["properties"] = {p.name: _json(p.schema) for p in schema.properties}
    if schema.required:
        out["required"] = list(schema.required)
    if schema.additional_properties is False:
        out["additionalProperties"] = False
    elif isinstance(schema.additional_properties, model.Schema):
        out["additionalProperties"] = _json(schema.additional_properties)
    if schema.items is not None:
        out["items"] = _json(schema.items)
    if schema.all_of:
        out["allOf"] = [_json(part) for part in schema.all_of]
    if schema.one_of:
        out["oneOf"] = [_json(part) for part in schema.one_of]
    if schema.any_of:
        out["anyOf"] = [_json(part) for part in schema.any_of]
    for field, keyword in _KEYWORDS:
        value = getattr(schema, field)
        if value is not None and value is not False:
            out[keyword] = value
    return out


_KEYWORDS = (
    ("format", "format"),
    ("minimum", "minimum"),
    ("maximum", "maximum"),
    ("exclusive_minimum", "exclusiveMinimum"),
    ("exclusive_maximum", "exclusiveMaximum"),
    ("multiple_of", "multipleOf"),
    ("min_length", "minLength"),
    ("max_length", "maxLength"),
    ("pattern", "pattern"),
    ("min_items", "minItems"),
    ("max_items", "maxItems"),
    ("unique_items", "uniqueItems"),
)
