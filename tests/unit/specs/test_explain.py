"""Invalid OpenAPI documents are refused in one line: the rule, the JSON pointer of the place,
and what would fix it (never a dump of the schema); valid-but-unusual ones are read."""

from __future__ import annotations

from typing import Any

import pytest

from kodegen import errors
from kodegen.specs import openapi

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
def test_a_path_parameter_missing_from_the_path(version: str) -> None:
    parameter = {"name": "domain", "in": "path", "required": True, "schema": {"type": "string"}}
    error = refused(document(version, paths={"/check": {"get": operation(parameters=[parameter])}}))
    assert error.pointer == "/paths/~1check/get/parameters/0"
    assert "'domain' is not in the path '/check'" in error.reason
    assert "write {domain} into the path, or declare the parameter `in: query`" in error.reason


def test_a_default_of_the_wrong_type_in_3_0() -> None:
    schemas = {
        "Column": {
            "type": "object",
            "properties": {"nullable": {"type": "boolean", "default": "true"}},
        }
    }
    error = refused(document(components={"schemas": schemas}))
    assert error.pointer == "/components/schemas/Column/properties/nullable/default"
    assert "the default 'true' does not fit its schema" in error.reason
    assert "(type boolean)" in error.reason


def test_a_default_just_past_its_int64_range_is_read() -> None:
    schema = {"type": "integer", "format": "int64", "default": 9223372036854776000}
    spec = openapi.parse(document(components={"schemas": {"End": schema}}))
    assert spec.schemas["End"].type == "integer"


def test_a_misspelled_field_suggests_the_right_one() -> None:
    get = {"operationId": "up", "paramteters": [], "responses": {"200": {"description": "ok"}}}
    error = refused(document(paths={"/up": {"get": get}}))
    assert error.pointer == "/paths/~1up/get"
    assert "unknown field 'paramteters'" in error.reason
    assert "did you mean 'parameters'?" in error.reason


def test_an_empty_type_in_a_nested_3_1_schema_is_placed_in_the_document() -> None:
    schemas = {
        "Agg": {
            "allOf": [
                {"type": "object", "properties": {"sort": {"type": "array", "items": {"type": {}}}}}
            ]
        }
    }
    error = refused(document("3.1.0", components={"schemas": schemas}))
    assert error.pointer == "/components/schemas/Agg/allOf/0/properties/sort/items/type"
    assert "`type` {} is not a type: write one of 'array'" in error.reason
    assert "leave `type` out" in error.reason
