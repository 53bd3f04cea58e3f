"""A parsed GraphQL schema -> the render context of python-graphql-service (no gates run)."""

from __future__ import annotations

from typing import Any

import pytest

from kodegen import errors
from kodegen.specs import graphql
from kodegen.templates import registry
from kodegen.views import plan as plan_
from kodegen.views.graphql import context

LIBRARY = """
type Item { id: ID!, title: String!, labels: [String!]!, note: String }
input ItemInput { title: String!, labels: [String!] }
input ItemPatch { title: String, note: String }
type Query {
  item(id: ID!): Item
  mustItem(id: ID!): Item!
  items(title: String, first: Int, skip: Int): [Item!]!
  search(text: String!): [Item!]!
  odd(id: ID!, extra: Int): Item
}
type Mutation {
  addItem(input: ItemInput!): Item!
  updateItem(id: ID!, patch: ItemPatch!): Item!
  removeItem(id: ID!): Item
  deleteItem(id: ID!): ID!
  createThing(input: ItemInput!): Item!
  touch(id: ID!): Item
}
"""


def plan(sdl: str, operations: list[str] | None = None) -> plan_.Plan:
    template = registry.resolve("python-graphql-service", "1.0.0")
    return context.build(graphql.parse(sdl), template, {"packageName": "lib"}, operations)


def bodies(context: dict[str, Any]) -> dict[str, list[str]]:
    return {op["py"]: op["body"] for root in context["roots"] for op in root["ops"]}


def test_crud_fields_get_store_backed_bodies() -> None:
    found = bodies(plan(LIBRARY).context)
    assert found["item"] == ["return ITEM_STORE.find(id)"]
    assert found["must_item"] == ["return ITEM_STORE.get(id)"]
    assert found["items"][-1] == "return store.page(found, offset=skip, limit=first)"
    assert found["add_item"][0] == "key = ITEM_STORE.new_key()"
    assert "labels=store.items(input.labels)" in found["add_item"][1]
    assert found["update_item"][:3] == [
        "stored = ITEM_STORE.get(id)",
        "if store.present(patch.title):",
        "    stored.title = patch.title",
    ]
    assert found["remove_item"] == ["return ITEM_STORE.discard(id)"]
    assert found["delete_item"] == ["ITEM_STORE.pop(id)", "return id"]


def test_the_rest_is_reported_and_answers_samples() -> None:
    result = plan(LIBRARY)
    assert [(m.operation_id, m.method, m.path) for m in result.not_implemented] == [
        ("search", "query", "Query.search"),
        ("odd", "query", "Query.odd"),
        ("createThing", "mutation", "Mutation.createThing"),
        ("touch", "mutation", "Mutation.touch"),
    ]
    found = bodies(result.context)
    assert found["search"][0] == "# kodegen:implement Query.search"
    assert found["search"][1].startswith("return [types.Item(id=strawberry.ID(")
    assert result.context["stores"] == [{"var": "ITEM_STORE", "cls": "Item", "name": "Item"}]
    operations = result.context["operations"]
    assert len(operations) == 11
    assert operations[0] == {"id": "item", "kind": "query", "path": "Query.item"}
    assert operations[-1] == {"id": "touch", "kind": "mutation", "path": "Mutation.touch"}


def test_every_operation_gets_a_test() -> None:
    names = [test["name"] for test in plan(LIBRARY).context["tests"]]
    assert "test_query_item_finds_a_stored_item" in names
    assert "test_query_must_item_answers_an_unknown_id" in names
    assert "test_mutation_add_item_stores_it" in names
    assert "test_query_search_answers" in names
    assert len(names) == len(set(names))


def test_a_subset_of_operations() -> None:
    result = plan(LIBRARY, ["item"])
    missing = {m.operation_id: m.reason for m in result.not_implemented}
    assert missing["items"] == "not in spec.specification.graphql.operations"
    assert "item" not in missing


def test_an_unknown_operation_is_a_manifest_error() -> None:
    with pytest.raises(errors.ManifestError, match="unknown field 'nope'"):
        plan(LIBRARY, ["nope"])


def test_entrypoints_come_from_the_template() -> None:
    entry = plan(LIBRARY).entrypoints
    assert (entry.package, entry.app, entry.openapi) == ("lib", "lib.main:app", None)


@pytest.mark.parametrize(
    ("sdl", "message"),
    [
        (
            "type Query { a(info: Int): Int }",
            "schema:Query.a(info:): an argument named 'info'",
        ),
        (
            "type Query { a: N! } interface N { id: ID! }",
            "interface N has no implementing object type",
        ),
        (
            "type Query { a(r: R = {low: 1}): Int } input R { low: Int, high: Int = 2 }",
            "leaves out high, which has a default of its own",
        ),
    ],
)
def test_what_strawberry_cannot_serve_is_a_spec_error(sdl: str, message: str) -> None:
    with pytest.raises(errors.SpecError) as caught:
        plan(sdl)
    assert message in str(caught.value)


def test_python_names_and_reserved_words() -> None:
    context = plan(
        "type Query { a(from: Int, self: Int, createdAt: Int): store }\n"
        "type store { class: Int, camelCase: String }"
    ).context
    (op,) = context["roots"][0]["ops"]
    assert op["params"] == [
        'from_: Annotated[int | None, strawberry.argument(name="from")] = strawberry.UNSET',
        'self_: Annotated[int | None, strawberry.argument(name="self")] = strawberry.UNSET',
        'created_at: Annotated[int | None, strawberry.argument(name="createdAt")] = '
        "strawberry.UNSET",
    ]
    (cls,) = context["classes"]
    assert cls["cls"] == "store_"
    assert cls["decorator"] == '@strawberry.type(name="store")'
    assert [f["line"] for f in cls["fields"]] == [
        'class_: int | None = strawberry.field(name="class")',
        'camel_case: str | None = strawberry.field(name="camelCase")',
    ]
    assert context["schema_uses_annotated"] is True


def test_an_id_field_refers_to_a_stored_entity() -> None:
    context = plan(
        "type Author { id: ID!, name: String! }\n"
        "type Book { id: ID!, title: String!, author: Author! }\n"
        "input BookInput { title: String!, authorId: ID! }\n"
        "input AuthorInput { name: String! }\n"
        "type Query { book(id: ID!): Book }\n"
        "type Mutation {\n"
        "  createAuthor(input: AuthorInput!): Author!\n"
        "  createBook(input: BookInput!): Book!\n"
        "  updateBook(id: ID!, authorId: ID): Book\n"
        "}"
    ).context
    found = bodies(context)
    assert "author=AUTHOR_STORE.get(input.author_id)" in found["create_book"][1]
    assert found["update_book"][3:5] == [
        "if store.present(author_id):",
        "    stored.author = AUTHOR_STORE.get(author_id)",
    ]
    tests = {test["name"]: test for test in context["tests"]}
    create = tests["test_mutation_create_book_stores_it"]
    assert create["setup"][0].startswith('schema.AUTHOR_STORE.add("1", types.Author(')
    assert 'assert data["createBook"]["author"]["id"] == "1"' in create["checks"]
    assert tests["test_mutation_create_book_refers_to_an_unknown_id"]["not_found"] is True


def test_an_input_holding_a_list_of_itself_ends_in_an_empty_list() -> None:
    # filter inputs such as Prisma's and Keystone's `AND: [PostWhereInput!]`
    sdl = """
    input PostWhereInput { AND: [PostWhereInput!] OR: [[PostWhereInput!]!] title: String }
    type Post { id: ID! title: String }
    type Query { posts(where: PostWhereInput!): [Post!]! }
    """
    context = plan(sdl).context
    text = repr(context)
    assert "{AND: [], OR: [], title: " in text


def test_a_type_holding_a_root_type_refers_to_schema_py_lazily() -> None:
    # a Relay payload's `query: Query`: schema.py defines Query and imports types.py
    context = plan(
        "type Payload { query: Query!, n: Int, again(a: Int): Query }\n"
        "type Query { p: Payload! }\ntype Mutation { m: Payload! }"
    ).context
    (payload,) = context["classes"]
    assert [f["line"] for f in payload["fields"]] == [
        'query: Annotated[Query, strawberry.lazy(".schema")]',
        "n: int | None",
        'again: Annotated[Query, strawberry.lazy(".schema")] | None = '
        "strawberry.field(resolver=payload_again)",
    ]
    (resolver,) = payload["functions"]
    assert resolver["sample"] == 'importlib.import_module(".schema", __package__).Query()'
    assert bodies(context)["p"] == [
        "# kodegen:implement Query.p",
        "return types.Payload(query=Query(), n=1)",
    ]
    assert context["lazy_roots"] == ["Query"]
    assert (context["types_uses_lazy"], context["types_uses_importlib"]) == (True, True)


def test_a_schema_without_root_references_imports_nothing_lazily() -> None:
    context = plan("type A { n: Int }\ntype Query { a: A }").context
    assert context["lazy_roots"] == []
    assert (context["types_uses_lazy"], context["types_uses_importlib"]) == (False, False)


def test_type_names_with_underscores_are_named_as_written() -> None:
    # Strawberry would camel-case `query_root` into `queryRoot`
    context = plan(
        "schema { query: query_root }\ntype query_root { a: user_info }\ntype user_info { n: Int }"
    ).context
    assert context["roots"][0]["decorator"] == '@strawberry.type(name="query_root")'
    assert [c["decorator"] for c in context["classes"]] == ['@strawberry.type(name="user_info")']
    assert context["schema_uses_store"] is False  # nothing stored: store.py is not imported


def test_boolean_answers_are_checked_by_identity() -> None:
    # `== False` is what the style gate refuses
    context = plan(
        "type Todo { id: ID!, done: Boolean!, title: String }\n"
        "input TodoPatch { done: Boolean, title: String }\n"
        "type Query { todo(id: ID!): Todo }\n"
        "type Mutation { updateTodo(id: ID!, patch: TodoPatch!): Todo! }"
    ).context
    tests = {test["name"]: test for test in context["tests"]}
    assert tests["test_mutation_update_todo_finds_a_stored_todo"]["checks"] == [
        'assert data["updateTodo"]["id"] == "1"',
        'assert data["updateTodo"]["done"] is False',
        'assert data["updateTodo"]["title"] == "changed"',
    ]


def test_a_one_of_input_needs_graphql_core_3_3() -> None:
    context = plan(
        "input Pick @oneOf { a: Int, b: String }\ntype Query { q(p: Pick!): Int }"
    ).context
    assert context["uses_one_of"] is True
    assert context["classes"][0]["decorator"] == "@strawberry.input(one_of=True)"
    assert (
        plan("input Pick { a: Int }\ntype Query { q(p: Pick!): Int }").context["uses_one_of"]
        is False
    )


def test_an_enum_value_named_like_a_credential_is_not_an_assignment_of_a_string() -> None:
    # `secretkey = "secretkey"` is what the secrets gate reads as a credential
    context = plan("enum Item { secretkey potion }\ntype Query { i: Item }").context
    (item,) = context["enums"]
    assert item["choices"] == [
        {"name": "secretkey", "expr": 'strawberry.enum_value("secretkey")'},
        {"name": "potion", "expr": '"potion"'},
    ]


KEYED = """
scalar uuid
type Space { id: String!, name: String! }
type Counter { id: Int!, label: String! }
type user { id: uuid!, name: String! }
type Note { id: Float!, text: String! }
input user_insert_input { name: String! }
type Query {
  space(id: String!): Space
  spaceByName(name: String!): Space
  counter(id: Int!): Counter!
  counterByLabel(label: String!): Counter
  user_by_pk(id: uuid!): user
  note(id: Float!): Note
}
type Mutation {
  removeCounter(id: Int!): Counter
  insert_user_one(object: user_insert_input!): user
  insert_user_many(object: user_insert_input!): user
  delete_user_by_pk(id: uuid!): user
}
"""


def test_an_id_of_string_int_or_a_custom_scalar_is_a_key() -> None:
    planned = plan(KEYED)
    found = bodies(planned.context)
    assert found["space"] == ["return SPACE_STORE.find(id)"]
    assert found["counter"] == ["return COUNTER_STORE.get(str(id))"]  # the store keys strings
    assert found["remove_counter"] == ["return COUNTER_STORE.discard(str(id))"]
    assert found["user_by_pk"] == ["return USER_STORE.find(id)"]
    assert found["insert_user_one"][1] == (
        "return USER_STORE.add(key, types.user(id=types.uuid(key), name=object.name))"
    )
    assert found["delete_user_by_pk"] == ["return USER_STORE.discard(id)"]
    missing = {m.operation_id: m.reason for m in planned.not_implemented}
    # an argument of the key's type that is not named for the key; a Float id; a name that is
    # not the entity plus a known ending
    assert sorted(missing) == ["counterByLabel", "insert_user_many", "note", "spaceByName"]


def test_the_tests_of_keyed_entities_store_and_ask_for_that_key() -> None:
    tests = {t["name"]: t for t in plan(KEYED).context["tests"]}
    found = tests["test_query_counter_finds_a_stored_counter"]
    assert found["setup"] == ['schema.COUNTER_STORE.add("1", types.Counter(id=1, label="string"))']
    assert found["document"].startswith("query { counter(id: 1)")
    assert found["checks"] == ['assert data["counter"]["id"] == 1']
    space = tests["test_query_space_finds_a_stored_space"]
    assert space["setup"] == ['schema.SPACE_STORE.add("1", types.Space(id="1", name="string"))']
    assert space["document"].startswith('query { space(id: "1")')
    user = tests["test_query_user_by_pk_finds_a_stored_user"]
    assert 'types.user(id=types.uuid("1"), name="string")' in user["setup"][0]


def test_a_listing_with_a_required_argument_is_no_listing() -> None:
    sdl = """
    type Employee { id: Int!, name: String! }
    type Query { employeeAsList(id: Int!): [Employee], employees(first: Int! = 5): [Employee!]! }
    """
    planned = plan(sdl)
    assert [m.operation_id for m in planned.not_implemented] == ["employeeAsList"]
    assert bodies(planned.context)["employees"][-1] == (
        "return store.page(found, offset=None, limit=first)"
    )
