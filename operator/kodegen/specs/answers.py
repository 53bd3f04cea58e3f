"""What an operation takes and answers, as the store semantics see it."""

from __future__ import annotations

from collections.abc import Mapping

from kodegen.specs import model, schemas


def success(op: model.Operation | None) -> model.Response | None:
    """The first 2XX answer an operation declares."""
    if op is None:
        return None
    ordered = sorted(op.responses, key=lambda r: r.status)
    return next((r for r in ordered if r.status.startswith("2")), None)


def refuses(op: model.Operation) -> bool:
    """Whether every answer `op` documents is an error (`DELETE /workspaces`: `405` only)."""
    return bool(op.responses) and all(r.status[:1] in ("4", "5") for r in op.responses)


def schema(op: model.Operation | None) -> model.Schema | None:
    """The schema of the success answer's body, when it has one."""
    found = success(op)
    return found.schema if found and found.media_type else None


def json_object(
    op: model.Operation | None, components: Mapping[str, model.Schema]
) -> model.Body | None:
    """The operation's body when it is a JSON object."""
    body = op.body if op else None
    if (
        body is not None
        and "json" in body.media_type
        and schemas.is_object(body.schema, components)
    ):
        return body
    return None


def misses(op: model.Operation) -> bool:
    """Whether an operation documents an answer for an unknown key (404, 410, 4XX, default)."""
    return any(r.status in ("404", "410", "4XX", "default") for r in op.responses)
