"""A template folder as Kubernetes objects: a ClusterCodeTemplate or CodeTemplate, and the
ConfigMap of a `configMapRef` source. `kodegen template manifest` prints them; the builtin
templates' ClusterCodeTemplates in `templates/<family>-<version>.yaml` are its output.

    objects(template, source=..., kind=..., namespace=...) -> [ConfigMap?, template object]
    dump(objects) -> YAML text        parse(text) -> the objects of a manifest file
    load(path, ...) -> sources.Loaded  a template folder, or a manifest file (what
                                       `kodegen template test PATH` reads)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import pydantic
import yaml

from kodegen import errors
from kodegen.documents import loading
from kodegen.api import codetemplate
from kodegen.templates import git as git_
from kodegen.templates import model, registry, sources

__all__ = [
    "API_VERSION",
    "HEADER",
    "KINDS",
    "SourceChoice",
    "dump",
    "file_name",
    "load",
    "object_name",
    "objects",
    "parse",
]

API_VERSION = "kodegen.dev/v1alpha1"
KINDS = ("ClusterCodeTemplate", "CodeTemplate")
SourceChoice = Literal["builtin", "inline", "configMap", "git"]

HEADER = (
    "# Generated from {family}/{version}/template.yaml by `kodegen template manifest`: "
    "do not edit.\n"
)
"""The first line of a manifest file `kodegen template manifest --out` writes."""


def object_name(template: model.Template) -> str:
    """`<family>-<version>`, `+` (build metadata) written as `-` (object names allow none)."""
    name = f"{template.spec.family}-{template.spec.version}".lower()
    return re.sub(r"[^-.a-z0-9]", "-", name)


def file_name(template: model.Template) -> str:
    """Where `kubectl apply -f templates/` finds the object: `<family>-<version>.yaml`."""
    return f"{object_name(template)}.yaml"


def objects(
    template: model.Template,
    *,
    source: SourceChoice = "builtin",
    kind: str = "ClusterCodeTemplate",
    namespace: str | None = None,
    git_url: str | None = None,
    git_ref: str | None = None,
    git_path: str | None = None,
) -> list[dict[str, Any]]:
    """The objects publishing `template` (its spec as written in template.yaml, plus
    `source`): a ConfigMap `<name>-files` first for source configMap."""
    if kind not in KINDS:
        raise errors.TemplateError(
            template=template.name, reason=f"kind {kind!r}: use one of {', '.join(KINDS)}"
        )
    name = object_name(template)
    spec: dict[str, Any] = template.spec.model_dump(
        mode="json", by_alias=True, exclude_unset=True, exclude={"source"}
    )
    found: list[dict[str, Any]] = []
    metadata: dict[str, Any] = {"name": name}
    if kind == "CodeTemplate" and namespace:
        metadata["namespace"] = namespace
    if source == "builtin":
        spec["source"] = {"builtin": f"{template.spec.family}/{template.spec.version}"}
    elif source == "inline":
        spec["source"] = {"inline": {"files": dict(template.files)}}
    elif source == "configMap":
        files_name = f"{name}-files"
        config_map: dict[str, Any] = {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {**metadata, "name": files_name},
            "data": sources.config_map_data(template.files),
        }
        found.append(config_map)
        spec["source"] = {"configMapRef": {"name": files_name}}
    else:
        if not git_url or not git_ref:
            raise errors.TemplateError(
                template=template.name,
                reason="a git source needs the repository's URL and a tag or commit "
                "(--git-url, --git-ref; --git-path for a folder below the root)",
            )
        git: dict[str, Any] = {"url": git_url, "ref": git_ref}
        if git_path:
            git["path"] = git_path.strip("/")
        spec["source"] = {"git": git}
    found.append({"apiVersion": API_VERSION, "kind": kind, "metadata": metadata, "spec": spec})
    return found


def dump(documents: Sequence[dict[str, Any]], header: str = "") -> str:
    """YAML documents separated by `---`, keys in the order given, long strings as blocks."""
    texts = [
        yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
        for document in documents
    ]
    return header + "---\n".join(texts)


def parse(text: str, *, source: str = "<manifest>") -> list[dict[str, Any]]:
    """Every mapping document of a YAML stream (empty documents skipped)."""
    try:
        documents = loading.load_all(text, source=source)  # bounded: aliases, depth, size
    except errors.DocumentError as exc:
        where = source if exc.line is None else f"{source}:{exc.line}"
        at = f" at {exc.pointer}" if exc.pointer else ""
        problem = exc.reason.removeprefix("malformed YAML: ")
        raise errors.TemplateError(template=where, reason=f"invalid YAML: {problem}{at}") from exc
    for index, document in enumerate(documents):
        if not isinstance(document, dict):
            raise errors.TemplateError(
                template=source,
                reason=f"document {index + 1} is a {type(document).__name__}, not an object",
            )
    return documents


def load(
    path: Path, *, builtin_root: Path | None = None, git: git_.GitFetcher | None = None
) -> sources.Loaded:
    """The template at `path`: a template folder (template.yaml and files/; kind `folder`), or
    a YAML file holding one CodeTemplate or ClusterCodeTemplate (any source; a configMapRef
    reads a ConfigMap of that name from the same file)."""
    if path.is_dir():
        return sources.Loaded(registry.load(path), "folder")
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise errors.TemplateError(
            template=str(path),
            reason=f"cannot read it ({exc}); give a template folder or a CodeTemplate manifest",
        ) from exc
    documents = parse(text, source=str(path))
    found = [d for d in documents if d.get("kind") in KINDS]
    if len(found) != 1:
        kinds = ", ".join(str(d.get("kind")) for d in documents) or "nothing"
        raise errors.TemplateError(
            template=str(path),
            reason=f"holds {kinds}; it must hold exactly one CodeTemplate or "
            "ClusterCodeTemplate (or give a template folder)",
        )
    model_type: type[codetemplate.CodeTemplate | codetemplate.ClusterCodeTemplate] = (
        codetemplate.CodeTemplate
        if found[0]["kind"] == "CodeTemplate"
        else codetemplate.ClusterCodeTemplate
    )
    try:
        resource = model_type.model_validate(found[0])
    except pydantic.ValidationError as exc:
        problem = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in problem["loc"])
        raise errors.TemplateError(
            template=str(path), file=field or None, reason=problem["msg"]
        ) from exc
    config_map = None
    source = resource.spec.source
    if source is not None and source.config_map_ref is not None:
        wanted = source.config_map_ref.name
        maps = [
            d
            for d in documents
            if d.get("kind") == "ConfigMap" and (d.get("metadata") or {}).get("name") == wanted
        ]
        if not maps:
            raise errors.TemplateError(
                template=str(path),
                file="spec.source.configMapRef",
                reason=f"ConfigMap {wanted!r} is not in the file; put it in the same file "
                "(`kodegen template manifest --source configMap` writes both)",
            )
        config_map = {str(k): str(v) for k, v in (maps[0].get("data") or {}).items()}
    return sources.load(resource.spec, config_map=config_map, git=git, builtin_root=builtin_root)


class _Dumper(yaml.SafeDumper):
    """Multi-line strings (template files) as literal blocks, so a reviewer can read them."""


def _text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    if "\n" in value and not any(c in value for c in "\r\t") and value == value.rstrip(" "):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _text)
