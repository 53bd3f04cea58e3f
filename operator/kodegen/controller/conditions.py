"""Conditions as the Kubernetes API conventions want them: one per type, `lastTransitionTime`
moved only when the status changes, `observedGeneration` on each, in a fixed order."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from kodegen.api import codegeneration

__all__ = ["Condition", "merge", "timestamp"]

Status = Literal["True", "False", "Unknown"]
Condition = tuple[str, Status, str, str]
"""(type, status, reason, message)."""

MESSAGE_MAX = 1024
"""Longest message kept (the API allows 32768; a condition is read by a human)."""


def timestamp(moment: datetime.datetime) -> str:
    """RFC 3339 in UTC, whole seconds, as Kubernetes writes it."""
    utc = moment.astimezone(datetime.UTC).replace(microsecond=0, tzinfo=None)
    return utc.isoformat() + "Z"


def merge(
    existing: Sequence[Mapping[str, Any]],
    updates: Sequence[Condition],
    *,
    generation: int | None,
    now: datetime.datetime,
) -> list[dict[str, Any]]:
    """`existing` with `updates` applied, ordered as `CONDITION_TYPES` (others after, by type).
    A condition whose status did not change keeps its `lastTransitionTime`."""
    merged: dict[str, dict[str, Any]] = {str(c["type"]): dict(c) for c in existing}
    for kind, status, reason, message in updates:
        before = merged.get(kind)
        moved = before is None or before.get("status") != status
        merged[kind] = {
            "type": kind,
            "status": status,
            "reason": reason,
            "message": _short(message),
            "observedGeneration": generation,
            "lastTransitionTime": timestamp(now)
            if moved or before is None
            else before.get("lastTransitionTime", timestamp(now)),
        }
        if merged[kind]["observedGeneration"] is None:
            del merged[kind]["observedGeneration"]
    order = {kind: index for index, kind in enumerate(codegeneration.CONDITION_TYPES)}
    return sorted(merged.values(), key=lambda c: (order.get(c["type"], len(order)), c["type"]))


def _short(message: str) -> str:
    message = " ".join(message.split())
    return message if len(message) <= MESSAGE_MAX else message[: MESSAGE_MAX - 1] + "…"
