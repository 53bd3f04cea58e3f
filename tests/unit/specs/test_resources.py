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


def test_without_a_create_a_listed_collection_is_read_only() -> None:
    for name in ("api-with-examples.yaml", "callback-example.yaml"):
        assert resources(name) == {}
    found = resources("link-example.yaml")
    # a seeded store reads by id even where a miss is undocumented (its 404 is a spec gap)
    assert found["pullrequest"][3] == {
        "getPullRequestsByRepository": "list",
        "getPullRequestsById": "get",
    }
    assert found["user"][3] == {"getUserByName": "get"}
    assert resources("uspto.yaml") == {"item": (None, None, "", {"list-data-sets": "list"})}


def test_item_schema_comes_from_the_item_get() -> None:
    spec = openapi.parse(load("petstore-expanded.yaml"))
    (pet,) = spec.resources
    assert pet.item_schema.ref == "Pet"
    assert pet.key == "id"
