"""What the adapters share, none of it tied to an SDK: HTTP status -> failure kind,
`Retry-After` parsing, and errors built with the key redacted."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping

from kodegen import errors
from kodegen.ai import redact, types

__all__ = ["Adapter", "error", "kind_of_status", "retry_after", "to_request_parts"]

MAX_REASON = 300
"""Characters of a provider's error text kept in our message: enough to diagnose, no dumps."""


def kind_of_status(status: int) -> str:
    if status == 429:
        return "rate_limited"
    if status in (408, 504):
        return "timeout"
    if status >= 500:
        return "server"
    if status in (401, 403):
        return "auth"
    return "bad_request"


def retry_after(
    headers: Mapping[str, str] | None, now: Callable[[], float] = time.time
) -> float | None:
    """Seconds the provider asked us to wait: `retry-after-ms`, `retry-after` (seconds or an
    HTTP date); None when it said nothing usable."""
    if not headers:
        return None
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    try:
        if "retry-after-ms" in lowered:
            return max(0.0, float(lowered["retry-after-ms"]) / 1000)
        if "retry-after" in lowered:
            return max(0.0, float(lowered["retry-after"]))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(lowered["retry-after"])
        except (TypeError, ValueError, IndexError):
            return None
        return max(0.0, when.timestamp() - now())
    return None


def error(
    settings: types.ProviderSettings,
    *,
    kind: str,
    reason: str,
    retry_after: float | None = None,
) -> errors.ProviderError:
    """A `ProviderError` whose reason never contains the provider's key."""
    text = redact.Redactor([settings.api_key])(" ".join(str(reason).split()))
    if len(text) > MAX_REASON:
        text = text[:MAX_REASON] + "…"
    return errors.ProviderError(
        provider=settings.provider, kind=kind, reason=text, retry_after=retry_after
    )


def to_request_parts(request: types.Request) -> list[dict[str, str]]:
    """The messages as `{"role", "content"}` dicts (the shape most chat APIs take)."""
    return [{"role": m.role, "content": m.content} for m in request.messages]


def transport_kind(exc: BaseException) -> str:
    """The failure kind of a transport exception an SDK let through (httpx, httpx2, aiohttp):
    judged by its class names, so that no adapter imports a transport library of its own."""
    names = [cls.__name__ for cls in type(exc).__mro__]
    if isinstance(exc, TimeoutError) or any("Timeout" in name for name in names):
        return "timeout"
    if isinstance(exc, OSError) or any("Connect" in name for name in names):
        return "unavailable"
    if isinstance(exc, ValueError | KeyError | TypeError | AttributeError):
        return "malformed"
    return "unavailable"


class Adapter:
    """What every adapter holds: its settings, and the endpoint its circuit breaker is keyed
    by (`<name>:<base URL>`, the provider's public URL when none is set)."""

    name: str
    default_url: str

    def __init__(self, settings: types.ProviderSettings) -> None:
        self.settings = settings
        self.model = settings.model
        self.timeout_seconds = settings.timeout_seconds
        self.endpoint = f"{self.name}:{settings.base_url or self.default_url}"
