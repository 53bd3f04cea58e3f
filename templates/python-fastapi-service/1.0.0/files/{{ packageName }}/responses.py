"""Answers encoded in the media type the specification declares for them."""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from pydantic import BaseModel
from starlette.responses import Response

BOUNDARY = "kodegen-boundary"
NO_BODY = {204, 304}


def data(body: BaseModel | None) -> dict[str, Any]:
    """The fields a client sent, JSON-ready; optional fields it left out stay out."""
    if body is None:
        return {}
    dumped: dict[str, Any] = body.model_dump(mode="json", by_alias=True, exclude_unset=True)
    return dumped


def unwrap(fields: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The object a request envelope (`{"article": {...}}`) holds under `name`."""
    inner = fields.get(name)
    return dict(inner) if isinstance(inner, Mapping) else {}


def only(fields: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The `names` among `fields`: what an update through another path changes."""
    return {name: value for name, value in fields.items() if name in names}


def wrap(shell: Any, path: Sequence[str], value: Any, counts: Sequence[str] = ()) -> Any:
    """`value` at `path` inside a copy of `shell` (a sample of the envelope); the `counts`
    fields beside it say how many items `value` holds."""
    result = copy.deepcopy(shell) if isinstance(shell, dict) else {}
    holder = result
    for name in path[:-1]:
        inner = holder.get(name)
        holder[name] = inner = inner if isinstance(inner, dict) else {}
        holder = inner
    holder[path[-1]] = value
    for name in counts:
        holder[name] = len(value)
    return result


def respond(status: int, media_type: str | None, content: Any = None) -> Response:
    if media_type is None or status in NO_BODY:
        return Response(status_code=status)
    return Response(encode(media_type, content), status_code=status, media_type=header(media_type))


def header(media_type: str) -> str:
    if base(media_type) == "multipart/form-data":
        return f"multipart/form-data; boundary={BOUNDARY}"
    return media_type


def base(media_type: str) -> str:
    return media_type.split(";")[0].strip().lower()


def encode(media_type: str, content: Any) -> bytes:
    kind = base(media_type)
    if kind == "multipart/form-data" and isinstance(content, dict):
        return _multipart(content)
    if kind == "application/x-www-form-urlencoded" and isinstance(content, dict):
        return urlencode({k: _field(v) for k, v in content.items()}).encode()
    if kind.startswith("text/") and isinstance(content, str):
        return content.encode()
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def _field(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _multipart(content: dict[str, Any]) -> bytes:
    parts = [
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{_field(value)}\r\n'
        for name, value in content.items()
    ]
    return ("".join(parts) + f"--{BOUNDARY}--\r\n").encode()
