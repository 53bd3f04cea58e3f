"""GraphQL seen from Python: names, type expressions, literals and samples for the Strawberry
template. Pure functions over `specs.graphql_model`; no code is run.

Python names are snake_case (fields, arguments) or the GraphQL name (types); where they differ
from the GraphQL name the template passes `name=` to Strawberry, whose automatic camel-casing is
off, so the served schema carries exactly the names of the SDL.
"""

from __future__ import annotations

import json
import keyword
import re
from typing import Any

from kodegen import errors
from kodegen.specs import graphql_model as gm

__all__ = ["Names", "member", "snake"]

SCALARS = {
    "ID": "strawberry.ID",
    "String": "str",
    "Int": "int",
    "Float": "float",
    "Boolean": "bool",
}
RESERVED_TYPES = frozenset(
    {"strawberry", "enum", "typing", "annotations", "Annotated", "StrawberryConfig"}
    | {"store", "types", "schema", "STORES", "DIRECTIVES", "graphql"}
)
"""Module-level names of the generated types.py and schema.py a type may not take."""
AMBIGUOUS = frozenset({"l", "O", "I"})
"""Class names the style gate refuses (E742: read as 1 and 0)."""
RESERVED_PARAMS = frozenset({"self", "root", "info", "strawberry", "store", "types"})
SAMPLES_OUT = {
    "ID": 'strawberry.ID("1")',
    "String": '"string"',
    "Int": "1",
    "Float": "1.5",
    "Boolean": "True",
}
SAMPLES_IN = {"ID": '"1"', "String": '"string"', "Int": "1", "Float": "1.5", "Boolean": "true"}
CHANGED_IN = {"ID": '"1"', "String": '"changed"', "Int": "2", "Float": "2.5", "Boolean": "false"}
"""What an update sends: unlike the samples stored before, so the test sees the change."""
ANSWERS = {"ID": '"1"', "String": '"string"', "Int": "1", "Float": "1.5", "Boolean": "True"}
INPUT_DEPTH = 3
"""How deep `literal` fills optional input objects."""
CHANGED_ANSWERS = {**ANSWERS, "String": '"changed"', "Int": "2", "Float": "2.5", "Boolean": "False"}


CREDENTIAL = "<kodegen-test-credential>"
CHANGED_CREDENTIAL = "<kodegen-changed-credential>"
"""What a field named like a secret (`password`, `token`) is given and answers: placeholders
secret scanners know as such, where "string" would look like a credential in the tests."""
_SECRETISH = re.compile(r"pass|pwd|secret|token|credential|api_?key|private_?key", re.IGNORECASE)


def secretish(name: str) -> bool:
    """Whether a field or argument name reads like a credential."""
    return bool(_SECRETISH.search(name))


def snake(name: str) -> str:
    """`createdAt` -> `created_at`, `URLPath` -> `url_path`; a Python keyword gets a `_`."""
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text).lower()
    return text + "_" if keyword.iskeyword(text) or keyword.issoftkeyword(text) else text


def member(value: str) -> str:
    """The Python name of an enum value: `None` -> `None_`, `_hidden` -> `v_hidden` (Python's
    `enum` reserves names starting with an underscore)."""
    if value.startswith("_"):
        return "v" + value
    return value + "_" if keyword.iskeyword(value) or keyword.issoftkeyword(value) else value


class Names:
    """Python names and expressions for one schema."""

    def __init__(self, spec: gm.GraphQLSpec) -> None:
        self.spec = spec
        self.classes = {
            t.name: t.name + "_"
            if t.name in RESERVED_TYPES or t.name in AMBIGUOUS or keyword.iskeyword(t.name)
            else t.name
            for t in spec.types
        }

    schema_roots: frozenset[str] = frozenset()
    """Root types schema.py defines (not types.py): a field of a type returning one (a Relay
    payload's `query: Query`) refers to it lazily."""

    def cls(self, name: str) -> str:
        return self.classes[name]

    def attrs(self, names: list[str], reserved: frozenset[str] = frozenset()) -> dict[str, str]:
        """GraphQL field or argument names -> distinct Python names."""
        taken: set[str] = set()
        found: dict[str, str] = {}
        for name in names:
            py = snake(name)
            while py in taken or py in reserved or py.startswith("__"):
                py += "_"
            taken.add(py)
            found[name] = py
        return found

    def annotation(self, ref: gm.TypeRef, prefix: str = "") -> str:
        """The Python type of `ref`: `list[Book]`, `str | None`..."""
        if ref.of is not None:
            inner = f"list[{self.annotation(ref.of, prefix)}]"
        elif ref.name in SCALARS:
            inner = SCALARS[ref.name]
        elif ref.name in self.schema_roots and prefix:
            inner = self.cls(str(ref.name))  # schema.py defines the root types
        elif ref.name in self.schema_roots:
            inner = f'Annotated[{self.cls(str(ref.name))}, strawberry.lazy(".schema")]'
        else:
            inner = prefix + self.cls(str(ref.name))
        return inner if ref.non_null else f"{inner} | None"

    def default(self, ref: gm.TypeRef, value: Any, prefix: str = "") -> str:
        """A default value as a Python expression of type `ref`."""
        if value is None:
            return "None"
        if ref.of is not None:
            items = value if isinstance(value, list) else [value]
            return "[" + ", ".join(self.default(ref.of, item, prefix) for item in items) + "]"
        typedef = self.spec.type(str(ref.name))
        if typedef is not None and typedef.kind == "enum":
            return f"{prefix}{self.cls(typedef.name)}.{member(str(value))}"
        if typedef is not None and typedef.kind == "input":
            given = dict(value)
            py = self.attrs([f.name for f in typedef.inputs])
            parts = []
            for field in typedef.inputs:
                if field.name in given:
                    parts.append(
                        f"{py[field.name]}={self.default(field.type, given[field.name], prefix)}"
                    )
                elif field.default is not gm.MISSING:
                    raise errors.SpecError(
                        pointer=f"schema:{typedef.name}.{field.name}",
                        reason="a default value of input type "
                        f"{typedef.name} leaves out {field.name}, which has a default of its "
                        "own; write the field out in the default value",
                    )
            return f"{prefix}{self.cls(typedef.name)}({', '.join(parts)})"
        if ref.name == "Float" and isinstance(value, int) and not isinstance(value, bool):
            return repr(value)
        return json.dumps(value) if isinstance(value, str) else repr(value)

    def sample(
        self, ref: gm.TypeRef, prefix: str = "types.", fixed: dict[str, str] | None = None
    ) -> str:
        """A Python expression of type `ref`: data a not-implemented resolver answers;
        `fixed`: Python expressions for fields of the top object (a stored entity's key).

        A list inside an object is empty. Each object type is built once per sample; a later
        reference to it is the same object: None in a nullable field, or a placeholder tied to
        that object once the whole sample is built (`store.tie(item, "log", "transaction",
        to=("tx",))`). So a type that reaches itself only through non-null fields (Block ->
        Transaction -> Log -> Transaction!) is a finite graph GraphQL's finite selections
        answer from at any depth, and a schema whose types refer to each other densely gives
        a sample the size of its types, not of its paths."""
        links: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
        expression = self._sample(ref, prefix, (), {}, links, fixed or {})
        for path, source in links:
            steps_to = ", ".join(json.dumps(p) for p in source) + ("," if len(source) == 1 else "")
            to = f", to=({steps_to})" if source else ""
            steps = ", ".join(json.dumps(p) for p in path)
            expression = f"store.tie({expression}, {steps}{to})"
        return expression

    def _sample(
        self,
        ref: gm.TypeRef,
        prefix: str,
        path: tuple[str, ...],
        built: dict[str, tuple[str, ...]],
        links: list[tuple[tuple[str, ...], tuple[str, ...]]],
        fixed: dict[str, str] | None = None,
    ) -> str:
        """`built`: object type -> where the sample holds it; `links`: (placeholder, object)."""
        if ref.of is not None:
            item = self.spec.type(ref.of.named)
            kind = item.kind if item is not None else "scalar"
            if kind in ("object", "interface", "union") and path:
                return "[]"  # inside an object: an empty list keeps the sample small
            return f"[{self._sample(ref.of, prefix, (*path, '0'), built, links)}]"
        name = str(ref.name)
        if name in SAMPLES_OUT:
            return SAMPLES_OUT[name]
        typedef = self.spec.type(name)
        assert typedef is not None
        if typedef.kind == "scalar":
            return '"string"'
        if typedef.kind == "enum":
            return f"{prefix}{self.cls(name)}.{member(typedef.values[0].name)}"
        if typedef.kind in ("interface", "union"):
            options = self._options(name, built) or self._all_options(name)
            chosen = gm.TypeRef(options[0], non_null=ref.non_null)
            return self._sample(chosen, prefix, path, built, links, fixed)
        if name in built:
            if ref.non_null:
                links.append((path, built[name]))
            return "None"
        if name in self.schema_roots:  # its fields are resolvers: an instance answers them
            if prefix:
                return f"{self.cls(name)}()"
            return f'importlib.import_module(".schema", __package__).{self.cls(name)}()'
        built[name] = path
        py = self.attrs([f.name for f in typedef.fields])
        parts = []
        for field in typedef.fields:
            if field.args:
                continue
            if fixed and field.name in fixed:
                inner = fixed[field.name]
            elif field.type.name == "String" and secretish(field.name):
                inner = json.dumps(CREDENTIAL)
            else:
                inner = self._sample(field.type, prefix, (*path, py[field.name]), built, links)
            parts.append(f"{py[field.name]}={inner}")
        return f"{prefix}{self.cls(name)}({', '.join(parts)})"

    def _all_options(self, name: str) -> tuple[str, ...]:
        typedef = self.spec.type(name)
        assert typedef is not None
        options = (
            self.spec.implementations(name) if typedef.kind == "interface" else typedef.members
        )
        if not options:
            raise errors.SpecError(
                pointer=f"schema:{name}",
                reason=f"interface {name} has no implementing object type, so no field "
                "of that type can be answered; add a type that implements it",
            )
        return options

    def _options(self, name: str, built: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
        """The object types an interface or union may be answered with, not built yet."""
        return tuple(o for o in self._all_options(name) if o not in built)

    def literal(
        self, ref: gm.TypeRef, stack: tuple[str, ...] = (), changed: bool = False, key: str = ""
    ) -> str:
        """A GraphQL input literal of type `ref`: every field of input objects, one list item;
        `changed`: other values than the samples (the last enum value, "changed", 2...).
        Below `INPUT_DEPTH` input objects, what may be left out is (null, an empty list): a
        web of optional filters (`_and`, `_or`, `user: user_bool_exp`) would otherwise grow
        with every path through it."""
        if ref.of is not None:
            item = ref.of
            while item.of is not None:
                item = item.of
            inner = self.spec.type(str(item.name))
            deep = len(stack) >= INPUT_DEPTH and inner is not None and inner.kind == "input"
            if str(item.name) in stack or deep:  # an input holding a list of itself: [] ends it
                return "[]"
            return f"[{self.literal(ref.of, stack, changed, key)}]"
        name = str(ref.name)
        if name == "String" and secretish(key):
            return json.dumps(CHANGED_CREDENTIAL if changed else CREDENTIAL)
        if name in SAMPLES_IN:
            return (CHANGED_IN if changed else SAMPLES_IN)[name]
        typedef = self.spec.type(name)
        assert typedef is not None
        if typedef.kind == "enum":
            return typedef.values[-1 if changed else 0].name
        if typedef.kind == "input":
            if (name in stack or len(stack) >= INPUT_DEPTH) and not ref.non_null:
                return "null"
            fields = typedef.inputs[:1] if typedef.one_of else typedef.inputs
            parts = [
                f"{f.name}: {self.literal(f.type, (*stack, name), changed, f.name)}" for f in fields
            ]
            return "{" + ", ".join(parts) + "}"
        return '"changed"' if changed else '"string"'

    def answer(self, ref: gm.TypeRef, changed: bool = False, key: str = "") -> str | None:
        """The JSON answer, as a Python literal, for a field of leaves set from `literal`; None
        for composite types."""
        if ref.of is not None:
            inner = self.answer(ref.of, changed, key)
            return None if inner is None else f"[{inner}]"
        name = str(ref.name)
        if name == "String" and secretish(key):
            return json.dumps(CHANGED_CREDENTIAL if changed else CREDENTIAL)
        if name in ANSWERS:
            return (CHANGED_ANSWERS if changed else ANSWERS)[name]
        typedef = self.spec.type(name)
        if typedef is None or typedef.kind not in ("enum", "scalar"):
            return None
        if typedef.kind == "enum":
            return json.dumps(typedef.values[-1 if changed else 0].name)
        return '"changed"' if changed else '"string"'

    def selection(self, ref: gm.TypeRef, depth: int = 1, limit: int = 3) -> str:
        """A selection set for `ref` (empty for leaves): every field without required
        arguments, `limit` levels deep, `__typename` always."""
        typedef = self.spec.type(ref.named)
        if typedef is None or typedef.kind in ("scalar", "enum"):
            return ""
        if typedef.kind == "union":
            if depth > limit:
                return " { __typename }"
            parts = [
                f"... on {m}{self.selection(gm.TypeRef(m), depth + 1, limit)}"
                for m in typedef.members
            ]
            return " { __typename " + " ".join(parts) + " }"
        parts = ["__typename"]
        for field in typedef.fields:
            inner = self.spec.type(field.type.named)
            leaf = inner is None or inner.kind in ("scalar", "enum")
            if not leaf and depth >= limit:
                continue
            parts.append(
                field.name
                + self.arguments(field.args)
                + self.selection(field.type, depth + 1, limit)
            )
        return " { " + " ".join(parts) + " }"

    def arguments(
        self,
        args: tuple[gm.Argument, ...],
        changed: bool = False,
        fixed: dict[str, str] | None = None,
    ) -> str:
        """`(name: literal, ...)` for every argument, or nothing; `fixed`: literals of some
        arguments (the key of a stored entity)."""
        given = [
            f"{a.name}: "
            + ((fixed or {}).get(a.name) or self.literal(a.type, changed=changed, key=a.name))
            for a in args
        ]
        return f"({', '.join(given)})" if given else ""
