"""Store semantics inferred from paths, methods and schemas, without AI.

A resource is a collection path and optionally an item path one `{parameter}` deeper. Every
path parameter before the item's own is a scope (`/users/{id}/posts`: posts per user).

    collection  GET -> list   POST -> create   GET /search, /findByX -> list (a filter)
                GET /count -> count   DELETE -> purge (the scope's items matching the filters)
    item        GET -> get    PUT -> replace   PATCH -> update   DELETE -> delete
                POST -> update (when it sends fields of the item and answers it or nothing)
                HEAD -> exists   POST/PUT /cancel, /enable ... -> action (`specs.actions`)

A collection whose JSON `POST` takes an object is *created*; one with no create but a `GET` that
answers a list of objects (an array, or an envelope: `specs.envelopes`) is *read-only*: its
store is seeded with a sample item per scope, so its list and get answer real data. Paths
with no id that read and write one object are singletons (`specs.singletons`).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from kodegen.specs import actions, answers, envelopes, fields, model, schemas, singletons

COLLECTION = {"get": "list", "post": "create"}
ITEM = {"get": "get", "put": "replace", "patch": "update", "delete": "delete", "head": "exists"}
PARAM = re.compile(r"^\{([^}]+)\}$")
ByPath = Mapping[str, Mapping[str, model.Operation]]


def infer(
    operations: tuple[model.Operation, ...], components: Mapping[str, model.Schema]
) -> tuple[model.Resource, ...]:
    by_path: dict[str, dict[str, model.Operation]] = {}
    for op in operations:
        if answers.refuses(op):  # `405` only: no store serves what the spec says it refuses
            continue
        by_path.setdefault(op.path.rstrip("/") or "/", {})[op.method] = op
    found = [r for path in by_path if (r := _created(path, by_path, components))]
    collections = {r.collection_path for r in found}
    for path in by_path:
        if path not in collections and (r := _read_only(path, by_path, components)):
            found.append(r)
            collections.add(path)
    for path in by_path:  # an item GET whose collection has no list: seeded, read by id
        head, _, last = path.rpartition("/")
        if not PARAM.match(last) or head in collections:
            continue
        if r := _read_only(head, by_path, components, require_list=False):
            found.append(r)
            collections.add(head)
    attached = [_purges(actions.attach(r, by_path, components), by_path, components) for r in found]
    found = [_searches(r, by_path, components) for r in attached]
    searches = {
        op
        for r, s in zip(attached, found, strict=True)
        for op in s.operations
        if op not in r.operations
    }
    found = [r for r in found if r.create_body is not None or set(r.operations) - searches]
    claimed = {op_id for r in found for op_id in r.operations}
    found += singletons.infer(by_path, components, claimed)
    return tuple(found)


def _created(
    path: str, by_path: ByPath, components: Mapping[str, model.Schema]
) -> model.Resource | None:
    methods = by_path[path]
    create = methods.get("post")
    body = answers.json_object(create, components) if create else None
    if create is None or body is None or PARAM.match(path.rsplit("/", 1)[-1]):
        return None
    item_path, id_param = _item_path(path, by_path)
    item_methods = by_path.get(item_path or "", {})
    envelope = envelopes.item(body.schema, components)
    read = item_methods.get("get")
    if envelope is None and read is not None and (answer := answers.schema(read)) is not None:
        envelope = envelopes.member(body.schema, answer, components)  # beside other fields
    if envelope is not None:
        body = dataclasses.replace(body, schema=envelope[1])
    item_schema = _item_schema(create, body, item_methods, components)
    key = _key(item_schema, id_param, path, components)
    if key is None:
        return None
    semantics: dict[str, model.Semantics] = {create.operation_id: "create"}
    listing = methods.get("get")
    if listing is not None and _lists(listing, item_schema, components, strict=False):
        semantics[listing.operation_id] = "list"
    semantics |= _item_semantics(item_methods, item_schema, key, components)
    return model.Resource(
        name=singular(path.rsplit("/", 1)[-1]),
        collection_path=path,
        item_path=item_path,
        id_parameter=id_param,
        key=key,
        item_schema=item_schema,
        create_body=body,
        operations=semantics,
    )


def _read_only(
    path: str, by_path: ByPath, components: Mapping[str, model.Schema], require_list: bool = True
) -> model.Resource | None:
    """A collection with no create: its list (and item GET) over a store seeded from samples."""
    if PARAM.match(path.rsplit("/", 1)[-1]):
        return None
    listing = by_path.get(path, {}).get("get")
    found = envelopes.items(answers.schema(listing), components) if listing else None
    if (require_list and found is None) or _written_whole(by_path.get(path, {}), components):
        return None
    item_path, id_param = _item_path(path, by_path)
    item_get = by_path.get(item_path or "", {}).get("get")
    item_answer = answers.schema(item_get) if item_get else None
    inner = envelopes.item(item_answer, components)
    if inner is not None:
        item_answer = inner[1]
    item_schema = found[1] if found else item_answer
    if item_schema is None or not schemas.is_object(item_schema, components):
        return None
    key = _key(item_schema, id_param, path, components) if item_path else None
    if item_get is not None and _enumerated(item_get, id_param, components):
        key = None  # `/basic/{format}` with format json|xml picks a variant, not an item
    semantics: dict[str, model.Semantics] = {}
    if found and listing is not None:
        semantics[listing.operation_id] = "list"
    if (
        key is not None
        and item_answer is not None
        and envelopes.same(item_answer, item_schema, components)
    ):
        item_methods = by_path.get(item_path or "", {})
        semantics |= _item_semantics(item_methods, item_schema, key, components)
    else:
        item_path = id_param = None
    if not semantics:
        return None
    return model.Resource(
        name=singular(path.rsplit("/", 1)[-1]),
        collection_path=path,
        item_path=item_path,
        id_parameter=id_param,
        key=key or "",
        item_schema=item_schema,
        create_body=None,
        operations=semantics,
    )


def _written_whole(
    methods: Mapping[str, model.Operation], components: Mapping[str, model.Schema]
) -> bool:
    """Whether a PUT or PATCH writes fields of what the path's GET answers (`{"items": [...],
    "expiresAt": ...}`): one value, a singleton (`specs.singletons`), not a list of items."""
    answer = answers.schema(methods.get("get"))
    return answer is not None and any(
        (body := answers.json_object(methods.get(m), components)) is not None
        and fields.shared(body.schema, answer, components)
        for m in ("put", "patch")
    )


def _item_semantics(
    methods: Mapping[str, model.Operation],
    item: model.Schema,
    key: str,
    components: Mapping[str, model.Schema],
) -> dict[str, model.Semantics]:
    found: dict[str, model.Semantics] = {}
    for method, op in methods.items():
        if method == "post" and _posts_update(op, item, key, components):
            found[op.operation_id] = "update"
        if method not in ITEM:
            continue
        if method in ("put", "patch") and answers.json_object(op, components) is None:
            continue
        found[op.operation_id] = ITEM[method]  # type: ignore[assignment]
    return found


def _posts_update(
    op: model.Operation, item: model.Schema, key: str, components: Mapping[str, model.Schema]
) -> bool:
    """A POST on an item's path that sends some of its fields besides the key (same types) and
    answers the item or nothing: a partial update, RPC style."""
    body = answers.json_object(op, components)
    if body is None or answers.success(op) is None:
        return False
    answer = answers.schema(op)
    return bool(set(fields.shared(body.schema, item, components)) - {key}) and (
        answer is None or envelopes.holds(answer, item, components) is not None
    )


def _purges(
    resource: model.Resource, by_path: ByPath, components: Mapping[str, model.Schema]
) -> model.Resource:
    """`DELETE /messages`: a collection's items go, those matching its query's filters, when
    it sends no body (the answer: nothing, or a sample with its count fields set; one item
    would say it deletes one, not a scope's)."""
    op = by_path.get(resource.collection_path, {}).get("delete")
    if op is None or op.body is not None or answers.success(op) is None:
        return resource
    answer = answers.schema(op)
    if answer is not None and envelopes.holds(answer, resource.item_schema, components) is not None:
        return resource
    if op.operation_id in resource.operations:
        return resource
    return dataclasses.replace(
        resource, operations={**resource.operations, op.operation_id: "purge"}
    )


def _searches(
    resource: model.Resource, by_path: ByPath, components: Mapping[str, model.Schema]
) -> model.Resource:
    """`GET /pets/findByStatus`, `/pets/search` (lists of the same items) and `GET /pets/count`."""
    found = dict(resource.operations)
    prefix = resource.collection_path + "/"
    for path, methods in by_path.items():
        rest = path[len(prefix) :] if path.startswith(prefix) else ""
        op = methods.get("get")
        if not rest or "/" in rest or PARAM.match(rest) or op is None:
            continue
        if rest.lower() == "count" and _counts(op, components):
            found[op.operation_id] = "count"
        elif _lists(op, resource.item_schema, components, strict=True):
            found[op.operation_id] = "list"
    return dataclasses.replace(resource, operations=found)


def _counts(op: model.Operation, components: Mapping[str, model.Schema]) -> bool:
    schema = answers.schema(op)
    if schema is None:
        return False
    resolved = schemas.flatten(schema, components)
    return resolved.type == "integer" or bool(envelopes.counts(schema, components))


def _lists(
    op: model.Operation, item: model.Schema, components: Mapping[str, model.Schema], strict: bool
) -> bool:
    """Whether `op` answers a list of `item`s (`strict`: an array of anything will not do)."""
    success = answers.success(op)
    if success is None or success.schema is None or success.media_type is None:
        return False
    if not strict and schemas.is_array(success.schema, components):
        return True
    found = envelopes.items(success.schema, components)
    return found is not None and envelopes.same(found[1], item, components)


def _item_path(path: str, by_path: ByPath) -> tuple[str | None, str | None]:
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
    """What one stored item looks like: the item GET's answer, else create's, else its body;
    inside an envelope (`{"data": {...}}`) when the answer has one."""
    for op in (item_methods.get("get"), create):
        schema = answers.schema(op) if op else None
        inner = envelopes.item(schema, components)
        if inner is not None:
            schema = inner[1]
        if schema is not None and schemas.is_object(schema, components):
            return schema
    return body.schema


def _enumerated(
    op: model.Operation, name: str | None, components: Mapping[str, model.Schema]
) -> bool:
    """Whether the path parameter `name` of `op` takes only listed values (`enum`): a choice of
    form, never the key of a stored item."""
    return any(
        p.location == "path" and p.name == name and schemas.resolve(p.schema, components).enum
        for p in op.parameters
    )


def _key(
    item: model.Schema, id_param: str | None, path: str, components: Mapping[str, model.Schema]
) -> str | None:
    names = [p.name for p in schemas.flatten(item, components).properties]
    single = singular(path.rsplit("/", 1)[-1]).lower()
    candidates = []
    if id_param:
        stripped = re.sub(rf"^{re.escape(single)}[_-]?", "", id_param, flags=re.IGNORECASE)
        candidates += [id_param, stripped, stripped[:1].lower() + stripped[1:]]
    candidates += ["id", f"{single}Id", f"{single}_id", "uuid", "key", "name"]
    for candidate in candidates:
        if candidate in names:
            return candidate
    return next((n for n in names if n.lower().endswith("id")), None)


def singular(word: str) -> str:
    word = re.sub(r"[^A-Za-z0-9_]", "_", word) or "item"
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ses", "xes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word
