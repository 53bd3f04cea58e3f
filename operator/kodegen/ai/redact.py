"""Keeps API keys and bearer tokens out of logs, Events, status, errors and transcripts.

`Redactor` knows the exact secrets in play (the keys the CLI or the Job read), masks them and
their common encodings (`encodings`: reversed, hex, base64 and URL-safe base64 at every
alignment), and also masks whatever looks like a credential: `Bearer …` headers,
`sk-…`/`sk-ant-…` keys, Google `AIza…` keys, and `key=`/`api_key=` query parameters.
`Redactor.filter()` is a `logging.Filter` that rewrites records before any handler sees them;
`protect(keys)` adds keys to the process-wide `SHARED` redactor and puts its filter on the root
logger's handlers, so no library's log line (the SDKs', httpx's) carries them either.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["MASK", "SHARED", "Redactor", "encodings", "protect"]

MASK = "***"

_PATTERNS = (
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(
        r"(?i)((?:x-api-key|x-goog-api-key|authorization|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)"
        r"[A-Za-z0-9._~+/=-]{8,}"
    ),
    re.compile(r"(?i)([?&](?:key|api_key|apikey|token)=)[^&\s\"']+"),
    re.compile(r"()\bsk-(?:ant-)?[A-Za-z0-9_-]{12,}"),
    re.compile(r"()\bAIza[0-9A-Za-z_-]{20,}"),
)


MIN_ENCODED = 12
"""Secrets shorter than this are masked as they are, not in encodings: the encoded forms of a
short value are a few characters that ordinary text contains by chance."""


def encodings(secret: str) -> tuple[str, ...]:
    """`secret` and the forms a model (or a test) may write it in, longest first: as it is,
    reversed, hex (lower and upper case), base64 and URL-safe base64.

    A base64 text holding the secret somewhere inside encodes it at one of three alignments;
    each alignment's characters that do not depend on the neighbouring bytes are included, so
    the secret is found inside a longer encoded text as well as alone.
    """
    if len(secret) < MIN_ENCODED:
        return (secret,) if secret else ()
    raw = secret.encode()
    found = {secret, secret[::-1], raw.hex(), raw.hex().upper()}
    for offset in range(3):
        encoded = base64.b64encode(bytes(offset) + raw).decode()
        # a character holds 6 bits: those before `start` hold bits of the bytes before the
        # secret, those from `end` on bits of the bytes after it (or the padding)
        start, end = -(-offset * 4 // 3), (offset + len(raw)) * 4 // 3
        stable = encoded[start:end]  # at least 15 characters: the secret has 12 bytes or more
        found |= {stable, stable.replace("+", "-").replace("/", "_")}
    return tuple(sorted(found, key=lambda text: (-len(text), text)))


class Redactor:
    """Masks known secrets (and their encodings) and credential-looking text."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.secrets: list[str] = []
        self._forms: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4 and secret not in self.secrets:
            self.secrets = sorted([*self.secrets, secret], key=len, reverse=True)
            # longest first, so a key that contains another is masked whole
            forms = {form for known in self.secrets for form in encodings(known)}
            self._forms = sorted(forms, key=lambda text: (-len(text), text))

    def holds_secret(self, text: str) -> bool:
        """Whether `text` contains a known secret in any of its `encodings`."""
        return any(form in text for form in self._forms)

    def known(self, text: str) -> str:
        """`text` with the known secrets (in every form) masked, and nothing else: for prompts,
        where masking code that merely looks like a credential would change what the model
        is asked about."""
        for secret in self._forms:
            text = text.replace(secret, MASK)
        return text

    def __call__(self, text: str) -> str:
        text = self.known(text)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        return text

    def value(self, value: Any) -> Any:
        """`value` with every string inside it (dicts, lists, tuples) redacted."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {key: self.value(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [self.value(item) for item in value]
        return value

    def filter(self) -> logging.Filter:
        """A logging filter that redacts each record's message and arguments in place."""
        redactor = self

        class _Filter(logging.Filter):
            def filter(self, record: logging.LogRecord) -> bool:
                record.msg = redactor(record.getMessage())
                record.args = None
                if record.exc_info and record.exc_info[1] is not None:
                    record.exc_text = redactor(logging.Formatter().formatException(record.exc_info))
                    record.exc_info = None
                return True

        return _Filter()


SHARED = Redactor()
"""Every key this process has been given; its filter sits on the root logger's handlers."""
_SHARED_FILTER = SHARED.filter()


def protect(secrets: Iterable[str | None]) -> None:
    """Mask `secrets` in every log record from now on, whichever logger emits it."""
    for secret in secrets:
        SHARED.add(secret)
    for handler in logging.getLogger().handlers:
        if _SHARED_FILTER not in handler.filters:
            handler.addFilter(_SHARED_FILTER)
