"""JSON Schema documents become the same `model.Schema` values as OpenAPI components."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from kodegen import errors
from kodegen.specs import jsonschema, model, openapi

from .conftest import minimal

DRAFT_2020 = "https://json-schema.org/draft/2020-12/schema"
DRAFT_07 = "http://json-schema.org/draft-07/schema#"
EXAMPLE = Path(__file__).parents[3] / "examples" / "models-jsonschema.yaml"


def order(dialect: str = DRAFT_2020, keyword: str = "$defs") -> dict[str, Any]:
    return {
        "$schema": dialect,
        "title": "Order",
        "description": "An order of items.",
        "type": "object",
        "required": ["id", "lines"],
        "additionalProperties": False,
        "properties": {
            "id": {"type": "integer", "minimum": 1},
            "lines": {"type": "array", "minItems": 1, "items": {"$ref": f"#/{keyword}/Line"}},
            "note": {"type": ["string", "null"], "maxLength": 140},
            "parent": {"$ref": "#"},
        },
        keyword: {
            "Line": {
                "type": "object",
                "required": ["sku"],
                "properties": {
                    "sku": {"type": "string", "pattern": "^[A-Z]{3}-[0-9]{4}$"},
                    "quantity": {"$ref": f"#/{keyword}/Quantity"},
                    "unit": {"const": "piece"},
                },
            },
            "Quantity": {"type": "integer", "exclusiveMinimum": 0, "multipleOf": 1},
        },
    }


@pytest.mark.parametrize(("dialect", "keyword"), [(DRAFT_2020, "$defs"), (DRAFT_07, "definitions")])
def test_named_schemas_are_the_titled_root_and_the_definitions(dialect: str, keyword: str) -> None:
    spec = jsonschema.parse(order(dialect, keyword))

    assert list(spec.schemas) == ["Order", "Line", "Quantity"]
    assert (spec.title, spec.description, spec.operations, spec.resources) == (
        "Order",
        "An order of items.",
        (),
        (),
    )
    root = spec.schemas["Order"]
    assert root.additional_properties is False
    assert root.required == ("id", "lines")
    props = {p.name: p for p in root.properties}
    assert (props["id"].required, props["id"].schema.minimum) == (True, 1)
    assert props["lines"].schema.items == model.Schema(
        ref="Line", pointer="/properties/lines/items"
    )
    assert props["lines"].schema.min_items == 1
    assert props["note"].schema.nullable and props["note"].schema.type == "string"
    assert props["parent"].schema.ref == "Order"
    line = spec.schemas["Line"]
    assert line.pointer == f"/{keyword}/Line"
    sku = next(p for p in line.properties if p.name == "sku")
    assert sku.schema.pattern == "^[A-Z]{3}-[0-9]{4}$"
    unit = next(p for p in line.properties if p.name == "unit")
    assert unit.schema.enum == ("piece",)
    quantity = spec.schemas["Quantity"]
    assert (quantity.type, quantity.exclusive_minimum, quantity.multiple_of) == ("integer", 0, 1)


def test_same_model_as_the_openapi_parser() -> None:
    """A schema under $defs and the same schema under components/schemas are the same value,
    apart from where they are (the pointer)."""
    node = {
        "type": "object",
        "required": ["name"],
        "properties": {
            "name": {"type": "string", "minLength": 1, "maxLength": 20},
            "age": {"type": "integer", "minimum": 0, "exclusiveMaximum": 200},
            "tags": {
                "type": "array",
                "maxItems": 3,
                "uniqueItems": True,
                "items": {"type": "string"},
            },
            "born": {"type": "string", "format": "date", "readOnly": True},
            "kind": {"enum": ["cat", "dog"], "default": "cat"},
            "extra": {"additionalProperties": {"type": "number"}},
        },
    }
    from_json_schema = jsonschema.parse({"$defs": {"Pet": node}}).schemas["Pet"]
    document = minimal(openapi="3.1.0", components={"schemas": {"Pet": node}})
    from_openapi = openapi.parse(document).schemas["Pet"]

    def without_pointers(value: Any) -> Any:
        if isinstance(value, model.Schema):
            fields = {k: without_pointers(v) for k, v in vars(value).items() if k != "pointer"}
            return ("Schema", tuple(sorted(fields.items(), key=lambda kv: kv[0])))
        if isinstance(value, model.Property):
            return (value.name, value.required, without_pointers(value.schema))
        if isinstance(value, tuple):
            return tuple(without_pointers(v) for v in value)
        return value

    assert without_pointers(from_json_schema) == without_pointers(from_openapi)


def test_an_untitled_or_non_object_root_is_not_a_model() -> None:
    untitled = {"type": "object", "properties": {"a": {"type": "string"}}, "$defs": {"A": {}}}
    assert list(jsonschema.parse(untitled).schemas) == ["A"]
    string_root = {"title": "Name", "type": "string"}
    spec = jsonschema.parse(string_root)
    assert (spec.schemas, spec.title) == ({}, "Name")


def test_a_reference_to_the_root_when_it_is_no_model_is_anything() -> None:
    spec = jsonschema.parse(
        {"$defs": {"Node": {"type": "object", "properties": {"up": {"$ref": "#"}}}}}
    )
    (up,) = spec.schemas["Node"].properties
    assert (up.schema.type, up.schema.ref) == ("any", None)


def test_other_local_references_are_resolved_in_place() -> None:
    document = {
        "$defs": {
            "A": {"type": "object", "properties": {"code": {"type": "string", "maxLength": 3}}},
            "B": {"type": "object", "properties": {"code": {"$ref": "#/$defs/A/properties/code"}}},
        }
    }
    (code,) = jsonschema.parse(document).schemas["B"].properties
    assert (code.schema.type, code.schema.max_length, code.schema.ref) == ("string", 3, None)
    assert code.schema.pointer == "/$defs/B/properties/code"


def test_examples_boolean_schemas_and_tuples() -> None:
    document = {
        "$defs": {
            "T": {
                "type": "object",
                "properties": {
                    "anything": True,
                    "pair": {"type": "array", "prefixItems": [{"type": "string"}]},
                    "word": {"type": "string", "examples": ["hello", "world"]},
                },
            }
        }
    }
    props = {p.name: p.schema for p in jsonschema.parse(document).schemas["T"].properties}
    assert props["anything"] == model.Schema(pointer="/$defs/T/properties/anything")
    assert props["pair"].type == "array" and props["pair"].items == model.Schema()
    assert props["word"].example == "hello"


def test_parsing_is_independent_of_key_order_and_deterministic() -> None:
    document = order()
    reordered = dict(reversed(list(document.items())))
    first, second = jsonschema.parse(document), jsonschema.parse(reordered)
    assert first == second
    assert first.digest == openapi.digest(first.raw)


@pytest.mark.parametrize(
    ("document", "pointer", "reason"),
    [
        ([], "", "must be a mapping"),
        ({"$schema": "http://json-schema.org/draft-03/schema#"}, "/$schema", "unsupported"),
        (
            {"$defs": {"A": {"properties": {"x": {"type": "strin"}}}}},
            "/$defs/A/properties/x/type",
            "not a valid draft 2020-12 schema",
        ),
        ({"$defs": {"A": {"minLength": -1}}}, "/$defs/A/minLength", "not a valid"),
        (
            {"$schema": DRAFT_07, "definitions": {"A": {"required": "x"}}},
            "/definitions/A/required",
            "not a valid draft-07 schema",
        ),
        ({"$defs": {"A": {"$ref": "common.json#/B"}}}, "/$defs/A/$ref", "names another file"),
        ({"$defs": {"A": {"$ref": "#/$defs/Nope"}}}, "/$defs/A", "points to nothing"),
        ({"$defs": {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}}, "/$defs/A", "cycle"),
        ({"$defs": {"A": {"$dynamicRef": "#node"}}}, "/$defs/A/$dynamicRef", "no $dynamicAnchor"),
        ({"$defs": {"A": {}}, "definitions": {"A": {}}}, "/definitions/A", "both"),
        (
            {"title": "A", "type": "object", "$defs": {"A": {}}},
            "/title",
            "also the name",
        ),
    ],
    ids=[
        "not-a-mapping",
        "draft-03",
        "bad-type",
        "negative-length",
        "draft-07",
        "external-ref",
        "dangling-ref",
        "ref-cycle",
        "dynamic-ref",
        "defined-twice",
        "title-clash",
    ],
)
def test_errors_name_the_json_pointer(document: Any, pointer: str, reason: str) -> None:
    with pytest.raises(errors.SpecError) as caught:
        jsonschema.parse(document)
    assert caught.value.pointer == pointer
    assert reason in caught.value.reason


def test_the_example_manifest_parses() -> None:
    manifest = yaml.safe_load(EXAMPLE.read_text())
    spec = jsonschema.parse(manifest["spec"]["specification"]["jsonSchema"]["inline"])
    assert len(spec.schemas) >= 3
