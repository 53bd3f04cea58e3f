from __future__ import annotations

from typing import Any

import openapi_schema_validator
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kodegen.specs import conformance, model, openapi, samples

from .conftest import load, minimal


def conforms(document: dict[str, Any], schema: dict[str, Any], value: Any) -> None:
    root = {**schema, "components": document.get("components", {})}
    openapi_schema_validator.validate(value, root, cls=openapi_schema_validator.OAS30Validator)


def test_every_component_and_response_sample_conforms(shared_spec: dict[str, Any]) -> None:
    spec = openapi.parse(shared_spec)
    for name, schema in spec.schemas.items():
        conforms(
            shared_spec,
            {"$ref": f"#/components/schemas/{name}"},
            samples.sample(schema, spec.schemas),
        )
    for op in spec.operations:
        for response in op.responses:
            if response.schema is not None:
                value = samples.sample(response.schema, spec.schemas)
                node = shared_spec["paths"][op.path][op.method]["responses"][response.status]
                if "$ref" in node:
                    node = shared_spec["components"]["responses"][node["$ref"].rsplit("/", 1)[1]]
                conforms(shared_spec, node["content"][response.media_type]["schema"], value)


def test_read_only_fields_are_left_out_when_writing() -> None:
    spec = openapi.parse(load("stoplight-todos.yaml"))
    written = samples.sample(spec.schemas["Todos"], spec.schemas, writing=True)
    assert set(written) == {"name", "completed"}
    assert written["completed"] is False  # the schema's default


def test_hints_name_error_fields() -> None:
    spec = openapi.parse(load("petstore.yaml"))
    value = samples.sample(
        spec.schemas["Error"], spec.schemas, hints={"code": 404, "message": "not found"}
    )
    assert value == {"code": 404, "message": "not found"}


def test_secret_named_fields_get_placeholders() -> None:
    document = minimal(
        components={
            "schemas": {"C": {"type": "object", "properties": {"apiKey": {"type": "string"}}}}
        }
    )
    spec = openapi.parse(document)
    assert samples.sample(spec.schemas["C"], spec.schemas) == {"apiKey": "<apiKey>"}


def test_recursion_ends() -> None:
    document = minimal(
        components={
            "schemas": {
                "Node": {
                    "type": "object",
                    "required": ["children"],
                    "properties": {
                        "children": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Node"},
                        },
                        "next": {"$ref": "#/components/schemas/Node"},
                    },
                }
            }
        }
    )
    spec = openapi.parse(document)
    value = samples.sample(spec.schemas["Node"], spec.schemas)
    conforms(document, {"$ref": "#/components/schemas/Node"}, value)


numbers = st.one_of(st.none(), st.integers(-1000, 1000))
strings = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("string")},
        optional={
            "minLength": st.integers(0, 40),
            "format": st.sampled_from(["date-time", "date", "uuid", "email", "uri", "whatever"]),
        },
    ),
    st.fixed_dictionaries(
        {
            "type": st.just("string"),
            "enum": st.lists(st.text(min_size=1, max_size=5), min_size=1, max_size=3, unique=True),
        }
    ),
)


@st.composite
def number_schemas(draw: st.DrawFn) -> dict[str, Any]:
    low, high = draw(numbers), draw(numbers)
    schema: dict[str, Any] = {"type": draw(st.sampled_from(["integer", "number"]))}
    if low is not None:
        schema["minimum"] = low
    if high is not None and (low is None or high >= low + 2):
        schema["maximum"] = high
        schema["exclusiveMaximum"] = draw(st.booleans())
    return schema


schemas_strategy = st.recursive(
    st.one_of(strings, number_schemas(), st.just({"type": "boolean"})),
    lambda inner: st.one_of(
        st.fixed_dictionaries(
            {"type": st.just("array"), "items": inner}, optional={"minItems": st.integers(0, 3)}
        ),
        st.builds(
            lambda props, nullable: {
                "type": "object",
                "properties": props,
                "nullable": nullable,
                **({"required": sorted(props)[:1]} if props else {}),
            },
            st.dictionaries(st.from_regex(r"[a-z]{1,6}", fullmatch=True), inner, max_size=4),
            st.booleans(),
        ),
    ),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(schemas_strategy)
def test_samples_conform_to_random_schemas(schema: dict[str, Any]) -> None:
    document = minimal(components={"schemas": {"S": schema}})
    spec = openapi.parse(document)
    conforms(
        document,
        {"$ref": "#/components/schemas/S"},
        samples.sample(spec.schemas["S"], spec.schemas),
    )


def test_missing_is_distinct_from_none() -> None:
    assert samples.sample(model.Schema(type="null"), {}) is None
    assert repr(model.MISSING) == "MISSING"


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer", "minimum": 5, "maximum": 9}, 5),
        ({"type": "integer", "maximum": -3}, -3),
        ({"type": "number", "exclusiveMinimum": True, "minimum": 1}, 2),
        ({"type": "integer", "minimum": 3, "multipleOf": 4}, 4),
        ({"type": "string", "minLength": 8, "maxLength": 9}, "stringxx"),
        ({"type": "string", "maxLength": 3}, "str"),
        ({"type": "string", "format": "uuid"}, "00000000-0000-4000-8000-000000000000"),
        (
            {"type": "array", "items": {"type": "integer"}, "minItems": 2, "uniqueItems": True},
            [1, 2],
        ),
        ({"type": "array", "items": {"type": "string"}, "maxItems": 0}, []),
        ({"type": "string", "enum": [None, "b"], "nullable": True}, "b"),
        ({"type": "string", "default": "d"}, "d"),
        ({"oneOf": [{"type": "boolean"}, {"type": "string"}]}, True),
        ({"type": "string", "pattern": "^ord_[0-9a-z]{3}$"}, "ord_000"),
        # every class at its first member reads as a Twilio key to the secrets gate: the last
        ({"type": "string", "pattern": "^AC[0-9a-fA-F]{32}$"}, "AC" + "F" * 32),
    ],
)
def test_constraints(schema: dict[str, Any], expected: Any) -> None:
    spec = openapi.parse(minimal(components={"schemas": {"S": schema}}))
    assert samples.sample(spec.schemas["S"], spec.schemas) == expected


def test_a_one_of_sample_is_one_only_one_member_accepts() -> None:
    only = {"type": "object", "additionalProperties": False}
    schema = {
        "oneOf": [
            {**only, "properties": {"a": {"type": "string"}}},
            {**only, "properties": {"a": {"type": "string"}, "d": {"type": "string"}}},
        ]
    }
    spec = openapi.parse(minimal(components={"schemas": {"S": schema}}))
    # the first member's sample {"a": ...} is accepted by both members: oneOf refuses it
    assert samples.sample(spec.schemas["S"], spec.schemas) == {"a": "string", "d": "string"}


def test_overlapping_one_of_members_are_told_apart_by_a_field_the_others_type() -> None:
    """Every member is an open object over the same base: each sample is accepted by all of
    them. The first member's gets, for each other member, a field that member types and the
    first leaves open, of another type: then it is the first member's alone."""
    base = {"type": "object", "properties": {"name": {"type": "string"}}}
    schema = {
        "oneOf": [
            {"allOf": [{"$ref": "#/components/schemas/Base"}]},
            {"allOf": [{"$ref": "#/components/schemas/Base"},
                       {"properties": {"children": {"type": "array", "items": {}}}}]},
            {"allOf": [{"$ref": "#/components/schemas/Base"},
                       {"properties": {"meta": {"type": "object"}, "size": {"type": "integer"}}}]},
        ]
    }  # fmt: skip
    spec = openapi.parse(minimal(components={"schemas": {"S": schema, "Base": base}}))
    value = samples.sample(spec.schemas["S"], spec.schemas)
    assert value == {"name": "string", "children": "x", "meta": "x"}
    assert conformance.problem(value, spec.schemas["S"], spec.schemas) is None


def test_one_of_members_no_field_tells_apart_keep_the_first_sample() -> None:
    closed = {"type": "object", "additionalProperties": False}
    schema = {"oneOf": [{**closed, "properties": {"a": {"type": "string"}}}] * 2}
    spec = openapi.parse(minimal(components={"schemas": {"S": schema}}))
    assert samples.sample(spec.schemas["S"], spec.schemas) == {"a": "string"}


def test_an_any_of_beside_own_properties_keeps_both() -> None:
    """Iceberg's `ReportMetricsRequest`: a report of either kind, and its own required
    `report-type`; a sample of the member alone misses the field the object requires."""
    scan = {"type": "object", "required": ["table"], "properties": {"table": {"type": "string"}}}
    commit = {"type": "object", "required": ["op"], "properties": {"op": {"type": "integer"}}}
    schema = {
        "anyOf": [{"$ref": "#/components/schemas/Scan"}, {"$ref": "#/components/schemas/Commit"}],
        "properties": {"report-type": {"type": "string"}},
        "required": ["report-type"],
    }
    components = {"S": schema, "Scan": scan, "Commit": commit}
    spec = openapi.parse(minimal(components={"schemas": components}))
    value = samples.sample(spec.schemas["S"], spec.schemas)
    assert value == {"table": "string", "report-type": "string"}
    assert conformance.problem(value, spec.schemas["S"], spec.schemas) is None
    as_one_of = {**{k: v for k, v in schema.items() if k != "anyOf"}, "oneOf": schema["anyOf"]}
    one = openapi.parse(minimal(components={"schemas": {**components, "S": as_one_of}}))
    assert samples.sample(one.schemas["S"], one.schemas) == value


def test_an_example_two_one_of_members_accept_is_refused() -> None:
    spec = openapi.parse(
        minimal(
            components={
                "schemas": {
                    "S": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
                    "T": {"anyOf": [{"type": "integer"}, {"type": "number"}]},
                }
            }
        )
    )
    assert conformance.problem(1, spec.schemas["S"], spec.schemas) is not None
    assert conformance.problem(1.5, spec.schemas["S"], spec.schemas) is None
    assert conformance.problem(1, spec.schemas["T"], spec.schemas) is None


def test_an_optional_property_whose_one_of_no_value_satisfies_is_left_out() -> None:
    open_objects = {  # (the second requires `a`: no repair reads this oneOf as anyOf)
        "oneOf": [
            {"type": "object", "properties": {"a": {"type": "string"}}},
            {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
        ]
    }
    schema = {
        "type": "object",
        "required": ["must"],
        "properties": {
            "context": open_objects,
            "must": open_objects,
            "kind": {"oneOf": [{"type": "integer"}, {"type": "string"}]},
        },
    }
    spec = openapi.parse(minimal(components={"schemas": {"S": schema}}))
    # {"a": "string"} is accepted by both members; a required property keeps it all the same
    assert samples.sample(spec.schemas["S"], spec.schemas) == {"must": {"a": "string"}, "kind": 1}


def test_a_choice_inside_all_of_is_kept_in_the_sample() -> None:
    change = {
        "allOf": [
            {"oneOf": [{"type": "object", "required": ["remove"],
                        "properties": {"remove": {"type": "boolean"}}},
                       {"type": "object", "required": ["zone"],
                        "properties": {"zone": {"type": "string"}}}]},
            {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
        ]
    }  # fmt: skip
    spec = openapi.parse(minimal(components={"schemas": {"Change": change}}))
    value = samples.sample(spec.schemas["Change"], spec.schemas)
    assert value == {"remove": True, "id": "string"}
    assert conformance.conforms(value, spec.schemas["Change"], spec.schemas)


def test_an_object_whose_one_of_only_lists_required_fields_meets_exactly_one() -> None:
    envelope = {
        "type": "object",
        "properties": {"content": {"type": "string"}, "hash": {"type": "string"},
                       "signatures": {"type": "array", "items": {"type": "string"}}},
        "oneOf": [{"required": ["content"]}, {"required": ["signatures", "hash"]}],
    }  # fmt: skip
    spec = openapi.parse(minimal(components={"schemas": {"Envelope": envelope}}))
    value = samples.sample(spec.schemas["Envelope"], spec.schemas)
    assert value == {"content": "string"}
    assert conformance.conforms(value, spec.schemas["Envelope"], spec.schemas)
