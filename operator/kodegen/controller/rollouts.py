"""Who uses which template version, and when a CodeGeneration may move to a newer one.

A CodeGeneration keeps the version it resolved to while that version still qualifies. A newer
Ready version that its range admits moves it according to the newer version's `rollout`:

    Manual     only when the user changes the CodeGeneration's spec (e.g. `regenerate`); until
               then its condition UpdateAvailable says which version waits
    Automatic  at once (runs are bounded by the operator's concurrency limits)
    Canary     first the canaries: those matching `selector`, else the first `percent` of the
               users in a stable order; when they have all succeeded (at most `maxFailures`
               failed) everyone; past `maxFailures` the rollout halts and the rest stay

A user is a CodeGeneration the operator has reconciled; the registry is rebuilt as the
operator sees them again after a restart, and a rollout's progress lives in the template's
status (`status.rollout`), not here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import threading
from collections.abc import Mapping, Sequence

from kodegen.api import base, codegeneration
from kodegen.api import codetemplate as template_api
from kodegen.controller import catalog
from kodegen.templates import versions

__all__ = ["User", "Users", "canaries", "may_move", "selects"]


@dataclasses.dataclass(frozen=True)
class User:
    namespace: str
    name: str
    labels: Mapping[str, str]
    ref: codegeneration.TemplateRef
    template: tuple[str, str | None, str] | None = None
    """Key of the template resource it resolved to; None for a builtin or none yet."""

    @property
    def id(self) -> str:
        return f"{self.namespace}/{self.name}"


class Users:
    """The CodeGenerations the operator has seen, by (namespace, name); thread-safe."""

    def __init__(self) -> None:
        self._users: dict[tuple[str, str], User] = {}
        self._lock = threading.Lock()

    def record(self, user: User) -> tuple[str, str | None, str] | None:
        """Remember `user`; returns the template key it used before (None: none, or new)."""
        with self._lock:
            before = self._users.get((user.namespace, user.name))
            self._users[(user.namespace, user.name)] = user
        return before.template if before is not None else None

    def forget(self, namespace: str, name: str) -> None:
        with self._lock:
            self._users.pop((namespace, name), None)

    def of(self, family: str) -> list[User]:
        with self._lock:
            found = [u for u in self._users.values() if u.ref.family == family]
        return sorted(found, key=lambda u: u.id)

    def count(self, key: tuple[str, str | None, str]) -> int:
        with self._lock:
            return sum(1 for u in self._users.values() if u.template == key)


def affected(entry: catalog.Entry, users: Sequence[User]) -> list[User]:
    """The users whose range admits `entry` and that can see it."""
    version = versions.parse_version(entry.version)
    found = []
    for user in users:
        if user.ref.family != entry.spec.family:
            continue
        if entry.kind == "CodeTemplate" and (
            user.namespace != entry.namespace or user.ref.scope == "Cluster"
        ):
            continue
        if entry.kind == "ClusterCodeTemplate" and user.ref.scope == "Namespace":
            continue
        if versions.parse_range(user.ref.version).matches(version):
            found.append(user)
    return found


def canaries(entry: catalog.Entry, users: Sequence[User]) -> list[str]:
    """The ids of the users moved first to `entry` (strategy Canary), sorted."""
    rollout = entry.spec.rollout
    candidates = affected(entry, users)
    if rollout.selector is not None:
        chosen = [u for u in candidates if selects(rollout.selector, u.labels)]
    else:
        share = math.ceil(len(candidates) * (rollout.percent or 0) / 100)
        order = sorted(candidates, key=lambda u: hashlib.sha256(u.id.encode()).hexdigest())
        chosen = order[:share]
    return sorted(u.id for u in chosen)


def may_move(
    entry: catalog.Entry,
    user: User,
    state: template_api.RolloutStatus | None,
    *,
    asked: bool,
) -> bool:
    """Whether `user` may move to `entry` now; `asked`: the user changed its spec since its
    last run (a regenerate), which is how Manual moves."""
    strategy = entry.spec.rollout.strategy
    if strategy == "Automatic" or (asked and strategy == "Manual"):
        return True
    if strategy != "Canary" or state is None or state.phase == "Halted":
        return False
    return state.phase == "Complete" or user.id in state.canaries


def selects(selector: base.LabelSelector, labels: Mapping[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.match_labels.items()):
        return False
    for requirement in selector.match_expressions:
        value = labels.get(requirement.key)
        ok = {
            "In": value in requirement.values,
            "NotIn": value not in requirement.values,
            "Exists": requirement.key in labels,
            "DoesNotExist": requirement.key not in labels,
        }[requirement.operator]
        if not ok:
            return False
    return True
