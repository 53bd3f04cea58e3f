"""The generated service's tests of its query and mutation fields, as plain data.

Each test is a dict the template renders: `name`, `setup` (Python lines storing a sample
entity under key "1", its `id` field 1 or "1" as its type says), `document` (the GraphQL
document, every argument given, every field selected three levels deep) and `checks` (Python
lines over `data`), or `not_found` when the answer must be the NOT_FOUND error of an unknown id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from kodegen.specs import graphql_model as gm
from kodegen.views.graphql import naming

__all__ = ["Tests"]


class Tests:
    """Builds test descriptions; `store(entity)` names (and enables) an entity's store,
    `key_type(entity)` is the GraphQL type of its `id` field."""

    def __init__(
        self, names: naming.Names, store: Callable[[str], str], key_type: Callable[[str], str]
    ) -> None:
        self.names = names
        self.store = store
        self.key_type = key_type

    def key(self, entity: str) -> str:
        """The key "1" of a stored `entity` as GraphQL sends it and JSON answers it."""
        return "1" if self.key_type(entity) == "Int" else '"1"'

    def key_value(self, entity: str) -> str:
        """The key "1" of a stored `entity` as a Python value of its `id` field."""
        kind = self.key_type(entity)
        if kind in naming.SCALARS:
            return {"ID": 'strawberry.ID("1")', "Int": "1"}.get(kind, '"1"')
        return f'types.{self.names.cls(kind)}("1")'  # a custom scalar: a NewType of str

    def document(
        self,
        field: gm.Field,
        kind: gm.Root,
        changed: bool = False,
        fixed: dict[str, str] | None = None,
    ) -> str:
        """`fixed`: literals of some arguments (the one naming a stored entity)."""
        return (
            f"{kind} {{ {field.name}{self.names.arguments(field.args, changed, fixed)}"
            f"{self.names.selection(field.type)} }}"
        )

    def answers(
        self, result: str, checked: Sequence[tuple[str, gm.TypeRef]], changed: bool
    ) -> list[str]:
        """Checks that the answer carries the values sent for the fields in `checked`."""
        lines = []
        for name, ref in checked:
            expected = self.names.answer(ref, changed, name)
            if expected in ("True", "False"):  # `== True` is what the style gate rejects
                lines.append(f"assert {result}[{json.dumps(name)}] is {expected}")
            elif expected is not None:
                lines.append(f"assert {result}[{json.dumps(name)}] == {expected}")
        return lines

    def stored(self, entity: str) -> str:
        sample = self.names.sample(
            gm.TypeRef(entity, non_null=True), fixed={"id": self.key_value(entity)}
        )
        return f'schema.{self.store(entity)}.add("1", {sample})'

    def found_and_missing(
        self,
        field: gm.Field,
        kind: gm.Root,
        entity: str,
        verb: str,
        checked: Sequence[tuple[str, gm.TypeRef]] = (),
        related: Sequence[str] = (),
        key: str | None = None,
    ) -> list[dict[str, Any]]:
        """A test on a stored entity, and one on an unknown id; `checked`: the fields an update
        sets, whose new values the answer must show; `related`: entities it refers to; `key`:
        the argument naming the entity."""
        ident = self.key(entity)
        document = self.document(field, kind, bool(checked), {key: ident} if key else None)
        name = f"test_{kind}_{naming.snake(field.name).rstrip('_')}"
        result = f"data[{json.dumps(field.name)}]"
        if verb == "delete" and field.type.name == "Boolean":
            found, missing = [f"assert {result} is True"], [f"assert {result} is False"]
        elif verb == "delete" and field.type.name == "ID":
            found, missing = [f'assert {result} == "1"'], None
        else:
            found = [f'assert {result}["id"] == {ident}', *self.answers(result, checked, True)]
            missing = None if field.type.non_null else [f"assert {result} is None"]
        if verb == "delete":
            found.append(f"assert schema.{self.store(entity)}.values() == []")
        first = {
            "name": f"{name}_finds_a_stored_{naming.snake(entity).rstrip('_')}",
            "setup": [self.stored(entity), *(self.stored(other) for other in related)],
            "document": document,
            "checks": found,
            "entities": [entity],
        }
        second: dict[str, Any] = {
            "name": f"{name}_answers_an_unknown_id",
            "setup": [],
            "document": document,
            "entities": [entity],
        }
        if missing is None:
            second["not_found"] = True
            second["checks"] = []
        else:
            second["checks"] = missing
        return [first, second]

    def list_tests(self, field: gm.Field, entity: str) -> list[dict[str, Any]]:
        name = f"test_query_{naming.snake(field.name).rstrip('_')}"
        plain = f"query {{ {field.name}{self.names.selection(field.type)} }}"
        result = f"data[{json.dumps(field.name)}]"
        tests = [
            {
                "name": f"{name}_lists_what_is_stored",
                "setup": [self.stored(entity)],
                "document": plain,
                "checks": [f'assert [item["id"] for item in {result}] == [{self.key(entity)}]'],
                "entities": [entity],
            }
        ]
        if field.args:
            tests.append(
                {
                    "name": f"{name}_takes_every_argument",
                    "setup": [self.stored(entity)],
                    "document": self.document(field, "query"),
                    "checks": [f"assert isinstance({result}, list)"],
                    "entities": [entity],
                }
            )
        return tests

    def create_tests(
        self,
        field: gm.Field,
        entity: str,
        checked: Sequence[tuple[str, gm.TypeRef]],
        related: Sequence[str],
        linked: Sequence[str],
    ) -> list[dict[str, Any]]:
        """A create, then the store holds it and the answer carries the values sent; with
        references to other entities (`authorId`), one to an unknown id is NOT_FOUND."""
        result = f"data[{json.dumps(field.name)}]"
        name = f"test_mutation_{naming.snake(field.name).rstrip('_')}"
        document = self.document(field, "mutation")
        ident = self.key(entity)
        tests: list[dict[str, Any]] = [
            {
                "name": f"{name}_stores_it",
                "setup": [self.stored(other) for other in related],
                "document": document,
                "checks": [
                    f'assert {result}["id"] == {ident}',
                    f"assert [item.id for item in schema.{self.store(entity)}.values()]"
                    f" == [{ident}]",
                    *self.answers(result, checked, False),
                    *(f'assert {result}[{json.dumps(link)}]["id"] == "1"' for link in linked),
                ],
                "entities": [entity],
            }
        ]
        if related:
            tests.append(
                {
                    "name": f"{name}_refers_to_an_unknown_id",
                    "setup": [],
                    "document": document,
                    "not_found": True,
                    "checks": [],
                }
            )
        return tests

    def custom_test(self, field: gm.Field, kind: gm.Root) -> dict[str, Any]:
        result = f"data[{json.dumps(field.name)}]"
        checks = [f"assert {result} is not None"] if field.type.non_null else []
        return {
            "name": f"test_{kind}_{naming.snake(field.name).rstrip('_')}_answers",
            "setup": [],
            "document": self.document(field, kind),
            "checks": checks,
        }
