"""Template resolution for the operator, behind one interface: `Resolver.resolve(namespace,
ref)`. Today the builtin templates shipped in the image; CodeTemplate and ClusterCodeTemplate
resources plug in here later without the reconcile noticing."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Protocol

from kodegen.api import codegeneration
from kodegen.api import codegeneration_status as status_api
from kodegen.templates import model, registry

__all__ = ["Builtin", "Resolver"]


class Resolver(Protocol):
    def resolve(
        self, namespace: str, ref: codegeneration.TemplateRef
    ) -> tuple[model.Template, status_api.ResolvedTemplate]:
        """The template version `ref` resolves to for a CodeGeneration in `namespace`;
        `errors.TemplateError` when none matches."""
        ...


class Builtin:
    """The `templates/` folder of the image: immutable while the operator runs, so a version
    is loaded and hashed once."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._loaded: dict[tuple[str, str], model.Template] = {}

    def resolve(
        self, namespace: str, ref: codegeneration.TemplateRef
    ) -> tuple[model.Template, status_api.ResolvedTemplate]:
        with self._lock:
            template = self._load(ref.family, ref.version)
        resolved = status_api.ResolvedTemplate(
            kind="Builtin",
            name=template.name,
            family=template.spec.family,
            version=template.spec.version,
            digest=template.digest,
        )
        return template, resolved

    def _load(self, family: str, version_range: str) -> model.Template:
        key = (family, version_range)
        if key not in self._loaded:
            self._loaded[key] = registry.resolve(family, version_range, self.root)
        return self._loaded[key]
