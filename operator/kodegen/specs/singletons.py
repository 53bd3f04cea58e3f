"""Singletons: a path with no id of its own whose GET answers one object that a PUT, PATCH,
POST or DELETE on the same path writes, changes or resets (`/settings`, `/users/{id}/config`),
one stored value per scope (the path's parameters), starting from a sample of the GET's answer.

    GET -> read   PUT, POST -> write   PATCH -> modify   DELETE -> reset (to the sample)

A path ending in a parameter that no collection claims (`/queues/{name}`: GET and PUT) holds
one value per key the same way, when a PUT, POST or PATCH writes it.

Probes (`/health`, `/ping`, `/version`, `/livez`, ...) are singletons no operation writes: their
GET answers a fixed value. RPC-style writes count too: a PUT, POST or PATCH at `/x/update`,
`/x/set`, `/x/save` ... (a path with no GET of its own) writes the singleton `GET /x` or a
sibling such as `GET /x/status` reads, the one with the same path parameters sharing the most
fields with its body; `POST /x/enable` without a body is an action on it when the verb names
one of its fields (`specs.actions`). A write whose body shares no field with what the GET
answers, or that answers something other than the stored value or nothing, stays custom.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Set
from dataclasses import dataclass
from typing import Any

from kodegen.specs import actions, answers, envelopes, fields, model, schemas

WRITES: dict[str, model.Semantics] = {"put": "write", "post": "write", "patch": "modify"}
PROBES = re.compile(r"(?i)^(health|healthz|healthcheck|health-check|ping|livez|readyz|version)$")
PARAM = re.compile(r"^\{[^}]+\}$")
PARAMS = re.compile(r"\{([^}]+)\}")
UPDATES = frozenset({"update", "set", "save", "edit", "modify", "change", "configure", "config"})
"""Words of a last path segment that make a POST a write of what a path near it reads."""
WORDS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
DOTTED = re.compile(r"([A-Za-z0-9_-]+)[.:]([A-Za-z][A-Za-z_-]*)")
"""`vm.pause`, `things:cancel`: a verb after a dot or colon (Google-style custom methods)."""


@dataclass(frozen=True)
class _Match:
    score: tuple[int, int]  # fields shared with the read's answer (1: an action), common start
    path: str  # the read's path
    read: model.Operation
    semantics: model.Semantics
    change: tuple[str, Any] | None  # what an action sets


def infer(
    by_path: Mapping[str, Mapping[str, model.Operation]],
    components: Mapping[str, model.Schema],
    claimed: Set[str],
) -> list[model.Resource]:
    found = []
    for path in sorted(by_path):
        last = path.rsplit("/", 1)[-1]
        read = by_path[path].get("get")
        if read is None or read.operation_id in claimed:
            continue
        schema = answers.schema(read)
        success = answers.success(read)
        semantics: dict[str, model.Semantics] = {}
        if schema is not None and schemas.is_object(schema, components):
            semantics = _writes(by_path[path], schema, components, claimed)
        if PARAM.match(last) and not {"write", "modify"} & set(semantics.values()):
            continue  # a value per key needs a write: a DELETE alone would bring it back
        if _listed(path, by_path, claimed):
            continue
        if semantics or (PROBES.match(last) and success is not None):
            semantics[read.operation_id] = "read"
            found.append(
                model.Resource(
                    name=re.sub(r"[^A-Za-z0-9_]", "_", last) or "root",
                    collection_path=path,
                    item_path=None,
                    id_parameter=None,
                    key="",
                    item_schema=schema or model.Schema(),
                    create_body=None,
                    operations=semantics,
                    singleton=True,
                )
            )
    return _rpc(by_path, components, claimed, found)


def _rpc(
    by_path: Mapping[str, Mapping[str, model.Operation]],
    components: Mapping[str, model.Schema],
    claimed: Set[str],
    found: list[model.Resource],
) -> list[model.Resource]:
    """`found` with the RPC-style writes and actions attached, new singletons appended."""
    taken = set(claimed) | {op for r in found for op in r.operations}
    for path in sorted(by_path):
        if "get" in by_path[path]:
            continue
        for method in ("put", "post", "patch"):
            op = by_path[path].get(method)
            if op is None or op.operation_id in taken or answers.success(op) is None:
                continue
            match = _reader(path, op, by_path, components, taken, found)
            if match is None:
                continue
            index = next(
                (i for i, r in enumerate(found) if match.read.operation_id in r.operations), None
            )
            if index is None:
                found.append(_singleton(match.path, match.read))
                taken.add(match.read.operation_id)
                index = len(found) - 1
            resource = found[index]
            sets = dict(resource.actions)
            if match.change is not None:
                sets[op.operation_id] = match.change
            operations = {**resource.operations, op.operation_id: match.semantics}
            found[index] = dataclasses.replace(resource, operations=operations, actions=sets)
            taken.add(op.operation_id)
    return found


def _writes(
    methods: Mapping[str, model.Operation],
    item: model.Schema,
    components: Mapping[str, model.Schema],
    claimed: Set[str],
) -> dict[str, model.Semantics]:
    found: dict[str, model.Semantics] = {}
    fields = {p.name for p in schemas.flatten(item, components).properties}
    for method, op in methods.items():
        if op.operation_id in claimed or not _answers(op, item, components):
            continue
        if method == "delete":
            found[op.operation_id] = "reset"
            continue
        body = answers.json_object(op, components)
        if method in WRITES and body is not None:
            written = {p.name for p in schemas.flatten(body.schema, components).properties}
            if written & fields:
                found[op.operation_id] = WRITES[method]
    return found


def _answers(
    op: model.Operation, item: model.Schema, components: Mapping[str, model.Schema]
) -> bool:
    """Whether a write answers the stored value, or nothing."""
    if answers.success(op) is None:
        return False
    schema = answers.schema(op)
    return schema is None or envelopes.holds(schema, item, components) is not None


def _singleton(path: str, read: model.Operation) -> model.Resource:
    return model.Resource(
        name=re.sub(r"[^A-Za-z0-9_]", "_", path.rsplit("/", 1)[-1]) or "root",
        collection_path=path,
        item_path=None,
        id_parameter=None,
        key="",
        item_schema=answers.schema(read) or model.Schema(),
        create_body=None,
        operations={read.operation_id: "read"},
        singleton=True,
    )


def _reader(
    path: str,
    op: model.Operation,
    by_path: Mapping[str, Mapping[str, model.Operation]],
    components: Mapping[str, model.Schema],
    taken: Set[str],
    found: list[model.Resource],
) -> _Match | None:
    """The singleton read `op` at `path` writes or changes: one with the same path parameters
    at the path above, beside it or under the path above (`/x` or `/x/status` for `/x/update`,
    `/vm.info` for `/vm.pause`), the one sharing the most fields with the body, then the one
    whose name shares the longest start with `path`'s (the first on a tie)."""
    parent, _, last = path.rpartition("/")
    dotted = DOTTED.fullmatch(last)
    verb = dotted.group(2) if dotted else last
    family = f"{parent}/{dotted.group(1)}" if dotted else parent
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_.:-]*", last):
        return None
    words = {w.lower() for w in WORDS.findall(last)}
    writes = op.method in ("put", "patch") or bool(words & UPDATES)
    params = PARAMS.findall(path)
    body = answers.json_object(op, components)
    reads = {i for r in found if r.singleton for i, s in r.operations.items() if s == "read"}
    answer = answers.schema(op)
    best: _Match | None = None
    for candidate in sorted(by_path):
        above, _, name = candidate.rpartition("/")
        near = candidate == family or above == family
        if dotted and above == parent and name.startswith(dotted.group(1)) and name != last:
            near = name[len(dotted.group(1)) : len(dotted.group(1)) + 1] in (".", ":")
        if not near or candidate == path or PARAMS.findall(candidate) != params:
            continue
        read = by_path[candidate].get("get")
        schema = answers.schema(read)
        if read is None or schema is None or not schemas.is_object(schema, components):
            continue
        if _listed(candidate, by_path, taken):
            continue
        if read.operation_id in taken and read.operation_id not in reads:
            continue
        if answer is not None and envelopes.holds(answer, schema, components) is None:
            continue
        tie = next((i for i, (a, b) in enumerate(zip(name, last, strict=False)) if a != b), 0)
        match = None
        if body is not None and writes and (kept := fields.shared(body.schema, schema, components)):
            match = _Match((len(kept), tie), candidate, read, "write", None)
        elif op.body is None and (change := actions.target(verb, schema, components)) is not None:
            match = _Match((1, tie), candidate, read, "action", change)
        if match is not None and (best is None or match.score > best.score):
            best = match
    return best


def _listed(
    path: str, by_path: Mapping[str, Mapping[str, model.Operation]], claimed: Set[str]
) -> bool:
    """Whether `path` is an item of a collection a store lists (`/jobs/{id}` under `/jobs`):
    one item among many, not a value per key."""
    above, _, last = path.rpartition("/")
    listing = by_path.get(above, {}).get("get")
    return bool(PARAM.match(last)) and listing is not None and listing.operation_id in claimed
