"""Subscription fields fed by the service's own mutations: what each resolver publishes and
each subscription listens to, what is not implemented and why, and the tests of each."""

from __future__ import annotations

from typing import Any

import pytest

from kodegen.specs import graphql
from kodegen.templates import registry
from kodegen.views import plan as plan_
from kodegen.views.graphql import context

TODOS = """
type Todo { id: ID!, title: String!, done: Boolean! }
type Tag { id: ID!, name: String! }
input TodoInput { title: String!, done: Boolean! }
input TodoPatch { title: String, done: Boolean }
type Query { todo(id: ID!): Todo, todos(first: Int, skip: Int, done: Boolean): [Todo!]! }
type Mutation {
  addTodo(input: TodoInput!): Todo!
  updateTodo(id: ID!, patch: TodoPatch!): Todo!
  removeTodo(id: ID!): Boolean!
  destroyTodo(id: ID!): Todo
  deleteTodo(id: ID!): ID!
}
type Subscription {
  todoChanged(id: ID): Todo
  todoFollowed(id: ID!, done: Boolean!): Todo
  liveTodos(first: Int, done: Boolean): [Todo!]!
  ticks: Int!
  tags: Tag
  grid: [[Todo!]!]!
  odd(title: Int): Todo
  oddList(text: String): [Todo!]!
}
"""


def plan(sdl: str) -> plan_.Plan:
    template = registry.resolve("python-graphql-service", "1.0.0")
    return context.build(graphql.parse(sdl), template, {"packageName": "lib"})


def bodies(found: dict[str, Any]) -> dict[str, list[str]]:
    return {op["py"]: op["body"] for root in found["roots"] for op in root["ops"]}


@pytest.fixture(scope="module")
def todos() -> plan_.Plan:
    return plan(TODOS)


def test_mutations_of_a_subscribed_entity_publish_what_they_change(todos: plan_.Plan) -> None:
    found = bodies(todos.context)
    assert found["add_todo"][1:] == [
        "made = TODO_STORE.add(key, types.Todo(id=strawberry.ID(key), title=input.title, "
        "done=input.done))",
        'store.EVENTS.publish("Todo", made)',
        "return made",
    ]
    assert found["update_todo"][-2:] == ['store.EVENTS.publish("Todo", stored)', "return stored"]
    assert found["remove_todo"] == [
        "removed = TODO_STORE.discard(id)",
        "if removed is not None:",
        '    store.EVENTS.publish("Todo", removed)',
        "return removed is not None",
    ]
    assert found["destroy_todo"] == [
        "removed = TODO_STORE.discard(id)",
        "if removed is not None:",
        '    store.EVENTS.publish("Todo", removed)',
        "return removed",
    ]
    assert found["delete_todo"] == [
        "removed = TODO_STORE.pop(id)",
        'store.EVENTS.publish("Todo", removed)',
        "return id",
    ]


def test_mutations_of_an_entity_no_subscription_returns_publish_nothing() -> None:
    unwatched = bodies(plan(TODOS[: TODOS.index("type Subscription")]).context)
    assert unwatched["add_todo"] == [
        "key = TODO_STORE.new_key()",
        "return TODO_STORE.add(key, types.Todo(id=strawberry.ID(key), title=input.title, "
        "done=input.done))",
    ]
    assert unwatched["remove_todo"] == ["return TODO_STORE.remove(id)"]
    assert unwatched["destroy_todo"] == ["return TODO_STORE.discard(id)"]
    assert unwatched["delete_todo"] == ["TODO_STORE.pop(id)", "return id"]


def test_an_entity_subscription_follows_the_events_its_arguments_filter(
    todos: plan_.Plan,
) -> None:
    found = bodies(todos.context)
    assert found["todo_changed"] == [
        'async for item in store.EVENTS.subscribe("Todo"):',
        "    if (not store.present(id) or item.id == id):",
        "        yield item",
    ]
    assert found["todo_followed"] == [
        'async for item in store.EVENTS.subscribe("Todo"):',
        "    if item.id == id and item.done == done:",
        "        yield item",
    ]


def test_a_list_subscription_is_a_live_query(todos: plan_.Plan) -> None:
    body = bodies(todos.context)["live_todos"]
    assert body[0] == "def current() -> list[types.Todo]:"
    assert body[-3:] == [
        "yield current()",
        'async for _ in store.EVENTS.subscribe("Todo"):',
        "    yield current()",
    ]
    assert "    return store.page(found, offset=None, limit=first)" in body


def test_what_cannot_be_fed_is_a_sample_and_says_why(todos: plan_.Plan) -> None:
    missing = {
        m.operation_id: m.reason for m in todos.not_implemented if m.method == "subscription"
    }
    assert missing == {
        "ticks": "returns Int!, not an entity type with an `id` key field",
        "tags": "no mutation of this schema implemented over the store changes a Tag",
        "grid": "returns [[Todo!]!]!, a list of lists",
        "odd": "argument 'title' names no field of Todo to filter by",
        "oddList": "an argument other than paging or a filter on a field of Todo",
    }
    found = bodies(todos.context)
    assert found["ticks"] == ["# kodegen:implement Subscription.ticks", "yield 1"]
    roots = {root["kind"]: root for root in todos.context["roots"]}
    ticks = next(op for op in roots["subscription"]["ops"] if op["py"] == "ticks")
    assert (ticks["prefix"], ticks["returns"]) == ("async ", "AsyncGenerator[int, None]")
    assert ticks["decorator"] == "@strawberry.subscription"


def test_each_subscription_is_tested_over_its_feeding_mutation(todos: plan_.Plan) -> None:
    tests = {test["name"]: test for test in todos.context["subscription_tests"]}
    changed = tests["test_subscription_todo_changed_sends_what_a_mutation_changes"]
    assert changed == {
        "name": "test_subscription_todo_changed_sends_what_a_mutation_changes",
        "setup": [],
        "entity": "Todo",
        "document": 'subscription { todoChanged(id: "1") { __typename id title done } }',
        "mutation": 'mutation { addTodo(input: {title: "string", done: true}) '
        "{ __typename id title done } }",
        "live": False,
        "checks": ['assert data["todoChanged"]["id"] == "1"'],
    }
    live = tests["test_subscription_live_todos_sends_what_a_mutation_changes"]
    assert live["live"] is True
    assert live["checks"] == ['assert [item["id"] for item in data["liveTodos"]] == ["1"]']
    sample = tests["test_subscription_ticks_sends_a_sample"]
    assert (sample["mutation"], sample["checks"]) == (None, ['assert "ticks" in data'])
    assert len(tests) == 8
    # a live query's own list test is not one of the query tests
    names = [test["name"] for test in todos.context["tests"]]
    assert not [name for name in names if "live_todos" in name]


def test_an_update_only_feed_stores_the_entity_first() -> None:
    sdl = (
        "type Todo { id: ID!, title: String! }\ninput TodoPatch { title: String }\n"
        "type Query { todo(id: ID!): Todo }\n"
        "type Mutation { updateTodo(id: ID!, patch: TodoPatch!): Todo! }\n"
        "type Subscription { todoChanged: Todo }"
    )
    (test,) = plan(sdl).context["subscription_tests"]
    assert test["setup"] == [
        'schema.TODO_STORE.add("1", types.Todo(id=strawberry.ID("1"), title="string"))'
    ]
    assert test["mutation"].startswith('mutation { updateTodo(id: "1", patch: {title: "changed"})')


def test_a_subscription_root_that_is_also_data_is_served_as_a_type() -> None:
    result = plan(
        "type Subscription { id: ID!, n: Int }\n"
        "type Query { s: Subscription }\nschema { query: Query subscription: Subscription }"
    )
    assert result.context["subscription"] == "types.Subscription"
    assert [r["kind"] for r in result.context["roots"]] == ["query"]
    assert [(m.operation_id, m.method) for m in result.not_implemented] == [
        ("s", "query"),
        ("id", "subscription"),
        ("n", "subscription"),
    ]
    assert result.not_implemented[1].reason.startswith(
        "type Subscription is the subscription root and also data other fields return"
    )
