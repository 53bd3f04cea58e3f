"""Swagger 2.0 -> OpenAPI 3.0.3: one test per conversion rule, on small documents of our own."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kodegen import errors
from kodegen.specs import openapi, swagger2


def swagger(**extra: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "swagger": "2.0",
        "info": {"title": "Pets", "version": "1"},
        "paths": {
            "/pets/{id}": {
                "get": {
                    "operationId": "getPet",
                    "parameters": [
                        {"name": "id", "in": "path", "required": True, "type": "string"}
                    ],
                    "responses": {
                        "200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"}}
                    },
                }
            }
        },
        "definitions": {
            "Pet": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "tag": {"type": "string"}},
            }
        },
    }
    document.update(extra)
    return document


def operation(document: dict[str, Any], path: str = "/pets/{id}", method: str = "get") -> Any:
    return swagger2.convert(document)["paths"][path][method]


def test_version_info_and_definitions_become_openapi_3_components() -> None:
    out = swagger2.convert(swagger())
    assert out["openapi"] == "3.0.3" and "swagger" not in out
    assert out["components"]["schemas"]["Pet"]["required"] == ["name"]
    ok = out["paths"]["/pets/{id}"]["get"]["responses"]["200"]
    assert ok["content"] == {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}}


def test_host_base_path_and_schemes_become_servers() -> None:
    out = swagger2.convert(
        swagger(host="api.example.com", basePath="/v2", schemes=["http", "https"])
    )
    assert out["servers"] == [
        {"url": "http://api.example.com/v2"},
        {"url": "https://api.example.com/v2"},
    ]
    assert swagger2.convert(swagger(basePath="/v2"))["servers"] == [{"url": "/v2"}]
    assert "servers" not in swagger2.convert(swagger())


def test_path_parameter_keywords_move_into_schema() -> None:
    (param,) = operation(swagger())["parameters"]
    assert param == {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


@pytest.mark.parametrize(
    ("given", "style"),
    [
        ("csv", {"style": "form", "explode": False}),
        ("ssv", {"style": "spaceDelimited", "explode": False}),
        ("pipes", {"style": "pipeDelimited", "explode": False}),
        ("multi", {"style": "form", "explode": True}),
        (None, {"style": "form", "explode": False}),
    ],
)
def test_collection_format_becomes_style_and_explode(
    given: str | None, style: dict[str, Any]
) -> None:
    param: dict[str, Any] = {
        "name": "tags",
        "in": "query",
        "type": "array",
        "items": {"type": "string"},
    }
    if given:
        param["collectionFormat"] = given
    document = swagger()
    document["paths"]["/pets/{id}"]["get"]["parameters"].append(param)
    converted = operation(document)["parameters"][1]
    assert {k: converted[k] for k in ("style", "explode")} == style
    assert converted["schema"] == {"type": "array", "items": {"type": "string"}}


def test_tsv_is_refused_at_its_pointer_in_the_original() -> None:
    document = swagger()
    document["paths"]["/pets/{id}"]["get"]["parameters"].append(
        {
            "name": "t",
            "in": "query",
            "type": "array",
            "items": {"type": "string"},
            "collectionFormat": "tsv",
        }
    )
    with pytest.raises(errors.SpecError) as caught:
        swagger2.convert(document)
    assert caught.value.pointer == "/paths/~1pets~1{id}/get/parameters/1/collectionFormat"
    assert "\n" not in str(caught.value)


def test_body_parameter_becomes_request_body_with_consumes() -> None:
    document = swagger(consumes=["application/json", "application/xml"])
    document["paths"]["/pets"] = {
        "post": {
            "consumes": ["application/json"],
            "parameters": [
                {
                    "name": "pet",
                    "in": "body",
                    "required": True,
                    "description": "the pet",
                    "schema": {"$ref": "#/definitions/Pet"},
                    "x-origin": "body",
                }
            ],
            "responses": {"201": {"description": "made"}},
        },
        "put": {
            "parameters": [{"name": "pet", "in": "body", "schema": {"$ref": "#/definitions/Pet"}}],
            "responses": {"200": {"description": "ok"}},
        },
    }
    post = operation(document, "/pets", "post")
    assert "parameters" not in post
    assert post["requestBody"] == {
        "description": "the pet",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Pet"}}},
        "required": True,
        "x-origin": "body",
    }
    put = operation(document, "/pets", "put")
    assert list(put["requestBody"]["content"]) == ["application/json", "application/xml"]
    assert "required" not in put["requestBody"]


def test_form_data_becomes_a_form_body_and_files_multipart_binary() -> None:
    document = swagger()
    document["paths"]["/upload"] = {
        "post": {
            "parameters": [
                {"name": "note", "in": "formData", "type": "string", "description": "a note"},
                {"name": "file", "in": "formData", "type": "file", "required": True},
            ],
            "responses": {"200": {"description": "ok"}},
        },
        "put": {
            "parameters": [{"name": "note", "in": "formData", "type": "string"}],
            "responses": {"200": {"description": "ok"}},
        },
    }
    post = operation(document, "/upload", "post")
    assert post["requestBody"] == {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "note": {"type": "string", "description": "a note"},
                        "file": {"type": "string", "format": "binary"},
                    },
                    "required": ["file"],
                }
            }
        },
        "required": True,
    }
    assert list(operation(document, "/upload", "put")["requestBody"]["content"]) == [
        "application/x-www-form-urlencoded"
    ]


def test_a_file_upload_declared_urlencoded_is_refused_with_its_pointer() -> None:
    document = swagger()
    document["paths"]["/upload"] = {
        "post": {
            "consumes": ["application/x-www-form-urlencoded"],
            "parameters": [{"name": "file", "in": "formData", "type": "file"}],
            "responses": {"200": {"description": "ok"}},
        }
    }
    with pytest.raises(errors.SpecError) as caught:
        swagger2.convert(document)
    assert caught.value.pointer == "/paths/~1upload/post/consumes"


def test_produces_sets_response_content_and_examples_follow_their_media() -> None:
    document = swagger(produces=["application/xml"])
    get = document["paths"]["/pets/{id}"]["get"]
    get["produces"] = ["application/json", "text/plain"]
    get["responses"]["200"]["examples"] = {"application/json": {"name": "Rex"}}
    get["responses"]["200"]["headers"] = {"X-Rate": {"type": "integer", "description": "left"}}
    get["responses"]["404"] = {"description": "missing"}
    ok = operation(document)["responses"]["200"]
    assert list(ok["content"]) == ["application/json", "text/plain"]
    assert ok["content"]["application/json"]["example"] == {"name": "Rex"}
    assert ok["headers"] == {"X-Rate": {"description": "left", "schema": {"type": "integer"}}}
    assert operation(document)["responses"]["404"] == {"description": "missing"}
    del get["produces"]
    assert list(operation(document)["responses"]["200"]["content"]) == ["application/xml"]


def test_file_response_becomes_binary_string() -> None:
    document = swagger()
    document["paths"]["/pets/{id}"]["get"]["responses"]["200"]["schema"] = {"type": "file"}
    ok = operation(document)["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {"type": "string", "format": "binary"}


def test_shared_parameters_responses_and_refs_move_to_components() -> None:
    document = swagger(
        parameters={
            "Limit": {"name": "limit", "in": "query", "type": "integer"},
            "Body": {"name": "pet", "in": "body", "schema": {"$ref": "#/definitions/Pet"}},
        },
        responses={"NotFound": {"description": "gone", "schema": {"$ref": "#/definitions/Pet"}}},
    )
    document["paths"]["/pets"] = {
        "parameters": [{"$ref": "#/parameters/Limit"}],
        "post": {
            "parameters": [{"$ref": "#/parameters/Body"}],
            "responses": {"404": {"$ref": "#/responses/NotFound"}},
        },
    }
    out = swagger2.convert(document)
    assert out["components"]["parameters"] == {
        "Limit": {"name": "limit", "in": "query", "schema": {"type": "integer"}}
    }
    not_found = out["components"]["responses"]["NotFound"]
    assert not_found["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Pet"
    }
    item = out["paths"]["/pets"]
    assert item["parameters"] == [{"$ref": "#/components/parameters/Limit"}]
    assert item["post"]["responses"]["404"] == {"$ref": "#/components/responses/NotFound"}
    assert item["post"]["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Pet"
    }


def test_x_nullable_discriminator_and_vendor_extensions() -> None:
    document = swagger()
    document["definitions"]["Pet"]["discriminator"] = "kind"
    document["definitions"]["Pet"]["x-go-name"] = {"$ref": "#/definitions/Pet"}
    document["definitions"]["Pet"]["properties"]["tag"]["x-nullable"] = True
    document["definitions"]["Pet"]["properties"]["kind"] = {"type": "string"}
    document["definitions"]["Pet"]["required"] = ["name", "kind"]
    pet = swagger2.convert(document)["components"]["schemas"]["Pet"]
    assert pet["discriminator"] == {"propertyName": "kind"}
    assert pet["x-go-name"] == {"$ref": "#/definitions/Pet"}
    assert pet["properties"]["tag"] == {"type": "string", "nullable": True}


def test_security_definitions_become_security_schemes() -> None:
    document = swagger(
        securityDefinitions={
            "basic": {"type": "basic", "description": "user and password"},
            "key": {"type": "apiKey", "name": "X-Key", "in": "header"},
            "oauth": {
                "type": "oauth2",
                "flow": "accessCode",
                "authorizationUrl": "https://a.example/auth",
                "tokenUrl": "https://a.example/token",
                "scopes": {"read": "read"},
            },
            "app": {
                "type": "oauth2",
                "flow": "application",
                "tokenUrl": "https://a.example/t",
                "scopes": {},
            },
        }
    )
    schemes = swagger2.convert(document)["components"]["securitySchemes"]
    assert schemes["basic"] == {
        "type": "http",
        "scheme": "basic",
        "description": "user and password",
    }
    assert schemes["key"] == {"type": "apiKey", "name": "X-Key", "in": "header"}
    assert schemes["oauth"]["flows"] == {
        "authorizationCode": {
            "authorizationUrl": "https://a.example/auth",
            "tokenUrl": "https://a.example/token",
            "scopes": {"read": "read"},
        }
    }
    assert list(schemes["app"]["flows"]) == ["clientCredentials"]


def test_converted_document_validates_and_parses() -> None:
    document = swagger(host="pets.example", basePath="/api")
    document["paths"]["/pets"] = {
        "post": {
            "operationId": "addPet",
            "parameters": [
                {
                    "name": "pet",
                    "in": "body",
                    "required": True,
                    "schema": {"$ref": "#/definitions/Pet"},
                }
            ],
            "responses": {"201": {"description": "made", "schema": {"$ref": "#/definitions/Pet"}}},
        }
    }
    spec = openapi.parse(document)
    assert sorted(op.operation_id for op in spec.operations) == ["addPet", "getPet"]
    assert spec.operation("addPet").body is not None


def test_same_input_gives_byte_identical_output() -> None:
    document = swagger(
        host="h", securityDefinitions={"k": {"type": "apiKey", "name": "k", "in": "query"}}
    )
    first = json.dumps(swagger2.convert(copy.deepcopy(document)))
    assert first == json.dumps(swagger2.convert(copy.deepcopy(document)))


@pytest.mark.parametrize(
    ("mutate", "pointer", "says"),
    [
        (lambda d: d.update(swagger="1.2"), "/swagger", "expected '2.0'"),
        (
            lambda d: d["paths"]["/pets/{id}"]["get"].pop("responses"),
            "/paths/~1pets~1{id}/get",
            "responses",
        ),
        (lambda d: d["definitions"].update(Bad={"type": "jsonb"}), "/definitions/Bad/type", ""),
    ],
    ids=["version", "no-responses", "bad-type"],
)
def test_invalid_swagger_is_refused_on_one_line_at_the_original_pointer(
    mutate: Any, pointer: str, says: str
) -> None:
    document = swagger()
    mutate(document)
    with pytest.raises(errors.SpecError) as caught:
        openapi.parse(document)
    assert caught.value.pointer == pointer and says in caught.value.reason
    assert "\n" not in str(caught.value) and "{'" not in str(caught.value)


@pytest.mark.parametrize(
    ("converted", "original"),
    [
        ("/components/schemas/Pet/properties/tag", "/definitions/Pet/properties/tag"),
        ("/components/parameters/Limit", "/parameters/Limit"),
        ("/components/securitySchemes/k", "/securityDefinitions/k"),
        (
            "/paths/~1p/get/responses/200/content/application~1json/schema/items",
            "/paths/~1p/get/responses/200/schema/items",
        ),
        ("/paths/~1p/post/requestBody/content/application~1json/schema", "/paths/~1p/post"),
        ("/paths/~1p/post/parameters/1", "/paths/~1p/post"),
        ("/info/version", "/info/version"),
    ],
)
def test_pointers_into_the_conversion_map_back_to_the_original(
    converted: str, original: str
) -> None:
    assert swagger2.original(converted) == original


def test_a_refusal_after_conversion_names_the_original_pointer() -> None:
    document = swagger()
    document["definitions"]["Pet"]["properties"]["tag"] = {"$ref": "other.yaml#/Tag"}
    with pytest.raises(errors.SpecError) as caught:
        openapi.parse(document)
    assert caught.value.pointer == "/definitions/Pet/properties/tag/$ref"


def test_an_undeclared_path_parameter_is_declared_a_required_string() -> None:
    document = swagger()
    document["paths"]["/pets/{id}"]["get"]["parameters"] = []
    spec = openapi.parse(document)
    (parameter,) = spec.operations[0].parameters
    assert (parameter.name, parameter.location, parameter.required) == ("id", "path", True)
    assert parameter.schema.type == "string"
    assert [(r.pointer, r.message) for r in spec.repairs] == [
        (
            "/paths/~1pets~1{id}/get",
            "{id} in the path has no parameter: declared as a required string",
        )
    ]


def test_open_api_3_schema_words_are_kept_checked_and_reported() -> None:
    document = swagger()
    document["definitions"]["Pet"]["properties"]["tag"] = {
        "oneOf": [{"type": "string"}, {"type": "integer"}]
    }
    document["definitions"]["Pet"]["properties"]["secret"] = {"type": "string", "writeOnly": True}
    document["definitions"]["Empty"] = {"type": "object", "required": []}
    spec = openapi.parse(document)
    tag = {p.name: p.schema for p in spec.schemas["Pet"].properties}["tag"]
    assert [s.type for s in tag.one_of] == ["string", "integer"]
    assert [(r.pointer, r.message.split(":")[0]) for r in spec.repairs] == [
        ("/definitions/Pet/properties/secret", "`writeOnly`"),
        ("/definitions/Pet/properties/tag", "`oneOf`"),
    ]


def test_an_open_api_3_word_that_is_wrong_as_open_api_3_is_still_refused() -> None:
    document = swagger()
    document["definitions"]["Pet"]["properties"]["tag"] = {"oneOf": {"type": "string"}}
    with pytest.raises(errors.SpecError) as caught:
        openapi.parse(document)
    assert caught.value.pointer.startswith("/definitions/Pet/properties/tag")
