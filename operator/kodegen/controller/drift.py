"""Drift of published Git output (`spec.driftPolicy`), looked at by a kopf timer every
`settings.drift_interval_seconds`.

    check(op, body) -> "skipped" | "in-sync" | "drifted" | "restored" | "unknown"

Only a CodeGeneration whose last run Succeeded and pushed to Git (`mode: push`; a pull
request's branch is the reviewers' to edit) is looked at. The folder on the branch is compared
with `status.output.git.commit` (`outputs.gitdrift`):

- the same: condition `Drifted=False`, reason `InSync`;
- edited, `Report`: `Drifted=True`, reason `HandEdited`, the files in the message, a Warning
  Event `Drifted` when the condition turns True;
- edited, `Restore`: a new commit puts the folder back; `status.output.git` points at it,
  `Drifted=False`, reason `Restored`, a Normal Event `Restored` naming the files;
- the branch cannot be read: `Drifted=Unknown` with the Git failure's reason.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from kodegen import errors
from kodegen.controller import conditions, executors, reconcile
from kodegen.outputs import git as git_output

__all__ = ["check"]

_log = logging.getLogger(__name__)
_FILES_SHOWN = 10


def check(op: reconcile.Operator, body: Mapping[str, Any]) -> str:
    generation = reconcile.parse(body)
    spec, status = generation.spec, generation.status
    target = spec.output.git
    if status.output is None or status.output.git is None:
        return "skipped"
    published = status.output.git
    if (
        target is None
        or target.mode != "push"
        or spec.drift_policy == "Ignore"
        or status.phase != "Succeeded"
    ):
        return "skipped"
    namespace, name = generation.metadata.namespace or "default", generation.metadata.name
    credentials = (
        executors.git_credentials(op.kube, namespace, target.secret_ref.name)
        if target.secret_ref is not None
        else None
    )
    options = git_output.Options(credentials=credentials, clock=op.clock)
    try:
        found = git_output.drift(target, published.commit, options)
        if found is None:
            where = target.path or "the repository root"
            message = f"{where} on {target.branch} is as published in {published.commit[:12]}"
            _write(op, body, {}, ("Drifted", "False", "InSync", message))
            return "in-sync"
        files = ", ".join(found.files[:_FILES_SHOWN]) + (
            f" and {len(found.files) - _FILES_SHOWN} more"
            if len(found.files) > _FILES_SHOWN
            else ""
        )
        if spec.drift_policy == "Report":
            message = (
                f"{len(found.files)} file(s) edited by hand since {found.published[:12]} "
                f"(branch {found.branch} at {found.head[:12]}): {files}; set "
                "spec.driftPolicy: Restore to put them back, or regenerate"
            )
            if _write(op, body, {}, ("Drifted", "True", "HandEdited", message)):
                op.event(body, "Warning", "Drifted", message, "")
            return "drifted"
        about = git_output.About(
            name=name,
            namespace=namespace,
            family=status.resolved_template.family if status.resolved_template else "",
            version=status.resolved_template.version if status.resolved_template else "",
            input_hash=status.input_hash or "",
        )
        restored = git_output.restore(target, found, about, options)
    except errors.GitError as exc:
        _write(op, body, {}, ("Drifted", "Unknown", exc.condition_reason, str(exc)))
        _log.warning("drift check failed namespace=%s name=%s reason=%s", namespace, name, exc)
        return "unknown"
    message = f"restored in commit {restored.commit[:12]}; edited by hand: {files}"
    output = status.output.model_copy(update={"git": restored})  # checked above: it has git
    fields = {"output": output.model_dump(mode="json", by_alias=True, exclude_none=True)}
    _write(op, body, fields, ("Drifted", "False", "Restored", message))
    op.event(body, "Normal", "Restored", message, "")
    return "restored"


def _write(
    op: reconcile.Operator,
    body: Mapping[str, Any],
    fields: Mapping[str, Any],
    condition: conditions.Condition,
) -> bool:
    """Patch the status with `fields` and `condition`; whether the condition's status
    changed (nothing is written when nothing changes)."""
    status = body.get("status") or {}
    existing = status.get("conditions") or []
    before = next((c for c in existing if c.get("type") == condition[0]), None)
    merged = conditions.merge(
        existing, [condition], generation=status.get("observedGeneration"), now=op.clock()
    )
    turned = before is None or before.get("status") != condition[1]
    if not fields and merged == existing:
        return turned
    meta = body["metadata"]
    op.kube.patch_generation_status(
        meta.get("namespace") or "default", meta["name"], {**fields, "conditions": merged}
    )
    return turned
