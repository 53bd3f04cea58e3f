from __future__ import annotations

import copy
from typing import Any

import pytest

from kodegen import errors
from kodegen.specs import model, openapi, schemas

from .conftest import load, minimal


def test_every_shared_spec_parses(shared_spec: dict[str, Any]) -> None:
    spec = openapi.parse(shared_spec)
    assert spec.operations
    assert spec.digest.startswith("sha256:") and len(spec.digest) == 71
    assert len({op.operation_id for op in spec.operations}) == len(spec.operations)


def test_digest_is_stable_and_order_insensitive() -> None:
    document = load("petstore.yaml")
    reordered = dict(reversed(list(copy.deepcopy(document).items())))
    assert openapi.parse(document).digest == openapi.parse(reordered).digest
    document["info"]["version"] = "2"
    assert openapi.parse(document).digest != openapi.parse(reordered).digest


def test_petstore_operations_parameters_and_responses() -> None:
    spec = openapi.parse(load("petstore.yaml"))
    list_pets = spec.operation("listPets")
    (limit,) = list_pets.parameters
    assert (limit.name, limit.location, limit.required) == ("limit", "query", False)
    assert (limit.schema.type, limit.schema.maximum, limit.schema.format) == (
        "integer",
        100,
        "int32",
    )
    assert [r.status for r in list_pets.responses] == ["200", "default"]
    assert list_pets.responses[0].schema == model.Schema(
        ref="Pets", pointer="/paths/~1pets/get/responses/200/content/application~1json/schema"
    )
    assert list_pets.responses[0].headers[0].name == "x-next"
    create = spec.operation("createPets")
    assert create.body is not None and create.body.required and create.body.schema.ref == "Pet"
    assert create.responses[0].media_type is None
    pet = spec.schemas["Pet"]
    assert pet.required == ("id", "name")
    assert [(p.name, p.required) for p in pet.properties] == [
        ("id", True),
        ("name", True),
        ("tag", False),
    ]


def test_shared_parameters_refs_and_ignored_headers() -> None:
    spec = openapi.parse(load("stoplight-todos.yaml"))
    get = spec.operation("get-todos-id")
    assert [(p.name, p.location) for p in get.parameters] == [("id", "path")]
    listing = spec.operation("get-todos")
    assert [p.name for p in listing.parameters] == ["limit"]  # Content-Type is ignored by OpenAPI
    not_found = next(r for r in listing.responses if r.status == "404")
    assert not_found.schema is not None and not_found.schema.required == ("status", "error")
    assert spec.operation("post-todos").responses[0].media_type == "multipart/form-data"
    assert spec.operation("get-todos").security == ()
    assert spec.operation("post-todos").security is None


def test_examples_are_taken_from_media_and_components() -> None:
    spec = openapi.parse(load("stoplight-todos.yaml"))
    response = spec.operation("get-todos-id").responses[0]
    assert response.example["name"] == "string"
    versions = openapi.parse(load("api-with-examples.yaml")).operation("listVersionsv2")
    assert versions.responses[0].schema is None
    assert versions.responses[0].example["versions"][0]["id"] == "v2.0"


def test_missing_operation_ids_are_derived_and_callbacks_named() -> None:
    spec = openapi.parse(load("callback-example.yaml"))
    (op,) = spec.operations
    assert op.operation_id == "postStreams"
    assert op.callbacks == ("onData",)


def test_openapi_31_types_const_examples_and_exclusive_bounds() -> None:
    document = minimal(openapi="3.1.0")
    document["components"] = {
        "schemas": {
            "Thing": {
                "type": "object",
                "properties": {
                    "name": {"type": ["string", "null"], "examples": ["a"]},
                    "kind": {"const": "thing"},
                    "size": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10},
                },
            }
        }
    }
    thing = openapi.parse(document).schemas["Thing"]
    kind, name, size = thing.properties  # canonical (sorted) order, whatever the author wrote
    assert (name.schema.type, name.schema.nullable, name.schema.example) == ("string", True, "a")
    assert kind.schema.enum == ("thing",)
    assert (size.schema.exclusive_minimum, size.schema.exclusive_maximum) == (0, 10)


def test_openapi_30_boolean_exclusive_bounds() -> None:
    document = minimal()
    document["components"] = {
        "schemas": {"N": {"type": "number", "minimum": 1, "exclusiveMinimum": True, "maximum": 5}}
    }
    n = openapi.parse(document).schemas["N"]
    assert (n.minimum, n.exclusive_minimum, n.maximum, n.exclusive_maximum) == (None, 1, 5, None)


def test_recursive_and_nested_schemas_stay_finite() -> None:
    document = minimal()
    document["components"] = {
        "schemas": {
            "Node": {
                "type": "object",
                "required": ["value"],
                "properties": {
                    "value": {"type": "string"},
                    "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                    "parent": {"$ref": "#/components/schemas/Node"},
                    "meta": {
                        "type": "object",
                        "properties": {"deep": {"allOf": [{"$ref": "#/components/schemas/Alias"}]}},
                    },
                },
            },
            "Alias": {"$ref": "#/components/schemas/Node"},
        }
    }
    spec = openapi.parse(document)
    node = spec.schemas["Node"]
    by_name = {p.name: p.schema for p in node.properties}
    children = by_name["children"]
    assert children.items is not None and children.items.ref == "Node"
    assert schemas.resolve(spec.schemas["Alias"], spec.schemas) is node
    flat = schemas.flatten(by_name["meta"].properties[0].schema, spec.schemas)
    assert [p.name for p in flat.properties] == ["children", "meta", "parent", "value"]


def test_component_names_with_pointer_characters_resolve() -> None:
    # RFC 6901 escapes (~1 for '/', ~0 for '~') and percent-encoding in the URI fragment
    document = minimal()
    document["components"] = {
        "schemas": {
            "a/b": {"type": "object", "properties": {"x": {"$ref": "#/components/schemas/c~0d"}}},
            "c~d": {"type": "string"},
            "e f": {"$ref": "#/components/schemas/a~1b"},
            "g": {"$ref": "#/components/schemas/e%20f"},
        }
    }
    spec = openapi.parse(document)
    assert spec.schemas["a/b"].properties[0].schema.ref == "c~d"
    assert spec.schemas["e f"].ref == "a/b"
    assert schemas.resolve(spec.schemas["g"], spec.schemas) is spec.schemas["a/b"]


def test_all_of_is_merged() -> None:
    spec = openapi.parse(load("petstore-expanded.yaml"))
    pet = schemas.flatten(spec.schemas["Pet"], spec.schemas)
    assert [p.name for p in pet.properties] == ["name", "tag", "id"]
    assert set(pet.required) == {"name", "id"}


def test_form_bodies_and_parameter_defaults() -> None:
    spec = openapi.parse(load("uspto.yaml"))
    search = spec.operation("perform-search")
    assert search.body is not None and search.body.media_type == "application/x-www-form-urlencoded"
    assert search.parameters[0].schema.default == "v1"


@pytest.mark.parametrize(
    ("mutate", "pointer", "reason"),
    [
        (lambda d: d.pop("info"), "", "is a required property"),
        (lambda d: d.update(openapi="2.0"), "/openapi", "unsupported or missing version"),
        (
            lambda d: (d.pop("openapi"), d.update(swagger="1.2")),
            "/swagger",
            "unsupported swagger version",
        ),
        (
            lambda d: d["paths"]["/pets"]["get"]["responses"]["200"]["content"][
                "application/json"
            ].update(schema={"$ref": "#/components/schemas/Nope"}),
            "/paths/~1pets/get/responses/200/content/application~1json/schema",
            "points to nothing",
        ),
        (
            lambda d: d["paths"]["/pets"]["get"].update(parameters=[{"$ref": "other.yaml#/p"}]),
            "/paths/~1pets/get/parameters/0",
            "names another file",
        ),
        (
            lambda d: d["components"]["schemas"].update(
                A={"$ref": "#/components/schemas/B"}, B={"$ref": "#/components/schemas/A"}
            ),
            "/components/schemas/A",
            "$ref cycle",
        ),
        (
            lambda d: d["paths"]["/pets"]["get"]["parameters"][0].update({"in": "body"}),
            "/paths/~1pets/get/parameters/0",
            "",
        ),
        (
            lambda d: d["paths"]["/pets"]["get"].update(responses={"200": {}}),
            "/paths/~1pets/get/responses/200",
            "",
        ),
    ],
    ids=[
        "no-info",
        "old-version",
        "swagger",
        "dangling-ref",
        "external-ref",
        "ref-cycle",
        "bad-in",
        "no-description",
    ],
)
def test_invalid_documents_name_the_pointer(mutate: Any, pointer: str, reason: str) -> None:
    document = load("petstore.yaml")
    mutate(document)
    with pytest.raises(errors.SpecError) as caught:
        openapi.parse(document)
    assert caught.value.pointer.startswith(pointer)
    assert reason in caught.value.reason
    assert "\n" not in str(caught.value)
    assert str(caught.value).startswith(f"specification at {caught.value.pointer or '#'}")


def test_a_non_mapping_is_rejected() -> None:
    with pytest.raises(errors.SpecError, match="must be a mapping"):
        openapi.parse(["not", "a", "mapping"])  # type: ignore[arg-type]


def test_a_required_name_no_property_declares_is_a_property_of_any_type() -> None:
    spec = openapi.parse(
        minimal(
            components={
                "schemas": {
                    "File": {"type": "object", "required": ["id", "Name"],
                             "properties": {"Id": {"type": "string"}, "Name": {"type": "string"}}},
                    "Closed": {"type": "object", "required": ["id"], "additionalProperties": False,
                               "properties": {"Id": {"type": "string"}}},
                    "Part": {"required": ["Name"], "properties": {"Id": {"type": "string"}},
                             "allOf": [{"$ref": "#/components/schemas/File"}]},
                }
            }
        )
    )  # fmt: skip
    found = {p.name: (p.schema.type, p.required) for p in spec.schemas["File"].properties}
    assert found == {"Id": ("string", False), "Name": ("string", True), "id": ("any", True)}
    assert [p.name for p in spec.schemas["Closed"].properties] == ["Id"]
    assert [p.name for p in spec.schemas["Part"].properties] == ["Id"]
