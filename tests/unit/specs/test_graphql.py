"""GraphQL SDL -> the normalized model; every error names schema:line:column and the reason."""

from __future__ import annotations

import pytest

from kodegen import errors
from kodegen.specs import graphql
from kodegen.specs import graphql_model as gm

BOOKS = '''
"""A bookstore."""
schema { query: Query mutation: Mutation }

enum Genre { FICTION POETRY @deprecated(reason: "gone") }

interface Node { id: ID! }

type Book implements Node {
  id: ID!
  "The title."
  title: String!
  tags: [String!]!
  similar(first: Int = 3): [Book]
}

union Result = Book

input BookInput { title: String!, genre: Genre = FICTION, tags: [String!] = ["a"] }

scalar Date @specifiedBy(url: "https://example.com/date")

type Query { book(id: ID!): Book, search(text: String!): [Result!]! }

type Mutation { createBook(input: BookInput!): Book! }

extend type Query { today: Date }
'''


def parse(sdl: str) -> gm.GraphQLSpec:
    return graphql.parse(sdl)


def error(sdl: str) -> str:
    with pytest.raises(errors.SpecError) as caught:
        graphql.parse(sdl)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_a_schema_is_normalized() -> None:
    spec = parse(BOOKS)
    assert spec.title == "A bookstore."
    assert (spec.query, spec.mutation) == ("Query", "Mutation")
    assert [t.name for t in spec.types] == [
        "Genre",
        "Node",
        "Book",
        "Result",
        "BookInput",
        "Date",
        "Query",
        "Mutation",
    ]
    assert [(op.root, op.field.name) for op in spec.roots] == [
        ("query", "book"),
        ("query", "search"),
        ("query", "today"),
        ("mutation", "createBook"),
    ]
    assert spec.raw == {"schema": BOOKS}
    assert spec.digest.startswith("sha256:")
    assert spec.sdl == BOOKS


def test_types_fields_and_arguments() -> None:
    spec = parse(BOOKS)
    book = spec.type("Book")
    assert book is not None
    assert book.kind == "object"
    assert book.interfaces == ("Node",)
    title = book.field("title")
    assert title is not None
    assert (str(title.type), title.description) == ("String!", "The title.")
    tags = book.field("tags")
    assert tags is not None
    assert str(tags.type) == "[String!]!"
    assert tags.type.named == "String"
    assert tags.type.is_list
    similar = book.field("similar")
    assert similar is not None
    assert [(a.name, str(a.type), a.default) for a in similar.args] == [("first", "Int", 3)]
    assert spec.implementations("Node") == ("Book",)


def test_enums_unions_inputs_and_scalars() -> None:
    spec = parse(BOOKS)
    genre = spec.type("Genre")
    assert genre is not None
    assert [(v.name, v.deprecation_reason) for v in genre.values] == [
        ("FICTION", None),
        ("POETRY", "gone"),
    ]
    result = spec.type("Result")
    assert result is not None
    assert (result.kind, result.members) == ("union", ("Book",))
    book_input = spec.type("BookInput")
    assert book_input is not None
    assert [(f.name, f.default) for f in book_input.inputs] == [
        ("title", gm.MISSING),
        ("genre", "FICTION"),
        ("tags", ["a"]),
    ]
    date = spec.type("Date")
    assert date is not None
    assert (date.kind, date.specified_by) == ("scalar", "https://example.com/date")


def test_interfaces_implementing_interfaces() -> None:
    spec = parse(
        "interface A { id: ID! } interface B implements A { id: ID! }"
        " type C implements B & A { id: ID! } type Query { c: C }"
    )
    assert spec.implementations("A") == ("C",)
    assert spec.implementations("B") == ("C",)


def test_a_syntax_error_names_line_and_column() -> None:
    message = error("type Query {\n  books(: Int): [String]\n}")
    assert message == "specification at schema:2:9: Syntax Error: Expected Name, found ':'."


def test_an_unknown_type_names_line_and_column() -> None:
    assert error("type Query {\n  book: Book\n}") == (
        "specification at schema:2:9: Unknown type 'Book'."
    )


def test_a_broken_interface_is_a_schema_error() -> None:
    message = error("type Query { a: B }\ntype B implements N { x: Int }\ninterface N { id: ID! }")
    assert message.startswith("specification at schema:3:15: Interface field N.id expected")


def test_a_schema_without_a_query_type() -> None:
    assert "Query root type must be provided" in error("type Mutation { a: Int }")


@pytest.mark.parametrize(
    ("sdl", "root"),
    [
        ("type Query { a: Int }\ntype Subscription { b: Int }", "Subscription"),
        ("schema { query: Q subscription: S }\ntype Q { a: Int }\ntype S { b: Int }", "S"),
    ],
)
def test_subscriptions_are_a_root_of_their_own(sdl: str, root: str) -> None:
    spec = graphql.parse(sdl)
    assert spec.subscription == root
    assert graphql.names(spec, "subscription") == ["b"]
    assert graphql.names(spec, "query") == ["a"]


def test_custom_directives_are_kept_as_declared() -> None:
    spec = graphql.parse("type Query { a: Int }\ndirective @auth(role: String) on FIELD_DEFINITION")
    (auth,) = spec.directive_defs
    assert (auth.name, auth.locations, auth.repeatable) == ("auth", ("FIELD_DEFINITION",), False)
    assert [(a.name, str(a.type)) for a in auth.args] == [("role", "String")]
    assert not auth.declared_by_kodegen
    assert spec.federation is None


def test_one_of_inputs_are_marked() -> None:
    spec = graphql.parse("type Query { a(i: I): Int }\ninput I @oneOf { x: Int, y: String }")
    (one_of,) = [t for t in spec.types if t.name == "I"]
    assert one_of.one_of and [a.name for a in one_of.inputs] == ["x", "y"]
    (plain,) = [
        t
        for t in graphql.parse("type Query { a(i: I): Int }\ninput I { x: Int }").types
        if t.name == "I"
    ]
    assert not plain.one_of


def test_a_federation_subgraph_is_recognised_by_its_link() -> None:
    linked = (
        'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'
        'type Query { a: A }\ntype A @key(fields: "id") { id: ID! }'
    )
    assert graphql.parse(linked).federation == "2.3"


def test_an_empty_document() -> None:
    assert "Syntax Error" in error("   ")


def test_type_refs_print_as_graphql() -> None:
    ref = gm.TypeRef(of=gm.TypeRef("Book", non_null=True), non_null=True)
    assert str(ref) == "[Book!]!"
    assert str(gm.TypeRef("Int")) == "Int"
    assert graphql.names(parse(BOOKS), "mutation") == ["createBook"]


def test_applied_directives_are_kept_where_they_are_written_but_the_built_in_ones() -> None:
    spec = graphql.parse(
        "directive @tag(name: String!, n: [Int] = []) repeatable on OBJECT | FIELD_DEFINITION"
        " | ARGUMENT_DEFINITION | ENUM_VALUE | INPUT_FIELD_DEFINITION | ENUM | UNION | SCALAR"
        " | INPUT_OBJECT | INTERFACE\n"
        'type A @tag(name: "a") { f(x: Int @tag(name: "x")): Int @deprecated @tag(name: "f") }\n'
        'extend type A @tag(name: "ext", n: [1, 2])\n'
        'enum E @tag(name: "e") { V @tag(name: "v") }\n'
        'input I @tag(name: "i") { g: Int @tag(name: "g") }\n'
        'union U @tag(name: "u") = A\nscalar S @tag(name: "s")\n'
        'interface N @tag(name: "n") { id: ID }\n'
        "type Query { a: A, e: E, u: U, s: S, n: N, i(i: I): Int }"
    )
    tag = gm.Applied

    def typedef(name: str) -> gm.TypeDef:
        found = spec.type(name)
        assert found is not None
        return found

    a = typedef("A")
    assert a.directives == (
        tag("tag", (("name", "a"),)),
        tag("tag", (("name", "ext"), ("n", [1, 2]))),
    )
    (f,) = a.fields
    assert f.directives == (tag("tag", (("name", "f"),)),)  # @deprecated is not among them
    assert f.deprecation_reason == "No longer supported"
    assert f.args[0].directives == (tag("tag", (("name", "x"),)),)
    assert typedef("E").directives == (tag("tag", (("name", "e"),)),)
    assert typedef("E").values[0].directives == (tag("tag", (("name", "v"),)),)
    assert typedef("I").directives == (tag("tag", (("name", "i"),)),)
    assert typedef("I").inputs[0].directives == (tag("tag", (("name", "g"),)),)
    assert typedef("U").directives == (tag("tag", (("name", "u"),)),)
    assert typedef("S").directives == (tag("tag", (("name", "s"),)),)
    assert typedef("N").directives == (tag("tag", (("name", "n"),)),)
    (declared,) = spec.directive_defs
    assert declared.repeatable is True
    assert [(a.name, str(a.type), a.default) for a in declared.args] == [
        ("name", "String!", gm.MISSING),
        ("n", "[Int]", []),
    ]
