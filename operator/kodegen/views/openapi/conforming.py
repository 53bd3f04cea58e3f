"""Samples the generated tests can trust: checked against the schema as the document wrote it.

A model is built from the normalized schema, which keeps what pydantic can enforce; the
document may say more (`oneOf` beside `properties`, `dependencies`, `not`, `if`/`then`,
`patternProperties`, `propertyNames`, ...), which the model leaves permissive. A sample built
from the normalized schema can therefore break the source schema: a test that feeds it to
the model would pass while the data is not valid. So every sample is validated against the
source node (the `jsonschema` library, the document's own dialect) and, when it fails, repaired
from the errors the validator reports (a missing required property is added, an extra one
removed, a value that breaks its keyword rebuilt from that keyword's schema, a `oneOf` that
matches twice reduced to required properties); after a bounded number of rounds a sample that
still fails is dropped: the model is then tested by its invalid cases only.

Bounded and deterministic: `pattern` and `patternProperties` run on RE2 (`patterns.search`,
linear time; a pattern RE2 cannot run counts as matched), formats are checked for a fixed
list, and repairs try a fixed number of rounds.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import jsonschema.validators  # type: ignore[import-untyped]

from kodegen.specs import model, patterns, samples

__all__ = ["Source"]

ROUNDS = 24
"""Repairs tried on one sample before it is given up."""

FORMATS = ("date", "date-time", "email", "ipv4", "ipv6", "uuid", "regex")
"""Formats checked (those the generated models enforce, and those the standard library can
check without optional packages, so the verdict does not depend on what is installed)."""

_DIALECTS = {
    "json-schema.org/draft-04/schema": jsonschema.Draft4Validator,
    "json-schema.org/draft-06/schema": jsonschema.Draft6Validator,
    "json-schema.org/draft-07/schema": jsonschema.Draft7Validator,
    "json-schema.org/draft/2019-09/schema": jsonschema.Draft201909Validator,
    "json-schema.org/draft/2020-12/schema": jsonschema.Draft202012Validator,
}
_MISSING = model.MISSING

Matching = Callable[[str, int | None, int | None], str | None]
"""A short string a pattern matches within length bounds, or None (`pymodels`' builder)."""


class Source:
    """The source document of a set of models, and the checks of values against its nodes."""

    def __init__(self, raw: Mapping[str, Any], matching: Matching) -> None:
        self.raw, self.matching = raw, matching
        self.openapi30 = str(raw.get("openapi", "")).startswith("3.0")
        base = _dialect(raw)
        checker = patterns.format_checker(jsonschema.FormatChecker(formats=FORMATS))
        extended = jsonschema.validators.extend(
            base,
            validators={
                "pattern": _pattern,
                "patternProperties": _pattern_properties,
                "type": _nullable_type(base) if self.openapi30 else base.VALIDATORS["type"],
            },
        )
        self.validator = extended(dict(raw), format_checker=checker)

    def node(self, pointer: str) -> Any:
        """The schema at `pointer` in the document, or None when there is none."""
        node: Any = self.raw
        for part in pointer.split("/")[1:] if pointer else ():
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(node, Mapping) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return None
        return node if isinstance(node, Mapping | bool) else None

    def errors(self, value: Any, pointer: str) -> list[Any]:
        """What the node at `pointer` says is wrong with `value` (readOnly properties are not
        required of a value written to the API, as the models do not require them)."""
        node = self.node(pointer)
        if node is None:
            return []
        found = self.validator.evolve(schema=node).iter_errors(value)
        return [e for e in found if not _read_only_required(e)]

    def conforming(self, value: Any, pointer: str) -> Any:
        """`value`, repaired until the node at `pointer` accepts it; `model.MISSING` when the
        repairs run out. Without a node to check against, `value` as it is."""
        if self.node(pointer) is None:
            return value
        value = copy.deepcopy(value)
        for _ in range(ROUNDS):
            errors = self.errors(value, pointer)
            if not errors:
                return value
            error = _deepest(min(errors, key=_order))
            value = self.repair(value, error)
            if value is _MISSING:
                return _MISSING
        return value if not self.errors(value, pointer) else _MISSING

    def repair(self, value: Any, error: Any) -> Any:
        """`value` with the part `error` names changed so that keyword holds, or MISSING."""
        path = list(error.absolute_path)
        parent, key = _locate(value, path[:-1]), (path[-1] if path else None)
        instance = error.instance
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        keyword = error.validator
        if keyword == "required" and isinstance(instance, dict):
            properties = schema.get("properties", {})
            for name in error.validator_value:
                if name not in instance:
                    instance[name] = self.build(properties.get(name, {}))
            return value
        extras = ("additionalProperties", "unevaluatedProperties", "propertyNames")
        if keyword in extras and isinstance(instance, dict):
            for name in _extra(instance, schema, keyword):
                instance.pop(name, None)
            return value
        if keyword == "not" and isinstance(instance, dict):
            forbidden = error.validator_value
            names = forbidden.get("required", ()) if isinstance(forbidden, Mapping) else ()
            optional = [n for n in names if n in instance and n not in schema.get("required", ())]
            if optional:  # `not: {required: [a, b]}`: leave one of them out
                instance.pop(optional[-1])
                return value
        if keyword in ("dependencies", "dependentRequired", "dependentSchemas", "not"):
            if isinstance(instance, dict) and keyword != "not":
                required = set(schema.get("required", ()))
                for name in sorted(set(error.validator_value) & set(instance) - required):
                    instance.pop(name)
                return value
            if parent is not None and isinstance(parent, dict) and key in parent:
                parent.pop(key)
                return value
            return _MISSING
        if keyword in ("oneOf", "anyOf") and isinstance(instance, dict):
            required = set(schema.get("required", ()))
            trimmed = {k: v for k, v in instance.items() if k in required}
            if trimmed != instance:
                return _replace(value, path, trimmed)
        if keyword == "minProperties" and isinstance(instance, dict):
            name, sub = self.another_property(instance, schema)
            if name is not None:
                instance[name] = self.build(sub)
                return value
        rebuilt = self.build(schema)
        if rebuilt != instance:
            return _replace(value, path, rebuilt)
        if isinstance(parent, dict) and key in parent:  # optional, it is left out; if it was
            parent.pop(key)  # required, the next round's `required` error adds a fresh one
            return value
        if isinstance(parent, list) and isinstance(key, int) and key < len(parent):
            parent.pop(key)
            return value
        return _MISSING

    def another_property(self, instance: dict[str, Any], schema: Mapping[str, Any]) -> Any:
        """A property name `instance` lacks and its schema: a declared one, else a name
        a `patternProperties` pattern matches, else `key` for `additionalProperties`."""
        properties = schema.get("properties", {})
        for name in properties:
            if name not in instance:
                return name, properties[name]
        for pattern, sub in schema.get("patternProperties", {}).items():
            name = self.matching(pattern, 1, None)
            if name is not None and name not in instance:
                return name, sub
        extra = schema.get("additionalProperties", True)
        for name in ("key", "key1", "key2", "key3"):
            if extra is not False and name not in instance:
                return name, extra if isinstance(extra, Mapping) else {}
        return None, {}

    def build(self, schema: Any, depth: int = 0) -> Any:
        """A value for a source schema node: its const, enum, example or default, else the
        plainest value of its type (required properties and minItems only)."""
        schema = self._deref(schema)
        if not isinstance(schema, Mapping) or depth > samples.MAX_NESTING:
            return "string"
        for keyword in ("const", "default"):
            if keyword in schema:
                return copy.deepcopy(schema[keyword])
        for keyword in ("enum", "examples"):
            values = schema.get(keyword)
            if isinstance(values, list) and values:
                return copy.deepcopy(values[0])
        if "example" in schema and not self.raw.get("$schema"):
            return copy.deepcopy(schema["example"])
        for keyword in ("allOf", "oneOf", "anyOf"):
            options = schema.get(keyword)
            if isinstance(options, list) and options and not _own_type(schema):
                merged = {k: v for k, v in schema.items() if k != keyword}
                return self.build({**self._deref(options[0]), **merged}, depth + 1)
        kind = _type(schema)
        if kind == "object":
            properties = schema.get("properties", {})
            return {
                name: self.build(properties.get(name, {}), depth + 1)
                for name in schema.get("required", ())
                if isinstance(name, str)
            }
        if kind == "array":
            item = schema.get("items", {})
            count = int(schema.get("minItems", 0) or 0)
            return [self.build(item, depth + 1) for _ in range(count)]
        stand_in = model.Schema(
            type=kind,
            format=schema.get("format"),
            pattern=schema.get("pattern"),
            min_length=_whole(schema.get("minLength")),
            max_length=_whole(schema.get("maxLength")),
            minimum=_number(schema.get("minimum")),
            maximum=_number(schema.get("maximum")),
            exclusive_minimum=_number(schema.get("exclusiveMinimum")),
            exclusive_maximum=_number(schema.get("exclusiveMaximum")),
            multiple_of=_number(schema.get("multipleOf")),
        )
        built = samples.sample(stand_in, {})
        if kind == "string" and stand_in.pattern and isinstance(built, str):
            matched = self.matching(stand_in.pattern, stand_in.min_length, stand_in.max_length)
            return matched if matched is not None else built
        return built

    def _deref(self, schema: Any) -> Any:
        seen: set[str] = set()
        while isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            ref = schema["$ref"]
            if ref in seen or not ref.startswith("#"):
                break
            seen.add(ref)
            target = self.node(ref[1:])
            if target is None:
                break
            schema = {**target, **{k: v for k, v in schema.items() if k != "$ref"}}
        return schema


def _dialect(raw: Mapping[str, Any]) -> Any:
    if "openapi" in raw:
        if str(raw.get("openapi", "")).startswith("3.0"):
            return jsonschema.Draft4Validator  # 3.0's schemas: draft 4's exclusive bounds
        return jsonschema.Draft202012Validator
    declared = str(raw.get("$schema", "")).split("://", 1)[-1].removesuffix("#").rstrip("/")
    return _DIALECTS.get(declared, jsonschema.Draft202012Validator)


def _nullable_type(base: Any) -> Any:
    check = base.VALIDATORS["type"]

    def type_(validator: Any, types: Any, instance: Any, schema: Any) -> Iterator[Any]:
        if instance is None and schema.get("nullable") is True:
            return iter(())
        return iter(check(validator, types, instance, schema) or ())

    return type_


def _pattern(validator: Any, pattern: Any, instance: Any, schema: Any) -> Iterator[Any]:
    matched = isinstance(instance, str) and isinstance(pattern, str)
    if matched and patterns.search(pattern, instance) is False:
        yield jsonschema.ValidationError(f"{instance!r} does not match {pattern!r}")


def _pattern_properties(
    validator: Any, properties: Any, instance: Any, schema: Any
) -> Iterator[Any]:
    if not isinstance(instance, dict) or not isinstance(properties, Mapping):
        return
    for pattern, sub in properties.items():
        for name, value in instance.items():
            if patterns.search(pattern, name):
                yield from validator.descend(value, sub, path=name, schema_path=pattern)


def _read_only_required(error: Any) -> bool:
    if error.validator != "required" or not isinstance(error.schema, Mapping):
        return False
    missing = [n for n in error.validator_value if n not in (error.instance or {})]
    properties = error.schema.get("properties", {})
    return all(
        isinstance(properties.get(n), Mapping) and properties[n].get("readOnly") is True
        for n in missing
    )


def _order(error: Any) -> tuple[int, str, str]:
    """Shallow errors first (a repair there may make the deeper ones moot), then by where and
    which keyword: the same sample is repaired the same way every run."""
    return (len(error.absolute_path), "/".join(map(str, error.absolute_path)), error.validator)


def _deepest(error: Any) -> Any:
    """For a failed `oneOf`/`anyOf` with nothing matched: the first branch's shallowest error
    (repairing towards one branch); a `oneOf` that matched twice has no context."""
    while error.validator in ("oneOf", "anyOf") and error.context:
        first = min(e.relative_schema_path[0] for e in error.context)
        branch = [e for e in error.context if e.relative_schema_path[0] == first]
        shallow = min(len(e.relative_path) for e in branch)
        candidates = [e for e in branch if len(e.relative_path) == shallow]
        if any(e.validator == "required" for e in candidates) and _own_type(error.schema):
            required = next(e for e in candidates if e.validator == "required")
            required.schema = {**error.schema, **required.schema}  # the properties beside
            return required
        error = min(candidates, key=_order)
    return error


def _extra(instance: dict[str, Any], schema: Mapping[str, Any], keyword: str) -> list[str]:
    if keyword == "propertyNames":
        return sorted(instance)
    known = set(schema.get("properties", {}))
    matched = [
        n for n in instance for p in schema.get("patternProperties", {}) if patterns.search(p, n)
    ]
    return sorted(set(instance) - known - set(matched))


def _locate(value: Any, path: list[Any]) -> Any:
    for part in path:
        try:
            value = value[part]
        except (KeyError, IndexError, TypeError):
            return None
    return value


def _replace(value: Any, path: list[Any], new: Any) -> Any:
    if not path:
        return new
    parent = _locate(value, path[:-1])
    try:
        parent[path[-1]] = new
    except (KeyError, IndexError, TypeError):
        return _MISSING
    return value


def _own_type(schema: Any) -> bool:
    return isinstance(schema, Mapping) and any(
        k in schema for k in ("type", "properties", "items", "enum", "const")
    )


def _type(schema: Mapping[str, Any]) -> model.SchemaType:
    declared = schema.get("type")
    if isinstance(declared, list):
        declared = next((t for t in declared if t != "null"), "null")
    if isinstance(declared, str) and declared in _KINDS:
        return _KINDS[declared]
    if "properties" in schema or "required" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


_KINDS: dict[str, model.SchemaType] = {
    "object": "object",
    "array": "array",
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
}


def _whole(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None
