"""The normalized model of a GraphQL schema: what the GraphQL template renders from.

Pure, frozen data built by `kodegen.specs.graphql.parse` from the schema graphql-core built and
validated (extensions merged, built-in scalars and introspection types left out). Default
values are plain Python data as graphql-core coerced them: an enum value is its name, an input
object a dict. `GraphQLSpec` is an `ApiSpec`, so the pipeline's stages that only need a title,
a digest and the raw document handle it like any other specification.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from kodegen.specs import model

__all__ = [
    "BUILTIN_SCALARS",
    "Applied",
    "Argument",
    "DirectiveDef",
    "EnumValue",
    "Field",
    "GraphQLSpec",
    "Kind",
    "Operation",
    "Root",
    "TypeDef",
    "TypeRef",
]

Kind = Literal["scalar", "enum", "object", "interface", "union", "input"]
Root = Literal["query", "mutation", "subscription"]
Semantics = Literal["list", "create", "get", "update", "delete", "custom"]

BUILTIN_SCALARS = ("ID", "String", "Int", "Float", "Boolean")

MISSING = model.MISSING
"""Marks an absent default value (None is the legitimate default `null`)."""


@dataclass(frozen=True)
class TypeRef:
    """A type as written at a field or argument: `[Book!]!` is
    TypeRef(non_null=True, of=TypeRef(name="Book", non_null=True))."""

    name: str | None = None
    """The named type; None for a list."""
    of: TypeRef | None = None
    """The item type of a list."""
    non_null: bool = False

    @property
    def named(self) -> str:
        """The named type inside every list: `Book` for `[Book!]!`."""
        ref: TypeRef = self
        while ref.of is not None:
            ref = ref.of
        assert ref.name is not None  # a TypeRef is a name or a list of one
        return ref.name

    @property
    def is_list(self) -> bool:
        return self.of is not None

    def __str__(self) -> str:
        inner = f"[{self.of}]" if self.of is not None else str(self.name)
        return inner + ("!" if self.non_null else "")


@dataclass(frozen=True)
class Applied:
    """A directive applied in the SDL (`@key(fields: "id")`): its name and its arguments as
    plain Python data, in the order written. Built-in directives are left out."""

    name: str
    args: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class Argument:
    """An argument of a field or directive, or a field of an input type."""

    name: str
    type: TypeRef
    description: str | None = None
    default: Any = MISSING
    deprecation_reason: str | None = None
    directives: tuple[Applied, ...] = ()


@dataclass(frozen=True)
class DirectiveDef:
    """A directive the schema declares (`directive @cost(weight: Int!) on OBJECT`), or one it
    uses without declaring, which kodegen declares (`declared_by_kodegen`)."""

    name: str
    locations: tuple[str, ...]
    args: tuple[Argument, ...] = ()
    description: str | None = None
    repeatable: bool = False
    declared_by_kodegen: bool = False


@dataclass(frozen=True)
class Field:
    """A field of an object or interface type."""

    name: str
    type: TypeRef
    description: str | None = None
    args: tuple[Argument, ...] = ()
    deprecation_reason: str | None = None
    directives: tuple[Applied, ...] = ()


@dataclass(frozen=True)
class EnumValue:
    name: str
    description: str | None = None
    deprecation_reason: str | None = None
    directives: tuple[Applied, ...] = ()


@dataclass(frozen=True)
class TypeDef:
    """A named type of the schema. Which members are set depends on `kind`."""

    name: str
    kind: Kind
    description: str | None = None
    fields: tuple[Field, ...] = ()
    """Object and interface types."""
    inputs: tuple[Argument, ...] = ()
    """Input types: their fields."""
    interfaces: tuple[str, ...] = ()
    """Object and interface types: what they implement, as written."""
    members: tuple[str, ...] = ()
    """Union types: their member types."""
    values: tuple[EnumValue, ...] = ()
    """Enum types."""
    specified_by: str | None = None
    """Custom scalars: the `@specifiedBy(url:)` of the scalar."""
    directives: tuple[Applied, ...] = ()
    """What the SDL applies to the type (extensions included), but the built-in ones."""
    one_of: bool = False
    """Input types marked `@oneOf`: exactly one field is given."""

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


@dataclass(frozen=True)
class Operation:
    """A field of the query, mutation or subscription root type."""

    root: Root
    field: Field


@dataclass(frozen=True)
class GraphQLSpec(model.ApiSpec):
    """A GraphQL schema. `raw` is `{"schema": <the SDL as given>}`; `operations` and
    `resources` of the `ApiSpec` stay empty (GraphQL has neither paths nor methods)."""

    sdl: str
    """The schema the service serves: the SDL as given, then what kodegen declares for it
    (directives used but not declared, known platforms' scalars, a generated query root)."""
    types: tuple[TypeDef, ...]
    """Every named type but the built-in scalars, in the order of the SDL."""
    query: str
    """The name of the query root type."""
    mutation: str | None
    """The name of the mutation root type, if any."""
    roots: tuple[Operation, ...]
    """The query fields, then the mutation fields, then the subscription fields, in the order
    of the SDL."""
    subscription: str | None = None
    """The name of the subscription root type, if any."""
    directive_defs: tuple[DirectiveDef, ...] = ()
    """Directives the schema declares (or kodegen declares for it), but the built-in ones and
    the Federation ones."""
    federation: str | None = None
    """The Apollo Federation version the schema `@link`s (`2.5`), None for a plain schema."""
    warnings: tuple[str, ...] = ()
    """What kodegen assumed to serve the schema (a directive used but not declared...)."""

    def type(self, name: str) -> TypeDef | None:
        return next((t for t in self.types if t.name == name), None)

    @property
    def root_names(self) -> frozenset[str]:
        return frozenset(n for n in (self.query, self.mutation, self.subscription) if n)

    def implementations(self, name: str) -> tuple[str, ...]:
        """Object types implementing interface `name` (directly or through another one)."""
        found: list[str] = []
        for typedef in self.types:
            if typedef.kind == "object" and name in self._ancestors(typedef):
                found.append(typedef.name)
        return tuple(found)

    def _ancestors(self, typedef: TypeDef) -> set[str]:
        seen: set[str] = set()
        todo = list(typedef.interfaces)
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                parent = self.type(name)
                todo.extend(parent.interfaces if parent else ())
        return seen
