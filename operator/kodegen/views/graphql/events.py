"""Subscription fields, fed by the service's own mutations through an in-process broker.

A subscription field is served over WebSocket (graphql-transport-ws) as an async generator:

    entity    a field returning an entity type (`onTodo: Todo`): every entity that a
              mutation implemented over the store creates, updates or deletes is published
              (`store.EVENTS`) and sent; arguments that name a field of the entity filter
              the events (`onTodo(id: ID!)` follows one todo)
    list      a field returning a list of an entity whose arguments a list query would take
              (`todos(limit: Int)`): a live query, the current list first, then after every
              change

Anything else (no implemented mutation changes that type; other arguments) sends one sample
event and is reported as not implemented, with the reason. Each implemented field is tested
with a real WebSocket client: subscribe, run the feeding mutation, receive the event.
"""

from __future__ import annotations

import json
from typing import Any

from kodegen.specs import graphql_model as gm
from kodegen.views.graphql import crud, naming

__all__ = ["Events"]


class Events:
    """The bodies and tests of one schema's subscription fields."""

    def __init__(self, spec: gm.GraphQLSpec, names: naming.Names, store: crud.Crud) -> None:
        self.spec = spec
        self.names = names
        self.crud = store
        self.tests: list[dict[str, Any]] = []

    def semantics(self, field: gm.Field, py: dict[str, str]) -> tuple[list[str] | None, str]:
        """(The generator's body, or None) and the reason it is not implemented."""
        entity = field.type.named
        feeds = self.crud.feeds.get(entity)
        if not self.crud.key(entity):
            return None, f"returns {field.type}, not an entity type with an `id` key field"
        if not feeds:
            return None, f"no mutation of this schema implemented over the store changes a {entity}"
        if field.type.of is None:
            return self.follow(field, entity, py, feeds[0])
        if field.type.of.of is not None:
            return None, f"returns {field.type}, a list of lists"
        saved = list(self.crud.tests)
        lines = self.crud.list_all(field, py)
        self.crud.tests[:] = saved
        if lines is None:
            return None, "an argument other than paging or a filter on a field of " + entity
        body = [
            f"def current() -> {self.names.annotation(field.type, 'types.')}:",
            *("    " + line for line in lines),
            "yield current()",
            f"async for _ in store.EVENTS.subscribe({json.dumps(entity)}):",
            "    yield current()",
        ]
        self.tests.append(self._test(field, entity, feeds[0], live=True))
        return body, ""

    def follow(
        self, field: gm.Field, entity: str, py: dict[str, str], feed: dict[str, Any]
    ) -> tuple[list[str] | None, str]:
        typedef = self.spec.type(entity)
        assert typedef is not None
        attrs = self.names.attrs([f.name for f in typedef.fields])
        checks = []
        for arg in field.args:
            target = typedef.field(arg.name)
            if (
                target is None
                or target.args
                or target.type.of is not None
                or arg.type.of is not None
                or target.type.name != arg.type.name
            ):
                return None, f"argument {arg.name!r} names no field of {entity} to filter by"
            checks.append((attrs[arg.name], py[arg.name], arg.type.non_null))
        body = [f"async for item in store.EVENTS.subscribe({json.dumps(entity)}):"]
        conditions = [
            f"item.{attr} == {var}"
            if required
            else f"(not store.present({var}) or item.{attr} == {var})"
            for attr, var, required in checks
        ]
        if conditions:
            body += [f"    if {' and '.join(conditions)}:", "        yield item"]
        else:
            body.append("    yield item")
        self.tests.append(self._test(field, entity, feed, live=False))
        return body, ""

    def _test(
        self, field: gm.Field, entity: str, feed: dict[str, Any], live: bool
    ) -> dict[str, Any]:
        result = f"data[{json.dumps(field.name)}]"
        key = self.crud.make.key(entity)
        if live:
            checks = [f'assert [item["id"] for item in {result}] == [{key}]']
        else:
            checks = [f'assert {result}["id"] == {key}']
        return {
            "name": f"test_subscription_{naming.snake(field.name).rstrip('_')}_sends_"
            f"what_a_mutation_changes",
            "setup": feed["setup"],
            "entity": entity,
            "document": "subscription { "
            + field.name
            + self.names.arguments(field.args, fixed={"id": key})
            + self.names.selection(field.type)
            + " }",
            "mutation": feed["document"],
            "live": live,
            "checks": checks,
        }

    def sample_test(self, field: gm.Field) -> dict[str, Any]:
        """The test of a subscription that is not implemented: one event, answered."""
        return {
            "name": f"test_subscription_{naming.snake(field.name).rstrip('_')}_sends_a_sample",
            "setup": [],
            "entity": None,
            "document": "subscription { "
            + field.name
            + self.names.arguments(field.args)
            + self.names.selection(field.type)
            + " }",
            "mutation": None,
            "live": False,
            "checks": [f"assert {json.dumps(field.name)} in data"],
        }
