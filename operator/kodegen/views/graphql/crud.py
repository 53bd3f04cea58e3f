"""CRUD over an in-memory store for the root fields that look like it.

Root fields that look like CRUD over an entity (an object type with an `id` field of a
non-null `ID`, `String`, `Int` or custom scalar: its key) run against an in-memory store:

    get     a query field returning the entity, with one argument naming it: of type `ID!`,
            or of the key's type and named `id`, `pk` or `<entity>Id` (`user_by_pk(id: uuid!)`)
    list    a query field returning a list of the entity, whose arguments are paging
            (`first`, `limit`, `offset`, `skip`...) or filters on the entity's scalar fields
    create  `create<Entity>` / `add<Entity>`: the fields of one input-object argument (or the
            arguments themselves) fill the entity's fields of the same names; nested input
            objects fill nested object types the same way; `authorId: ID` sets `author` to
            the stored Author of that id (NOT_FOUND if there is none)
    update  `update<Entity>` / `edit`, `patch`: an argument naming it plus such a payload; the
            fields given are changed
    delete  `delete<Entity>` / `remove`: an argument naming it; answers Boolean, the entity or
            the ID

A mutation's entity is the type its name ends with, after the verb, give or take `_one`,
`_by_pk`, `ById` (`insert_user_one`, `delete_user_by_pk`).

Each method answers the Python lines of the resolver's body, or None when the field is not
what it looks like (it then stays not implemented); the stores, the input-to-object converter
functions and the tests of what it implements are collected on the way.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kodegen.specs import graphql_model as gm
from kodegen.views.graphql import cases, naming

__all__ = ["Crud"]

PREFIXES: dict[str, tuple[str, ...]] = {
    "create": ("create", "add", "new", "insert"),
    "update": ("update", "edit", "patch", "modify"),
    "delete": ("delete", "remove", "destroy"),
}
KEY_SCALARS = frozenset({"ID", "String", "Int"})
"""Built-in scalars an entity's `id` may be of (besides custom scalars: strings here)."""
SINGLE = ("", "one", "bypk", "byid")
"""What may follow the entity's name in a mutation's name (`insert_user_one`)."""
LIMITS = frozenset({"first", "limit", "size", "take", "pageSize", "count"})
OFFSETS = frozenset({"offset", "skip", "start"})


class Crud:
    """The CRUD semantics of one schema's root fields, and what implementing them needs."""

    def __init__(self, spec: gm.GraphQLSpec, names: naming.Names) -> None:
        self.spec = spec
        self.names = names
        self.stores: dict[str, str] = {}
        """Entity type -> the variable of its store, for the stores generated."""
        self.converters: dict[tuple[str, str], dict[str, Any] | None] = {}
        """(input type, object type) -> its converter function; None: it cannot convert."""
        self.tests: list[dict[str, Any]] = []
        self.related: set[str] = set()
        """Entities the operation being planned looks up by id..."""
        self.linked: list[str] = []
        """...and the fields it sets to them."""
        self.make = cases.Tests(names, self.store, self.key_type)
        self.watched = _watched(spec)
        """Entities a subscription field returns: their mutations publish what they change."""
        self.feeds: dict[str, list[dict[str, Any]]] = {}
        """Entity -> the first test of each mutation publishing it (its setup and document)."""

    def key(self, name: str | None) -> str | None:
        """The key field of an entity: `id` without arguments, of a non-null `ID`, `String`,
        `Int` or custom scalar; None for other types."""
        typedef = self.spec.type(name) if name else None
        if (
            typedef is None
            or typedef.kind != "object"
            or name in (self.spec.query, self.spec.mutation)
        ):
            return None
        field = typedef.field("id")
        if field is None or field.args or field.type.of is not None or not field.type.non_null:
            return None
        kind = self.spec.type(str(field.type.name))
        if field.type.name in KEY_SCALARS or (kind is not None and kind.kind == "scalar"):
            return "id"
        return None

    def key_type(self, entity: str) -> str:
        """The GraphQL type of an entity's `id` field (`key` said it has one)."""
        typedef = self.spec.type(entity)
        field = typedef.field("id") if typedef else None
        assert field is not None
        return str(field.type.name)

    def stored_key(self, entity: str, source: str) -> str:
        """The store's key (a string) of an argument holding an entity's key."""
        return f"str({source})" if self.key_type(entity) == "Int" else source

    def new_key(self, entity: str) -> str:
        """The entity's `id` value made of the store's new key `key`."""
        kind = self.key_type(entity)
        if kind == "ID":
            return "strawberry.ID(key)"
        if kind == "Int":
            return "int(key)"
        return "key" if kind == "String" else f"types.{self.names.cls(kind)}(key)"

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

    def _id_arg(self, field: gm.Field, entity: str) -> gm.Argument | None:
        """The one argument naming a stored `entity`: `ID!` (when its key is an ID), or of its
        key's type and named for a key (`id`, `pk`, `userId`)."""
        kind = self.key_type(entity)
        named = {"id", "pk", entity.lower().replace("_", "") + "id"}
        ids = [
            a
            for a in field.args
            if a.type.of is None
            and a.type.non_null
            and a.type.name == kind
            and (kind == "ID" or a.name.lower().replace("_", "") in named)
        ]
        return ids[0] if len(ids) == 1 else None

    def get_one(self, field: gm.Field, py: dict[str, str]) -> list[str] | None:
        entity = field.type.named
        arg = self._id_arg(field, entity)
        if arg is None or len(field.args) != 1:
            return None
        store = self.store(entity)
        call = "get" if field.type.non_null else "find"
        self.tests.extend(self.make.found_and_missing(field, "query", entity, "get", key=arg.name))
        return [f"return {store}.{call}({self.stored_key(entity, py[arg.name])})"]

    def list_all(self, field: gm.Field, py: dict[str, str]) -> list[str] | None:
        entity = field.type.named
        typedef = self.spec.type(entity)
        assert typedef is not None
        attrs = self.names.attrs([f.name for f in typedef.fields])
        lines = [f"found = {_store_name(entity)}.values()"]
        limit = offset = "None"
        for arg in field.args:
            target = typedef.field(arg.name)
            if arg.type.non_null and arg.default is gm.MISSING:
                return None  # a listing takes optional filters only (`employeeAsList(id: Int!)`)
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
        self.tests.extend(self.make.list_tests(field, entity))
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
        func = f"{naming.snake(out.name)}_from_{naming.snake(into.name)}"
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
        links = {}
        for name, (ref, _) in fields.items():
            linked = self.relation(out, name, ref)
            if linked is not None and name not in {f.name for f in out.fields}:
                links[linked.name] = name
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
            elif target.name in links:
                given, source = fields[links[target.name]]
                expr = self.lookup(source, given, target)
                if expr is None:
                    return None
                used.add(links[target.name])
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

    def relation(self, out: gm.TypeDef, name: str, given: gm.TypeRef) -> gm.Field | None:
        """The field of `out` holding an entity that `<field>Id: ID` refers to, if any."""
        if given.of is not None or given.name != "ID":
            return None
        for suffix in ("Id", "ID", "_id"):
            if name.endswith(suffix) and len(name) > len(suffix):
                target = out.field(name[: -len(suffix)])
                if target and not target.args and target.type.of is None:
                    keyed = self.key(target.type.name)
                    return (
                        target if keyed and self.key_type(str(target.type.name)) == "ID" else None
                    )
        return None

    def lookup(self, source: str, given: gm.TypeRef, target: gm.Field) -> str | None:
        """The stored entity `source` (an ID) names: NOT_FOUND if there is none."""
        entity = str(target.type.name)
        self.related.add(entity)
        self.linked.append(target.name)
        store = _store_name(entity)
        if given.non_null:
            return f"{store}.get({source})"
        if target.type.non_null:
            return None
        return f"({store}.get({source}) if store.present({source}) else None)"

    def _related(self) -> list[str]:
        """The entities the operation just planned refers to; their stores are generated."""
        found = sorted(self.related)
        for entity in found:
            self.store(entity)
        return found

    def create(self, field: gm.Field, entity: str, py: dict[str, str]) -> list[str] | None:
        self.related, self.linked = set(), []
        if field.type.named != entity or field.type.of is not None:
            return None
        fields = self.payload(field, py, skip=None)
        typedef = self.spec.type(entity)
        if fields is None or typedef is None or "id" in fields:
            return None
        saved = dict(self.converters)
        made = self.construct(typedef, fields, 0, key=self.new_key(entity))
        if made is None:
            self.converters = saved
            return None
        store = self.store(entity)
        related = self._related()
        tests = self.make.create_tests(
            field, entity, _leaves(typedef, fields), related, self.linked
        )
        self.tests.extend(tests)
        if entity not in self.watched:
            return [f"key = {store}.new_key()", f"return {store}.add(key, {made})"]
        self.feeds.setdefault(entity, []).append(tests[0])
        return [
            f"key = {store}.new_key()",
            f"made = {store}.add(key, {made})",
            *_publish(entity, "made"),
            "return made",
        ]

    def update(self, field: gm.Field, entity: str, py: dict[str, str]) -> list[str] | None:
        self.related, self.linked = set(), []
        arg = self._id_arg(field, entity)
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
        lines = [f"stored = {store}.{call}({self.stored_key(entity, py[arg.name])})"]
        if not field.type.non_null:
            lines += ["if stored is None:", "    return None"]
        for name, (given, source) in fields.items():
            target = typedef.field(name)
            linked = self.relation(typedef, name, given) if target is None else None
            expr: str | None = None
            if linked is not None:
                check = "present" if linked.type.non_null else "given"
                sent = _non_null(given) if linked.type.non_null else given
                expr, target = self.lookup(source, sent, linked), linked
            elif target is not None and not target.args:
                check = "present" if target.type.non_null else "given"
                sent = _non_null(given) if target.type.non_null else given
                expr = self.convert(source, sent, target.type)
            if expr is None or target is None:
                self.converters = saved
                return None
            lines += [f"if store.{check}({source}):", f"    stored.{attrs[target.name]} = {expr}"]
        self.store(entity)
        checked = _leaves(typedef, fields)
        tests = self.make.found_and_missing(
            field, "mutation", entity, "update", checked, self._related(), key=arg.name
        )
        self.tests.extend(tests)
        if entity in self.watched:
            self.feeds.setdefault(entity, []).append(tests[0])
            lines += _publish(entity, "stored")
        return [*lines, "return stored"]

    def delete(self, field: gm.Field, entity: str, py: dict[str, str]) -> list[str] | None:
        arg = self._id_arg(field, entity)
        if arg is None or len(field.args) != 1 or field.type.of is not None:
            return None
        store, key = _store_name(entity), self.stored_key(entity, py[arg.name])
        watched = entity in self.watched
        if field.type.name == "Boolean" and watched:
            body = [
                f"removed = {store}.discard({key})",
                "if removed is not None:",
                *("    " + line for line in _publish(entity, "removed")),
                "return removed is not None",
            ]
        elif field.type.name == "Boolean":
            body = [f"return {store}.remove({key})"]
        elif field.type.name == entity:
            call = "pop" if field.type.non_null else "discard"
            body = [f"return {store}.{call}({key})"]
            if watched:
                body = [
                    f"removed = {store}.{call}({key})",
                    "if removed is not None:",
                    *("    " + line for line in _publish(entity, "removed")),
                    "return removed",
                ]
        elif field.type.name == "ID" and field.type.non_null:
            body = [f"{store}.pop({key})", f"return {key}"]
            if watched:
                body = [
                    f"removed = {store}.pop({key})",
                    *_publish(entity, "removed"),
                    f"return {key}",
                ]
        else:
            return None
        self.store(entity)
        tests = self.make.found_and_missing(field, "mutation", entity, "delete", key=arg.name)
        self.tests.extend(tests)
        if watched:
            self.feeds.setdefault(entity, []).append(tests[0])
        return body


def _verb(name: str, spec: gm.GraphQLSpec) -> tuple[str | None, str | None]:
    for verb, prefixes in PREFIXES.items():
        for prefix in prefixes:
            if name.lower().startswith(prefix) and len(name) > len(prefix):
                rest = name[len(prefix) :].lstrip("_").lower().replace("_", "")
                for tail in SINGLE:
                    for typedef in spec.types:
                        if typedef.kind == "object" and typedef.name.lower() + tail == rest:
                            return verb, typedef.name
                return None, None
    return None, None


def _leaves(
    typedef: gm.TypeDef, fields: dict[str, tuple[gm.TypeRef, str]]
) -> list[tuple[str, gm.TypeRef]]:
    """The fields sent that set a field of the same name, as (name, type sent)."""
    return [(name, ref) for name, (ref, _) in fields.items() if typedef.field(name) is not None]


def _watched(spec: gm.GraphQLSpec) -> frozenset[str]:
    return frozenset(op.field.type.named for op in spec.roots if op.root == "subscription")


def _publish(entity: str, var: str) -> list[str]:
    return [f"store.EVENTS.publish({json.dumps(entity)}, {var})"]


def _store_name(entity: str) -> str:
    return re.sub(r"[^A-Z0-9_]", "_", naming.snake(entity).upper()).rstrip("_") + "_STORE"


def _non_null(ref: gm.TypeRef) -> gm.TypeRef:
    return gm.TypeRef(ref.name, ref.of, non_null=True)
