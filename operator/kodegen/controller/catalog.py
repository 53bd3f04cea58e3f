"""The template versions the operator knows of, and how a CodeGeneration's range picks one.

Catalog        every CodeTemplate and ClusterCodeTemplate seen (kept current by the
               template handlers), thread-safe
choose(...)    the pure resolution rule of DESIGN.md §1:
               - CodeTemplates of the CodeGeneration's own namespace first, then
                 ClusterCodeTemplates (or only one scope, when `scope` says so); never
                 another namespace's;
               - the highest version in the range that is Ready and not deprecated wins;
               - an exact pin (`1.2.0`, `=1.2.0`) may take a deprecated version (the caller
                 posts a Warning);
               - a version already in use stays in use while it still qualifies, unless
                 `upgrade` allows the newer one (rollouts decide that);
               - nothing qualifies: a `errors.TemplateError` listing every version of the
                 family and why each was rejected.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable
from typing import Literal

import semver

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.api import codetemplate as template_api
from kodegen.templates import versions

__all__ = ["Catalog", "Choice", "Entry", "choose"]

Kind = Literal["CodeTemplate", "ClusterCodeTemplate"]


@dataclasses.dataclass(frozen=True)
class Entry:
    kind: Kind
    namespace: str | None
    """None for a ClusterCodeTemplate."""
    name: str
    spec: template_api.CodeTemplateSpec
    ready: bool
    digest: str | None
    """`status.contentDigest`: what was validated."""
    halted: bool = False
    """Its rollout was halted (a canary failed too often)."""

    @property
    def key(self) -> tuple[str, str | None, str]:
        return (self.kind, self.namespace, self.name)

    @property
    def version(self) -> str:
        return self.spec.version

    @property
    def label(self) -> str:
        where = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind} {where}{self.name} ({self.spec.version})"


@dataclasses.dataclass(frozen=True)
class Choice:
    entry: Entry
    newer: Entry | None = None
    """A higher qualifying version the range admits but that was not taken (`upgrade` off)."""
    deprecated_pin: bool = False


class Catalog:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str | None, str], Entry] = {}
        self._lock = threading.Lock()

    def put(self, entry: Entry) -> None:
        with self._lock:
            self._entries[entry.key] = entry

    def remove(self, kind: str, namespace: str | None, name: str) -> None:
        with self._lock:
            self._entries.pop((kind, namespace, name), None)

    def get(self, kind: str, namespace: str | None, name: str) -> Entry | None:
        with self._lock:
            return self._entries.get((kind, namespace, name))

    def family(self, family: str) -> list[Entry]:
        with self._lock:
            return sorted(
                (e for e in self._entries.values() if e.spec.family == family),
                key=lambda e: (e.kind, e.namespace or "", e.name),
            )

    def knows(self, family: str) -> bool:
        return bool(self.family(family))


def choose(
    entries: Iterable[Entry],
    namespace: str,
    ref: codegeneration.TemplateRef,
    *,
    current: str | None = None,
    upgrade: bool = True,
) -> Choice:
    """The version `ref` resolves to for a CodeGeneration in `namespace` (module docstring).
    `current`: the version it uses now; `upgrade`: whether it may move to a newer one."""
    entries = list(entries)
    label = f"{ref.family}@{ref.version}"
    wanted = versions.parse_range(ref.version, template=label)
    exact = _exact(ref.version)
    scopes: list[tuple[Kind, str | None]] = []
    if ref.scope in (None, "Namespace"):
        scopes.append(("CodeTemplate", namespace))
    if ref.scope in (None, "Cluster"):
        scopes.append(("ClusterCodeTemplate", None))
    visible = [
        e for e in entries if e.spec.family == ref.family and (e.kind, e.namespace) in scopes
    ]
    rejected: list[str] = []
    best: Choice | None = None
    everything_usable: list[Entry] = []
    for kind, where in scopes:
        usable: list[Entry] = []
        deprecated: list[Entry] = []
        for entry in (e for e in visible if (e.kind, e.namespace) == (kind, where)):
            reason = _rejection(entry, wanted)
            if reason is not None:
                rejected.append(f"{entry.label}: {reason}")
            elif entry.spec.deprecated:
                deprecated.append(entry)
                if not exact:
                    rejected.append(f"{entry.label}: deprecated (pin it exactly to use it)")
            else:
                usable.append(entry)
        everything_usable += usable
        if best is not None:
            continue
        if usable:
            best = Choice(entry=_highest(usable))
        elif exact and deprecated:
            best = Choice(entry=_highest(deprecated), deprecated_pin=True)
    if best is not None:
        if current is not None and not upgrade and best.entry.version != current:
            kept = [e for e in everything_usable if e.version == current]
            if kept:  # still qualifies: it stays until the rollout moves it
                return Choice(entry=kept[0], newer=best.entry)
        return best
    hidden = sorted(
        f"{e.label}: not visible from namespace {namespace}"
        for e in _others(entries, ref.family, scopes)
    )
    detail = "; ".join(rejected + hidden) or "no version of this family exists"
    where = " or ".join(
        f"namespace {ns}" if kind == "CodeTemplate" else "the cluster" for kind, ns in scopes
    )
    raise errors.TemplateError(
        template=label,
        reason=f"no Ready version in {where} matches {ref.version!r}: {detail}",
    )


def _rejection(entry: Entry, wanted: versions.Range) -> str | None:
    if not wanted.matches(versions.parse_version(entry.version)):
        return "outside the range"
    if entry.halted:
        return "its rollout is halted"
    if not entry.ready:
        return "not Ready (validation pending or its tests fail)"
    return None


def _highest(entries: list[Entry]) -> Entry:
    return max(entries, key=lambda e: semver.Version.parse(e.version))


def _exact(text: str) -> bool:
    text = text.strip().removeprefix("=").removeprefix("v")
    try:
        semver.Version.parse(text)
    except ValueError:
        return False
    return True


def _others(
    entries: Iterable[Entry], family: str, scopes: list[tuple[Kind, str | None]]
) -> list[Entry]:
    return [e for e in entries if e.spec.family == family and (e.kind, e.namespace) not in scopes]
