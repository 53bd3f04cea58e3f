"""A GraphQL schema + the Strawberry template -> render context, and what is not implemented.

Root fields that look like CRUD over an entity (an object type with an `id: ID!` field) run
against an in-memory store:

    get     a query field returning the entity, with one `ID!` argument
    list    a query field returning a list of the entity, whose arguments are paging
            (`first`, `limit`, `offset`, `skip`...) or filters on the entity's scalar fields
    create  `create<Entity>` / `add<Entity>`: the fields of one input-object argument (or the
            arguments themselves) fill the entity's fields of the same names; nested input
            objects fill nested object types the same way
    update  `update<Entity>` / `edit`, `patch`: an `ID!` argument plus such a payload; the
            fields given are changed
    delete  `delete<Entity>` / `remove`: an `ID!` argument; answers Boolean, the entity or the ID

Everything else answers schema-conformant sample data inside a `# kodegen:implement <field>`
region and is reported as not implemented, as are fields with arguments on object types.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from kodegen import errors
from kodegen.api import codetemplate
from kodegen.pipeline import graphql_names
from kodegen.pipeline import plan as plan_
from kodegen.specs import graphql_model as gm
from kodegen.templates import model as template_model
from kodegen.templates import render

__all__ = ["build"]

PREFIXES: dict[str, tuple[str, ...]] = {
    "create": ("create", "add", "new", "insert"),
    "update": ("update", "edit", "patch", "modify"),
    "delete": ("delete", "remove", "destroy"),
}
STRAWBERRY_OWN = frozenset({"info", "_source"})
"""Argument names Strawberry's resolver wrapper takes for itself."""
LIMITS = frozenset({"first", "limit", "size", "take", "pageSize", "count"})
OFFSETS = frozenset({"offset", "skip", "start"})


def build(
    spec: gm.GraphQLSpec,
    template: template_model.Template,
    variables: Mapping[str, Any],
    operations: Sequence[str] | None = None,
) -> plan_.Plan:
    """The plan of the python-graphql-service template for `spec`."""
    known = [op.field.name for op in spec.roots]
    for name in operations or ():
        if name not in known:
            raise errors.ManifestError(
                field="spec.specification.graphql.operations",
                reason=f"unknown field {name!r}; the schema's query and mutation fields are "
                f"{', '.join(known)}",
            )
    return _Builder(spec, operations).plan(template, variables)


class _Builder:
    def __init__(self, spec: gm.GraphQLSpec, operations: Sequence[str] | None) -> None:
        self.spec = spec
        self.names = graphql_names.Names(spec)
        self.wanted = set(operations or known_names(spec))
        self.stores: dict[str, str] = {}
        self.missing: list[plan_.NotImplementedOp] = []
        self.tests: list[dict[str, Any]] = []
        self.constants: list[str] = []
        self.converters: dict[tuple[str, str], dict[str, Any] | None] = {}

    def plan(self, template: template_model.Template, variables: Mapping[str, Any]) -> plan_.Plan:
        types = self.types()
        roots = [self.root(self.spec.query, "query")]
        if self.spec.mutation:
            roots.append(self.root(self.spec.mutation, "mutation"))
        context: dict[str, Any] = {
            **variables,
            "api": {
                "title": self.spec.title,
                "version": self.spec.version,
                "description": self.spec.description or "",
            },
            "sdl": self.spec.sdl.rstrip("\n"),
            **types,
            "roots": roots,
            "query": self.names.cls(self.spec.query),
            "mutation": self.names.cls(self.spec.mutation) if self.spec.mutation else None,
            "stores": [
                {"var": var, "cls": self.names.cls(name), "name": name}
                for name, var in sorted(self.stores.items(), key=lambda item: item[1])
            ],
            "tests": self.tests,
            "constants": self.constants,
            "converters": [c for c in self.converters.values() if c is not None],
            "not_implemented": [m.to_dict() for m in self.missing],
        }
        context["schema_uses_annotated"] = any(
            "Annotated[" in p for root in roots for op in root["ops"] for p in op["params"]
        )
        return plan_.Plan(context, tuple(self.missing), _entrypoints(template, context))

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
            if value.description or value.deprecation_reason:
                options = _options(
                    description=value.description, deprecation_reason=value.deprecation_reason
                )
                expr = f"strawberry.enum_value({json.dumps(value.name)}, {options})"
            else:
                expr = json.dumps(value.name)
            values.append({"name": value.name, "expr": expr})
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
        func = f"{graphql_names.snake(typedef.name).rstrip('_')}_{py.rstrip('_')}"
        label = f"{typedef.name}.{field.name}"
        self.missing.append(
            plan_.NotImplementedOp(
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
        py = self.names.attrs([a.name for a in args], graphql_names.RESERVED_PARAMS)
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
                name = f"{graphql_names.snake(owner.replace('.', '_'))}_{py[arg.name]}_default"
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
        arg_py = self.names.attrs([a.name for a in field.args], graphql_names.RESERVED_PARAMS)
        semantics = self.semantics(field, kind, arg_py) if field.name in self.wanted else None
        label = f"{root.name}.{field.name}"
        if semantics is None:
            reason = (
                "not in spec.specification.graphql.operations"
                if field.name not in self.wanted
                else "not the get, list, create, update or delete of an object type with an "
                "`id: ID!` field"
            )
            self.missing.append(plan_.NotImplementedOp(field.name, kind, label, reason))
            body = [f"# kodegen:implement {label}", f"return {self.names.sample(field.type)}"]
            self.tests.append(self.custom_test(field, kind))
        else:
            body = semantics
        return {
            "decorator": f"@{decorator}({options})" if options else f"@{decorator}",
            "py": py,
            "params": params,
            "returns": self.names.annotation(field.type, "types."),
            "body": body,
        }

    # -- CRUD ----------------------------------------------------------------------------------

    def key(self, name: str | None) -> str | None:
        """The key field of an entity: `id: ID!` without arguments; None for other types."""
        typedef = self.spec.type(name) if name else None
        if (
            typedef is None
            or typedef.kind != "object"
            or name in (self.spec.query, self.spec.mutation)
        ):
            return None
        field = typedef.field("id")
        if field and not field.args and str(field.type) == "ID!":
            return "id"
        return None

    def store(self, entity: str) -> str:
        """The store of `entity`'s variable, which is generated from now on."""
        return self.stores.setdefault(entity, _store_name(entity))

    def semantics(self, field: gm.Field, kind: gm.Root, py: dict[str, str]) -> list[str] | None:
        ref = field.type
        if kind == "query":
            if ref.of is None and self.key(ref.name):
                return self.get_one(field, py)
            if ref.of is not None and ref.of.of is None and self.key(ref.of.name):
                return self.list_all(field, py)
            return None
        verb, entity = _verb(field.name, self.spec)
        if verb is None or entity is None or not self.key(entity):
            return None
        if verb == "create":
            return self.create(field, entity, py)
        if verb == "update":
            return self.update(field, entity, py)
        return self.delete(field, entity, py)

    def _id_arg(self, field: gm.Field) -> gm.Argument | None:
        ids = [a for a in field.args if str(a.type) == "ID!"]
        return ids[0] if len(ids) == 1 else None

    def get_one(self, field: gm.Field, py: dict[str, str]) -> list[str] | None:
        arg = self._id_arg(field)
        if arg is None or len(field.args) != 1:
            return None
        entity = field.type.named
        store = self.store(entity)
        call = "get" if field.type.non_null else "find"
        self.tests.extend(self.found_and_missing(field, "query", entity, "get"))
        return [f"return {store}.{call}({py[arg.name]})"]

    def list_all(self, field: gm.Field, py: dict[str, str]) -> list[str] | None:
        entity = field.type.named
        typedef = self.spec.type(entity)
        assert typedef is not None
        attrs = self.names.attrs([f.name for f in typedef.fields])
        lines = [f"found = {_store_name(entity)}.values()"]
        limit = offset = "None"
        for arg in field.args:
            target = typedef.field(arg.name)
            if arg.name in LIMITS and arg.type.name == "Int":
                limit = py[arg.name]
            elif arg.name in OFFSETS and arg.type.name == "Int":
                offset = py[arg.name]
            elif (
                target is not None
                and not target.args
                and target.type.of is None
                and arg.type.name == target.type.name
            ):
                lines += [
                    f"if store.present({py[arg.name]}):",
                    f"    found = [item for item in found "
                    f"if item.{attrs[arg.name]} == {py[arg.name]}]",
                ]
            else:
                return None
        self.store(entity)
        if (limit, offset) == ("None", "None"):
            lines.append("return found")
        else:
            lines.append(f"return store.page(found, offset={offset}, limit={limit})")
        self.tests.extend(self.list_tests(field, entity))
        return lines

    def payload(
        self, field: gm.Field, py: dict[str, str], skip: str | None
    ) -> dict[str, tuple[gm.TypeRef, str]] | None:
        """Field name -> (input type, Python expression) of what a create or update sends."""
        args = [a for a in field.args if a.name != skip]
        if (
            len(args) == 1
            and (inner := self.spec.type(args[0].type.named))
            and inner.kind == "input"
        ):
            if args[0].type.of is not None:
                return None
            source = py[args[0].name]
            attrs = self.names.attrs([f.name for f in inner.inputs])
            if not args[0].type.non_null:
                return None
            return {f.name: (f.type, f"{source}.{attrs[f.name]}") for f in inner.inputs}
        return {a.name: (a.type, py[a.name]) for a in args}

    def convert(
        self, source: str, given: gm.TypeRef, wanted: gm.TypeRef, depth: int = 0
    ) -> str | None:
        """A Python expression turning `source` (of input type `given`) into `wanted`."""
        if depth > 8:
            return None
        if given.non_null is False and wanted.non_null:
            if wanted.of is not None and given.of is not None:
                inner = self.convert("item", given.of, wanted.of, depth + 1)
                if inner == "item":
                    return f"store.items({source})"
                return None if inner is None else f"[{inner} for item in store.items({source})]"
            return None
        if wanted.of is not None:
            if given.of is None:
                return None
            var = f"item{depth}" if depth else "item"
            inner = self.convert(var, given.of, wanted.of, depth + 1)
            if inner is None:
                return None
            expr = f"list({source})" if inner == var else f"[{inner} for {var} in {source}]"
            return expr if given.non_null else f"({expr} if store.present({source}) else None)"
        if given.of is not None:
            return None
        out, into = self.spec.type(str(wanted.name)), self.spec.type(str(given.name))
        if out is None or into is None:  # built-in scalars
            if wanted.name != given.name:
                return None
            return source if given.non_null else f"store.value({source})"
        if out.kind in ("scalar", "enum"):
            if out.name != into.name:
                return None
            return source if given.non_null else f"store.value({source})"
        if out.kind != "object" or into.kind != "input" or self.key(out.name):
            return None
        func = self.converter(into, out)
        if func is None:
            return None
        made = f"{func}({source})"
        return made if given.non_null else f"({made} if store.present({source}) else None)"

    def converter(self, into: gm.TypeDef, out: gm.TypeDef) -> str | None:
        """The function building an `out` from an `into` (generated once; recursive types
        call it again), or None if the input type cannot fill the object type."""
        key = (into.name, out.name)
        if key in self.converters:
            found = self.converters[key]
            return None if found is None else str(found["func"])
        func = f"{graphql_names.snake(out.name)}_from_{graphql_names.snake(into.name)}"
        func = re.sub(r"_+", "_", func).strip("_")
        entry: dict[str, Any] = {
            "func": func,
            "given": self.names.cls(into.name),
            "made": self.names.cls(out.name),
        }
        self.converters[key] = entry
        fields = {f.name: (f.type, f"data.{attr}") for f, attr in self._inputs(into)}
        made = self.construct(out, fields, 1)
        if made is None:
            self.converters[key] = None
            return None
        entry["expr"] = made
        return func

    def _inputs(self, typedef: gm.TypeDef) -> list[tuple[gm.Argument, str]]:
        attrs = self.names.attrs([f.name for f in typedef.inputs])
        return [(f, attrs[f.name]) for f in typedef.inputs]

    def construct(
        self,
        out: gm.TypeDef,
        fields: dict[str, tuple[gm.TypeRef, str]],
        depth: int,
        key: str | None = None,
    ) -> str | None:
        """`types.X(...)` from `fields`; None unless they fill every non-null field of `out`
        and every one of them is used."""
        attrs = self.names.attrs([f.name for f in out.fields])
        parts, used = [], set()
        for target in out.fields:
            if target.args:
                continue
            if key is not None and target.name == "id":
                parts.append(f"{attrs['id']}={key}")
                continue
            if target.name in fields:
                given, source = fields[target.name]
                expr = self.convert(source, given, target.type, depth)
                if expr is None:
                    return None
                used.add(target.name)
            elif not target.type.non_null:
                expr = "None"
            elif target.type.of is not None:
                expr = "[]"
            else:
                return None
            parts.append(f"{attrs[target.name]}={expr}")
        if used != set(fields):
            return None
        return f"types.{self.names.cls(out.name)}({', '.join(parts)})"

    def create(self, field: gm.Field, entity: str, py: dict[str, str]) -> list[str] | None:
        if field.type.named != entity or field.type.of is not None:
            return None
        fields = self.payload(field, py, skip=None)
        typedef = self.spec.type(entity)
        if fields is None or typedef is None or "id" in fields:
            return None
        saved = dict(self.converters)
        made = self.construct(typedef, fields, 0, key="strawberry.ID(key)")
        if made is None:
            self.converters = saved
            return None
        store = self.store(entity)
        self.tests.append(self.create_test(field, entity))
        return [f"key = {store}.new_key()", f"return {store}.add(key, {made})"]

    def update(self, field: gm.Field, entity: str, py: dict[str, str]) -> list[str] | None:
        arg = self._id_arg(field)
        typedef = self.spec.type(entity)
        if (
            arg is None
            or field.type.named != entity
            or field.type.of is not None
            or typedef is None
        ):
            return None
        fields = self.payload(field, py, skip=arg.name)
        if fields is None or "id" in fields or not fields:
            return None
        attrs = self.names.attrs([f.name for f in typedef.fields])
        store = _store_name(entity)
        call = "get" if field.type.non_null else "find"
        saved = dict(self.converters)
        lines = [f"stored = {store}.{call}({py[arg.name]})"]
        if not field.type.non_null:
            lines += ["if stored is None:", "    return None"]
        for name, (given, source) in fields.items():
            target = typedef.field(name)
            if target is None or target.args:
                self.converters = saved
                return None
            if target.type.non_null:
                check = "present"
                expr = self.convert(source, _non_null(given), target.type)
            else:
                check = "given"
                expr = self.convert(source, given, target.type)
            if expr is None:
                self.converters = saved
                return None
            lines += [f"if store.{check}({source}):", f"    stored.{attrs[name]} = {expr}"]
        self.store(entity)
        self.tests.extend(self.found_and_missing(field, "mutation", entity, "update"))
        return [*lines, "return stored"]

    def delete(self, field: gm.Field, entity: str, py: dict[str, str]) -> list[str] | None:
        arg = self._id_arg(field)
        if arg is None or len(field.args) != 1 or field.type.of is not None:
            return None
        store, key = _store_name(entity), py[arg.name]
        if field.type.name == "Boolean":
            body = [f"return {store}.remove({key})"]
        elif field.type.name == entity:
            call = "pop" if field.type.non_null else "discard"
            body = [f"return {store}.{call}({key})"]
        elif field.type.name == "ID" and field.type.non_null:
            body = [f"{store}.pop({key})", f"return {key}"]
        else:
            return None
        self.store(entity)
        self.tests.extend(self.found_and_missing(field, "mutation", entity, "delete"))
        return body

    # -- the generated tests --------------------------------------------------------------------

    def document(self, field: gm.Field, kind: gm.Root) -> str:
        return (
            f"{kind} {{ {field.name}{self.names.arguments(field.args)}"
            f"{self.names.selection(field.type)} }}"
        )

    def stored(self, entity: str) -> str:
        sample = self.names.sample(gm.TypeRef(entity, non_null=True))
        return f'schema.{self.store(entity)}.add("1", {sample})'

    def found_and_missing(
        self, field: gm.Field, kind: gm.Root, entity: str, verb: str
    ) -> list[dict[str, Any]]:
        document = self.document(field, kind)
        name = f"test_{kind}_{graphql_names.snake(field.name).rstrip('_')}"
        result = f"data[{json.dumps(field.name)}]"
        if verb == "delete" and field.type.name == "Boolean":
            found, missing = [f"assert {result} is True"], [f"assert {result} is False"]
        elif verb == "delete" and field.type.name == "ID":
            found, missing = [f'assert {result} == "1"'], None
        else:
            found = [f'assert {result}["id"] == "1"']
            missing = None if field.type.non_null else [f"assert {result} is None"]
        if verb == "delete":
            found.append(f"assert schema.{self.store(entity)}.values() == []")
        first = {
            "name": f"{name}_finds_a_stored_{graphql_names.snake(entity).rstrip('_')}",
            "setup": [self.stored(entity)],
            "document": document,
            "checks": found,
            "entities": [entity],
        }
        second: dict[str, Any] = {
            "name": f"{name}_answers_an_unknown_id",
            "setup": [],
            "document": document,
            "entities": [entity],
        }
        if missing is None:
            second["not_found"] = True
            second["checks"] = []
        else:
            second["checks"] = missing
        return [first, second]

    def list_tests(self, field: gm.Field, entity: str) -> list[dict[str, Any]]:
        name = f"test_query_{graphql_names.snake(field.name).rstrip('_')}"
        plain = f"query {{ {field.name}{self.names.selection(field.type)} }}"
        result = f"data[{json.dumps(field.name)}]"
        tests = [
            {
                "name": f"{name}_lists_what_is_stored",
                "setup": [self.stored(entity)],
                "document": plain,
                "checks": [f'assert [item["id"] for item in {result}] == ["1"]'],
                "entities": [entity],
            }
        ]
        if field.args:
            tests.append(
                {
                    "name": f"{name}_takes_every_argument",
                    "setup": [self.stored(entity)],
                    "document": self.document(field, "query"),
                    "checks": [f"assert isinstance({result}, list)"],
                    "entities": [entity],
                }
            )
        return tests

    def create_test(self, field: gm.Field, entity: str) -> dict[str, Any]:
        result = f"data[{json.dumps(field.name)}]"
        return {
            "name": f"test_mutation_{graphql_names.snake(field.name).rstrip('_')}_stores_it",
            "setup": [],
            "document": self.document(field, "mutation"),
            "checks": [
                f'assert {result}["id"] == "1"',
                f'assert [item.id for item in schema.{self.store(entity)}.values()] == ["1"]',
            ],
            "entities": [entity],
        }

    def custom_test(self, field: gm.Field, kind: gm.Root) -> dict[str, Any]:
        result = f"data[{json.dumps(field.name)}]"
        checks = [f"assert {result} is not None"] if field.type.non_null else []
        return {
            "name": f"test_{kind}_{graphql_names.snake(field.name).rstrip('_')}_answers",
            "setup": [],
            "document": self.document(field, kind),
            "checks": checks,
        }


def known_names(spec: gm.GraphQLSpec) -> list[str]:
    return [op.field.name for op in spec.roots]


def _verb(name: str, spec: gm.GraphQLSpec) -> tuple[str | None, str | None]:
    for verb, prefixes in PREFIXES.items():
        for prefix in prefixes:
            if name.lower().startswith(prefix) and len(name) > len(prefix):
                rest = name[len(prefix) :].lstrip("_").lower().replace("_", "")
                for typedef in spec.types:
                    if typedef.kind == "object" and typedef.name.lower() == rest:
                        return verb, typedef.name
                return None, None
    return None, None


def _store_name(entity: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", graphql_names.snake(entity).upper()).rstrip("_") + "_STORE"


def _non_null(ref: gm.TypeRef) -> gm.TypeRef:
    return gm.TypeRef(ref.name, ref.of, non_null=True)


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


def _entrypoints(
    template: template_model.Template, context: Mapping[str, Any]
) -> codetemplate.Entrypoints:
    entry = template.spec.entrypoints
    return codetemplate.Entrypoints(
        package=render.expand(entry.package, context),
        app=render.expand(entry.app, context) if entry.app else None,
        openapi=render.expand(entry.openapi, context) if entry.openapi else None,
    )
