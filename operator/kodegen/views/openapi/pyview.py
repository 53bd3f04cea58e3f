"""Schemas seen from Python: type expressions, `Field(...)` constraints, pydantic models.

Language knowledge lives here rather than in Jinja macros so templates stay readable: a
template gets plain strings (`"list[Pet] | None"`) and lists of model descriptions.
Inline object schemas are lifted into named models so every object is typed.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic_core

from kodegen.specs import model, samples, schemas
from kodegen.templates import filters, untrusted
from kodegen.views.openapi import order

FORMATS = {"date-time": "datetime", "date": "date", "uuid": "UUID", "email": "EmailStr"}
PYDANTIC = {"self", "json", "dict", "copy", "schema", "validate", "construct", "fields"}
MAX_NAME = 40
"""Longest identifier made from a spec name (callers de-duplicate what the cut makes equal)."""
ANNOTATION_NAMES = frozenset({"str", "int", "float", "bool", "list", "dict", "date", "datetime"})
"""Names the type expressions use in lower case: a field of the same name would shadow the
type inside its class body (a field `date: date` makes pydantic see its default as the type)."""
RESERVED_CLASSES = frozenset({
    "None", "True", "False", "Any", "Literal", "Annotated", "BaseModel", "ConfigDict", "Field",
    "RootModel", "EmailStr", "UUID", "Path", "Query", "Header", "Cookie", "Body", "Form",
    "Depends", "APIRouter", "Response", "Request", "FastAPI",
})  # fmt: skip
"""Names a model class may not take: Python constants and what the generated modules import."""


MAX_LIFTED = 64
"""Longest class name made for an inline schema (its owner's name and the path to it)."""


def spelled(text: str) -> str:
    """`text` with each letter or digit that has no ASCII spelling (`名前`, not `é`, which
    is `e`) written as its code point (`u540d`), so such names stay apart and readable."""
    out = []
    for char in text:
        plain = unicodedata.normalize("NFKD", char).encode("ascii", "ignore")
        out.append(f" u{ord(char):x} " if char.isalnum() and not plain.strip() else char)
    return "".join(out)


def snake(text: str) -> str:
    """A Python identifier for a spec name, clear of pydantic's own attributes, of the type
    names it could shadow, and of a leading underscore (pydantic's private attributes)."""
    name = filters.pyident(spelled(text))
    if len(name) > MAX_NAME:  # a long name from a spec would break the line length
        name = filters.pyident(name[:MAX_NAME].rstrip("_"))
    if name.startswith("_"):
        name = "field" + name
    if name in PYDANTIC or name in ANNOTATION_NAMES or name.startswith("model_"):
        return name + "_"
    return name


def pascal(text: str) -> str:
    name = filters.pascal(spelled(text))
    return name if len(name) <= MAX_NAME else filters.pascal(name[:MAX_NAME])


@dataclass
class Field:
    name: str
    alias: str
    type: str
    default: str  # Python source; "" = required
    constraints: str  # keyword arguments for Field(...), "" when none
    description: str


@dataclass
class Model:
    name: str
    description: str
    fields: list[Field]
    extra: str  # "ignore" | "forbid"
    root: str | None = None  # RootModel[...] type for non-object component schemas
    sample: Any = None  # a conforming value, for the generated tests
    forward: bool = False
    """The root type names a model not defined before this one (a cycle): a template writes
    it as the class body's `root:` annotation, resolved by `model_rebuild()`, rather than as
    `RootModel[...]`'s type argument, which Python evaluates at once (see `order`)."""


@dataclass
class Types:
    """Accumulates the models needed while type expressions are asked for."""

    components: Mapping[str, model.Schema]
    models: dict[str, Model] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)  # component name -> class name
    imports: set[str] = field(default_factory=set)
    sources: dict[str, model.Schema] = field(default_factory=dict)
    """Model name -> the schema it was built from (`allOf` flattened for objects)."""
    lifted: dict[int, tuple[model.Schema, str]] = field(default_factory=dict, repr=False)
    """id() of an inline `allOf` schema -> (it, the class lifted from it): flattening copies
    the members' properties, so a member that holds the same inline schema again would
    otherwise lift a new class at every level without end."""

    def __post_init__(self) -> None:
        for name in self.components:
            self.names[name] = self._unique(pascal(name))
        for name, schema in self.components.items():
            self._component(name, schema)

    def ordered(self) -> list[Model]:
        """Every model, each after the models its types name (`order`), the roots that
        still name a later model marked `forward`. Ask last: `expr` may add models."""
        references = {
            name: order.names_in([m.root or "", *(f.type for f in m.fields)])
            for name, m in self.models.items()
        }
        defined: set[str] = set()
        result = []
        for name in order.dependencies_first(references):
            found = self.models[name]
            later = [r for r in references[name] if r in self.models and r not in defined]
            defined.add(name)
            result.append(
                dataclasses.replace(found, forward=found.root is not None and bool(later))
            )
        return result

    def _unique(self, base: str) -> str:
        base = base[:MAX_LIFTED]
        taken = set(self.names.values()) | set(self.models) | RESERVED_CLASSES
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}{n}", n + 1
        return candidate

    def _component(self, name: str, schema: model.Schema) -> None:
        class_name = self.names[name]
        flat = schemas.flatten(schema, self.components)
        if flat.type == "object" and flat.properties:
            self._object(class_name, flat)
        else:
            root = self.expr(schema, class_name)
            self.sources[class_name] = schema
            self.models[class_name] = Model(
                class_name, _doc(schema), [], "ignore", root, self._sample(schema)
            )

    def _object(self, class_name: str, schema: model.Schema) -> str:
        placeholder = Model(class_name, _doc(schema), [], "ignore", None, self._sample(schema))
        self.models[class_name] = placeholder  # reserve first: recursion ends here
        self.sources[class_name] = schema
        taken: set[str] = set()
        for prop in schema.properties:
            name = snake(prop.name)
            while name in taken:
                name += "_"
            taken.add(name)
            resolved = schemas.resolve(prop.schema, self.components)
            # a field typed by a named model has none of its constraints: pydantic cannot
            # apply `pattern` or `ge` to a model (TypeError on every value)
            only = schemas.sole(resolved) or resolved  # `allOf: [{minimum: 0}, {default: 0}]`
            constraints = "" if prop.schema.ref is not None else self.constraints(only)
            optional = not prop.required or resolved.read_only
            type_ = self.expr(prop.schema, class_name + pascal(prop.name))
            default = ""
            if optional:  # left out: None (pydantic checks no default); sent as null: refused
                default = "None"  # unless the schema allows null (JSON Schema's semantics)
            if resolved.default is not model.MISSING and not resolved.read_only:
                default = _literal(resolved.default)
            placeholder.fields.append(
                Field(
                    name,
                    untrusted.mark(prop.name),
                    type_,
                    default,
                    constraints,
                    _doc(resolved),
                )
            )
        placeholder.extra = "forbid" if schema.additional_properties is False else "ignore"
        return class_name

    def _sample(self, schema: model.Schema) -> Any:
        return samples.sample(schema, self.components, writing=True)

    def constraints(self, schema: model.Schema) -> str:
        """`Field(...)` keywords for `schema`'s constraints. None on a schema of no one type
        (`Any`): JSON Schema checks `pattern` on strings and `minimum` on numbers only, but
        pydantic applies them to every value of an `Any` field, raising TypeError on the rest."""
        if schema.type == "any":
            return ""
        pairs: dict[str, float | str | None] = {
            "ge": schema.minimum,
            "le": schema.maximum,
            "gt": schema.exclusive_minimum,
            "lt": schema.exclusive_maximum,
            "multiple_of": schema.multiple_of,
        }
        if schema.type == "string" and schema.format not in FORMATS:
            pairs |= {"min_length": schema.min_length, "max_length": schema.max_length}
            pairs["pattern"] = enforced_pattern(schema)
        if schema.type == "array":
            pairs |= {"min_length": schema.min_items, "max_length": schema.max_items}
        return ", ".join(f"{k}={_literal(v)}" for k, v in pairs.items() if v is not None)

    def expr(self, schema: model.Schema, context: str) -> str:
        """The Python type of values of `schema`; `context` names lifted inline models."""
        if schema.ref is not None:
            name = self.names.get(schema.ref, "Any")
            return _optional(name) if schema.nullable else name
        text = self._expr(schema, context)
        return _optional(text) if schema.nullable and text != "Any" else text

    def parameter(self, schema: model.Schema, context: str) -> str:
        """The Python type of a path, query, header or cookie parameter: FastAPI reads those
        as plain types only, so a named scalar or array schema (`SandboxState`, a RootModel)
        is written out (`Literal["running", "paused"]`), in lists too."""
        resolved = schemas.resolve(schema, self.components)
        if resolved.type == "array" and resolved.items is not None:
            text = f"list[{self.parameter(resolved.items, context + 'Item')}]"
        elif schema.ref is not None and resolved.type != "object" and not resolved.properties:
            text = self._expr(resolved, context)
        else:
            return self.expr(schema, context)
        return _optional(text) if schema.nullable or resolved.nullable else text

    def _expr(self, schema: model.Schema, context: str) -> str:
        if schema.all_of:
            if id(schema) in self.lifted:
                return self.lifted[id(schema)][1]
            flat = schemas.flatten(schema, self.components)
            if not flat.properties:
                only = schemas.sole(schema)  # `allOf: [{$ref: Code}]` beside a description
                return self.expr(only, context) if only is not None else "dict[str, Any]"
            self.lifted[id(schema)] = (schema, self._unique(context))
            return self._object(self.lifted[id(schema)][1], flat)
        options = schema.one_of or schema.any_of
        if options:
            members = list(
                dict.fromkeys(
                    self.expr(s, f"{context}Option{i + 1}") for i, s in enumerate(options)
                )
            )
            return " | ".join(members) if "Any" not in members else "Any"
        if schema.enum and all(isinstance(v, str | int | float | None) for v in schema.enum):
            # (a `Literal` holds scalars only: an enum of objects or lists is its type's)
            self.imports.add("Literal")
            return "Literal[" + ", ".join(_literal(v) for v in schema.enum) + "]"
        kind = schema.type
        if kind == "object" or (kind == "any" and schema.properties):
            if schema.properties:
                return self._object(self._unique(context), schema)
            extra = schema.additional_properties
            value = (
                self.expr(extra, context + "Value") if isinstance(extra, model.Schema) else "Any"
            )
            return f"dict[str, {value}]"
        if kind == "array":
            item = self.expr(schema.items, context + "Item") if schema.items else "Any"
            return f"list[{item}]"
        if kind == "string":
            return FORMATS.get(schema.format or "", "str")
        return {"integer": "int", "number": "float", "boolean": "bool", "null": "None"}.get(
            kind, "Any"
        )


_STRINGS = re.compile(r""""(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'""")
"""Python string literals, as `filters.pyrepr` writes them."""


def names_in(type_texts: Sequence[str]) -> set[str]:
    """The Python names type expressions use; none from inside a string literal
    (`Literal["after-date"]` uses no `date`)."""
    code = _STRINGS.sub('""', " ".join(type_texts))
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))


def stdlib_imports(type_texts: Sequence[str]) -> list[str]:
    """The standard library imports type expressions need (datetime, typing, uuid)."""
    names = names_in(type_texts)
    lines = []
    if names & {"date", "datetime"}:
        lines.append(f"from datetime import {', '.join(sorted(names & {'date', 'datetime'}))}")
    typing_names = sorted(names & {"Annotated", "Any", "Literal"})
    if typing_names:
        lines.append(f"from typing import {', '.join(typing_names)}")
    if "UUID" in names:
        lines.append("from uuid import UUID")
    return lines


def enforced_pattern(schema: model.Schema) -> str | None:
    """The schema's `pattern` when pydantic can enforce it; None for one its regex engine
    (Rust's `regex`: no look-around, no back-reference) refuses, which would make the
    generated module fail at import. Such a pattern is left unchecked, as the README says."""
    if schema.pattern is None or not _compiles(schema.pattern):
        return None
    return schema.pattern


@functools.lru_cache(maxsize=1024)
def _compiles(pattern: str) -> bool:
    try:
        pydantic_core.SchemaValidator(pydantic_core.core_schema.str_schema(pattern=pattern))
    except pydantic_core.SchemaError:
        return False
    return True


def _optional(type_: str) -> str:
    return type_ if type_ == "Any" or type_.endswith("| None") else f"{type_} | None"


def _literal(value: Any) -> str:
    """A Python literal; whole floats as ints, so `le=100` reads as the spec wrote it."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    return filters.pyrepr(value)


def literal(value: Any) -> str:
    """A Python literal for JSON data, quoted the way ruff format writes it."""
    return _literal(value)


def _doc(schema: model.Schema) -> str:
    """The schema's description or title on one line, marked as spec text (templates escape
    it for where it lands: `docstring`, `md`, `comment`)."""
    text = (schema.description or schema.title or "").strip()
    marked: str = untrusted.mark(" ".join(text.split())[:200])
    return marked
