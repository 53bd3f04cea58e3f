"""Directives in the Strawberry service (declarations, uses, what schema.py sets on graphql-core's
schema) and Federation v2 entities (their directives, `resolve_reference`, the `_entities` test)."""

from __future__ import annotations

from typing import Any

import pytest

from kodegen import errors
from kodegen.specs import graphql
from kodegen.templates import registry
from kodegen.views import plan as plan_
from kodegen.views.graphql import context

COST = """
enum Level { LOW HIGH }
input Limit { max: Int }
"Costs."
directive @cost(
  weight: Int!
  "Why."
  reason: String
  level: Level = HIGH
  from: Int
  tags: [String] = ["a"]
  limit: Limit = {max: 2}
  note: String = "n"
) repeatable on OBJECT | FIELD_DEFINITION | ARGUMENT_DEFINITION | ENUM_VALUE | SCALAR | ENUM
  | UNION | INPUT_OBJECT | INPUT_FIELD_DEFINITION
directive @cached(ttl: Int = 5, for: String) on QUERY | FIELD
type CostDirective { x: Int }
scalar Money @cost(weight: 1)
enum E @cost(weight: 1) { A @cost(weight: 2, level: LOW) B }
input I @cost(weight: 1) { f: Int @cost(weight: 3) }
type T @cost(weight: 2) @cost(weight: 3, reason: "r", from: 4, tags: ["b", "c"]) { a: Int }
union U @cost(weight: 1) = T
type Query @cost(weight: 9) {
  t(x: Int @cost(weight: 1)): T @cost(weight: 5)
  u: U
  m: Money
  e: E
  i(i: I): Int
  c: CostDirective
}
"""


def plan(sdl: str) -> plan_.Plan:
    template = registry.resolve("python-graphql-service", "1.0.0")
    return context.build(graphql.parse(sdl), template, {"packageName": "lib"})


@pytest.fixture(scope="module")
def cost() -> dict[str, Any]:
    return plan(COST).context


def test_a_type_system_directive_is_a_schema_directive_class(cost: dict[str, Any]) -> None:
    declaration = cost["directive_declarations"][0]
    assert declaration == {
        "kind": "class",
        # a type of the schema holds the plain name
        "name": "CostDirective_",
        "decorator": "@strawberry.schema_directive(locations=[Location.OBJECT, "
        "Location.FIELD_DEFINITION, Location.ARGUMENT_DEFINITION, Location.ENUM_VALUE, "
        "Location.SCALAR, Location.ENUM, Location.UNION, Location.INPUT_OBJECT, "
        'Location.INPUT_FIELD_DEFINITION], name="cost", description="Costs.", repeatable=True)',
        "fields": [
            "weight: int",
            "reason: str | None = strawberry.UNSET",
            "level: Level | None = strawberry.UNSET",
            'from_: int | None = strawberry.directive_field(name="from", default=strawberry.UNSET)',
            "tags: list[str | None] | None = strawberry.UNSET",
            "limit: Limit | None = strawberry.UNSET",
            'note: str | None = "n"',
        ],
    }
    assert cost["schema_directives"] == ["CostDirective_"]


def test_what_strawberry_cannot_serve_is_set_on_graphql_cores_schema(
    cost: dict[str, Any],
) -> None:
    assert cost["directive_patches"] == [
        {"directive": "cost", "arg": "reason", "description": "Why.", "default": None},
        {"directive": "cost", "arg": "level", "description": None, "default": "HIGH"},
        {"directive": "cost", "arg": "tags", "description": None, "default": '["a"]'},
        {"directive": "cost", "arg": "limit", "description": None, "default": "{max: 2}"},
    ]


def test_an_executable_directive_is_a_function_passing_the_value_through(
    cost: dict[str, Any],
) -> None:
    declaration = cost["directive_declarations"][1]
    assert declaration == {
        "kind": "function",
        "name": "CachedDirective",
        "decorator": "@strawberry.directive(locations=[DirectiveLocation.QUERY, "
        'DirectiveLocation.FIELD], name="cached")',
        "params": [
            "ttl: int | None = 5",
            'for_: Annotated[str | None, strawberry.argument(name="for")] = strawberry.UNSET',
        ],
    }
    assert cost["executable_directives"] == ["CachedDirective"]


def test_each_use_passes_what_the_sdl_gives(cost: dict[str, Any]) -> None:
    classes = {c["cls"]: c for c in cost["classes"]}
    assert classes["T"]["decorator"] == (
        "@strawberry.type(directives=[CostDirective_(weight=2), CostDirective_(weight=3, "
        'reason="r", from_=4, tags=["b", "c"])])'
    )
    # `I` reads as 1: the class is `I_`, named "I"
    assert classes["I_"]["decorator"] == (
        '@strawberry.input(name="I", directives=[CostDirective_(weight=1)])'
    )
    assert classes["I_"]["fields"] == [
        {
            "line": "f: int | None = strawberry.field(default=strawberry.UNSET, "
            "directives=[CostDirective_(weight=3)])"
        }
    ]
    (enum,) = [e for e in cost["enums"] if e["cls"] == "E"]
    assert enum["decorator"] == "@strawberry.enum(directives=[CostDirective_(weight=1)])"
    assert enum["choices"][0]["expr"] == (
        'strawberry.enum_value("A", directives=[CostDirective_(weight=2, level=Level.LOW)])'
    )
    (union,) = cost["unions"]
    assert union["options"] == 'name="U", directives=[CostDirective_(weight=1)]'
    (scalar,) = cost["scalars"]
    assert scalar["options"] == 'name="Money", directives=[types.CostDirective_(weight=1)]'


def test_uses_in_schema_py_refer_to_types(cost: dict[str, Any]) -> None:
    (query,) = cost["roots"]
    assert query["decorator"] == "@strawberry.type(directives=[types.CostDirective_(weight=9)])"
    t = query["ops"][0]
    assert t["decorator"] == "@strawberry.field(directives=[types.CostDirective_(weight=5)])"
    assert t["params"] == [
        "x: Annotated[int | None, strawberry.argument(directives=[types.CostDirective_("
        "weight=1)])] = strawberry.UNSET"
    ]
    assert cost["schema_uses_directives"] is True


def test_a_directive_on_both_kinds_of_location_is_refused() -> None:
    with pytest.raises(errors.SpecError) as caught:
        plan("directive @x on FIELD | FIELD_DEFINITION\ntype Query { a: Int }")
    assert str(caught.value) == (
        "specification at schema:@x: directive @x is declared on both type-system and "
        "executable locations; Strawberry declares a directive as one or the other: split it "
        "in two"
    )


def test_an_undeclared_directive_is_served_as_kodegen_declared_it() -> None:
    found = plan("type Query { a: Int @internal(level: 2) }").context
    assert found["directive_declarations"] == [
        {
            "kind": "class",
            "name": "InternalDirective",
            "decorator": "@strawberry.schema_directive(locations=[Location.FIELD_DEFINITION], "
            'name="internal")',
            "fields": ["level: int | None = strawberry.UNSET"],
        }
    ]
    (op,) = found["roots"][0]["ops"]
    assert op["decorator"] == ("@strawberry.field(directives=[types.InternalDirective(level=2)])")
    assert "directive @internal(level: Int) on FIELD_DEFINITION" in found["sdl"]


# -- Federation v2 -------------------------------------------------------------------------------

SUBGRAPH = """extend schema @link(url: "https://specs.apollo.dev/federation/v2.5",
  import: ["@key", "@shareable", "@override", "@tag", "@requiresScopes", "@external"])
type Product @key(fields: "id") @tag(name: "x") {
  id: ID!
  name: String! @shareable @override(from: "old")
  body: String @requiresScopes(scopes: [["a", "b"]])
  maker: String @external
}
type Review @key(fields: "sku ref") @key(fields: "id", resolvable: false) {
  sku: String!, ref: Int!, id: ID!
}
type Stub @key(fields: "id", resolvable: false) { id: ID! }
type Nested @key(fields: "owner { id }") { owner: Product!, n: Int }
input ProductInput { name: String! }
type Query { product(id: ID!): Product, reviews: [Review!]!, stub: Stub, nested: Nested }
type Mutation { addProduct(input: ProductInput!): Product! }
"""


@pytest.fixture(scope="module")
def subgraph() -> dict[str, Any]:
    return plan(SUBGRAPH).context


def test_federation_directives_are_strawberrys_classes(subgraph: dict[str, Any]) -> None:
    classes = {c["cls"]: c for c in subgraph["classes"]}
    product = classes["Product"]
    assert product["decorator"] == (
        '@strawberry.type(directives=[federation.Key(fields="id"), federation.Tag(name="x")])'
    )
    assert [f["line"] for f in product["fields"]] == [
        "id: strawberry.ID",
        "name: str = strawberry.field(directives=[federation.Shareable(), "
        'federation.Override(override_from="old")])',
        "body: str | None = strawberry.field(directives=[federation.RequiresScopes("
        'scopes=[["a", "b"]])])',
        "maker: str | None = strawberry.field(directives=[federation.External()])",
    ]
    assert classes["Stub"]["decorator"] == (
        '@strawberry.type(directives=[federation.Key(fields="id", resolvable=False)])'
    )
    assert subgraph["federation"] == "2.5"
    assert subgraph["types_uses_federation"] is True
    # Strawberry's federation support declares them: no class of kodegen's own
    assert subgraph["directive_declarations"] == []


def test_a_stored_entity_is_resolved_from_its_store(subgraph: dict[str, Any]) -> None:
    product = next(c for c in subgraph["classes"] if c["cls"] == "Product")
    assert product["reference"] == ['return schema.PRODUCT_STORE.get(str(representation["id"]))']
    assert product["reference_needs_schema"] is True
    entities = {e["typename"]: e for e in subgraph["entities"]}
    assert entities["Product"] == {
        "name": "product",
        "typename": "Product",
        "key_fields": ["id"],
        "stored": True,
        "setup": [
            'schema.PRODUCT_STORE.add("1", types.Product(id=strawberry.ID("1"), name="string", '
            'body="string", maker="string"))'
        ],
        "representation": {"__typename": "Product", "id": "1"},
        "document": "query($r: [_Any!]!) { _entities(representations: $r) { __typename "
        "... on Product { id } } }",
        "resolvable": True,
        "key_directive": '@key(fields: "id"',
    }


def test_another_entity_answers_a_sample_carrying_its_key(subgraph: dict[str, Any]) -> None:
    classes = {c["cls"]: c for c in subgraph["classes"]}
    assert classes["Review"]["reference"] == [
        'return dataclasses.replace(Review(sku="string", ref=1, id=strawberry.ID("1")), '
        'sku=representation["sku"], ref=representation["ref"])'
    ]
    assert classes["Review"]["reference_needs_schema"] is False
    entities = {e["typename"]: e for e in subgraph["entities"]}
    review = entities["Review"]
    assert review["representation"] == {"__typename": "Review", "sku": "1", "ref": 1}
    assert review["key_fields"] == ["sku", "ref"]
    # the first key is resolvable, the second is not: the test asks by the first
    assert review["resolvable"] is True
    assert entities["Stub"]["resolvable"] is False


def test_a_nested_key_answers_a_sample_and_is_not_asked_for(subgraph: dict[str, Any]) -> None:
    nested = next(c for c in subgraph["classes"] if c["cls"] == "Nested")
    assert nested["reference"] == [
        'return Nested(owner=Product(id=strawberry.ID("1"), name="string", body="string", '
        'maker="string"), n=1)'
    ]
    entities = {e["typename"]: e for e in subgraph["entities"]}
    assert (entities["Nested"]["key_fields"], entities["Nested"]["representation"]) == ([], {})


def test_a_plain_schema_has_no_entities() -> None:
    found = plan(
        "directive @key(fields: String) on OBJECT\ntype Query { a: A }\n"
        'type A @key(fields: "id") { id: ID! }'
    ).context
    assert found["entities"] == []
    assert found["federation"] is None
    (a,) = found["classes"]
    assert a["decorator"] == '@strawberry.type(directives=[KeyDirective(fields="id")])'
