"""OpenAPI 3.0 / 3.1 documents -> `model.ApiSpec`.

Validation first (every `$ref`, then openapi-spec-validator), normalization after, so the
builders below can trust the document's shape. Every error names the JSON pointer.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import typing
from collections.abc import Mapping
from typing import Any

import jsonschema.exceptions  # type: ignore[import-untyped]
import jsonschema.validators  # type: ignore[import-untyped]
import openapi_spec_validator
import openapi_spec_validator.schemas
import openapi_spec_validator.validation.validators
import referencing.exceptions

from kodegen import errors
from kodegen.documents import loading
from kodegen.specs import (
    bundle,
    explain,
    keywords,
    model,
    patterns,
    refs,
    repairs,
    resources,
    swagger2,
)

METHODS: tuple[model.Method, ...] = (
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
)
IGNORED_HEADERS = {"accept", "content-type", "authorization"}  # OpenAPI 3: "SHALL be ignored"
JSON_MEDIA = re.compile(r"^application/([\w.+-]+\+)?json$")


def parse(document: Mapping[str, Any]) -> model.ApiSpec:
    """Validate and normalize one OpenAPI document."""
    with loading.guard("the OpenAPI document"):
        return _parse(document)


def _parse(document: Mapping[str, Any]) -> model.ApiSpec:
    if not isinstance(document, Mapping):
        raise errors.SpecError(pointer="", reason="an OpenAPI document must be a mapping")
    # Plain JSON data within the reading limits (no YAML dates, no aliasing, no NaN) in
    # canonical key order: the Kubernetes API server hands an inline document back with its
    # keys sorted, so the output must not depend on the order the author wrote them in, or
    # `kubectl apply` and `kodegen generate` of one manifest would differ.
    raw = typing.cast(dict[str, Any], loading.plain(document, source="the OpenAPI document"))
    # References to other documents were inlined where the files are (`bundle` with a
    # source: the CLI, the operator); one left here is refused with how to give the files.
    raw = bundle.bundle(raw)
    if swagger2.is_swagger(raw):
        converted, kept = swagger2.converted(raw)  # its refusals name pointers in `raw`
        try:
            spec = _checked(converted)
            return dataclasses.replace(spec, repairs=tuple(sorted((*kept, *spec.repairs))))
        except errors.SpecError as exc:
            raise errors.SpecError(
                pointer=swagger2.original(exc.pointer), reason=exc.reason
            ) from exc
    return _checked(raw)


def _checked(raw: dict[str, Any]) -> model.ApiSpec:
    version = str(raw.get("openapi", ""))
    if not re.match(r"^3\.[01]\.\d+$", version):
        reason = f"unsupported or missing version {version!r}; expected 3.0.x or 3.1.x"
        raise errors.SpecError(pointer="/openapi", reason=reason)
    refs.check(raw)
    refs.check_cycles(raw, named=_named)
    _check_paths(raw)
    raw, repaired = repairs.repair(raw)
    _validate(patterns.checked(raw), version)
    return dataclasses.replace(_Builder(raw).build(version), repairs=repaired)


def _named(ref: str) -> bool:
    """A reference to a schema that becomes a class of its own (recursion through it ends)."""
    return ref.startswith(refs.COMPONENT_SCHEMA) and "/" not in ref[len(refs.COMPONENT_SCHEMA) :]


def digest(document: Mapping[str, Any]) -> str:
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _check_paths(raw: dict[str, Any]) -> None:
    """Path templates must be well formed before the validator parses them."""
    paths = raw.get("paths")
    if not isinstance(paths, dict):
        return  # the validator reports it
    for path in paths:
        if not re.fullmatch(r"/(?:[^{}]|\{[^{}/]+\})*", str(path)):
            raise errors.SpecError(
                pointer=refs.join("/paths", path),
                reason="a path must start with '/' and every '{' must close with '}' around a name",
            )


def _validate(raw: dict[str, Any], version: str) -> None:
    validator_class = (
        openapi_spec_validator.OpenAPIV31SpecValidator
        if version.startswith("3.1")
        else openapi_spec_validator.OpenAPIV30SpecValidator
    )
    try:
        error = next(
            (e for e in validator_class(raw).iter_errors() if not explain.accepted(e)), None
        )
    except (referencing.exceptions.Unresolvable, RecursionError, ValueError) as exc:
        raise errors.SpecError(pointer="", reason=f"cannot resolve references: {exc}") from exc
    finally:
        _forget_validators()
    if error is None:
        return
    if isinstance(error, jsonschema.exceptions.ValidationError):
        error = _explained(raw, version, error)
        pointer, message = explain.explain(raw, error, version)
    else:
        pointer, message = "", " ".join(str(error).split())
    if len(message) > 400:
        message = message[:397] + "..."
    raise errors.SpecError(pointer=pointer, reason=message)


def _explained(
    raw: dict[str, Any], version: str, error: jsonschema.exceptions.ValidationError
) -> jsonschema.exceptions.ValidationError:
    """The error that says why: openapi-spec-validator's fast backend reports a failed
    `oneOf` as the whole object "is not valid under any of the given schemas" (a dump of the
    document, no reason); jsonschema's own validator over the same metaschema keeps every
    alternative's errors, and `best_match` picks the one that explains it (`'jsonb' is not one
    of ['array', 'boolean', ...]` at the `type`)."""
    error = keywords.deepest(error)
    if error.validator not in ("oneOf", "anyOf") and "is not valid under" not in error.message:
        return error
    schema = (
        openapi_spec_validator.schemas.schema_v31
        if version.startswith("3.1")
        else openapi_spec_validator.schemas.schema_v30
    )
    validator_class = jsonschema.validators.validator_for(schema)
    found = jsonschema.exceptions.best_match(validator_class(schema).iter_errors(raw))
    return error if found is None else keywords.deepest(found)


_VALIDATOR_CACHE = getattr(
    openapi_spec_validator.validation.validators.SpecValidator.iter_errors, "__wrapped__", None
)
"""openapi-spec-validator caches `iter_errors` per validator instance without bound, keeping
every document it validated alive (python-openapi/openapi-spec-validator#523): 42 KB per parse
for the life of the operator. Cleared after each validation; each cache entry belongs to one
validator instance, so a concurrent validation keeps the iterator it already holds."""


def _forget_validators() -> None:
    clear = getattr(_VALIDATOR_CACHE, "cache_clear", None)
    if clear is not None:
        clear()


class _Builder:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def build(self, version: str) -> model.ApiSpec:
        info = self.raw["info"]
        components = self.raw.get("components", {}).get("schemas", {})
        schemas = {
            name: self.schema(node, refs.join("/components/schemas", name))
            for name, node in components.items()
        }
        operations = self.operations()
        return model.ApiSpec(
            title=str(info["title"]),
            version=str(info["version"]),
            openapi_version=version,
            description=info.get("description"),
            schemas=schemas,
            operations=operations,
            resources=resources.infer(operations, schemas),
            raw=self.raw,
            digest=digest(self.raw),
        )

    def deref(self, node: Any, pointer: str) -> Any:
        return refs.deref(self.raw, node, at=pointer)

    # -- schemas --------------------------------------------------------------------------
    def schema(self, node: Any, pointer: str) -> model.Schema:
        if isinstance(node, bool) or node is None:  # 3.1: `true`/`false` schemas
            return model.Schema(pointer=pointer)
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(refs.COMPONENT_SCHEMA):
            raw = ref[len(refs.COMPONENT_SCHEMA) :]
            if "/" not in raw:
                name = refs.unescape(raw)
                return model.Schema(ref=name, pointer=pointer, nullable=bool(node.get("nullable")))
        if isinstance(ref, str):
            return self.schema(self.deref(node, pointer), pointer)

        kind, nullable = keywords.declared_type(node)
        properties = node.get("properties", {})
        required = tuple(node.get("required", ()))
        additional = node.get("additionalProperties", True)
        examples = node.get("examples")
        example = node.get("example", model.MISSING)
        if example is model.MISSING and isinstance(examples, list) and examples:
            example = examples[0]
        minimum, maximum = node.get("minimum"), node.get("maximum")
        exclusive_min, exclusive_max = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
        if isinstance(exclusive_min, bool):  # 3.0: a flag on `minimum`
            minimum, exclusive_min = (None, minimum) if exclusive_min else (minimum, None)
        if isinstance(exclusive_max, bool):
            maximum, exclusive_max = (None, maximum) if exclusive_max else (maximum, None)
        return model.Schema(
            **keywords.common(node, pointer),
            type=kind,
            properties=tuple(
                model.Property(
                    name=name,
                    schema=self.schema(sub, refs.join(pointer, "properties", name)),
                    required=name in required,
                )
                for name, sub in properties.items()
            )
            + _undeclared(required, properties, node, pointer),
            required=required,
            additional_properties=(
                additional
                if isinstance(additional, bool)
                else self.schema(additional, refs.join(pointer, "additionalProperties"))
            ),
            items=(
                self.schema(node["items"], refs.join(pointer, "items")) if "items" in node else None
            ),
            all_of=self.schemas(node, "allOf", pointer),
            one_of=self.schemas(node, "oneOf", pointer),
            any_of=self.schemas(node, "anyOf", pointer),
            nullable=nullable or bool(node.get("nullable")),
            example=example,
            minimum=minimum,
            maximum=maximum,
            exclusive_minimum=exclusive_min,
            exclusive_maximum=exclusive_max,
            pointer=pointer,
        )

    def schemas(self, node: dict[str, Any], key: str, pointer: str) -> tuple[model.Schema, ...]:
        return tuple(
            self.schema(sub, refs.join(pointer, key, index))
            for index, sub in enumerate(node.get(key, ()))
        )

    # -- operations -----------------------------------------------------------------------
    def operations(self) -> tuple[model.Operation, ...]:
        taken = {
            str(op["operationId"])
            for item in self.raw.get("paths", {}).values()
            for method, op in self.deref(item, "/paths").items()
            if method in METHODS and isinstance(op, dict) and "operationId" in op
        }
        result = []
        for path, item_node in self.raw.get("paths", {}).items():
            item_pointer = refs.join("/paths", path)
            item = self.deref(item_node, item_pointer)
            shared = self.parameters(
                item.get("parameters", ()), refs.join(item_pointer, "parameters")
            )
            for method in METHODS:
                if method in item:
                    op_pointer = refs.join(item_pointer, method)
                    result.append(
                        self.operation(path, method, item[method], shared, op_pointer, taken)
                    )
        return tuple(result)

    def operation(
        self,
        path: str,
        method: model.Method,
        node: dict[str, Any],
        shared: tuple[model.Parameter, ...],
        pointer: str,
        taken: set[str],
    ) -> model.Operation:
        own = self.parameters(node.get("parameters", ()), refs.join(pointer, "parameters"))
        merged = {(p.location, p.name): p for p in (*shared, *own)}  # operation-level wins
        operation_id = node.get("operationId") or _derive_id(method, path, taken)
        taken.add(operation_id)
        body = None
        if "requestBody" in node:
            body = self.body(node["requestBody"], refs.join(pointer, "requestBody"))
        responses = tuple(
            self.response(str(status), sub, refs.join(pointer, "responses", status))
            for status, sub in node.get("responses", {}).items()
        )
        return model.Operation(
            operation_id=str(operation_id),
            method=method,
            path=path,
            summary=node.get("summary") or node.get("description"),
            parameters=tuple(merged.values()),
            body=body,
            responses=responses,
            tags=tuple(node.get("tags", ())),
            deprecated=bool(node.get("deprecated")),
            callbacks=tuple(node.get("callbacks", {})),
            security=tuple(node["security"]) if "security" in node else None,
            pointer=pointer,
        )

    def parameters(self, nodes: Any, pointer: str) -> tuple[model.Parameter, ...]:
        result = []
        for index, node in enumerate(nodes):
            where = refs.join(pointer, index)
            param = self.deref(node, where)
            location = param["in"]
            if location == "header" and param["name"].lower() in IGNORED_HEADERS:
                continue
            schema_node = param.get("schema")
            if schema_node is None:  # the `content` form: one media type with a schema
                media: dict[str, Any] = next(iter(param.get("content", {}).values()), {})
                schema_node = media.get("schema", {})
            result.append(
                model.Parameter(
                    name=str(param["name"]),
                    location=location,
                    schema=self.schema(schema_node, refs.join(where, "schema")),
                    required=bool(param.get("required")) or location == "path",
                    description=param.get("description"),
                    example=_example(param),
                )
            )
        return tuple(result)

    def body(self, node: Any, pointer: str) -> model.Body | None:
        body = self.deref(node, pointer)
        content = body.get("content", {})
        if not content:
            return None
        media_type = _preferred(content)
        media = content[media_type]
        return model.Body(
            media_type=media_type,
            schema=self.schema(
                media.get("schema", {}), refs.join(pointer, "content", media_type, "schema")
            ),
            required=bool(body.get("required")),
            example=self.media_example(media, pointer),
        )

    def response(self, status: str, node: Any, pointer: str) -> model.Response:
        response = self.deref(node, pointer)
        content = response.get("content", {})
        headers = tuple(
            model.Parameter(
                name=name,
                location="header",
                schema=self.schema(
                    self.deref(header, pointer).get("schema", {}),
                    refs.join(pointer, "headers", name, "schema"),
                ),
                required=bool(self.deref(header, pointer).get("required")),
            )
            for name, header in response.get("headers", {}).items()
        )
        if not content:
            return model.Response(status, str(response.get("description", "")), headers=headers)
        media_type = _preferred(content)
        media = content[media_type]
        schema_node = media.get("schema")
        return model.Response(
            status=status,
            description=str(response.get("description", "")),
            media_type=media_type,
            schema=(
                None
                if schema_node is None
                else self.schema(schema_node, refs.join(pointer, "content", media_type, "schema"))
            ),
            example=self.media_example(media, pointer),
            headers=headers,
        )

    def media_example(self, media: dict[str, Any], pointer: str) -> Any:
        if "example" in media:
            return media["example"]
        for example in media.get("examples", {}).values():
            resolved = self.deref(example, pointer)
            if isinstance(resolved, dict) and "value" in resolved:
                return resolved["value"]
        return model.MISSING


def _preferred(content: dict[str, Any]) -> str:
    """JSON first, then the spec's own order."""
    return next(
        (m for m in content if JSON_MEDIA.match(m.split(";")[0].strip())), next(iter(content))
    )


def _example(node: dict[str, Any]) -> Any:
    if "example" in node:
        return node["example"]
    for example in node.get("examples", {}).values():
        if isinstance(example, dict) and "value" in example:
            return example["value"]
    return model.MISSING


def _derive_id(method: str, path: str, taken: set[str]) -> str:
    words = re.findall(r"[A-Za-z0-9]+", path)
    base = method + "".join(w[:1].upper() + w[1:] for w in words)
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}{n}", n + 1
    return candidate


def _undeclared(
    required: tuple[Any, ...], properties: Mapping[str, Any], node: Mapping[str, Any], pointer: str
) -> tuple[model.Property, ...]:
    """Names `required` lists that `properties` does not declare (`required: [id]` beside
    `properties: {Id: ...}`): JSON Schema still requires them, of any value, so they are
    properties of any type. Not beside `allOf` (a member may declare them) nor where
    `additionalProperties: false` leaves no room for them."""
    if not properties or node.get("allOf") or node.get("additionalProperties") is False:
        return ()
    return tuple(
        model.Property(
            name=name, schema=model.Schema(pointer=refs.join(pointer, "required")), required=True
        )
        for name in dict.fromkeys(required)
        if isinstance(name, str) and name not in properties
    )
