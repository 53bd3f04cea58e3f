from __future__ import annotations

from typing import Any

import pytest

from kodegen.specs import openapi
from kodegen.views.openapi import pyview


def types(schemas: dict[str, Any]) -> pyview.Types:
    document = {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {}}
    spec = openapi.parse({**document, "components": {"schemas": schemas}})
    return pyview.Types(spec.schemas)


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "string"}, "str"),
        ({"type": "string", "format": "date-time"}, "datetime"),
        ({"type": "string", "format": "uuid", "nullable": True}, "UUID | None"),
        ({"type": "string", "enum": ["a", "b"]}, 'Literal["a", "b"]'),
        ({"type": "string", "enum": [{"const": "a"}, "b"]}, "str"),  # a Literal holds scalars
        ({"type": "object", "enum": [{"a": 1}]}, "dict[str, Any]"),
        ({"type": "integer"}, "int"),
        ({"type": "number"}, "float"),
        ({"type": "array", "items": {"type": "boolean"}}, "list[bool]"),
        ({"type": "object"}, "dict[str, Any]"),
        ({"type": "object", "additionalProperties": {"type": "integer"}}, "dict[str, int]"),
        ({"oneOf": [{"type": "string"}, {"type": "integer"}]}, "str | int"),
        ({}, "Any"),
    ],
)
def test_root_types(schema: dict[str, Any], expected: str) -> None:
    (model,) = types({"S": schema}).models.values()
    assert model.root == expected


def test_objects_become_models_and_inline_objects_are_lifted() -> None:
    found = types(
        {
            "Order": {
                "type": "object",
                "required": ["id", "class"],
                "additionalProperties": False,
                "properties": {
                    "id": {"type": "integer", "minimum": 1},
                    "class": {"type": "string", "pattern": "^[a-z]+$"},
                    "lines": {
                        "type": "array",
                        "maxItems": 3,
                        "items": {"type": "object", "properties": {"sku": {"type": "string"}}},
                    },
                    "next": {"$ref": "#/components/schemas/Order"},
                },
            }
        }
    )
    assert list(found.models) == ["Order", "OrderLinesItem"]
    order = found.models["Order"]
    assert order.extra == "forbid"
    assert [(f.name, f.alias, f.type, f.default, f.constraints) for f in order.fields] == [
        ("class_", "class", "str", "", 'pattern="^[a-z]+$"'),
        ("id", "id", "int", "", "ge=1"),
        ("lines", "lines", "list[OrderLinesItem]", "None", "max_length=3"),
        ("next", "next", "Order", "None", ""),  # may be left out; not null
    ]


@pytest.mark.parametrize(
    ("text", "snake", "pascal"),
    [
        ("listPets", "list_pets", "ListPets"),
        ("find pet by id", "find_pet_by_id", "FindPetById"),
        ("list-data-sets", "list_data_sets", "ListDataSets"),
        ("HTTPServer", "http_server", "HttpServer"),
        ("2fa", "field_2fa", "_2fa"),  # a leading _ is private to pydantic
        ("schema", "schema_", "Schema"),
        ("class", "class_", "Class"),
        ("model_config", "model_config_", "ModelConfig"),
    ],
)
def test_names(text: str, snake: str, pascal: str) -> None:
    assert (pyview.snake(text), pyview.pascal(text)) == (snake, pascal)


@pytest.mark.parametrize(
    ("value", "literal"),
    [("a\"b\n", "'a\"b\\n'"), (True, "True"), (None, "None"), (2.0, "2"), (2.5, "2.5"),
     ([1, {"k": "v"}], '[1, {"k": "v"}]')],
)  # fmt: skip
def test_literals(value: Any, literal: str) -> None:
    assert pyview.literal(value) == literal


def test_an_inline_all_of_that_reaches_itself_is_lifted_once() -> None:
    """`bands: [{allOf: [Common]}]` inside Common: flattening the inline `allOf` copies Common's
    properties, `bands` among them, so each level used to lift a new class without end (a
    RecursionError on a real JSON Schema); the second encounter names the class of the first."""
    inline = {"allOf": [{"$ref": "#/components/schemas/Common"}]}
    found = types(
        {
            "Common": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "bands": {"type": "array", "items": inline},
                },
            }
        }
    )
    assert sorted(found.models) == ["Common", "CommonBandsItem"]
    assert {f.name: f.type for f in found.models["Common"].fields}["bands"] == (
        "list[CommonBandsItem]"
    )
    lifted = {f.name: f.type for f in found.models["CommonBandsItem"].fields}
    assert lifted == {"name": "str", "bands": "list[CommonBandsItem]"}


def test_a_field_of_several_types_has_no_constraint_pydantic_applies_to_all() -> None:
    """`type: [integer, string]` with `pattern` and `minimum` (eshop's ids), or a `pattern` with
    no type: JSON Schema checks each keyword on its own kind of value only, but on an `Any`
    field pydantic applies it to every value and raises TypeError (a 500) for the others."""
    document = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": {}}
    item = {
        "type": "object",
        "properties": {
            "id": {"type": ["integer", "string"], "pattern": "^-?[0-9]+$", "minimum": 0},
            "code": {"pattern": "^[A-Z]+$", "minLength": 2},
            "name": {"type": "string", "minLength": 2},
        },
    }
    spec = openapi.parse({**document, "components": {"schemas": {"Item": item}}})
    found = pyview.Types(spec.schemas)
    fields = {f.name: (f.type, f.constraints) for f in found.models["Item"].fields}
    assert fields == {
        "id": ("Any", ""),
        "code": ("Any", ""),
        "name": ("str", "min_length=2"),
    }


def test_a_field_typed_by_a_named_model_carries_no_constraint_of_the_models_schema() -> None:
    """`resource_version: {$ref: ResourceVersion}`, a string with a `pattern` (paypal's): the
    field's type is the model `ResourceVersion`, and pydantic cannot apply `pattern` to a
    model (TypeError on every value); the constraint is the model's to check."""
    found = types(
        {
            "ResourceVersion": {"type": "string", "pattern": "^[0-9]+$"},
            "Level": {"type": "integer", "minimum": 1},
            "Event": {
                "type": "object",
                "properties": {
                    "version": {"$ref": "#/components/schemas/ResourceVersion"},
                    "level": {"$ref": "#/components/schemas/Level"},
                },
            },
        }
    )
    fields = {f.name: (f.type, f.constraints) for f in found.models["Event"].fields}
    assert fields == {"version": ("ResourceVersion", ""), "level": ("Level", "")}
