"""JSON Schema documents (draft-04 to 2020-12) -> `model.ApiSpec` with schemas, no operations.

The named schemas are the document's `$defs` (2020-12) and `definitions` (draft-07; either
keyword is read whatever the dialect), plus the root schema when it is an object with a
`title`: that is what a models-only template turns into classes. References to a named schema
stay references (`Schema.ref`, the name), so recursive schemas are finite; every other local
reference is resolved in place. Validation first (every `$ref`, then the dialect's metaschema
with the jsonschema package's validator for that dialect), normalization after; every error
names the JSON pointer. `$recursiveRef` (2019-09) and `$dynamicRef` (2020-12) are read as the
`$ref` they mean statically (`bundle`); draft-04's boolean `exclusiveMinimum`/`exclusiveMaximum`
are read as the bounds they flag.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import Any

import jsonschema.exceptions  # type: ignore[import-untyped]
import jsonschema.validators  # type: ignore[import-untyped]

from kodegen import errors
from kodegen.documents import loading
from kodegen.specs import bundle, keywords, model, openapi, patterns, refs

__all__ = ["DEFINITIONS", "DIALECTS", "parse"]

DIALECTS: dict[str, str] = {
    "https://json-schema.org/draft/2020-12/schema": "draft 2020-12",
    "https://json-schema.org/draft/2019-09/schema": "draft 2019-09",
    "http://json-schema.org/draft-07/schema": "draft-07",
    "http://json-schema.org/draft-06/schema": "draft-06",
    "http://json-schema.org/draft-04/schema": "draft-04",
}
"""The `$schema` URIs of each dialect as its metaschema spells them, by dialect name. A
document without `$schema` is read as draft 2020-12. People write them with either scheme,
with or without the trailing `#` (`https://json-schema.org/draft-07/schema`): `_dialect`
reads every such spelling."""

DEFINITIONS = ("$defs", "definitions")
"""The keywords whose members become named schemas (models)."""

_LEGACY = ("draft-07", "draft-06", "draft-04")
"""Dialects whose metaschema does not know `$defs` (2019-09's name for `definitions`)."""


def parse(document: Mapping[str, Any]) -> model.ApiSpec:
    """Validate and normalize one JSON Schema document."""
    with loading.guard("the JSON Schema document"):
        return _parse(document)


def _parse(document: Mapping[str, Any]) -> model.ApiSpec:
    if not isinstance(document, Mapping):
        raise errors.SpecError(pointer="", reason="a JSON Schema document must be a mapping")
    # Canonical key order, as for OpenAPI: the API server sorts an inline document's keys.
    raw = typing.cast(dict[str, Any], loading.plain(document, source="the JSON Schema document"))
    dialect = _dialect(raw)
    raw = bundle.bundle(raw)  # other documents were inlined where the files are
    _check_refs(raw)
    _validate(patterns.checked(raw), dialect)
    return _Builder(raw).build()


def _spellings(uri: str) -> set[str]:
    bare = uri.split("://", 1)[1]
    return {f"{scheme}://{bare}" for scheme in ("http", "https")}


_SPELLINGS = {spelling: uri for uri in DIALECTS for spelling in _spellings(uri)}


def _dialect(raw: dict[str, Any]) -> str:
    declared = raw.get("$schema", "https://json-schema.org/draft/2020-12/schema")
    uri = _SPELLINGS.get(str(declared).strip().removesuffix("#"), "")
    if uri not in DIALECTS:
        raise errors.SpecError(
            pointer="/$schema",
            reason=f"unsupported dialect {declared!r}; use "
            + " or ".join(repr(u) for u in DIALECTS),
        )
    return uri


def _check_refs(raw: dict[str, Any]) -> None:
    refs.check(raw)
    refs.check_cycles(raw, named=_named(raw))


def _named(raw: dict[str, Any]) -> Any:
    """Which references name a model (recursion through them ends): `#/$defs/X`,
    `#/definitions/X`, and `#` (the root: a model when titled, else read as anything)."""
    prefixes = tuple(f"#/{keyword}/" for keyword in DEFINITIONS)

    def named(ref: str) -> bool:
        if ref == "#":
            return True
        prefix = next((p for p in prefixes if ref.startswith(p)), None)
        return prefix is not None and "/" not in ref[len(prefix) :]

    return named


def _validate(raw: dict[str, Any], dialect: str) -> None:
    """The document against its dialect's metaschema. The metaschemas of draft-07 and older
    do not know `$defs` (2019-09's name for `definitions`), so its members, which kodegen
    reads as models all the same, are checked one by one as schemas of that dialect."""
    validator_class = jsonschema.validators.validator_for({"$schema": dialect})
    validator = validator_class(validator_class.META_SCHEMA)
    error = jsonschema.exceptions.best_match(validator.iter_errors(raw))
    prefix: tuple[str, ...] = ()
    members = raw.get("$defs")
    legacy = DIALECTS[dialect] in _LEGACY
    if error is None and legacy and isinstance(members, dict):
        for name, member in members.items():
            error = jsonschema.exceptions.best_match(validator.iter_errors(member))
            if error is not None:
                prefix = ("$defs", name)
                break
    if error is None:
        return
    error = keywords.deepest(error)
    pointer = refs.join("", *prefix, *error.absolute_path)
    message = keywords.reason(error)
    raise errors.SpecError(
        pointer=pointer, reason=f"not a valid {DIALECTS[dialect]} schema: {message}"
    )


_SIBLINGS = frozenset({
    "type", "properties", "required", "items", "enum", "const", "allOf", "oneOf", "anyOf",
    "additionalProperties", "minimum", "maximum", "minLength", "maxLength", "pattern",
})  # fmt: skip
"""Keywords beside a `$ref` that change what a value may be (annotations do not count)."""


class _Builder:
    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.root_name = self._root_name()
        self.siblings_apply = "draft/20" in str(raw.get("$schema", "draft/2020-12"))
        self.named: dict[str, tuple[str, Any]] = {}  # ref -> (name, node)
        for keyword in DEFINITIONS:
            members = raw.get(keyword, {})
            for name, node in members.items():
                pointer = refs.join("", keyword, name)
                if any(taken == name for taken, _ in self.named.values()):
                    raise errors.SpecError(
                        pointer=pointer,
                        reason=f"{name!r} is defined under both $defs and definitions; "
                        "rename or remove one",
                    )
                self.named["#" + pointer] = (name, node)
        if self.root_name is not None:
            if any(taken == self.root_name for taken, _ in self.named.values()):
                raise errors.SpecError(
                    pointer="/title",
                    reason=f"the root schema's title {self.root_name!r} is also the name of a "
                    "schema under $defs or definitions; rename one",
                )
            self.named["#"] = (self.root_name, raw)

    def _root_name(self) -> str | None:
        title = self.raw.get("title")
        kind, _ = keywords.declared_type(self.raw)
        if isinstance(title, str) and title.strip() and kind == "object":
            return title.strip()
        return None

    def build(self) -> model.ApiSpec:
        schemas = {
            name: self.schema(node, "" if ref == "#" else ref[1:])
            for ref, (name, node) in self.named.items()
        }
        if self.root_name is not None:  # the root first: it is what the document describes
            schemas = {self.root_name: schemas[self.root_name], **schemas}
        return model.ApiSpec(
            title=str(self.raw.get("title") or "JSON Schema"),
            version=str(self.raw.get("version") or ""),
            openapi_version="",
            description=self.raw.get("description"),
            schemas=schemas,
            operations=(),
            resources=(),
            raw=self.raw,
            digest=openapi.digest(self.raw),
        )

    def schema(self, node: Any, pointer: str) -> model.Schema:
        if isinstance(node, bool):  # `true` / `false` schemas
            return model.Schema(pointer=pointer)
        ref = node.get("$ref")
        if isinstance(ref, str) and self.siblings_apply and _SIBLINGS & set(node):
            # 2019-09 on: keywords beside `$ref` apply too, as if both were under `allOf`
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return self.schema({"allOf": [{"$ref": ref}, rest]}, pointer)
        if isinstance(ref, str):
            if ref in self.named:
                return model.Schema(ref=self.named[ref][0], pointer=pointer)
            if ref == "#":  # the root, which is not a model: anything
                return model.Schema(pointer=pointer)
            return self.schema(refs.deref(self.raw, node, at=pointer), pointer)
        kind, nullable = keywords.declared_type(node)
        required = node.get("required", ())
        required = tuple(str(name) for name in required) if isinstance(required, list) else ()
        minimum, maximum = node.get("minimum"), node.get("maximum")
        exclusive_min, exclusive_max = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
        if isinstance(exclusive_min, bool):  # draft-04: a flag on `minimum`
            minimum, exclusive_min = (None, minimum) if exclusive_min else (minimum, None)
        if isinstance(exclusive_max, bool):
            maximum, exclusive_max = (None, maximum) if exclusive_max else (maximum, None)
        examples = node.get("examples")
        items = node.get("items")
        additional = node.get("additionalProperties", True)
        return model.Schema(
            **keywords.common(node, pointer),
            type=kind,
            properties=tuple(
                model.Property(
                    name=name,
                    schema=self.schema(sub, refs.join(pointer, "properties", name)),
                    required=name in required,
                )
                for name, sub in node.get("properties", {}).items()
            ),
            required=required,
            additional_properties=(
                additional
                if isinstance(additional, bool)
                else self.schema(additional, refs.join(pointer, "additionalProperties"))
            ),
            # draft-07's tuple form (`items: [...]`) is typed as a list of anything
            items=(
                self.schema(items, refs.join(pointer, "items"))
                if isinstance(items, dict | bool)
                else (model.Schema() if items is not None or "prefixItems" in node else None)
            ),
            all_of=self.schemas(node, "allOf", pointer),
            one_of=self.schemas(node, "oneOf", pointer),
            any_of=self.schemas(node, "anyOf", pointer),
            nullable=nullable,
            example=examples[0] if isinstance(examples, list) and examples else model.MISSING,
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
