"""A JSON Schema document with one schema per rule the models view follows (order, names,
composition, keywords the models leave permissive), shared by the unit and integration tests
of the pydantic models. Written for these tests; no third-party data."""

from __future__ import annotations

from typing import Any

LONG = "a property name far longer than any line of generated code would allow " * 2

RULES: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "Inventory",
    "description": "Everything at once. " * 20,
    "type": "object",
    "required": ["alerts", "date"],
    "properties": {
        "alerts": {"$ref": "#/$defs/Alerts"},
        "date": {"type": "string", "format": "date"},
        "Pet": {"$ref": "#/$defs/Pet"},
        "class": {"type": "string"},
        "名前": {"type": "string"},
        "名字": {"type": "integer"},
        "Name": {"type": "string"},
        "name": {"type": "integer"},
        "model_config": {"type": "boolean"},
        "labels": {"type": "object", "additionalProperties": {"type": "integer"}},
        "tree": {"$ref": "#/$defs/Tree"},
        "code": {"description": "Annotates its one member.", "allOf": [{"$ref": "#/$defs/Code"}]},
        "count": {"allOf": [{"type": "integer", "minimum": 0}, {"default": 0}]},
        LONG: {"type": "string"},
    },
    "$defs": {
        "Alerts": {"type": "array", "items": {"$ref": "#/$defs/Alert"}},
        "Alert": {
            "type": "object",
            "required": ["level"],
            "properties": {
                "level": {"$ref": "#/$defs/Level"},
                "related": {"$ref": "#/$defs/Alerts"},
                "at": {"type": ["string", "null"], "format": "date-time"},
            },
        },
        "Level": {"enum": ["low", "high", 3, None]},
        "Pet": {"type": "object", "properties": {"Pet": {"type": "string"}}},
        "Shape": {"oneOf": [{"$ref": "#/$defs/Circle"}, {"$ref": "#/$defs/Square"}]},
        "Circle": {
            "type": "object",
            "required": ["kind", "r"],
            "properties": {
                "kind": {"const": "circle"},
                "r": {"type": "number", "exclusiveMinimum": 0},
            },
        },
        "Square": {
            "type": "object",
            "required": ["kind", "side"],
            "properties": {
                "kind": {"const": "square"},
                "side": {"type": "integer", "minimum": 1},
            },
        },
        "Tree": {
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"$ref": "#/$defs/Tree"}}]
        },
        "Step": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "uses": {"type": "string"},
                "run": {"type": "string"},
                "shell": {"type": "string"},
            },
            "oneOf": [{"required": ["uses"]}, {"required": ["run"]}],
            "dependentRequired": {"shell": ["run"]},
        },
        "Ignorable": {
            "type": "object",
            "properties": {"ignore": {"type": "string"}, "from": {"type": "string"}},
            "not": {"required": ["ignore", "from"]},
        },
        "Tagged": {
            "type": "object",
            "patternProperties": {"^x-": {"type": "string"}},
            "minProperties": 1,
        },
        "Conditional": {
            "type": "object",
            "properties": {"kind": {"enum": ["a", "b"]}, "n": {"type": "integer"}},
            "if": {"properties": {"kind": {"const": "a"}}},
            "then": {"required": ["n"]},
        },
        "Maybe": {"type": ["string", "null"], "maxLength": 3},
        "Mixed": {"type": ["string", "integer"]},
        "Code": {"type": "string", "pattern": "^[A-Z]{2}-\\d{3}$"},
        "Described": {"description": "A code, described.", "allOf": [{"$ref": "#/$defs/Code"}]},
        "Counted": {"allOf": [{"$ref": "#/$defs/Date"}, {"default": 0}]},
        "Bounded": {
            "description": "Its one member inline.",
            "allOf": [{"type": "integer", "maximum": 9}],
        },
        "Lookahead": {"type": "string", "pattern": "^(?!x)[a-z]+$"},
        "Extended": {
            "$ref": "#/$defs/Alert",
            "required": ["note"],
            "properties": {"note": {"type": "string", "minLength": 2}},
        },
        "Composed": {
            "allOf": [
                {"$ref": "#/$defs/Circle"},
                {"type": "object", "properties": {"label": {"type": "string", "minLength": 2}}},
            ]
        },
        "date": {"type": "string", "maxLength": 10},
        "Date": {"type": "integer", "minimum": 0},
        "Node": {
            "type": "object",
            "properties": {
                "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
                "date": {"$ref": "#/$defs/date"},
            },
        },
    },
}
