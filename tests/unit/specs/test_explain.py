"""Invalid OpenAPI documents are refused in one line: the rule, the JSON pointer of the place,
and what would fix it (never a dump of the schema); valid-but-unusual ones are read."""

from __future__ import annotations

from typing import Any

import pytest

from kodegen import errors
from kodegen.specs import model, openapi

INFO = {"title": "T", "version": "1"}


def document(version: str = "3.0.3", **parts: Any) -> dict[str, Any]:
    return {"openapi": version, "info": INFO, "paths": {}, **parts}


def operation(**extra: Any) -> dict[str, Any]:
    return {"responses": {"200": {"description": "ok"}}, **extra}


def refused(doc: dict[str, Any]) -> errors.SpecError:
    with pytest.raises(errors.SpecError) as caught:
        openapi.parse(doc)
    message = str(caught.value)
    assert "\n" not in message and len(message) < 500, message
    assert "Failed validating" not in message and "On instance" not in message
    return caught.value


@pytest.mark.parametrize("version", ["3.0.3", "3.1.0"])
def test_a_path_parameter_missing_from_the_path_is_left_out(version: str) -> None:
    parameter = {"name": "domain", "in": "path", "required": True, "schema": {"type": "string"}}
    query = {"name": "q", "in": "query", "schema": {"type": "string"}}
    spec = openapi.parse(
        document(version, paths={"/check": {"get": operation(parameters=[parameter, query])}})
    )
    assert [p.name for p in spec.operations[0].parameters] == ["q"]
    assert spec.raw["paths"]["/check"]["get"]["parameters"] == [query]  # what is served
    (repair,) = spec.repairs
    assert repair.pointer == "/paths/~1check/get/parameters/0"
    assert "'domain' names no part of the path '/check'" in repair.message


def test_a_default_spelled_as_a_string_is_read_as_what_it_spells() -> None:
    properties = {
        "nullable": {"type": "boolean", "default": "true"},
        "size": {"type": "integer", "default": "10", "example": "-3"},
        "ratio": {"type": "number", "default": "0.5"},
    }
    schemas = {"Column": {"type": "object", "properties": properties}}
    spec = openapi.parse(document(components={"schemas": schemas}))
    fields = {p.name: p.schema for p in spec.schemas["Column"].properties}
    assert (fields["nullable"].default, fields["size"].default) == (True, 10)
    assert (fields["size"].example, fields["ratio"].default) == (-3, 0.5)
    assert [r.pointer for r in spec.repairs] == [  # in the canonical (sorted) key order
        "/components/schemas/Column/properties/nullable/default",
        "/components/schemas/Column/properties/ratio/default",
        "/components/schemas/Column/properties/size/default",
        "/components/schemas/Column/properties/size/example",
    ]


def test_a_default_of_the_wrong_type_in_3_0() -> None:
    schemas = {
        "Column": {
            "type": "object",
            "properties": {"nullable": {"type": "boolean", "default": "yes"}},
        }
    }
    error = refused(document(components={"schemas": schemas}))
    assert error.pointer == "/components/schemas/Column/properties/nullable/default"
    assert "the default 'yes' does not fit its schema" in error.reason
    assert "(type boolean)" in error.reason


def test_a_default_just_past_its_int64_range_is_read() -> None:
    schema = {"type": "integer", "format": "int64", "default": 9223372036854776000}
    spec = openapi.parse(document(components={"schemas": {"End": schema}}))
    assert spec.schemas["End"].type == "integer"


def test_a_misspelled_field_suggests_the_right_one() -> None:
    get = {"operationId": "up", "paramz": [], "responses": {"200": {"description": "ok"}}}
    error = refused(document(paths={"/up": {"get": get}}))
    assert error.pointer == "/paths/~1up/get"
    assert "unknown field 'paramz'" in error.reason
    assert "did you mean 'parameters'?" in error.reason


def test_an_operation_field_one_slip_away_is_read_as_that_field() -> None:
    query = [{"name": "q", "in": "query", "schema": {"type": "string"}}]
    get = {"operationId": "up", "paramteters": query, "responses": {"200": {"description": "ok"}}}
    spec = openapi.parse(document(paths={"/up": {"get": get}}))
    assert [p.name for p in spec.operations[0].parameters] == ["q"]
    assert [(r.pointer, r.message) for r in spec.repairs] == [
        ("/paths/~1up/get/paramteters", "the operation field 'paramteters' is read as 'parameters'")
    ]
    both = {**get, "parameters": []}  # the right field is there too: no reading is obvious
    assert "unknown field 'paramteters'" in refused(document(paths={"/up": {"get": both}})).reason


def test_a_wrong_type_in_a_nested_3_1_schema_is_placed_in_the_document() -> None:
    schemas = {
        "Agg": {
            "allOf": [
                {"type": "object", "properties": {"sort": {"type": "array", "items": {"type": 7}}}}
            ]
        }
    }
    error = refused(document("3.1.0", components={"schemas": schemas}))
    assert error.pointer == "/components/schemas/Agg/allOf/0/properties/sort/items/type"
    assert "`type` 7 is not a type: write one of 'array'" in error.reason
    assert "leave `type` out" in error.reason


def test_an_undeclared_template_expression_is_a_required_string_parameter() -> None:
    get = {"operationId": "one", "responses": {"200": {"description": "ok"}}}
    spec = openapi.parse(document(paths={"/things/{thingId}": {"get": get}}))
    (parameter,) = spec.operations[0].parameters
    assert (parameter.name, parameter.location, parameter.schema.type) == (
        "thingId",
        "path",
        "string",
    )
    assert spec.raw["paths"]["/things/{thingId}"]["get"]["parameters"] == [
        {"name": "thingId", "in": "path", "required": True, "schema": {"type": "string"}}
    ]
    assert "{thingId} in the path has no parameter" in spec.repairs[0].message


def test_an_enum_of_consts_is_read_as_the_enum_of_their_values() -> None:
    mode = {
        "type": "string",
        "enum": [
            {"const": "", "deprecated": True, "description": "Use `load_balance` instead."},
            {"const": "load_balance"},
        ],
    }
    mixed = {"type": "string", "enum": [{"const": "a"}, "b"]}  # no one reading: left alone
    schemas = {"Dns": {"type": "object", "properties": {"mode": mode}}, "Mixed": mixed}
    spec = openapi.parse(document(components={"schemas": schemas}))
    field = spec.schemas["Dns"].properties[0].schema
    assert field.enum == ("", "load_balance")
    assert spec.schemas["Mixed"].enum == ({"const": "a"}, "b")
    assert [r.pointer for r in spec.repairs] == ["/components/schemas/Dns/properties/mode/enum"]


def test_a_schema_field_one_slip_away_is_read_as_that_field() -> None:
    run = {"type": "object", "propoerties": {"id": {"type": "string"}}}
    named = {"type": "object", "properties": {"propoerties": {"type": "string"}}}
    spec = openapi.parse(document(components={"schemas": {"Run": run, "Named": named}}))
    assert [p.name for p in spec.schemas["Run"].properties] == ["id"]
    assert [p.name for p in spec.schemas["Named"].properties] == ["propoerties"]  # a name
    assert [r.message for r in spec.repairs] == [
        "the schema field 'propoerties' is read as 'properties'"
    ]


def test_a_type_naming_nothing_is_left_out_but_a_property_named_type_stays() -> None:
    sort = {"type": "array", "items": {"type": {}}}
    kinds = {"type": "object", "properties": {"type": {}, "default": {"type": "string"}}}
    spec = openapi.parse(document(components={"schemas": {"Sort": sort, "Kinds": kinds}}))
    assert spec.schemas["Sort"].items is not None and spec.schemas["Sort"].items.type == "any"
    assert [p.name for p in spec.schemas["Kinds"].properties] == ["default", "type"]
    assert [(r.pointer, r.message) for r in spec.repairs] == [
        ("/components/schemas/Sort/items/type", "a `type` naming nothing is left out")
    ]


def test_a_pattern_written_as_a_regex_literal_is_read_as_its_expression() -> None:
    distance = {"type": "string", "pattern": "/^\\.+(km|m)$/"}
    path = {"type": "string", "pattern": "/api/v1/"}  # a literal path: it stays
    spec = openapi.parse(document(components={"schemas": {"D": distance, "P": path}}))
    assert (spec.schemas["D"].pattern, spec.schemas["P"].pattern) == ("^\\.+(km|m)$", "/api/v1/")
    assert [r.pointer for r in spec.repairs] == ["/components/schemas/D/pattern"]


def test_an_example_of_a_path_parameter_holding_a_slash_is_dropped() -> None:
    storage = {
        "name": "storage",
        "in": "path",
        "required": True,
        "example": "/local",
        "schema": {"type": "string"},
    }
    path = {
        "name": "path",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "example": "/examples/a.gcode"},
    }
    plain = {"name": "q", "in": "query", "schema": {"type": "string", "example": "a/b"}}
    get = operation(parameters=[storage, path, plain])
    spec = openapi.parse(document(paths={"/files/{storage}/{path}": {"get": get}}))
    found = {p.name: (p.example, p.schema.example) for p in spec.operations[0].parameters}
    assert found["storage"][0] is model.MISSING and found["path"][1] is model.MISSING
    assert found["q"][1] == "a/b"  # a query value may hold one
    assert [r.pointer.rsplit("/", 3)[-3:] for r in spec.repairs] == [
        ["parameters", "0", "example"],
        ["1", "schema", "example"],
    ]


def test_a_one_of_of_open_objects_requiring_nothing_is_read_as_any_of() -> None:
    serial = {"type": "object", "properties": {"serial_print": {"type": "boolean"}}}
    filed = {"type": "object", "properties": {"file": {"type": "object"}}}
    named = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    schemas = {
        "Serial": serial,
        "Job": {"oneOf": [{"$ref": "#/components/schemas/Serial"}, filed]},
        "Told": {"oneOf": [serial, named]},  # one member requires a field: told apart
    }
    spec = openapi.parse(document(components={"schemas": schemas}))
    assert (len(spec.schemas["Job"].any_of), len(spec.schemas["Job"].one_of)) == (2, 0)
    assert len(spec.schemas["Told"].one_of) == 2
    assert [r.pointer for r in spec.repairs] == ["/components/schemas/Job/oneOf"]
