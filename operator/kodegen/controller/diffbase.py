"""Where kopf keeps the last handled spec of each object (its diff-base): in `status.kopf`,
compressed.

kopf compares each object with the copy of it that it last handled to know whether `spec`
changed. That copy is as large as the spec. In an annotation it would count against the 256 KiB
all annotations share, so kodegen keeps it in the status (the CRDs preserve `status.kopf`) and
compresses it (zlib, then base64), so an object holds its spec about once, not twice, within the
API server's ~1.5 MiB per object. A copy stored uncompressed (by an earlier release) still reads.
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from typing import Any

import kopf

__all__ = ["PREFIX", "CompressedStatusDiffBase"]

PREFIX = "zlib+base64:"
"""Marks a compressed copy (an uncompressed one is kopf's own JSON text)."""


class CompressedStatusDiffBase(kopf.StatusDiffBaseStorage):
    """kopf's status diff-base storage, the copy stored compressed."""

    def fetch(self, *, body: kopf.Body) -> kopf.BodyEssence | None:
        stored: Any = body
        for part in self.field:
            stored = stored.get(part) if isinstance(stored, Mapping) else None
            if stored is None:
                return None
        text = str(stored)
        if text.startswith(PREFIX):
            text = zlib.decompress(base64.b64decode(text[len(PREFIX) :])).decode()
        essence: kopf.BodyEssence = json.loads(text)
        return essence

    def store(self, *, body: kopf.Body, patch: kopf.Patch, essence: kopf.BodyEssence) -> None:
        compact = json.dumps(essence, separators=(",", ":"), sort_keys=True).encode()
        encoded = PREFIX + base64.b64encode(zlib.compress(compact, 9)).decode("ascii")
        target: Any = patch
        *parents, last = self.field
        for part in parents:
            target = target.setdefault(part, {})
        target[last] = encoded
