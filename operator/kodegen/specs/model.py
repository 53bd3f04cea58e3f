"""The normalized model of an API specification: what templates render from.

Pure, frozen data. Named component schemas stay references (`Schema.ref`), so recursive
schemas are finite; every other `$ref` is resolved in place by `kodegen.specs.openapi`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

SchemaType = Literal["object", "array", "string", "integer", "number", "boolean", "null", "any"]
Method = Literal["get", "put", "post", "delete", "options", "head", "patch", "trace"]
Location = Literal["path", "query", "header", "cookie"]
Semantics = Literal[
    "list", "create", "get", "replace", "update", "delete",  # a collection and its items
    "action", "count", "exists",  # one field of a stored item set; the store's size; membership
    "purge",  # DELETE on a collection: the items of a scope (matching the query's filters) go
    "read", "write", "modify", "reset",  # a singleton: GET, PUT, PATCH, DELETE
    "probe",  # health, ping, version: a fixed answer
    "custom",
]  # fmt: skip

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING"})()
"""Marks an absent `default`/`example` (None is a legitimate JSON value)."""


@dataclass(frozen=True)
class Schema:
    """One JSON Schema node. `ref` names a component schema; its body lives in `ApiSpec.schemas`."""

    type: SchemaType = "any"
    ref: str | None = None
    title: str | None = None
    description: str | None = None
    properties: tuple[Property, ...] = ()
    required: tuple[str, ...] = ()
    additional_properties: Schema | bool = True
    items: Schema | None = None
    all_of: tuple[Schema, ...] = ()
    one_of: tuple[Schema, ...] = ()
    any_of: tuple[Schema, ...] = ()
    enum: tuple[Any, ...] | None = None
    format: str | None = None
    nullable: bool = False
    read_only: bool = False
    write_only: bool = False
    default: Any = MISSING
    example: Any = MISSING
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    min_items: int | None = None
    max_items: int | None = None
    unique_items: bool = False
    pointer: str = ""


@dataclass(frozen=True)
class Property:
    name: str
    schema: Schema
    required: bool


@dataclass(frozen=True)
class Parameter:
    name: str
    location: Location
    schema: Schema
    required: bool
    description: str | None = None
    example: Any = MISSING


@dataclass(frozen=True)
class Body:
    """A request body: one schema per media type, in the spec's order."""

    media_type: str
    schema: Schema
    required: bool
    example: Any = MISSING


@dataclass(frozen=True)
class Response:
    status: str  # "200", "4XX" or "default"
    description: str
    media_type: str | None = None
    schema: Schema | None = None
    example: Any = MISSING
    headers: tuple[Parameter, ...] = ()


@dataclass(frozen=True)
class Operation:
    operation_id: str  # the spec's, or derived from method and path when absent
    method: Method
    path: str
    summary: str | None
    parameters: tuple[Parameter, ...]
    body: Body | None
    responses: tuple[Response, ...]
    tags: tuple[str, ...] = ()
    deprecated: bool = False
    callbacks: tuple[str, ...] = ()  # callback names: kodegen never implements them
    security: tuple[dict[str, list[str]], ...] | None = None  # None: the document's default
    pointer: str = ""


@dataclass(frozen=True)
class Resource:
    """A collection and its items, with the CRUD semantics inferred from paths and methods."""

    name: str  # singular, e.g. "pet"
    collection_path: str
    item_path: str | None
    id_parameter: str | None  # the path parameter naming one item
    key: str  # the item schema's property that identifies it ("" for a singleton)
    item_schema: Schema
    create_body: Body | None  # what a create sends; None: read-only, seeded from the schema
    operations: dict[str, Semantics] = field(default_factory=dict)  # operationId -> semantics
    singleton: bool = False  # one stored value per scope (path parameters), no key
    actions: dict[str, tuple[str, Any]] = field(default_factory=dict)
    """operationId -> (field, value) an action sets on the stored item."""


@dataclass(frozen=True)
class ApiSpec:
    title: str
    version: str
    openapi_version: str
    description: str | None
    schemas: dict[str, Schema]  # component schemas, in the spec's order
    operations: tuple[Operation, ...]
    resources: tuple[Resource, ...]
    raw: dict[str, Any]
    digest: str
    repairs: tuple[Any, ...] = field(default=(), kw_only=True)
    """`repairs.Repair`s: slips in the document kodegen repaired (reported as warnings)."""

    def operation(self, operation_id: str) -> Operation:
        return next(op for op in self.operations if op.operation_id == operation_id)
