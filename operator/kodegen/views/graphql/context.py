"""A GraphQL schema + the Strawberry template -> render context, and what is not implemented.

Every type becomes a Strawberry class (`types.py`), the root types become resolvers
(`schema.py`). Root fields with CRUD semantics (`crud`) run against an in-memory
store; everything else answers schema-conformant sample data inside a `# kodegen:implement <field>`
region and is reported as not implemented, as are fields with arguments on object types.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from kodegen import errors
from kodegen.specs import graphql_model as gm
from kodegen.templates import model as template_model
from kodegen.templates import untrusted
from kodegen.views import plan
from kodegen.views.graphql import crud, naming

__all__ = ["build"]

STRAWBERRY_OWN = frozenset({"info", "_source"})
"""Argument names Strawberry's resolver wrapper takes for itself."""


def build(
    spec: gm.GraphQLSpec,
    template: template_model.Template,
    variables: Mapping[str, Any],
    operations: Sequence[str] | None = None,
) -> plan.Plan:
    """The plan of the python-graphql-service template for `spec`."""
    known = [op.field.name for op in spec.roots]
    for name in operations or ():
        if name not in known:
            raise errors.ManifestError(
                field="spec.specification.graphql.operations",
                reason=f"unknown field {name!r}; the schema's query and mutation fields are "
                f"{', '.join(known)}",
            )
    return _Builder(spec, operations).build(template, variables)


class _Builder:
    def __init__(self, spec: gm.GraphQLSpec, operations: Sequence[str] | None) -> None:
        self.spec = spec
        self.names = naming.Names(spec)
        self.wanted = set(operations or known_names(spec))
        self.missing: list[plan.NotImplementedOp] = []
        self.constants: list[str] = []
        self.crud = crud.Crud(spec, self.names)

    def build(self, template: template_model.Template, variables: Mapping[str, Any]) -> plan.Plan:
        types = self.types()
        roots = [self.root(self.spec.query, "query")]
        if self.spec.mutation:
            roots.append(self.root(self.spec.mutation, "mutation"))
        context: dict[str, Any] = {
            **variables,
            "api": untrusted.mark(
                {
                    "title": self.spec.title,
                    "version": self.spec.version,
                    "description": self.spec.description or "",
                }
            ),
            "sdl": self.spec.sdl.rstrip("\n"),
            **types,
            "roots": roots,
            "operations": [
                {"id": op["name"], "kind": root["kind"], "path": f"{root['name']}.{op['name']}"}
                for root in roots
                for op in root["ops"]
            ],
            "query": self.names.cls(self.spec.query),
            "mutation": self.names.cls(self.spec.mutation) if self.spec.mutation else None,
            "stores": [
                {"var": var, "cls": self.names.cls(name), "name": name}
                for name, var in sorted(self.crud.stores.items(), key=lambda item: item[1])
            ],
            "tests": self.crud.tests,
            "constants": self.constants,
            "converters": [c for c in self.crud.converters.values() if c is not None],
            "not_implemented": untrusted.mark([m.to_dict() for m in self.missing]),
        }
        context["schema_uses_annotated"] = any(
            "Annotated[" in p for root in roots for op in root["ops"] for p in op["params"]
        )
        return plan.Plan(context, tuple(self.missing), plan.entrypoints(template, context))

    # -- types.py ------------------------------------------------------------------------------

    def types(self) -> dict[str, Any]:
        roots = {self.spec.query, self.spec.mutation}
        enums, scalars, unions, classes, resolvers = [], [], [], [], []
        for typedef in self.spec.types:
            if typedef.kind == "enum":
                enums.append(self.enum(typedef))
            elif typedef.kind == "scalar":
                scalars.append(
                    {
                        "cls": self.names.cls(typedef.name),
                        "name": typedef.name,
                        "options": _options(
                            name=typedef.name,
                            description=typedef.description,
                            specified_by_url=typedef.specified_by,
                        ),
                    }
                )
            elif typedef.kind == "union":
                members = " | ".join(self.names.cls(m) for m in typedef.members)
                options = _options(name=typedef.name, description=typedef.description)
                unions.append(
                    {"cls": self.names.cls(typedef.name), "members": members, "options": options}
                )
        for typedef in self._class_order():
            if typedef.name in roots:
                continue
            block, functions = self.cls(typedef)
            classes.append(block)
            resolvers.extend(functions)
        text = json.dumps([classes, resolvers])
        return {
            "enums": enums,
            "scalars": scalars,
            "unions": unions,
            "classes": classes,
            "field_resolvers": resolvers,
            "types_uses_annotated": "Annotated[" in text,
            "types_uses_field": "strawberry.field(" in text,
        }

    def enum(self, typedef: gm.TypeDef) -> dict[str, Any]:
        values = []
        for value in typedef.values:
            py = naming.member(value.name)
            if value.description or value.deprecation_reason or py != value.name:
                options = _options(
                    name=_renamed(py, value.name),
                    description=value.description,
                    deprecation_reason=value.deprecation_reason,
                )
                expr = f"strawberry.enum_value({json.dumps(value.name)}, {options})"
            else:
                expr = json.dumps(value.name)
            values.append({"name": py, "expr": expr})
        return {
            "cls": self.names.cls(typedef.name),
            "decorator": _decorator(
                "strawberry.enum", self.names.cls(typedef.name), typedef.name, typedef.description
            ),
            "choices": values,
        }

    def _class_order(self) -> list[gm.TypeDef]:
        """Input types, interfaces (parents first), then object types, in the SDL's order."""
        done: list[gm.TypeDef] = [t for t in self.spec.types if t.kind == "input"]

        def visit(typedef: gm.TypeDef) -> None:
            if typedef in done:
                return
            for parent in typedef.interfaces:
                found = self.spec.type(parent)
                if found is not None:
                    visit(found)
            done.append(typedef)

        for typedef in self.spec.types:
            if typedef.kind == "interface":
                visit(typedef)
        done.extend(t for t in self.spec.types if t.kind == "object")
        return done

    def cls(self, typedef: gm.TypeDef) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        cls = self.names.cls(typedef.name)
        kind = {"input": "input", "object": "type", "interface": "interface"}[typedef.kind]
        ancestors = {a for i in typedef.interfaces for a in self._ancestors(i)}
        bases = [self.names.cls(i) for i in typedef.interfaces if i not in ancestors]
        fields, functions = [], []
        constants: list[str] = []
        if typedef.kind == "input":
            py = self.names.attrs([f.name for f in typedef.inputs])
            for arg in typedef.inputs:
                fields.append(self.input_field(arg, py[arg.name]))
        else:
            py = self.names.attrs([f.name for f in typedef.fields])
            for field in typedef.fields:
                if field.args:
                    function = self.field_resolver(typedef, field, py[field.name], constants)
                    functions.append(function)
                    options = _options(
                        resolver=_Raw(function["func"]),
                        name=_renamed(py[field.name], field.name),
                        description=field.description,
                        deprecation_reason=field.deprecation_reason,
                    )
                else:
                    options = _options(
                        name=_renamed(py[field.name], field.name),
                        description=field.description,
                        deprecation_reason=field.deprecation_reason,
                    )
                annotation = self.names.annotation(field.type)
                default = f" = strawberry.field({options})" if options else ""
                fields.append({"line": f"{py[field.name]}: {annotation}{default}"})
        block = {
            "cls": cls,
            "decorator": _decorator(f"strawberry.{kind}", cls, typedef.name, typedef.description),
            "bases": f"({', '.join(bases)})" if bases else "",
            "fields": fields,
            "constants": constants,
            "functions": functions,
        }
        return block, functions

    def _ancestors(self, name: str) -> set[str]:
        found: set[str] = set()
        typedef = self.spec.type(name)
        for parent in typedef.interfaces if typedef else ():
            found |= {parent, *self._ancestors(parent)}
        return found

    def input_field(self, arg: gm.Argument, py: str) -> dict[str, Any]:
        annotation = self.names.annotation(arg.type)
        extra: dict[str, Any] = {
            "name": _renamed(py, arg.name),
            "description": arg.description,
            "deprecation_reason": arg.deprecation_reason,
        }
        default = self._default(arg)
        if default is not None and ("[" in default or "(" in default):
            extra["default_factory"] = _Raw(f"lambda: {default}")
            default = None
        options = _options(**extra)
        if options:
            if default is not None:
                options = f"default={default}, {options}"
            return {"line": f"{py}: {annotation} = strawberry.field({options})"}
        return {"line": f"{py}: {annotation}" + (f" = {default}" if default is not None else "")}

    def _default(self, arg: gm.Argument, prefix: str = "") -> str | None:
        if arg.default is not gm.MISSING:
            return self.names.default(arg.type, arg.default, prefix)
        return None if arg.type.non_null else "strawberry.UNSET"

    def field_resolver(
        self, typedef: gm.TypeDef, field: gm.Field, py: str, constants: list[str]
    ) -> dict[str, Any]:
        func = f"{naming.snake(typedef.name).rstrip('_')}_{py.rstrip('_')}"
        label = f"{typedef.name}.{field.name}"
        self.missing.append(
            plan.NotImplementedOp(
                label,
                "field",
                label,
                "a field with arguments on an object type: kodegen cannot tell what it computes",
            )
        )
        return {
            "func": func,
            "label": label,
            "params": self.params(field.args, "", label, constants),
            "root": self.names.cls(typedef.name),
            "returns": self.names.annotation(field.type),
            "sample": self.names.sample(field.type, prefix=""),
        }

    def params(
        self, args: Sequence[gm.Argument], prefix: str, owner: str, constants: list[str]
    ) -> list[str]:
        """Parameters of a resolver; a default that is an object or a list becomes a constant
        (appended to `constants`), as Python evaluates defaults once."""
        py = self.names.attrs([a.name for a in args], naming.RESERVED_PARAMS)
        found = []
        for arg in args:
            if arg.name in STRAWBERRY_OWN:
                raise errors.SpecError(
                    pointer=f"schema:{owner}({arg.name}:)",
                    reason=f"an argument named {arg.name!r}: Strawberry passes its own "
                    f"{arg.name!r} to every resolver, so it cannot serve this argument; "
                    "rename it",
                )
            annotation = self.names.annotation(arg.type, prefix)
            renamed = _renamed(py[arg.name], arg.name)
            if renamed or arg.description or arg.deprecation_reason:
                options = _options(
                    name=renamed,
                    description=arg.description,
                    deprecation_reason=arg.deprecation_reason,
                )
                annotation = f"Annotated[{annotation}, strawberry.argument({options})]"
            default = self._default(arg, prefix)
            if default is not None and ("(" in default or "[" in default):
                name = f"{naming.snake(owner.replace('.', '_'))}_{py[arg.name]}_default"
                name = re.sub(r"_+", "_", name).upper()
                constants.append(f"{name} = {default}")
                default = name
            found.append(f"{py[arg.name]}: {annotation}" + (f" = {default}" if default else ""))
        return found

    # -- schema.py -----------------------------------------------------------------------------

    def root(self, name: str, kind: gm.Root) -> dict[str, Any]:
        typedef = self.spec.type(name)
        assert typedef is not None
        py = self.names.attrs([f.name for f in typedef.fields], frozenset({"self"}))
        ops = [self.operation(typedef, field, kind, py[field.name]) for field in typedef.fields]
        return {
            "cls": self.names.cls(name),
            "decorator": _decorator(
                "strawberry.type", self.names.cls(name), name, typedef.description
            ),
            "ops": ops,
            "name": name,
            "kind": kind,
        }

    def operation(
        self, root: gm.TypeDef, field: gm.Field, kind: gm.Root, py: str
    ) -> dict[str, Any]:
        decorator = "strawberry.field" if kind == "query" else "strawberry.mutation"
        options = _options(
            name=_renamed(py, field.name),
            description=field.description,
            deprecation_reason=field.deprecation_reason,
        )
        params = self.params(field.args, "types.", f"{root.name}.{field.name}", self.constants)
        arg_py = self.names.attrs([a.name for a in field.args], naming.RESERVED_PARAMS)
        semantics = self.crud.semantics(field, kind, arg_py) if field.name in self.wanted else None
        label = f"{root.name}.{field.name}"
        if semantics is None:
            reason = (
                "not in spec.specification.graphql.operations"
                if field.name not in self.wanted
                else "not the get, list, create, update or delete of an object type with an "
                "`id: ID!` field"
            )
            self.missing.append(plan.NotImplementedOp(field.name, kind, label, reason))
            body = [f"# kodegen:implement {label}", f"return {self.names.sample(field.type)}"]
            self.crud.tests.append(self.crud.make.custom_test(field, kind))
        else:
            body = semantics
        return {
            "decorator": f"@{decorator}({options})" if options else f"@{decorator}",
            "py": py,
            "params": params,
            "returns": self.names.annotation(field.type, "types."),
            "body": body,
            "name": field.name,
            "implemented": semantics is not None,
        }


def known_names(spec: gm.GraphQLSpec) -> list[str]:
    return [op.field.name for op in spec.roots]


class _Raw(str):
    """A value `_options` writes as it is (an expression), not as a string literal."""


def _options(**options: Any) -> str:
    parts = []
    for name, value in options.items():
        if value is None:
            continue
        text = value if isinstance(value, _Raw) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{name}={text}")
    return ", ".join(parts)


def _renamed(py: str, name: str) -> str | None:
    return name if py != name else None


def _decorator(kind: str, cls: str, name: str, description: str | None) -> str:
    options = _options(name=_renamed(cls, name), description=description)
    return f"@{kind}({options})" if options else f"@{kind}"
