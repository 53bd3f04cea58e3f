"""GraphQL seen from Python: samples through cycles, credential-like fields, lazy references to
the root types, input literals, Python names."""

from __future__ import annotations

import dataclasses
import importlib.util
import types as pytypes
from pathlib import Path
from typing import Any

import pytest

from kodegen.specs import graphql
from kodegen.specs import graphql_model as gm
from kodegen.views.graphql import naming

STORE = (
    Path(__file__).parents[3]
    / "templates/python-graphql-service/1.0.0/files/{{ packageName }}/store.py"
)


def names(sdl: str, roots: frozenset[str] = frozenset()) -> naming.Names:
    found = naming.Names(graphql.parse(sdl))
    found.schema_roots = roots
    return found


def ref(name: str, non_null: bool = True) -> gm.TypeRef:
    return gm.TypeRef(name, non_null=non_null)


def evaluate(sdl: str, expression: str) -> Any:
    """Run a sample against plain dataclasses standing for the Strawberry types, with the
    template's own `store.tie`."""
    spec = graphql.parse(sdl)
    classes = {
        t.name: dataclasses.make_dataclass(t.name, [naming.snake(f.name) for f in t.fields])
        for t in spec.types
        if t.kind == "object"
    }
    loaded = importlib.util.spec_from_file_location("generated_store", STORE)
    assert loaded is not None and loaded.loader is not None
    store = importlib.util.module_from_spec(loaded)
    loaded.loader.exec_module(store)
    namespace = {"types": pytypes.SimpleNamespace(**classes), "store": store}
    namespace["strawberry"] = pytypes.SimpleNamespace(ID=str)
    return eval(expression, namespace)  # the sample is kodegen's own expression


# -- cycles ------------------------------------------------------------------------------------

MUTUAL = "type A { b: B! } type B { a: A! } type Query { a: A! }"


def test_a_mutual_non_null_cycle_is_tied_to_the_outer_object() -> None:
    sample = names(MUTUAL).sample(ref("A"))
    assert sample == 'store.tie(types.A(b=types.B(a=None)), "b", "a")'
    a = evaluate(MUTUAL, sample)
    assert a.b.a is a


def test_a_longer_cycle_ties_each_object_that_reaches_itself() -> None:
    sdl = (
        "type Block { tx: Tx! } type Tx { log: Log!, block: Block! } type Log { tx: Tx! }"
        " type Query { b: Block! }"
    )
    sample = names(sdl).sample(ref("Block"))
    assert sample == (
        'store.tie(store.tie(types.Block(tx=types.Tx(log=types.Log(tx=None), block=None)), "tx",'
        ' "log", "tx", to=("tx",)), "tx", "block")'
    )
    block = evaluate(sdl, sample)
    assert block.tx.block is block
    assert block.tx.log.tx is block.tx


def test_an_object_referred_to_twice_is_built_once() -> None:
    sdl = (
        "type Book { author: Person!, editor: Person!, readers: [Person!]!, agent: Person }"
        " type Person { id: ID! } type Query { b: Book! }"
    )
    sample = names(sdl).sample(ref("Book"))
    assert sample == (
        'store.tie(types.Book(author=types.Person(id=strawberry.ID("1")), editor=None, '
        'readers=[], agent=None), "editor", to=("author",))'
    )
    book = evaluate(sdl, sample)
    assert book.editor is book.author


def test_densely_linked_types_give_a_sample_the_size_of_the_schema() -> None:
    # every type holds every other through non-null fields: a tree would have 12! leaves
    count = 12
    types = " ".join(
        f"type T{i} {{ {' '.join(f'f{j}: T{j}!' for j in range(count) if j != i)} }}"
        for i in range(count)
    )
    sdl = f"{types} type Query {{ t: T0! }}"
    sample = names(sdl).sample(ref("T0"))
    assert sample.count("types.T") == count
    root = evaluate(sdl, sample)
    assert root.f1.f2.f0 is root
    assert root.f5.f3 is root.f1.f2.f3


def test_a_list_of_itself_ends_in_an_empty_list_and_a_nullable_self_in_none() -> None:
    sdl = "type Post { id: ID!, replies: [Post!]!, parent: Post } type Query { p: Post! }"
    assert names(sdl).sample(ref("Post")) == (
        'types.Post(id=strawberry.ID("1"), replies=[], parent=None)'
    )


def test_a_list_inside_an_object_is_empty_and_an_answered_list_has_one_item() -> None:
    sdl = "type A { items: [A!]!, b: B! } type B { a: A! } type Query { a: [A!]! }"
    sample = names(sdl).sample(gm.TypeRef(of=ref("A"), non_null=True))
    assert sample == 'store.tie([types.A(items=[], b=types.B(a=None))], "0", "b", "a", to=("0",))'
    (a,) = evaluate(sdl, sample)
    assert a.b.a is a


def test_an_interface_list_of_itself_picks_an_implementation_and_ends() -> None:
    sdl = (
        "interface Node { id: ID!, kids: [Node!]! }"
        " type Leaf implements Node { id: ID!, kids: [Node!]! } type Query { n: Node! }"
    )
    assert names(sdl).sample(ref("Node")) == 'types.Leaf(id=strawberry.ID("1"), kids=[])'


# -- credential-like fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("password", True),
        ("passwd", True),
        ("userPwd", True),
        ("clientSecret", True),
        ("accessToken", True),
        ("credentials", True),
        ("apiKey", True),
        ("api_key", True),
        ("privateKey", True),
        ("name", False),
        ("keyboard", False),
        ("title", False),
    ],
)
def test_credential_like_names(name: str, secret: bool) -> None:
    assert naming.secretish(name) is secret


CREDENTIALS = (
    "type User { id: ID!, password: String!, apiKey: String, token: Int!, name: String! }"
    " input Login { password: String!, name: String!, secretCodes: [String!] }"
    " type Query { u(l: Login): User! }"
)


def test_a_credential_like_string_field_samples_a_placeholder() -> None:
    assert names(CREDENTIALS).sample(ref("User")) == (
        'types.User(id=strawberry.ID("1"), password="<kodegen-test-credential>", '
        'api_key="<kodegen-test-credential>", token=1, name="string")'
    )


def test_a_credential_like_input_gets_placeholders_and_they_are_answered() -> None:
    found = names(CREDENTIALS)
    assert found.literal(ref("Login")) == (
        '{password: "<kodegen-test-credential>", name: "string", '
        'secretCodes: ["<kodegen-test-credential>"]}'
    )
    assert found.literal(ref("Login"), changed=True) == (
        '{password: "<kodegen-changed-credential>", name: "changed", '
        'secretCodes: ["<kodegen-changed-credential>"]}'
    )
    assert found.answer(ref("String"), key="password") == '"<kodegen-test-credential>"'
    assert found.answer(ref("String"), True, key="password") == '"<kodegen-changed-credential>"'
    assert found.answer(ref("String"), key="name") == '"string"'


# -- root types referred to lazily -------------------------------------------------------------

PAYLOAD = (
    "type Payload { query: Query!, n: Int } type Query { p: Payload! }"
    " type Mutation { m: Payload! }"
)


def test_a_field_returning_a_root_type_refers_to_schema_py_lazily() -> None:
    found = names(PAYLOAD, frozenset({"Query", "Mutation"}))
    assert found.annotation(ref("Query")) == 'Annotated[Query, strawberry.lazy(".schema")]'
    assert found.annotation(ref("Query", False)) == (
        'Annotated[Query, strawberry.lazy(".schema")] | None'
    )
    # schema.py itself defines it
    assert found.annotation(ref("Query"), "types.") == "Query"
    assert found.annotation(ref("Payload"), "types.") == "types.Payload"


def test_a_sample_of_a_root_type_is_an_instance_of_the_schema_class() -> None:
    found = names(PAYLOAD, frozenset({"Query", "Mutation"}))
    assert found.sample(ref("Payload")) == "types.Payload(query=Query(), n=1)"
    assert found.sample(ref("Payload"), prefix="") == (
        'Payload(query=importlib.import_module(".schema", __package__).Query(), n=1)'
    )


def test_without_schema_roots_a_root_type_is_a_plain_class() -> None:
    assert names(PAYLOAD).annotation(ref("Query")) == "Query"


# -- input literals ------------------------------------------------------------------------------


def test_input_literals_end_in_self_lists_depth_and_one_of() -> None:
    found = names(
        "input F { and: [F!], name: String, deep: G } input G { h: H } input H { i: I }"
        " input I { x: Int } input O @oneOf { a: Int, b: String }"
        " type Query { q(f: F!, o: O!): Int }"
    )
    assert found.literal(ref("F")) == '{and: [], name: "string", deep: {h: {i: null}}}'
    assert found.literal(ref("O")) == "{a: 1}"


# -- Python names --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "py"),
    [
        ("createdAt", "created_at"),
        ("URLPath", "url_path"),
        ("class", "class_"),
        ("match", "match_"),
        ("already_snake", "already_snake"),
        ("ID", "id"),
    ],
)
def test_snake_case_names(name: str, py: str) -> None:
    assert naming.snake(name) == py


@pytest.mark.parametrize(
    ("value", "py"), [("None", "None_"), ("_dark", "v_dark"), ("match", "match_"), ("RED", "RED")]
)
def test_enum_member_names(value: str, py: str) -> None:
    assert naming.member(value) == py


@pytest.mark.parametrize("name", ["store", "STORES", "DIRECTIVES", "graphql", "I", "O", "l"])
def test_a_type_named_like_a_module_level_name_or_read_as_a_digit_gets_a_trailing_underscore(
    name: str,
) -> None:
    found = names(f"type {name} {{ n: Int }}\ntype Query {{ a: {name} }}")
    assert found.cls(name) == f"{name}_"
    assert found.cls("Query") == "Query"
