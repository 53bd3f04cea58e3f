"""A CodeGeneration whose OpenAPI or JSON Schema document lives in files becomes one whose
document is inline: the entry document read from a *document source* (`documents.sources`:
a folder on disk, a ConfigMap's keys, a Git checkout) and every document it refers to bundled
into it (`bundle`). The CLI does this from the manifest's folder (`from_folder`); the operator
from the ConfigMap (`document` with `sources.Files`) before it freezes the request, so a Job
needs nothing but the request and never reads a file or the network.

    member(specification)               (field, camelCase field, source) of the document
    document(source, name, remote=...)  the entry `name` of `source`, bundled
    inlined(generation, document)       the CodeGeneration with `document` inline
    remote_for(generation, ceiling)     the remote fetcher a generation may use
    from_folder(generation, folder)     `file:` and inline documents, as the CLI reads them
"""

from __future__ import annotations

import posixpath
from pathlib import Path
from typing import Any

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.documents import limits as limits_
from kodegen.documents import loading, sources
from kodegen.documents import remote as remote_
from kodegen.specs import bundle

__all__ = ["document", "from_folder", "inlined", "member", "remote_for"]


def member(specification: Any) -> tuple[str, str, Any] | None:
    """The member holding a file-backed document (OpenAPI or JSON Schema), if any."""
    for name, alias in (("openapi", "openapi"), ("json_schema", "jsonSchema")):
        source = getattr(specification, name, None)
        if source is not None:
            return name, alias, source
    return None


def document(
    source: sources.Source,
    name: str,
    *,
    remote: remote_.Remote | None = None,
    limits: limits_.Limits = limits_.DEFAULT,
) -> dict[str, Any]:
    """The entry document `name` of `source` with every document it refers to inlined."""
    where = source.where(name)
    with loading.guard(where):
        entry = loading.load(source.read(name), source=where, limits=limits)
        if not isinstance(entry, dict):
            raise errors.DocumentError(source=where, reason="is not a mapping (a spec document)")
        return bundle.bundle(entry, name=name, source=source, remote=remote, limits=limits)


def inlined(
    generation: codegeneration.CodeGeneration, document: dict[str, Any]
) -> codegeneration.CodeGeneration:
    """`generation` with its OpenAPI / JSON Schema document given inline."""
    specification = generation.spec.specification
    found = member(specification)
    assert found is not None  # callers hold a file-backed document
    name, _, source = found
    update = {"inline": document, "config_map_ref": None, "file": None}
    if hasattr(source, "git"):
        update["git"] = None
    specification = specification.model_copy(update={name: source.model_copy(update=update)})
    spec = generation.spec.model_copy(update={"specification": specification})
    return generation.model_copy(update={"spec": spec})


def remote_for(
    generation: codegeneration.CodeGeneration, ceiling: tuple[str, ...] | None = None
) -> remote_.Remote | None:
    """The fetcher for the generation's remote `$ref`s: its `allowRemoteRefs` prefixes, each
    kept only when it lies under one of `ceiling` (the operator's own allowance; None: no
    ceiling, as on the user's own machine). None when nothing may be fetched."""
    asked = tuple(generation.spec.specification.allow_remote_refs or ())
    if ceiling is not None:
        asked = tuple(prefix for prefix in asked if remote_.allowed(prefix, ceiling))
    return remote_.Remote(allow=asked) if asked else None


def from_folder(
    generation: codegeneration.CodeGeneration, folder: Path
) -> codegeneration.CodeGeneration:
    """The CLI's reading: a `file:` document read from `folder` (the manifest's folder; the
    files it refers to must be inside it) and bundled; an inline document's allowed remote
    `$ref`s fetched. Any other source is left for the operator."""
    found = member(generation.spec.specification)
    if found is None:
        return generation
    _, alias, source = found
    remote = remote_for(generation)
    if source.file is not None:
        try:
            name = sources.resolve("", posixpath.normpath(source.file))
        except errors.SpecError as exc:
            raise errors.ManifestError(
                field=f"spec.specification.{alias}.file",
                reason=f"{source.file!r} leaves the manifest's folder {folder}; put the spec "
                "in that folder (or below it) and name it relative to the manifest",
            ) from exc
        files = sources.Folder(folder, label=str(folder))
        return inlined(generation, document(files, name, remote=remote))
    if source.inline is not None and remote is not None:
        with loading.guard("the specification"):
            return inlined(generation, bundle.bundle(source.inline, remote=remote))
    return generation
