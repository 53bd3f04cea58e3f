from __future__ import annotations

from kodegen.specs import openapi

from .conftest import load


def resources(name: str) -> dict[str, tuple[str | None, str | None, str, dict[str, str]]]:
    spec = openapi.parse(load(name))
    return {
        r.name: (r.item_path, r.id_parameter, r.key, dict(r.operations)) for r in spec.resources
    }


def test_petstore_pets_are_keyed_by_id_through_pet_id() -> None:
    assert resources("petstore.yaml") == {
        "pet": (
            "/pets/{petId}",
            "petId",
            "id",
            {"listPets": "list", "createPets": "create", "showPetById": "get"},
        )
    }


def test_every_crud_verb_is_inferred() -> None:
    found = resources("stoplight-todos.yaml")
    assert found["todo"][3] == {
        "get-todos": "list",
        "post-todos": "create",
        "get-todos-id": "get",
        "put-todos-id": "replace",
        "delete-todos-id": "delete",
        "patch-todos-id": "update",
    }
    # /users has no item path: its DELETE on the collection is not CRUD
    assert found["user"] == (
        None,
        None,
        "userId",
        {"get-users": "list", "post-users-userID": "create"},
    )


def test_without_a_create_nothing_is_a_resource() -> None:
    for name in (
        "link-example.yaml",
        "api-with-examples.yaml",
        "uspto.yaml",
        "callback-example.yaml",
    ):
        assert resources(name) == {}


def test_item_schema_comes_from_the_item_get() -> None:
    spec = openapi.parse(load("petstore-expanded.yaml"))
    (pet,) = spec.resources
    assert pet.item_schema.ref == "Pet"
    assert pet.key == "id"
