"""Directives in the Strawberry service: the classes declaring them, and their uses.

A directive the schema declares on type-system locations (`directive @cost(weight: Int!) on
OBJECT`) becomes a `strawberry.schema_directive` class in types.py (`CostDirective`); one on
executable locations only (`@cached on QUERY`) a `strawberry.directive` function that passes the
value through. Each class is given to the schema (`types=`), so introspection shows it even where
nothing uses it. A directive the SDL applies becomes `directives=[CostDirective(weight=5)]` on the
type, field, argument or enum value (an argument's description and an enum, list or object
default, which Strawberry's directive classes cannot serve, are set by schema.py on
graphql-core's schema: `patches`); the Federation v2 ones (`@key`, `@shareable`...) become the
classes of `strawberry.federation.schema_directives`, from which Strawberry's federation support
builds `_service { sdl }` and `_entities`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from kodegen import errors
from kodegen.specs import graphql_model as gm
from kodegen.views.graphql import naming

__all__ = ["Directives"]

EXECUTABLE = frozenset(
    {
        "QUERY",
        "MUTATION",
        "SUBSCRIPTION",
        "FIELD",
        "FRAGMENT_DEFINITION",
        "FRAGMENT_SPREAD",
        "INLINE_FRAGMENT",
        "VARIABLE_DEFINITION",
    }
)
FEDERATION = {
    "key": ("Key", {"fields": "fields", "resolvable": "resolvable"}),
    "requires": ("Requires", {"fields": "fields"}),
    "provides": ("Provides", {"fields": "fields"}),
    "external": ("External", {}),
    "tag": ("Tag", {"name": "name"}),
    "shareable": ("Shareable", {}),
    "inaccessible": ("Inaccessible", {}),
    "override": ("Override", {"from": "override_from", "label": "label"}),
    "interfaceObject": ("InterfaceObject", {}),
    "authenticated": ("Authenticated", {}),
    "requiresScopes": ("RequiresScopes", {"scopes": "scopes"}),
    "policy": ("Policy", {"policies": "policies"}),
}
"""Federation directive -> (Strawberry class, SDL argument -> keyword)."""


class Directives:
    """The directive classes of one schema, and the `directives=[...]` of each use."""

    def __init__(self, spec: gm.GraphQLSpec, names: naming.Names) -> None:
        self.spec = spec
        self.names = names
        self.defs = {d.name: d for d in spec.directive_defs}
        taken = set(names.classes.values())
        self.classes: dict[str, str] = {}
        for directive in spec.directive_defs:
            cls = _camel(directive.name) + "Directive"
            while cls in taken:
                cls += "_"
            taken.add(cls)
            self.classes[directive.name] = cls
        self.patches: list[dict[str, Any]] = []
        """What schema.py sets on graphql-core's schema after Strawberry built it: the
        description and the default of a schema directive's argument, which Strawberry's
        directive classes do not serve (filled by `declarations`)."""

    def declarations(self) -> list[dict[str, Any]]:
        """The class (or function) of every declared directive, for types.py."""
        self.patches = []
        found = []
        for directive in self.spec.directive_defs:
            executable = set(directive.locations) & EXECUTABLE
            if executable and executable != set(directive.locations):
                raise errors.SpecError(
                    pointer=f"schema:@{directive.name}",
                    reason=f"directive @{directive.name} is declared on both type-system and "
                    "executable locations; Strawberry declares a directive as one or the other: "
                    "split it in two",
                )
            found.append(self._declaration(directive, executable=bool(executable)))
        return found

    def _declaration(self, directive: gm.DirectiveDef, executable: bool) -> dict[str, Any]:
        py = self.names.attrs([a.name for a in directive.args], naming.RESERVED_PARAMS)
        options = [f"name={json.dumps(directive.name)}"]
        if directive.description:
            options.append(f"description={json.dumps(directive.description, ensure_ascii=False)}")
        if executable:
            locations = ", ".join(f"DirectiveLocation.{loc}" for loc in directive.locations)
            params = []
            for arg in directive.args:
                annotation = self.names.annotation(arg.type)
                if py[arg.name] != arg.name or arg.description:
                    extra = [f"name={json.dumps(arg.name)}"] if py[arg.name] != arg.name else []
                    if arg.description:
                        extra.append(f"description={json.dumps(arg.description)}")
                    annotation = f"Annotated[{annotation}, strawberry.argument({', '.join(extra)})]"
                default = self._default(arg)
                params.append(
                    f"{py[arg.name]}: {annotation}" + (f" = {default}" if default else "")
                )
            return {
                "kind": "function",
                "name": self.classes[directive.name],
                "decorator": f"@strawberry.directive(locations=[{locations}], "
                f"{', '.join(options)})",
                "params": params,
            }
        locations = ", ".join(f"Location.{loc}" for loc in directive.locations)
        if directive.repeatable:
            options.append("repeatable=True")
        fields = []
        for arg in directive.args:
            annotation = self.names.annotation(arg.type)
            default = self._default(arg)
            served = self._served_default(arg)
            if arg.description or served is not None:
                self.patches.append(
                    {
                        "directive": directive.name,
                        "arg": arg.name,
                        "description": arg.description,
                        "default": served,
                    }
                )
            if served is not None:
                default = "strawberry.UNSET"  # schema.py sets what is served
            if py[arg.name] != arg.name:
                renamed = f"name={json.dumps(arg.name)}"
                if default is not None:
                    renamed += f", default={default}"
                value = f" = strawberry.directive_field({renamed})"
            else:
                value = f" = {default}" if default is not None else ""
            fields.append(f"{py[arg.name]}: {annotation}{value}")
        return {
            "kind": "class",
            "name": self.classes[directive.name],
            "decorator": f"@strawberry.schema_directive(locations=[{locations}], "
            f"{', '.join(options)})",
            "fields": fields,
        }

    def _default(self, arg: gm.Argument) -> str | None:
        if arg.default is not gm.MISSING:
            text = self.names.default(arg.type, arg.default)
            return None if "(" in text or "[" in text else text
        return None if arg.type.non_null else "strawberry.UNSET"

    def _served_default(self, arg: gm.Argument) -> str | None:
        """The GraphQL literal of a default a schema directive's class cannot hold: an enum
        value (the enums are defined after the directives, which they may use), a list or an
        input object (Strawberry serves only plain defaults of directive arguments)."""
        if arg.default is gm.MISSING or arg.default is None:
            return None
        typedef = self.spec.type(arg.type.named)
        if arg.type.of is None and (typedef is None or typedef.kind == "scalar"):
            return None
        return self._graphql(arg.type, arg.default)

    def _graphql(self, ref: gm.TypeRef, value: Any) -> str:
        if value is None:
            return "null"
        if ref.of is not None:
            items = value if isinstance(value, list) else [value]
            return "[" + ", ".join(self._graphql(ref.of, item) for item in items) + "]"
        typedef = self.spec.type(str(ref.name))
        if typedef is not None and typedef.kind == "enum":
            return str(value)
        if typedef is not None and typedef.kind == "input":
            fields = {f.name: f for f in typedef.inputs}
            return (
                "{"
                + ", ".join(f"{k}: {self._graphql(fields[k].type, v)}" for k, v in value.items())
                + "}"
            )
        return json.dumps(value, ensure_ascii=False)

    @property
    def executable(self) -> list[str]:
        return [
            self.classes[d.name] for d in self.spec.directive_defs if set(d.locations) & EXECUTABLE
        ]

    @property
    def schema_classes(self) -> list[str]:
        return [
            self.classes[d.name]
            for d in self.spec.directive_defs
            if not set(d.locations) & EXECUTABLE
        ]

    def uses(self, applied: Sequence[gm.Applied], prefix: str = "") -> str | None:
        """`[CostDirective(weight=5), federation.Key(fields="id")]` or None when none apply."""
        parts = [p for p in (self._use(a, prefix) for a in applied) if p is not None]
        return f"[{', '.join(parts)}]" if parts else None

    def _use(self, applied: gm.Applied, prefix: str) -> str | None:
        given = dict(applied.args)
        if self.spec.federation and applied.name in FEDERATION:
            cls, keywords = FEDERATION[applied.name]
            parts = [
                f"{keywords[name]}={_python(value)}"
                for name, value in applied.args
                if name in keywords and value is not None
            ]
            return f"federation.{cls}({', '.join(parts)})"
        directive = self.defs.get(applied.name)
        if directive is None or set(directive.locations) & EXECUTABLE:
            return None
        py = self.names.attrs([a.name for a in directive.args], naming.RESERVED_PARAMS)
        parts = []
        for arg in directive.args:
            if arg.name in given:
                value = self.names.default(arg.type, given[arg.name], prefix)
            elif arg.default is not gm.MISSING or not arg.type.non_null:
                continue  # the class holds the default, or the patch of schema.py does
            else:
                return None
            parts.append(f"{py[arg.name]}={value}")
        return f"{prefix}{self.classes[applied.name]}({', '.join(parts)})"


def _python(value: Any) -> str:
    """A Python literal of plain data (strings, numbers, booleans, None, lists)."""
    if isinstance(value, list):
        return "[" + ", ".join(_python(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def _camel(name: str) -> str:
    words = [w for w in re.split(r"[^A-Za-z0-9]+", name) if w]
    return "".join(w[0].upper() + w[1:] for w in words) or "Directive"
