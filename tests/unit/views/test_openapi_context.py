from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from tests import shared_specs

from kodegen import errors
from kodegen.specs import openapi
from kodegen.templates import registry
from kodegen.views import plan
from kodegen.views.openapi import context, routes

CRUD = Path(__file__).resolve().parents[2] / "specs" / "crud"


def build(name: str, **kwargs: Any) -> plan.Plan:
    spec = openapi.parse(yaml.safe_load(shared_specs.path(name).read_text()))
    template = registry.resolve("python-fastapi-service", "^1.0")
    return context.build(spec, template, {"packageName": "svc", "port": 8000}, **kwargs)


def operation(result: plan.Plan, operation_id: str) -> dict[str, Any]:
    return next(op for op in result.context["operations"] if op["id"] == operation_id)


def test_entrypoints_are_expanded_with_the_variables() -> None:
    entry = build("petstore.yaml").entrypoints
    assert (entry.package, entry.app, entry.openapi) == ("svc", "svc.main:app", "svc/openapi.json")


def test_crud_operations_and_their_answers() -> None:
    result = build("petstore.yaml")
    assert result.not_implemented == ()
    show = operation(result, "showPetById")
    assert (show["semantics"], show["func"], show["path"], show["key_param"]) == (
        "get", "show_pet_by_id", "/pets/{pet_id}", "pet_id",
    )  # fmt: skip
    assert show["not_found"] == (404, "application/json", {"code": 404, "message": "not found"})
    assert show["invalid"] == (422, "application/json", {"code": 422, "message": "invalid request"})
    create = operation(result, "createPets")
    assert (create["status"], create["media_type"], create["semantics"]) == (201, None, "create")
    listing = operation(result, "listPets")
    assert listing["paging"] == {"limit": "limit"}
    assert listing["params"][0]["call"] == 'Query(alias="limit", le=100)'
    (pets,) = result.context["resources"]
    assert pets["key"] == "id" and pets["max_items"] == 100 and pets["owned"] == []
    assert result.context["api"]["base_path"] == "/v1"


def test_server_owned_fields_are_generated() -> None:
    result = build("stoplight-todos.yaml")
    todos, users = result.context["resources"]
    assert todos["owned"] == ["completed_at", "created_at", "id", "updated_at"]
    assert todos["generate"] == {
        "id": "store.sequence(0, 9999)",
        "completed_at": "store.timestamp",
        "created_at": "store.timestamp",
        "updated_at": "store.timestamp",
    }
    # POST /users has an optional body, yet answers a whole User: defaults fill the rest
    assert set(users["defaults"]) == {"firstName", "lastName", "phoneNumber", "emailAddress"}


def test_security_requirements_and_credentials_in_test_requests() -> None:
    result = build("stoplight-todos.yaml")
    assert operation(result, "get-todos")["security"] == []
    post = operation(result, "post-todos")
    assert post["security"] == [[{"scheme": "API Key", "in": "query", "name": "apikey"}]]
    assert post["test"]["query"] == {"apikey": routes.CREDENTIAL}
    assert post["unauthorized"][0] == 403


def test_operations_without_crud_semantics_are_reported() -> None:
    result = build("callback-example.yaml")
    assert [(m.operation_id, m.method) for m in result.not_implemented] == [
        ("postStreams", "post"),
        ("postStreams.onData", "callback"),
    ]
    stream = operation(result, "postStreams")
    assert stream["sample"] == {"subscriptionId": "2531329f-fb09-4ef7-887e-84e648214436"}
    link = build("link-example.yaml")
    assert {m.operation_id: m.reason for m in link.not_implemented} == {
        "getRepositoriesByOwner": "GET /2.0/repositories/{username} answers a list of objects "
        "with no declared properties to store",
        "getRepository": "GET /2.0/repositories/{username}/{slug} reads one object by id, but "
        "its item schema has no property matching the id, or no list or create holds such objects",
        "mergePullRequest": "POST /2.0/repositories/{username}/{slug}/pullrequests/{pid}/merge: "
        "an action on a stored pullrequest whose name ('merge') matches no enum value or boolean "
        "field of it, so there is no field to set",
    }
    # seeded stores' item GETs document no miss: served, their 404 a spec gap
    assert {("getPullRequestsById", 404), ("getUserByName", 404)} <= {
        (gap.operation_id, gap.status) for gap in link.spec_gaps if gap.case == "not_found"
    }


def test_examples_answer_unimplemented_operations() -> None:
    versions = operation(build("api-with-examples.yaml"), "listVersionsv2")
    assert versions["sample"]["versions"][0]["id"] == "v2.0"
    assert versions["responses"] == ["200", "300"]


def test_a_subset_of_operations() -> None:
    result = build("petstore.yaml", operations=["showPetById"])
    assert [op["id"] for op in result.context["operations"]] == ["showPetById"]
    with pytest.raises(
        errors.ManifestError, match="unknown operation 'nope'; the specification has listPets"
    ):
        build("petstore.yaml", operations=["nope"])


def test_models_and_imports() -> None:
    result = build("stoplight-todos.yaml")
    todo = next(m for m in result.context["models"] if m["name"] == "Todos")
    fields = {f["alias"]: f for f in todo["fields"]}
    assert fields["id"]["type"] == "float"  # read-only: the server fills it
    assert fields["id"]["default"] == "None"  # so a body may leave it out (but not send null)
    assert fields["name"]["constraints"] == "min_length=1, max_length=100"
    assert fields["completed"]["default"] == "False"
    assert fields["created_at"]["type"] == "datetime"
    assert "from datetime import datetime" in result.context["model_import_lines"]
    assert result.context["route_models"] == ["Todos", "User"]


def crud_resource(name: str) -> dict[str, Any]:
    spec = openapi.parse(yaml.safe_load((CRUD / name).read_text()))
    (resource,) = spec.resources
    return routes.resource(spec, resource)


def test_a_required_field_the_create_body_may_omit_has_a_default() -> None:
    """NewSubscriber's `description` is optional, Subscriber's required: an item created
    without it would be answered without it."""
    subscribers = crud_resource("subscribers.yaml")
    assert subscribers["defaults"]["description"] == "string"
    assert "name" not in subscribers["defaults"], "required in the body: always written"


def test_a_field_written_in_another_shape_than_it_is_read_is_the_servers() -> None:
    """NewSubscriber writes `lists` as ids, Subscriber reads List objects: a client's ids kept
    as they are would be answered where objects are declared."""
    subscribers = crud_resource("subscribers.yaml")
    assert subscribers["owned"] == ["deliveries", "id", "lists"]
    assert subscribers["generate"]["lists"] == 'store.constant([{"id": 1, "name": "string"}])'


def test_a_generated_array_is_a_sample_of_its_schema_not_text() -> None:
    subscribers = crud_resource("subscribers.yaml")
    assert subscribers["generate"]["deliveries"] == (
        'store.constant([{"at": "2024-01-01T00:00:00Z"}])'
    )


def test_an_item_action_that_documents_no_miss_reports_its_404_as_a_spec_gap() -> None:
    """`PUT /templates/{id}/default` answers 200 only, yet an unknown id is not found: the 404
    is a spec gap the contract gate is told about, as for a get, and so is a HEAD's."""
    item = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "integer", "readOnly": True}, "default": {"type": "boolean"}},
    }
    answer = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/T"}}}}
    ok = {"200": {"description": "the template", **answer}}
    document = {
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {
            "/templates": {"post": {"operationId": "create", "responses": ok, "requestBody": {
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/T"}}}}}},
            "/templates/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}],
                "head": {"operationId": "exists", "responses": {"200": {"description": "yes"}}},
            },
            "/templates/{id}/default": {"put": {
                "operationId": "setDefault", "responses": ok,
                "parameters": [{"name": "id", "in": "path", "required": True,
                                "schema": {"type": "integer"}}]}},
        },
        "components": {"schemas": {"T": item}},
    }  # fmt: skip
    template = registry.resolve("python-fastapi-service", "^1.0")
    result = context.build(openapi.parse(document), template, {"packageName": "svc"})
    action, head = operation(result, "setDefault"), operation(result, "exists")
    assert (action["semantics"], head["semantics"]) == ("action", "exists")
    assert {"case": "not_found", "status": 404} in action["gaps"]
    assert {"case": "not_found", "status": 404} in head["gaps"]


def test_words_in_enum_values_import_nothing() -> None:
    document = yaml.safe_load((CRUD / "parameters.yaml").read_text())
    document["components"]["schemas"]["OrderDirection"]["enum"] = ["after-date", "Any UUID"]
    spec = openapi.parse(document)
    template = registry.resolve("python-fastapi-service", "^1.0")
    result = context.build(spec, template, {"packageName": "svc", "port": 8000})
    assert result.context["model_import_lines"] == [
        "from typing import Literal",
        "",
        "from pydantic import BaseModel, ConfigDict, Field, RootModel",
    ]
    assert "date" not in result.context["model_imports"]


SEQ = "store.text_sequence"


@pytest.mark.parametrize(
    ("schema", "generator"),
    [
        ({"type": "string"}, f"{SEQ}()"),
        ({"type": "string", "pattern": "^ord_[0-9a-z]{6}$"}, f'{SEQ}("ord_000000", append=False)'),
        ({"type": "string", "format": "uri"}, f'{SEQ}("https://example.com/", append=True)'),
        ({"type": "string", "minLength": 3}, f'{SEQ}("string", append=False)'),
        ({"type": "string", "pattern": "^[a-z]{4}$"}, f"{SEQ}()"),  # no digits
    ],
)
def test_generated_text_keys_keep_the_schema(schema: dict[str, Any], generator: str) -> None:
    spec = openapi.parse(
        {"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
         "components": {"schemas": {"Key": schema}}}
    )  # fmt: skip
    key = spec.schemas["Key"]
    assert routes._generator(key, key, spec) == generator
    unknown = {"^ord_[0-9a-z]{6}$": "ord_zzzzzz", "^[a-z]{4}$": "zzzz"}  # each class's last
    assert routes._unknown(key) == unknown.get(schema.get("pattern", ""), "unknown")


def test_repairs_are_reported_as_warnings() -> None:
    document = yaml.safe_load((CRUD / "parameters.yaml").read_text())
    document["components"]["schemas"]["Sandbox"]["properties"]["cpus"] = {
        "type": "integer",
        "default": "2",
    }
    spec = openapi.parse(document)
    template = registry.resolve("python-fastapi-service", "^1.0")
    result = context.build(spec, template, {"packageName": "svc", "port": 8000})
    repaired = [w for w in result.warnings if w.kind == "repaired"]
    assert [(w.where, w.message) for w in repaired] == [
        (
            "/components/schemas/Sandbox/properties/cpus/default",
            "the default '2' is a string; read as the integer 2",
        )
    ]


def test_a_create_stores_no_field_the_item_types_otherwise() -> None:
    """`network` is sent as one of an object or a word and kept by the item as a boolean: the
    store owns it (a value of its own); `cpuCount` (an integer both ways) is the client's."""
    spec = openapi.parse(yaml.safe_load((CRUD / "builds.yaml").read_text()))
    template = registry.resolve("python-fastapi-service", "^1.0")
    result = context.build(spec, template, {"packageName": "svc", "port": 8000})
    (store,) = result.context["resources"]
    assert store["owned"] == ["network", "templateID"]
    # what every item has and the client writes: a replace leaving it out keeps it
    assert store["kept"] == ["cpuCount"]


def test_an_operation_that_documents_only_errors_answers_the_first_of_them() -> None:
    document = yaml.safe_load((CRUD / "builds.yaml").read_text())
    refused = {"405": {"description": "deleted one by one"}}
    document["paths"]["/templates"]["delete"] = {"operationId": "purge", "responses": refused}
    spec = openapi.parse(document)
    template = registry.resolve("python-fastapi-service", "^1.0")
    result = context.build(spec, template, {"packageName": "svc", "port": 8000})
    purge = operation(result, "purge")
    assert (purge["semantics"], purge["status"]) == ("custom", 405)
    assert [(m.operation_id, m.reason) for m in result.not_implemented] == [
        (
            "purge",
            "DELETE /templates documents only error answers (405): it answers the first of them",
        )
    ]


def test_a_singleton_starts_from_its_example_only_when_the_schema_takes_it() -> None:
    document = yaml.safe_load((CRUD / "settings.yaml").read_text())
    ok = document["paths"]["/settings"]["get"]["responses"]["200"]["content"]["application/json"]
    template = registry.resolve("python-fastapi-service", "^1.0")
    defaults = []
    for example in ({"theme": "dark", "pageSize": 5}, {"theme": "blue", "pageSize": 5}):
        ok["example"] = example
        result = context.build(openapi.parse(document), template, {"packageName": "s", "port": 1})
        (settings,) = [r for r in result.context["resources"] if r["name"] == "settings"]
        defaults.append(settings["default"])
    assert defaults == [{"theme": "dark", "pageSize": 5}, {"theme": "light", "pageSize": 1}]
