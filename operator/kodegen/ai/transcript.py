"""The record of every exchange with a model: what was asked, what came back, what it cost.

Written beside the output as `.kodegen/transcript.jsonl` (one JSON object per line, redacted,
no timestamps or latencies, so the same run gives the same bytes), and summarised in the
provenance as `(request digest, response digest)` pairs.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from kodegen.ai import redact, types

__all__ = ["PATH", "Entry", "Transcript"]

PATH = ".kodegen/transcript.jsonl"


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class Entry:
    purpose: str
    provider: str
    request: types.Request
    response: types.Response | None
    error: str | None = None
    rejected: tuple[str, ...] = ()
    """File blocks of the answer that were not taken, and why (one line each)."""

    def to_dict(self, redactor: redact.Redactor) -> dict[str, Any]:
        data: dict[str, Any] = {
            "purpose": self.purpose,
            "provider": self.provider,
            "model": self.request.model,
            "request": self.request.key(),
            "system": redactor(self.request.system),
            "messages": [
                {"role": m.role, "content": redactor(m.content)} for m in self.request.messages
            ],
        }
        if self.response is not None:
            data |= {
                "response": digest(self.response.text),
                "text": redactor(self.response.text),
                "finishReason": self.response.finish_reason,
                "usage": {
                    "inputTokens": self.response.usage.input_tokens,
                    "outputTokens": self.response.usage.output_tokens,
                },
                "costUSD": round(self.response.cost_usd, 6),
                "cached": self.response.cached,
            }
        if self.rejected:
            data["rejected"] = [redactor(line) for line in self.rejected]
        if self.error is not None:
            data["error"] = redactor(self.error)
        return data


@dataclass
class Transcript:
    redactor: redact.Redactor = field(default_factory=redact.Redactor)
    entries: list[Entry] = field(default_factory=list)

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)

    def dump(self) -> bytes:
        lines = [
            json.dumps(entry.to_dict(self.redactor), sort_keys=True, ensure_ascii=False)
            for entry in self.entries
        ]
        return "".join(line + "\n" for line in lines).encode()

    def exchanges(self) -> list[dict[str, str]]:
        """Request/response digest pairs of the answered calls, for the provenance."""
        return [
            {
                "purpose": entry.purpose,
                "provider": entry.provider,
                "model": entry.response.model or entry.request.model,
                "request": entry.request.key(),
                "response": digest(entry.response.text),
            }
            for entry in self.entries
            if entry.response is not None
        ]
