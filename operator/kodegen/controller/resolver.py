"""Template resolution for the operator, behind one interface: `Resolver.resolve(...)`.

Builtin    the `templates/` folder of the image (immutable while the operator runs)
Resources  CodeTemplates and ClusterCodeTemplates (the `catalog`), with the rollout rules
           of `rollouts`; a family no resource publishes falls back to the builtin folder,
           so a cluster without template resources still generates
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.api import codegeneration_status as status_api
from kodegen.api import codetemplate as template_api
from kodegen.controller import catalog, rollouts
from kodegen.templates import model, registry

__all__ = ["Builtin", "Resolution", "Resolver", "Resources"]


@dataclasses.dataclass(frozen=True)
class Resolution:
    template: model.Template
    resolved: status_api.ResolvedTemplate
    entry: catalog.Entry | None = None
    """The template resource; None for a builtin template."""
    waiting: catalog.Entry | None = None
    """A newer version the range admits that the rollout does not let this user take yet."""
    deprecated_pin: bool = False


class Resolver(Protocol):
    def resolve(
        self,
        namespace: str,
        ref: codegeneration.TemplateRef,
        *,
        current: status_api.ResolvedTemplate | None = None,
        user: rollouts.User | None = None,
        asked: bool = True,
    ) -> Resolution:
        """The version `ref` resolves to for a CodeGeneration in `namespace` that uses
        `current` now; `asked`: its spec changed since (it may move under Manual rollouts).
        `errors.TemplateError` when nothing qualifies."""
        ...


class Builtin:
    """The image's `templates/` folder; a version is loaded and hashed once."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._loaded: dict[tuple[str, str], model.Template] = {}

    def resolve(
        self,
        namespace: str,
        ref: codegeneration.TemplateRef,
        *,
        current: status_api.ResolvedTemplate | None = None,
        user: rollouts.User | None = None,
        asked: bool = True,
    ) -> Resolution:
        key = (ref.family, ref.version)
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = registry.resolve(ref.family, ref.version, self.root)
            template = self._loaded[key]
        resolved = status_api.ResolvedTemplate(
            kind="Builtin",
            name=template.name,
            family=template.spec.family,
            version=template.spec.version,
            digest=template.digest,
        )
        return Resolution(template=template, resolved=resolved)


Loader = Callable[[catalog.Entry], model.Template]
"""Fetches a template resource's content (cached by the caller's implementation)."""
States = Callable[[catalog.Entry], template_api.RolloutStatus | None]
"""The rollout status of a template resource."""


class Resources:
    def __init__(
        self,
        entries: catalog.Catalog,
        load: Loader,
        states: States,
        builtin: Builtin | None = None,
    ) -> None:
        self.catalog, self.load, self.states = entries, load, states
        self.builtin = builtin or Builtin()

    def resolve(
        self,
        namespace: str,
        ref: codegeneration.TemplateRef,
        *,
        current: status_api.ResolvedTemplate | None = None,
        user: rollouts.User | None = None,
        asked: bool = True,
    ) -> Resolution:
        if not self.catalog.knows(ref.family):
            return self.builtin.resolve(namespace, ref)
        version = current.version if current and current.kind != "Builtin" else None
        choice = catalog.choose(
            self.catalog.family(ref.family), namespace, ref, current=version, upgrade=False
        )
        entry, waiting = choice.entry, choice.newer
        if waiting is not None and (
            user is None or rollouts.may_move(waiting, user, self.states(waiting), asked=asked)
        ):
            entry, waiting = waiting, None
        template = self.load(entry)
        if entry.digest is not None and template.digest != entry.digest:
            raise errors.TemplateError(
                template=entry.label,
                reason=f"its content changed under the same version (validated "
                f"{entry.digest}, now {template.digest}); publish a new version instead",
            )
        resolved = status_api.ResolvedTemplate(
            kind=entry.kind,
            name=entry.name,
            family=entry.spec.family,
            version=entry.spec.version,
            digest=template.digest,
        )
        return Resolution(
            template=template,
            resolved=resolved,
            entry=entry,
            waiting=waiting,
            deprecated_pin=choice.deprecated_pin,
        )
