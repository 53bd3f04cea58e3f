"""A loaded template version: its spec, its files, and the digest that identifies them."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from kodegen.api import codetemplate

__all__ = ["DIGEST_EXCLUDED", "Template", "build", "content_digest"]

DIGEST_EXCLUDED = frozenset({*codetemplate.MUTABLE_FIELDS, "source"})
"""Spec fields the digest leaves out: the mutable ones (deprecating a version does not change
what it renders) and ``source`` (where the files came from is not what they are)."""

_DIGEST_FORMAT = "kodegen.dev/template-digest/v1"
"""Written into the hashed document, so a future serialization can never collide with it."""


@dataclasses.dataclass(frozen=True)
class Template:
    """One template version, ready to render.

    ``files`` maps a path under ``files/`` (``/``-separated, e.g. ``{{ packageName }}/main.py.j2``)
    to its text, in sorted order and read-only. ``folder`` is where it was loaded from, or
    ``None`` for a template built from a resource. ``digest`` is :func:`content_digest`.
    """

    spec: codetemplate.CodeTemplateSpec
    folder: Path | None
    files: Mapping[str, str]
    digest: str

    def __post_init__(self) -> None:
        frozen = types.MappingProxyType(dict(sorted(self.files.items())))
        object.__setattr__(self, "files", frozen)

    def __hash__(self) -> int:
        return hash(self.digest)

    @property
    def name(self) -> str:
        """``family@version``, how errors and logs name the template."""
        return f"{self.spec.family}@{self.spec.version}"


def build(
    spec: codetemplate.CodeTemplateSpec,
    files: Mapping[str, str],
    folder: Path | None = None,
) -> Template:
    """A :class:`Template` with its digest computed."""
    return Template(spec=spec, folder=folder, files=files, digest=content_digest(spec, files))


def content_digest(spec: codetemplate.CodeTemplateSpec, files: Mapping[str, str]) -> str:
    """``sha256:<hex>`` of a canonical JSON document of the spec and every file.

    The spec is serialized as validated, with its camelCase names, defaults and
    :data:`DIGEST_EXCLUDED` left out (comments, key order and quoting in template.yaml do not
    count); files by path in sorted order. Nothing about the disk (mtimes, listing order,
    permissions) enters it.
    """
    document: dict[str, Any] = {
        "format": _DIGEST_FORMAT,
        "spec": spec.model_dump(
            mode="json", by_alias=True, exclude_defaults=True, exclude=set(DIGEST_EXCLUDED)
        ),
        "files": [[path, files[path]] for path in sorted(files)],
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return "sha256:" + hashlib.sha256(canonical.encode("ascii")).hexdigest()
