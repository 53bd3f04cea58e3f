"""Store semantics beyond plain CRUD, inferred from kodegen's own small specs in
`tests/specs/crud/`: read-only collections, searches, counts, envelopes, nested collections,
state actions, singletons and probes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kodegen.specs import actions, envelopes, model, openapi

SPECS = Path(__file__).resolve().parents[2] / "specs" / "crud"


def parse(name: str) -> model.ApiSpec:
    return openapi.parse(yaml.safe_load((SPECS / name).read_text()))


def by_path(spec: model.ApiSpec) -> dict[str, model.Resource]:
    return {r.collection_path: r for r in spec.resources}


def test_a_collection_nobody_creates_in_is_read_only_with_searches_counts_and_exists() -> None:
    books = by_path(parse("library.yaml"))["/books"]
    assert books.create_body is None and books.key == "id"
    assert books.operations == {
        "listBooks": "list",
        "getBook": "get",
        "bookExists": "exists",
        "countBooks": "count",
        "searchBooks": "list",
        "removeBooks": "purge",
    }


def test_a_nested_read_only_collection_is_scoped_by_its_parent() -> None:
    nested = by_path(parse("library.yaml"))["/authors/{authorId}/books"]
    assert (nested.item_path, nested.key, nested.operations) == (
        None,
        "",
        {"listAuthorBooks": "list"},
    )


def test_wrapped_bodies_nested_collections_and_actions() -> None:
    found = by_path(parse("blog.yaml"))
    articles = found["/articles"]
    assert articles.create_body is not None and articles.create_body.schema.ref == "NewArticle"
    assert articles.item_schema.ref == "Article" and articles.key == "slug"
    assert articles.actions == {
        "publishArticle": ("status", "published"),
        "pinArticle": ("pinned", True),
        "unpinArticle": ("pinned", False),
    }
    assert articles.operations["updateArticle"] == "update"
    assert articles.operations["setArticleStatus"] == "update"  # a sub-path sending a field
    comments = found["/articles/{slug}/comments"]
    assert comments.operations == {
        "addComment": "create",
        "listComments": "list",
        "clearComments": "purge",
    }


def test_singletons_and_probes() -> None:
    found = by_path(parse("settings.yaml"))
    assert found["/settings"].singleton
    assert found["/settings"].operations == {
        "getSettings": "read",
        "putSettings": "write",
        "patchSettings": "modify",
        "resetSettings": "reset",
    }
    assert found["/users/{userId}/config"].operations == {
        "getUserConfig": "read",
        "putUserConfig": "write",
    }
    assert found["/health"].operations == {"health": "read"}
    assert found["/version"].operations == {"version": "read"}


def schema(**properties: Any) -> model.Schema:
    return model.Schema(
        type="object",
        properties=tuple(
            model.Property(n, model.Schema(**s), False) for n, s in properties.items()
        ),
    )


def test_action_targets_follow_enum_values_and_boolean_names() -> None:
    item = schema(
        status={"type": "string", "enum": ("open", "cancelled", "approved")},
        enabled={"type": "boolean"},
        isLocked={"type": "boolean"},
    )
    assert actions.target("cancel", item, {}) == ("status", "cancelled")
    assert actions.target("approve", item, {}) == ("status", "approved")
    assert actions.target("enable", item, {}) == ("enabled", True)
    assert actions.target("disable", item, {}) == ("enabled", False)
    assert actions.target("lock", item, {}) == ("isLocked", True)
    assert actions.target("unlock", item, {}) == ("isLocked", False)
    assert actions.target("merge", item, {}) is None
    assert actions.target("go", item, {}) is None  # too short to name anything


def test_list_envelopes_are_found_through_one_wrapper() -> None:
    book = schema(id={"type": "integer"})
    listing = schema(items={"type": "array", "items": book}, total={"type": "integer"})
    assert envelopes.items(listing, {}) == (("items",), book)
    wrapped = model.Schema(type="object", properties=(model.Property("data", listing, True),))
    assert envelopes.items(wrapped, {}) == (("data", "items"), book)
    assert envelopes.counts(listing, {}) == ["total"]
    two = schema(a={"type": "array", "items": book}, b={"type": "array", "items": book})
    assert envelopes.items(two, {}) is None
    strings = model.Schema(type="array", items=model.Schema(type="string"))
    assert envelopes.items(strings, {}) is None


def test_item_envelopes_wrap_exactly_one_object() -> None:
    article = schema(title={"type": "string"})
    wrapped = model.Schema(type="object", properties=(model.Property("article", article, True),))
    assert envelopes.item(wrapped, {}) == ("article", article)
    assert envelopes.holds(wrapped, article, {}) == ("article",)
    assert envelopes.holds(article, article, {}) == ()
    assert envelopes.item(article, {}) is None
    assert envelopes.holds(schema(other={"type": "integer"}), article, {}) is None


def test_an_item_beside_other_fields_is_unwrapped_and_wrapped() -> None:
    spec = openapi.parse(yaml.safe_load((SPECS / "principals.yaml").read_text()))
    (resource,) = spec.resources
    assert resource.create_body is not None
    assert resource.create_body.schema.ref == "Principal"  # not the request around it
    create = spec.operation("createPrincipal")
    assert envelopes.holds(create.responses[0].schema, resource.item_schema, spec.schemas) == (
        "principal",
    )
