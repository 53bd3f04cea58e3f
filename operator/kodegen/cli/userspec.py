"""A user's own specification file, as the CodeGeneration manifest it stands for.

    kodegen generate --spec api.yaml [--type T] [--template FAMILY@RANGE] [--set NAME=VALUE]...
    kodegen init     --spec api.yaml ...  [-f FILE]       (writes the manifest itself)

The type comes from the content unless `--type` forces it: a mapping with `openapi` or
`swagger` is OpenAPI (Swagger 2.0 is converted), one with `$schema` or JSON Schema keywords
(`$defs`, `definitions`, `properties`, `type`, ...) is a JSON Schema, and text that is not a YAML
or JSON mapping but reads as GraphQL SDL (or a `.graphql`/`.graphqls`/`.gql` file) is GraphQL.
`--template` defaults to the builtin family for the type at `^1.0`; `packageName`, when the
template declares it and `--set` does not give it, comes from the file name. Every refusal is a
`errors.FlagError` naming the flag and the value; the manifest built is then read exactly like
one from a file (`pipeline.manifest.parse`), so both forms give the same run.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.documents import loading
from kodegen.pipeline import manifest as manifest_
from kodegen.templates import model as template_model
from kodegen.templates import registry, versions
from kodegen.templates import variables as variables_

__all__ = ["DEFAULT_TEMPLATES", "TYPES", "Request", "build", "detect", "load", "text"]

TYPES = ("openapi", "graphql", "jsonSchema")
"""What `--type` takes: the specification types that need no AI."""

DEFAULT_TEMPLATES = {
    "openapi": "python-fastapi-service@^1.0",
    "graphql": "python-graphql-service@^1.0",
    "jsonSchema": "python-pydantic-models@^1.0",
}
"""`--template` when not given, per type."""

SDL_SUFFIXES = (".graphql", ".graphqls", ".gql")
_JSON_SCHEMA_KEYS = ("$defs", "definitions", "properties", "type", "oneOf", "anyOf", "allOf")
_SDL = re.compile(
    r"^\s*(?:extend\s+)?(?:type|schema|interface|enum|input|union|scalar|directive)\b",
    re.MULTILINE,
)


@dataclasses.dataclass(frozen=True)
class Request:
    """The flags that describe a run from a spec file."""

    spec: Path
    type: str | None = None
    template: str | None = None
    sets: Sequence[str] = ()
    name: str | None = None
    templates_root: Path | None = None


def text(request: Request) -> str:
    """The manifest (YAML) the flags stand for, checked as `load` reads it."""
    body = _dump(build(request))
    manifest_.parse(body, source=f"the manifest of --spec {request.spec}")
    return body


def load(request: Request) -> codegeneration.CodeGeneration:
    """The CodeGeneration the flags stand for, read as `kodegen generate MANIFEST` reads one."""
    return manifest_.parse(_dump(build(request)), source=f"the manifest of --spec {request.spec}")


def build(request: Request) -> dict[str, Any]:
    """The manifest as data: apiVersion, kind, metadata.name, spec (specification, template,
    variables)."""
    raw = _read(request.spec)
    document = _document(request.spec, raw) if request.type != "graphql" else None
    kind = request.type or detect(request.spec, raw, document)
    wanted = request.template or DEFAULT_TEMPLATES[kind]
    family, version_range = _template_flag(wanted)
    template = _resolve(wanted, family, version_range, kind, request.templates_root)
    variables = _variables(request.sets, template, request.spec)
    if kind == "graphql":
        specification: dict[str, Any] = {"type": kind, "graphql": {"schema": raw}}
    else:
        if not isinstance(document, dict):
            raise errors.FlagError(
                flag="--spec",
                value=str(request.spec),
                reason=f"a {kind} document must be a YAML or JSON mapping",
            )
        specification = {"type": kind, kind: {"inline": document}}
    return {
        "apiVersion": manifest_.API_VERSION,
        "kind": manifest_.KIND,
        "metadata": {"name": request.name or _name(request.spec)},
        "spec": {
            "specification": specification,
            "template": {"family": family, "version": version_range},
            "variables": variables,
        },
    }


def detect(path: Path, raw: str, document: Any) -> str:
    """The specification type of a file: by its content (module docstring)."""
    if isinstance(document, dict):
        if "openapi" in document or "swagger" in document:
            return "openapi"
        if "$schema" in document or any(key in document for key in _JSON_SCHEMA_KEYS):
            return "jsonSchema"
    elif path.suffix.lower() in SDL_SUFFIXES or _SDL.search(raw):
        return "graphql"
    raise errors.FlagError(
        flag="--spec",
        value=str(path),
        reason="cannot tell its type (no openapi, swagger or $schema key, no JSON Schema "
        "keyword, not GraphQL SDL); pass --type " + ", ".join(TYPES),
    )


# -- reading -----------------------------------------------------------------------------------


def _read(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise errors.FlagError(
            flag="--spec", value=str(path), reason=f"cannot read it: {exc.strerror or exc}"
        ) from exc
    return loading.decode(data, source=str(path))


def _document(path: Path, raw: str) -> Any:
    """The YAML/JSON document in `raw`; None when it is not one and may be GraphQL SDL."""
    if path.suffix.lower() in SDL_SUFFIXES:
        return None
    try:
        return loading.load(raw, source=str(path))
    except errors.DocumentError:
        if _SDL.search(raw):
            return None
        raise


# -- template and variables --------------------------------------------------------------------


def _template_flag(value: str) -> tuple[str, str]:
    family, _, version_range = value.partition("@")
    version_range = version_range.strip() or "*"
    if not family:
        raise errors.FlagError(
            flag="--template", value=value, reason="expected FAMILY or FAMILY@RANGE"
        )
    try:
        versions.parse_range(version_range, template=family)
    except errors.TemplateError as exc:
        raise errors.FlagError(flag="--template", value=value, reason=exc.reason) from exc
    return family, version_range


def _resolve(
    value: str, family: str, version_range: str, kind: str, root: Path | None
) -> template_model.Template:
    if root is not None and not root.is_dir():
        raise errors.FlagError(
            flag="--templates", value=str(root), reason="not a folder of <family>/<version>/"
        )
    try:
        template = registry.resolve(family, version_range, root)
    except errors.TemplateError as exc:
        raise errors.FlagError(flag="--template", value=value, reason=exc.reason) from exc
    if kind not in template.spec.spec_types:
        raise errors.FlagError(
            flag="--template",
            value=value,
            reason=f"{template.name} generates from {', '.join(template.spec.spec_types)}, "
            f"not {kind}; for {kind} use {DEFAULT_TEMPLATES[kind]} (or --type to change the type)",
        )
    return template


def _variables(
    sets: Sequence[str], template: template_model.Template, spec: Path
) -> dict[str, Any]:
    declared = {variable.name: variable for variable in template.spec.variables}
    given: dict[str, Any] = {}
    raw: dict[str, str] = {}
    for item in sets:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise errors.FlagError(flag="--set", value=item, reason="expected NAME=VALUE")
        if name in given:
            raise errors.FlagError(flag="--set", value=item, reason=f"{name} is given twice")
        variable = declared.get(name)
        given[name] = _typed(item, value, variable.type if variable else "string")
        raw[name] = item
    if "packageName" in declared and "packageName" not in given:
        given["packageName"] = _package_name(spec)
        raw["packageName"] = f"packageName={given['packageName']} (from the file name)"
    try:
        variables_.validate(template.spec.variables, given)
    except errors.VariableError as exc:
        if exc.variable in raw:
            raise errors.FlagError(
                flag="--set", value=raw[exc.variable], reason=exc.reason
            ) from exc
        raise errors.FlagError(
            flag="--set",
            value=exc.variable,
            reason=f"{template.name} requires it; pass --set {exc.variable}=VALUE",
        ) from exc
    return given


def _typed(item: str, value: str, kind: str) -> Any:
    """`value` as the variable's JSON type: strings as given, the rest read as YAML."""
    if kind == "string":
        return value
    try:
        return loading.load(value, source="--set")
    except errors.DocumentError as exc:
        raise errors.FlagError(
            flag="--set", value=item, reason=f"not {kind}: {exc.reason}"
        ) from exc


def _package_name(spec: Path) -> str:
    stem = re.sub(r"[^a-z0-9]+", "_", spec.name.split(".")[0].lower()).strip("_")
    return stem if stem[:1].isalpha() else "p_" + stem if stem else "service"


def _name(spec: Path) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", spec.name.split(".")[0].lower()).strip("-")[:63].strip("-")
    return stem or "generation"


# -- YAML --------------------------------------------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (a GraphQL schema, descriptions) as literal blocks."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _string)


def _dump(data: dict[str, Any]) -> str:
    return yaml.dump(
        data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False
    )
