"""GraphQL beyond queries and mutations, end to end: `kodegen generate --spec x.graphql` of two
schemas of our own through every gate, each twice, byte-identical.

LIVE: a Subscription fed by the service's own mutations (served over WebSocket; the generated
tests subscribe, run the mutation, receive the event), custom directives declared in the SDL
(a schema directive with enum, list and input object defaults, an argument description and a
Python keyword for a name; an executable one) and one used without a declaration, all in the
served schema (the contract gate compares it with the SDL); a mutual non-null cycle (Person ->
Friend -> Person) answered by the contract gate's queries; a credential-like field the secrets
gate lets through; an enum and a scalar no field refers to.

KEYS: entities keyed by `String!`, `Int!` and a custom scalar, with Hasura's mutation names
(`insert_user_one`, `delete_user_by_pk`): every root field but a lookup by a non-key field is
implemented over the store and tested.

SUBGRAPH: an Apollo Federation v2 subgraph, whose generated tests ask `_service { sdl }` and
`_entities` for each resolvable entity; the contract gate compares the served schema without
what Federation adds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kodegen import cli

pytestmark = pytest.mark.slow

GATES = ["syntax", "style", "security", "secrets", "tests", "contract"]

LIVE = """"What a field costs."
directive @cost(
  weight: Int!
  level: Level = HIGH
  "Why it costs."
  reason: String
  tags: [String] = ["a"]
  limit: Limit = {max: 2}
  from: Int
) repeatable on OBJECT | FIELD_DEFINITION | ENUM_VALUE | ARGUMENT_DEFINITION

directive @cached(ttl: Int = 5) on FIELD

enum Level { LOW HIGH @cost(weight: 1) }

input Limit { max: Int }

"No field refers to it: served all the same."
enum Kind { secretkey plain }

scalar Unused

type Todo @cost(weight: 2) @cost(weight: 3, reason: "big", from: 1) {
  id: ID!
  title: String!
  done: Boolean!
  level: Level!
}

"Reaches Friend and back through non-null fields only."
type Person @internal { id: ID!, name: String!, apiToken: String!, best: Friend! }

type Friend { of: Person!, since: Int }

type Post { id: ID!, replies: [Post!]!, author: Person! }

input TodoInput { title: String!, done: Boolean!, level: Level! }

input TodoPatch { title: String, done: Boolean }

type Query {
  todo(id: ID!): Todo
  todos: [Todo!]! @cost(weight: 3)
  me: Person!
  person(id: ID!): Person
  post(first: Int @cost(weight: 1)): Post!
}

type Mutation {
  addTodo(input: TodoInput!): Todo!
  updateTodo(id: ID!, patch: TodoPatch!): Todo!
  removeTodo(id: ID!): Boolean!
}

type Subscription {
  todoChanged(id: ID): Todo
  liveTodos: [Todo!]!
  ticks: Int!
}
"""

SUBGRAPH = """extend schema
  @link(url: "https://specs.apollo.dev/federation/v2.5", import: ["@key", "@shareable", "@tag"])

type Product @key(fields: "id") {
  id: ID!
  name: String! @shareable
  price: Int
}

type Review @key(fields: "sku") @key(fields: "code", resolvable: false) {
  sku: String!
  code: Int!
  body: String @tag(name: "public")
}

input ProductInput { name: String!, price: Int }

type Query { product(id: ID!): Product, products: [Product!]!, reviews: [Review!]! }

type Mutation { addProduct(input: ProductInput!): Product! }
"""

KEYS = """"A key of the schema's own making (Hasura's `uuid`)."
scalar uuid

type Space { id: String!, name: String!, note: String }
type Counter { id: Int!, label: String! }
type user { id: uuid!, name: String! }

input SpaceInput { name: String, note: String }
input user_insert_input { name: String! }

type Query {
  space(id: String!): Space
  spaceByName(name: String!): Space
  spaces(first: Int, skip: Int): [Space!]!
  counter(id: Int!): Counter!
  counters: [Counter!]!
  user_by_pk(id: uuid!): user
}

type Mutation {
  createSpace(name: String!, note: String): Space!
  updateSpace(id: String!, input: SpaceInput!): Space
  deleteSpace(id: String!): Boolean!
  addCounter(label: String!): Counter!
  removeCounter(id: Int!): Counter
  insert_user_one(object: user_insert_input!): user
  delete_user_by_pk(id: uuid!): user
}

type Subscription { spaceChanged(id: String): Space }
"""

SCHEMAS = {"live": LIVE, "subgraph": SUBGRAPH, "keys": KEYS}


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict[str, bytes]]]:
    base = tmp_path_factory.mktemp("platforms")
    found: dict[str, list[dict[str, bytes]]] = {}
    for name, sdl in SCHEMAS.items():
        spec = base / f"{name}.graphql"
        spec.write_text(sdl)
        for run in ("first", "second"):
            out = base / name / run
            argv = ["generate", "--spec", str(spec), "--template", "python-graphql-service@^1.0"]
            argv += ["--set", f"packageName={name}", "--out", str(out)]
            assert cli.main(argv) == 0, name
            found.setdefault(name, []).append(tree(out))
    return found


def predicate(files: dict[str, bytes]) -> Any:
    return json.loads(files[".kodegen/provenance.json"])["predicate"]


def gates(files: dict[str, bytes]) -> dict[str, Any]:
    return {gate["name"]: gate for gate in predicate(files)["gates"]}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_gate_passes(outputs: dict[str, list[dict[str, bytes]]], name: str) -> None:
    found = gates(outputs[name][0])
    assert sorted(found) == sorted(GATES)
    failed = {n: (g["reason"], g["findings"]) for n, g in found.items() if not g["passed"]}
    assert failed == {}
    counts = found["tests"]["counts"]
    assert counts == {**counts, "failed": 0, "errors": 0, "skipped": 0}


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_a_second_run_is_byte_identical(
    outputs: dict[str, list[dict[str, bytes]]], name: str
) -> None:
    first, second = outputs[name]
    assert first == second


def test_subscriptions_are_fed_by_the_mutations(outputs: dict[str, list[dict[str, bytes]]]) -> None:
    files = outputs["live"][0]
    tests = files["tests/test_subscriptions.py"].decode()
    for test in (
        "test_the_app_speaks_graphql_transport_ws",
        "test_subscription_todo_changed_sends_what_a_mutation_changes",
        "test_subscription_live_todos_sends_what_a_mutation_changes",
        "test_subscription_ticks_sends_a_sample",
    ):
        assert f"def {test}() -> None:" in tests
    schema = files["live/schema.py"].decode()
    assert schema.count('store.EVENTS.publish("Todo", ') == 3  # add, update, remove
    assert schema.count('async for _ in store.EVENTS.subscribe("Todo"):') == 1  # liveTodos
    assert 'async for item in store.EVENTS.subscribe("Todo"):' in schema  # todoChanged
    missing = {item["operation_id"]: item["method"] for item in predicate(files)["notImplemented"]}
    assert missing == {"me": "query", "post": "query", "ticks": "subscription"}


def test_custom_directives_are_in_the_served_schema(
    outputs: dict[str, list[dict[str, bytes]]],
) -> None:
    files = outputs["live"][0]
    served = files["live/schema.graphql"].decode()
    assert served.startswith(LIVE)
    assert "\ndirective @internal on OBJECT\n" in served  # used without a declaration
    types = files["live/types.py"].decode()
    assert "class CostDirective:" in types
    assert "def CachedDirective(" in types
    uses = 'directives=[CostDirective(weight=2), CostDirective(weight=3, reason="big", from_=1)]'
    assert uses in types
    schema = files["live/schema.py"].decode()
    assert 'DIRECTIVES["cost"].args["reason"].description = "Why it costs."' in schema
    # the contract gate compared the served schema (introspection) with schema.graphql
    assert gates(files)["contract"]["passed"] is True


def test_a_mutual_non_null_cycle_is_answered(outputs: dict[str, list[dict[str, bytes]]]) -> None:
    files = outputs["live"][0]
    schema = files["live/schema.py"].decode()
    assert "store.tie(" in schema
    assert 'api_token="<kodegen-test-credential>"' in schema
    # the contract gate asked `me` and `post` three levels deep: Person.best.of is Person
    assert gates(files)["contract"]["counts"] == {
        "cases": 8,
        "errors": 0,
        "failures": 0,
        "operations": 8,
    }
    # the test of `person(id:)` stores a Person tied to itself first
    tests = files["tests/test_operations.py"].decode()
    assert "from live import schema, store, types" in tests
    assert "store.tie(" in tests


def test_the_subgraph_answers_service_and_entities(
    outputs: dict[str, list[dict[str, bytes]]],
) -> None:
    files = outputs["subgraph"][0]
    tests = files["tests/test_federation.py"].decode()
    for test in (
        "test_the_service_gives_its_sdl_to_the_router",
        "test_the_product_entity_is_resolved_by_its_key",
        "test_the_review_entity_is_resolved_by_its_key",
    ):
        assert f"def {test}() -> None:" in tests
    schema = files["subgraph/schema.py"].decode()
    assert "strawberry.federation.Schema(" in schema
    assert 'federation_version="2.5"' in schema
    types = files["subgraph/types.py"].decode()
    assert 'return schema.PRODUCT_STORE.get(str(representation["id"]))' in types
    assert "directives=[federation.Shareable()]" in types


def test_entities_keyed_by_strings_ints_and_custom_scalars_are_stored(
    outputs: dict[str, list[dict[str, bytes]]],
) -> None:
    files = outputs["keys"][0]
    missing = {op["operation_id"] for op in predicate(files)["notImplemented"]}
    assert missing == {"spaceByName"}
    tests = files["tests/test_operations.py"].decode()
    assert 'assert data["counter"]["id"] == 1' in tests
    assert 'user_by_pk(id: "1")' in tests
    assert gates(files)["tests"]["counts"]["passed"] >= 20
