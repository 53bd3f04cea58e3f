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
from kodegen.views.graphql import crud, directives, events, naming

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
        self.events = events.Events(spec, self.names, self.crud)
        self.directives = directives.Directives(spec, self.names)
        self.data_roots = _data_roots(spec)
        self.names.schema_roots = spec.root_names - self.data_roots
        self.entities: list[dict[str, Any]] = []

    def build(self, template: template_model.Template, variables: Mapping[str, Any]) -> plan.Plan:
        types = self.types()
        roots = [self.root(self.spec.query, "query")]
        if self.spec.mutation:
            roots.append(self.root(self.spec.mutation, "mutation"))
        subscription = self.spec.subscription
        if subscription and subscription not in self.data_roots:
            roots.append(self.root(subscription, "subscription"))
        elif subscription:
            typedef = self.spec.type(subscription)
            for field in typedef.fields if typedef else ():
                self.missing.append(
                    plan.NotImplementedOp(
                        field.name,
                        "subscription",
                        f"{subscription}.{field.name}",
                        f"type {subscription} is the subscription root and also data other "
                        "fields return: a field of it cannot be both an event stream and a value",
                    )
                )
        self._references()
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
            "subscription": self._subscription_root(),
            "federation": self.spec.federation,
            "directive_declarations": self.directives.declarations(),
            "directive_patches": untrusted.mark(self.directives.patches),
            "schema_directives": self.directives.schema_classes,
            "executable_directives": self.directives.executable,
            "entities": [entity["test"] for entity in self.entities],
            "subscription_tests": self.events.tests,
            "warnings": untrusted.mark(list(self.spec.warnings)),
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
        context["schema_uses_store"] = bool(
            self.crud.stores or types["scalars"] or "store." in json.dumps([roots, self.constants])
        )
        context["uses_one_of"] = any(t.one_of for t in self.spec.types)
        types_text = json.dumps(types["classes"])
        context["types_uses_lazy"] = "strawberry.lazy(" in types_text
        context["types_uses_importlib"] = "importlib.import_module(" in types_text
        context["lazy_roots"] = sorted(
            self.names.cls(name)
            for name in self.names.schema_roots
            if f"Annotated[{self.names.cls(name)}, strawberry.lazy" in types_text
        )
        context["types_uses_store"] = "store.tie(" in json.dumps(types["classes"])
        context["schema_uses_federation"] = "federation." in json.dumps(roots)
        context["schema_uses_directives"] = bool(self.directives.classes) and (
            "Directive" in json.dumps(roots)
        )
        return plan.Plan(context, tuple(self.missing), plan.entrypoints(template, context))

    # -- types.py ------------------------------------------------------------------------------

    def types(self) -> dict[str, Any]:
        roots = self.spec.root_names - self.data_roots
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
                            directives=self._uses(typedef.directives, "types."),
                        ),
                    }
                )
            elif typedef.kind == "union":
                members = " | ".join(self.names.cls(m) for m in typedef.members)
                options = _options(
                    name=typedef.name,
                    description=typedef.description,
                    directives=self._uses(typedef.directives),
                )
                unions.append(
                    {"cls": self.names.cls(typedef.name), "members": members, "options": options}
                )
        for typedef in self._class_order():
            if typedef.name in roots:
                continue
            block, functions = self.cls(typedef)
            classes.append(block)
            resolvers.extend(functions)
        text = json.dumps([classes, resolvers, enums, scalars, unions])
        return {
            "types_uses_federation": "federation." in text,
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
            uses = self._uses(value.directives)
            # `secretkey = "secretkey"` reads as a credential to the secrets gate
            if (
                value.description
                or value.deprecation_reason
                or py != value.name
                or uses
                or naming.secretish(value.name)
            ):
                options = _options(
                    name=_renamed(py, value.name),
                    description=value.description,
                    deprecation_reason=value.deprecation_reason,
                    directives=uses,
                )
                given = ", ".join(p for p in (json.dumps(value.name), options) if p)
                expr = f"strawberry.enum_value({given})"
            else:
                expr = json.dumps(value.name)
            values.append({"name": py, "expr": expr})
        return {
            "cls": self.names.cls(typedef.name),
            "decorator": _decorator(
                "strawberry.enum",
                self.names.cls(typedef.name),
                typedef.name,
                typedef.description,
                self._uses(typedef.directives),
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
                        directives=self._uses(field.directives),
                    )
                else:
                    options = _options(
                        name=_renamed(py[field.name], field.name),
                        description=field.description,
                        deprecation_reason=field.deprecation_reason,
                        directives=self._uses(field.directives),
                    )
                annotation = self.names.annotation(field.type)
                default = f" = strawberry.field({options})" if options else ""
                fields.append({"line": f"{py[field.name]}: {annotation}{default}"})
        decorator = _decorator(
            f"strawberry.{kind}",
            cls,
            typedef.name,
            typedef.description,
            self._uses(typedef.directives),
            one_of=typedef.one_of,
        )
        block = {
            "cls": cls,
            "decorator": decorator,
            "bases": f"({', '.join(bases)})" if bases else "",
            "fields": fields,
            "constants": constants,
            "functions": functions,
            "reference": [],
        }
        if self.spec.federation and any(a.name == "key" for a in typedef.directives):
            self.entities.append({"typedef": typedef, "block": block})
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
            "directives": self._uses(arg.directives),
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
            uses = self._uses(arg.directives, prefix)
            if renamed or arg.description or arg.deprecation_reason or uses:
                options = _options(
                    name=renamed,
                    description=arg.description,
                    deprecation_reason=arg.deprecation_reason,
                    directives=uses,
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
                "strawberry.type",
                self.names.cls(name),
                name,
                typedef.description,
                self._uses(typedef.directives, "types."),
            ),
            "ops": ops,
            "name": name,
            "kind": kind,
        }

    def operation(
        self, root: gm.TypeDef, field: gm.Field, kind: gm.Root, py: str
    ) -> dict[str, Any]:
        decorator = {
            "query": "strawberry.field",
            "mutation": "strawberry.mutation",
            "subscription": "strawberry.subscription",
        }[kind]
        options = _options(
            name=_renamed(py, field.name),
            description=field.description,
            deprecation_reason=field.deprecation_reason,
            directives=self._uses(field.directives, "types."),
        )
        params = self.params(field.args, "types.", f"{root.name}.{field.name}", self.constants)
        arg_py = self.names.attrs([a.name for a in field.args], naming.RESERVED_PARAMS)
        label = f"{root.name}.{field.name}"
        reason = "not in spec.specification.graphql.operations"
        semantics = None
        if field.name in self.wanted and kind == "subscription":
            semantics, reason = self.events.semantics(field, arg_py)
        elif field.name in self.wanted:
            semantics = self.crud.semantics(field, kind, arg_py)
            reason = (
                "not the get, list, create, update or delete of an object type with an "
                "`id` key field (ID!, String!, Int! or a custom scalar)"
            )
        returns = self.names.annotation(field.type, "types.")
        if semantics is None:
            self.missing.append(plan.NotImplementedOp(field.name, kind, label, reason))
            sample = self.names.sample(field.type)
            verb = "yield" if kind == "subscription" else "return"
            body = [f"# kodegen:implement {label}", f"{verb} {sample}"]
            if kind == "subscription":
                self.events.tests.append(self.events.sample_test(field))
            else:
                self.crud.tests.append(self.crud.make.custom_test(field, kind))
        else:
            body = semantics
        return {
            "decorator": f"@{decorator}({options})" if options else f"@{decorator}",
            "py": py,
            "params": params,
            "returns": f"AsyncGenerator[{returns}, None]" if kind == "subscription" else returns,
            "prefix": "async " if kind == "subscription" else "",
            "body": body,
            "name": field.name,
            "implemented": semantics is not None,
        }

    def _uses(self, applied: Sequence[gm.Applied], prefix: str = "") -> _Raw | None:
        found = self.directives.uses(applied, prefix)
        return None if found is None else _Raw(found)

    def _subscription_root(self) -> str | None:
        name = self.spec.subscription
        if name is None:
            return None
        if name in self.data_roots:
            return "types." + self.names.cls(name)
        return self.names.cls(name)

    def _references(self) -> None:
        """`resolve_reference` of every Federation entity: from its store when it has one and
        its key is `id`, else a sample carrying the key fields of the representation."""
        for entity in self.entities:
            typedef: gm.TypeDef = entity["typedef"]
            keys = [
                str(dict(a.args).get("fields", "")) for a in typedef.directives if a.name == "key"
            ]
            simple = keys[0].split() if keys and "{" not in keys[0] else []
            attrs = self.names.attrs([f.name for f in typedef.fields])
            if typedef.name in self.crud.stores and simple == ["id"]:
                store = self.crud.stores[typedef.name]
                body = [f'return schema.{store}.get(str(representation["id"]))']
                needs_schema = True
            else:
                sample = self.names.sample(gm.TypeRef(typedef.name, non_null=True), prefix="")
                given = [k for k in simple if typedef.field(k) is not None]
                pairs = ", ".join(f"{attrs[k]}=representation[{json.dumps(k)}]" for k in given)
                body = [
                    f"return dataclasses.replace({sample}, {pairs})"
                    if pairs
                    else f"return {sample}"
                ]
                needs_schema = False
            entity["block"]["reference"] = body
            entity["block"]["reference_needs_schema"] = needs_schema
            entity["test"] = {
                "name": naming.snake(typedef.name).rstrip("_"),
                "typename": typedef.name,
                "key_fields": simple,
                "stored": needs_schema,
                "setup": [self.crud.make.stored(typedef.name)] if needs_schema else [],
                "representation": {
                    "__typename": typedef.name,
                    **{k: self._key_value(typedef, k) for k in simple if typedef.field(k)},
                }
                if simple
                else {},
                "document": "query($r: [_Any!]!) { _entities(representations: $r) { __typename "
                f"... on {typedef.name} {{ {' '.join(simple)} }} }} }}",
                # the first key's, which the representation carries
                "resolvable": next(
                    dict(a.args).get("resolvable", True) is not False
                    for a in typedef.directives
                    if a.name == "key"
                ),
                "key_directive": f"@key(fields: {json.dumps(keys[0])}" if keys else "",
            }
            del entity["typedef"]

    def _key_value(self, typedef: gm.TypeDef, key: str) -> Any:
        field = typedef.field(key)
        assert field is not None
        return {"Int": 1, "Float": 1.5, "Boolean": True}.get(str(field.type.name), "1")


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


def _decorator(
    kind: str,
    cls: str,
    name: str,
    description: str | None,
    uses: _Raw | None = None,
    one_of: bool = False,
) -> str:
    # Strawberry camel-cases a class name with underscores (`query_root` -> `queryRoot`)
    plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", name) is not None
    options = _options(
        name=_renamed(cls, name) if plain else name,
        description=description,
        directives=uses,
        one_of=_Raw("True") if one_of else None,
    )
    return f"@{kind}({options})" if options else f"@{kind}"


def _data_roots(spec: gm.GraphQLSpec) -> frozenset[str]:
    """Root types other fields also return (a type named `Subscription` used as data)."""
    used = {
        field.type.named
        for typedef in spec.types
        if typedef.kind in ("object", "interface")
        for field in typedef.fields
    }
    return frozenset(name for name in (spec.subscription,) if name and name in used)
