"""Pydantic models as a models-only template renders them, with the cases their tests check.

`pyview.Types` decides the classes, fields and types; this module adds what a package of
models needs beyond what a service needs: the constraints of non-object schemas on their
`RootModel` (`RootModel[Annotated[str, Field(max_length=8)]]`), no field-level constraints on a
field typed by such a model (pydantic cannot apply them to a model), the import lines, and the
test cases: for each model a conforming sample and, for every constraint it enforces, a value
that breaks that one constraint together with the location pydantic reports it at.

Deterministic: the same `Types` gives the same view.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

from kodegen.documents import limits
from kodegen.specs import model, patterns, samples, schemas
from kodegen.views.openapi import conforming, pyview

__all__ = ["UNEXPECTED", "view"]

UNEXPECTED = "kodegen_unexpected_property"
"""The property name the tests add to objects that forbid additional properties."""

_NON_MATCHING = ("", "!", " ", "~~", "\n", "0", "a", "A", "_", "-0", "aaaa", "ZZZZ", "0000")
"""Strings tried, in order, as a value a `pattern` does not match."""

_WRONG = {
    "string": 12345,
    "integer": "not a number",
    "number": "not a number",
    "boolean": "not a boolean",
    "array": "not an array",
    "object": "not an object",
}
"""A value of the wrong JSON type, by schema type (pydantic's lax mode rejects each)."""


def view(types: pyview.Types, raw: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """`models` (pyview's in dependency order, adjusted, each with `invalid` cases and
    `checked`: its sample validates against the schema at its pointer in `raw`, the source
    document, when given), `import_lines`, and `requirements` (the pyproject dependencies
    those imports need)."""
    builder = _Builder(types, raw)
    models = [builder.adjust(m) for m in types.ordered()]
    lines = _import_lines(models)
    return {"models": models, "import_lines": lines, "requirements": _requirements(lines)}


class _Builder:
    def __init__(self, types: pyview.Types, raw: Mapping[str, Any] | None) -> None:
        self.types = types
        self.source = conforming.Source(raw, patterns.example) if raw is not None else None
        self.components: Mapping[str, model.Schema] = types.components
        self.roots = {name for name, m in types.models.items() if m.root is not None}

    def adjust(self, found: pyview.Model) -> dict[str, Any]:
        source = self.types.sources[found.name]  # pyview records one for every model
        found = dataclasses.replace(found, sample=self.conform(found.sample, source, 0))
        checked = found.sample
        if self.source is not None:
            checked = self.source.conforming(found.sample, source.pointer)
        if checked is not model.MISSING:
            found = dataclasses.replace(found, sample=checked)
        data = dataclasses.asdict(found)
        data["checked"] = checked is not model.MISSING
        if found.root is not None:
            constraints = self.constraints(schemas.sole(source) or source)
            if constraints:
                data["root"] = f"Annotated[{found.root}, Field({constraints})]"
            data["invalid"] = self.value_cases(source, found.sample, ())
            return data
        for field, prop in zip(data["fields"], source.properties, strict=True):
            if self.is_root_model(prop.schema):
                field["constraints"] = ""
        data["invalid"] = self.object_cases(found, source)
        return data

    # -- what the model enforces ----------------------------------------------------------------

    def is_root_model(self, schema: model.Schema) -> bool:
        return schema.ref is not None and self.types.names.get(schema.ref) in self.roots

    def constraints(self, schema: model.Schema) -> str:
        """Field(...) keywords of a schema, as pyview writes them for fields; none for a
        reference (the referenced model carries its own)."""
        if schema.ref is not None or schema.enum:
            return ""
        return self.types.constraints(schema)

    # -- the sample ----------------------------------------------------------------------------

    def conform(self, value: Any, schema: model.Schema, depth: int) -> Any:
        """`value` (a sample) with every string that misses its schema's `pattern` replaced by
        one that matches: `samples` knows formats and lengths, not regular expressions."""
        if depth > samples.MAX_DEPTH * 2:
            return value
        schema = schemas.flatten(schema, self.components)
        if isinstance(value, dict):
            props = {p.name: p.schema for p in schema.properties}
            return {
                k: self.conform(v, props[k], depth + 1) if k in props else v
                for k, v in value.items()
            }
        if isinstance(value, list) and schema.items is not None:
            return [self.conform(v, schema.items, depth + 1) for v in value]
        if (
            isinstance(value, str)
            and schema.pattern is not None
            and not schema.enum
            and patterns.search(schema.pattern, value) is False  # RE2: linear time
        ):
            return patterns.example(schema.pattern, schema.min_length, schema.max_length) or value
        return value

    # -- the cases ------------------------------------------------------------------------------

    def object_cases(self, found: pyview.Model, schema: model.Schema) -> list[dict[str, Any]]:
        sample = found.sample
        if not isinstance(sample, dict):
            return []
        cases: list[dict[str, Any]] = []
        for field, prop in zip(found.fields, schema.properties, strict=True):
            alias = field.alias
            if not field.default and alias in sample:
                rest = {k: v for k, v in sample.items() if k != alias}
                cases.append(_case(f"{alias}-required", rest, (alias,)))
            names = pyview.names_in([field.type])  # a root model may take null itself
            nullable = field.type == "Any" or "None" in names or bool(names & self.roots)
            if field.default and not nullable:  # may be left out, but not sent as null
                cases.append(_case(f"{alias}-null", {**sample, alias: None}, (alias,)))
            current = sample.get(alias, model.MISSING)
            for case in self.value_cases(prop.schema, current, (alias,)):
                cases.append({**case, "value": {**sample, alias: case["value"]}})
        if found.extra == "forbid":
            cases.append(
                _case("additional-property", {**sample, UNEXPECTED: "value"}, (UNEXPECTED,))
            )
        return cases

    def value_cases(
        self, schema: model.Schema, current: Any, loc: tuple[str, ...]
    ) -> list[dict[str, Any]]:
        """Values that break one constraint of `schema` each (its type first)."""
        where = "-".join(loc) or "root"
        only = schemas.sole(schema)  # typed as its one member (`pyview`), so tested as it is
        if only is not None and not self.is_object(schema):
            return self.value_cases(only, current, loc)
        if schema.ref is not None:
            target = self.types.names.get(schema.ref)
            resolved = schemas.resolve(schema, self.components)
            if target in self.roots:
                return [
                    _case(f"{where}-{c['id']}", c["value"], loc)
                    for c in self.wrong_type(resolved, schema.nullable)
                ]
            return (
                [_case(f"{where}-type", "not an object", loc)] if self.is_object(resolved) else []
            )
        cases = [
            _case(f"{where}-{c['id']}", c["value"], loc)
            for c in (*self.wrong_type(schema, schema.nullable), *self.broken(schema, current))
        ]
        return cases

    def is_object(self, schema: model.Schema) -> bool:
        return schemas.is_object(schema, self.components)

    def wrong_type(self, schema: model.Schema, nullable: bool) -> list[dict[str, Any]]:
        if schema.ref is not None:
            return [{"id": "type", "value": "not an object"}] if self.is_object(schema) else []
        if schema.one_of or schema.any_of:
            return []
        if schema.enum:
            return [{"id": "enum", "value": _not_in(schema.enum)}]
        if schema.all_of:
            flat = schemas.flatten(schema, self.components)
            return [{"id": "type", "value": "not an object"}] if flat.properties else []
        kind = schema.type
        if kind == "any" and schema.properties:
            kind = "object"
        if kind == "string" and schema.format in pyview.FORMATS:  # they take numbers too
            return [{"id": "format", "value": f"not a {schema.format}"}]
        if kind not in _WRONG:
            return []
        return [{"id": "type", "value": _WRONG[kind]}]

    def broken(self, schema: model.Schema, current: Any) -> list[dict[str, Any]]:
        """One value per constraint pyview turns into a `Field(...)` keyword."""
        if schema.enum or schema.one_of or schema.any_of or schema.all_of:
            return []
        cases: list[dict[str, Any]] = []
        if schema.type in ("integer", "number"):
            cases += _numbers(schema, current)
        texts = schema.type in ("string", "any") and schema.format not in pyview.FORMATS
        if texts and schema.type == "string":
            cases += _strings(schema)
        if schema.type == "array":
            cases += self.arrays(schema, current)
        return cases

    def arrays(self, schema: model.Schema, current: Any) -> list[dict[str, Any]]:
        if isinstance(current, list) and current:
            item = current[0]
        elif schema.items is not None:
            item = self.conform(
                samples.sample(schema.items, self.components, writing=True), schema.items, 0
            )
        else:
            item = "item"
        cases = []
        if schema.min_items:
            cases.append({"id": "minItems", "value": [item] * (schema.min_items - 1)})
        if schema.max_items is not None and schema.max_items < limits.DEFAULT.max_count:
            cases.append({"id": "maxItems", "value": [item] * (schema.max_items + 1)})
        return cases


def _case(case_id: str, value: Any, loc: tuple[str, ...]) -> dict[str, Any]:
    return {"id": case_id, "value": value, "loc": list(loc)}


def _numbers(schema: model.Schema, current: Any) -> list[dict[str, Any]]:
    cases = []
    for key, bound, step, upper in (
        ("minimum", schema.minimum, -1, False),
        ("maximum", schema.maximum, 1, True),
        ("exclusiveMinimum", schema.exclusive_minimum, 0, False),
        ("exclusiveMaximum", schema.exclusive_maximum, 0, True),
    ):
        if bound is not None:
            value = bound + step
            if schema.type == "integer":  # the nearest whole number on the wrong side
                value = math.ceil(value) if upper else math.floor(value)
            cases.append({"id": key, "value": _whole(value)})
    step_size = schema.multiple_of
    if step_size:
        base = current if isinstance(current, int | float) and not isinstance(current, bool) else 0
        if schema.type == "number":
            cases.append({"id": "multipleOf", "value": _whole(base + step_size / 2)})
        elif float(step_size).is_integer() and step_size > 1:
            cases.append({"id": "multipleOf", "value": int(base) + 1})
    return cases


def _strings(schema: model.Schema) -> list[dict[str, Any]]:
    cases = []
    if schema.min_length:
        cases.append({"id": "minLength", "value": "x" * (schema.min_length - 1)})
    if schema.max_length is not None and schema.max_length < limits.DEFAULT.max_count:
        cases.append({"id": "maxLength", "value": "x" * (schema.max_length + 1)})
    pattern = pyview.enforced_pattern(schema)
    if pattern is not None:
        low, high = schema.min_length or 0, schema.max_length
        tried = [*_NON_MATCHING, *(char * max(low, 1) for char in "!~ 0aAZ_-")]
        fitting = [t for t in tried if len(t) >= low and (high is None or len(t) <= high)]
        # RE2 (linear time); None: RE2 cannot run it, so the tests cannot know what breaks it
        value = next((t for t in fitting if patterns.search(pattern, t) is False), None)
        if value is not None:
            cases.append({"id": "pattern", "value": value})
    return cases


def _whole(value: float) -> float | int:
    return int(value) if float(value).is_integer() else value


def _not_in(values: tuple[Any, ...]) -> Any:
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if numbers and len(numbers) == len(values):
        return _whole(max(numbers) + 1)
    candidate = "kodegen-not-in-enum"
    while candidate in values:
        candidate += "-"
    return candidate


def _requirements(import_lines: list[str]) -> list[str]:
    """The distributions the imports need, exactly: pydantic when it is imported, with its
    `email` extra (email-validator) when `EmailStr` is."""
    names = {
        name.strip()
        for line in import_lines
        if line.startswith("from pydantic import ")
        for name in line.removeprefix("from pydantic import ").split(",")
    }
    if not names:
        return []
    return ["pydantic[email]>=2.8" if "EmailStr" in names else "pydantic>=2.8"]


def _import_lines(models: list[dict[str, Any]]) -> list[str]:
    types = [f["type"] for m in models for f in m["fields"]]
    types += [m["root"] for m in models if m["root"]]
    names = pyview.names_in(types)
    lines = pyview.stdlib_imports(types)
    pydantic = set()
    if any(not m["root"] for m in models):
        pydantic |= {"BaseModel", "ConfigDict", "Field"}
    if any(m["root"] for m in models):
        pydantic.add("RootModel")
    if any("Field(" in (m["root"] or "") for m in models):
        pydantic.add("Field")
    if "EmailStr" in names:
        pydantic.add("EmailStr")
    if pydantic:
        lines += ["", f"from pydantic import {', '.join(sorted(pydantic))}"]
    return lines
