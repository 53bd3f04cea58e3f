"""CRUD semantics inferred from paths and methods.

A resource is a collection path with a JSON `POST` whose body is an object (create), and
optionally an item path one `{parameter}` deeper. Semantics by method:

    collection  GET -> list   POST -> create
    item        GET -> get    PUT -> replace   PATCH -> update   DELETE -> delete

Without a create there is no way to fill a store, so such paths stay custom operations.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kodegen.specs import model, schemas

COLLECTION = {"get": "list", "post": "create"}
ITEM = {"get": "get", "put": "replace", "patch": "update", "delete": "delete"}
PARAM = re.compile(r"^\{([^}]+)\}$")


def infer(
    operations: tuple[model.Operation, ...], components: Mapping[str, model.Schema]
) -> tuple[model.Resource, ...]:
    by_path: dict[str, dict[str, model.Operation]] = {}
    for op in operations:
        by_path.setdefault(op.path.rstrip("/") or "/", {})[op.method] = op
    found = []
    for path, methods in by_path.items():
        create = methods.get("post")
        body = _json_object(create, components) if create else None
        if create is None or body is None or PARAM.match(path.rsplit("/", 1)[-1]):
            continue
        item_path, id_param = _item_path(path, by_path)
        item_schema = _item_schema(create, body, by_path.get(item_path or "", {}), components)
        key = _key(item_schema, id_param, path, components)
        if key is None:
            continue
        semantics: dict[str, model.Semantics] = {}
        for method, op in methods.items():
            if method in COLLECTION and (method == "post" or _lists(op, components)):
                semantics[op.operation_id] = COLLECTION[method]  # type: ignore[assignment]
        for method, op in by_path.get(item_path or "", {}).items():
            if method in ITEM:
                semantics[op.operation_id] = ITEM[method]  # type: ignore[assignment]
        found.append(
            model.Resource(
                name=_singular(path.rsplit("/", 1)[-1]),
                collection_path=path,
                item_path=item_path,
                id_parameter=id_param,
                key=key,
                item_schema=item_schema,
                create_body=body,
                operations=semantics,
            )
        )
    return tuple(found)


def _json_object(op: model.Operation, components: Mapping[str, model.Schema]) -> model.Body | None:
    """The operation's body when it is a JSON object: what a create sends."""
    body = op.body
    if (
        body is not None
        and "json" in body.media_type
        and schemas.is_object(body.schema, components)
    ):
        return body
    return None


def _lists(op: model.Operation, components: Mapping[str, model.Schema]) -> bool:
    success = _success(op)
    return (
        success is not None
        and success.schema is not None
        and schemas.is_array(success.schema, components)
    )


def _success(op: model.Operation) -> model.Response | None:
    return next(
        (r for r in sorted(op.responses, key=lambda r: r.status) if r.status.startswith("2")), None
    )


def _item_path(
    path: str, by_path: Mapping[str, Mapping[str, model.Operation]]
) -> tuple[str | None, str | None]:
    for candidate in sorted(by_path):
        head, _, last = candidate.rpartition("/")
        match = PARAM.match(last)
        if head == path and match:
            return candidate, match.group(1)
    return None, None


def _item_schema(
    create: model.Operation,
    body: model.Body,
    item_methods: Mapping[str, model.Operation],
    components: Mapping[str, model.Schema],
) -> model.Schema:
    """What one stored item looks like: the item GET's answer, else create's, else its body."""
    for op in (item_methods.get("get"), create):
        success = _success(op) if op else None
        if success and success.schema is not None and schemas.is_object(success.schema, components):
            return success.schema
    return body.schema


def _key(
    item: model.Schema, id_param: str | None, path: str, components: Mapping[str, model.Schema]
) -> str | None:
    names = [p.name for p in schemas.flatten(item, components).properties]
    singular = _singular(path.rsplit("/", 1)[-1]).lower()
    candidates = []
    if id_param:
        stripped = re.sub(rf"^{re.escape(singular)}[_-]?", "", id_param, flags=re.IGNORECASE)
        candidates += [id_param, stripped, stripped[:1].lower() + stripped[1:]]
    candidates += ["id", f"{singular}Id", f"{singular}_id", "uuid", "key", "name"]
    for candidate in candidates:
        if candidate in names:
            return candidate
    return next((n for n in names if n.lower().endswith("id")), None)


def _singular(word: str) -> str:
    word = re.sub(r"[^A-Za-z0-9_]", "_", word) or "item"
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
