"""The GraphQL contract probe's own rules, on graphql-core schemas (no app): a Federation
subgraph's served schema compared without what Federation adds, and the argument literals it
sends (bounded through inputs that hold themselves, one field of a `@oneOf` input)."""

from __future__ import annotations

import graphql

from kodegen.gates import _graphql_probe as probe

SUBGRAPH = """extend schema @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key"])
directive @audit(level: Int) on FIELD_DEFINITION
type Product @key(fields: "id") { id: ID!, name: String @audit(level: 1) }
type Query { product(id: ID!): Product }
"""

SERVED = """directive @audit(level: Int) on FIELD_DEFINITION
directive @key(fields: _FieldSet!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE
directive @link(url: String!, as: String, import: [link__Import]) repeatable on SCHEMA
scalar _Any
scalar _FieldSet
scalar link__Import
scalar federation__Scope
union _Entity = Product
type _Service { sdl: String! }
type Product { id: ID!, name: String }
type Query {
  _entities(representations: [_Any!]!): [_Entity]!
  _service: _Service!
  product(id: ID!): Product
}
"""


def given() -> graphql.GraphQLSchema:
    return graphql.build_ast_schema(graphql.parse(SUBGRAPH), assume_valid_sdl=True)


def test_a_subgraph_is_compared_without_what_federation_adds() -> None:
    served = graphql.build_schema(SERVED)
    assert probe.compare(given(), served) != []
    stripped = probe.without_federation(served, given())
    assert probe.compare(given(), stripped) == []
    assert "audit" in {d.name for d in stripped.directives}  # declared by the SDL: kept
    assert "key" not in {d.name for d in stripped.directives}


def test_a_difference_of_its_own_still_shows() -> None:
    served = graphql.build_schema(SERVED.replace("name: String }", "name: String! }"))
    assert probe.compare(given(), probe.without_federation(served, given())) == [
        "-  name: String",
        "+  name: String!",
    ]


INPUTS = graphql.build_schema(
    """
    input Where { AND: [Where!], title: String, deep: A }
    input A { b: B }
    input B { c: C }
    input C { d: Int, more: [D!] }
    input D { e: Int }
    input Pick @oneOf { id: ID, name: String }
    type Query { posts(where: Where!, pick: Pick!): Int }
    """
)


def test_an_input_holding_a_list_of_itself_ends_in_an_empty_list() -> None:
    args = INPUTS.query_type.fields["posts"].args  # type: ignore[union-attr]
    assert probe.literal(args["where"].type) == ('{AND: [], title: "string", deep: {b: {c: null}}}')


def test_a_one_of_input_is_given_one_field() -> None:
    args = INPUTS.query_type.fields["posts"].args  # type: ignore[union-attr]
    assert probe.literal(args["pick"].type) == '{id: "1"}'
