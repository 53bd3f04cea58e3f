"""Remote documents (`$ref: https://…`), fetched only under URL prefixes someone allowed.

kodegen never fetches an arbitrary URL: a spec is untrusted, and an operator that fetched
whatever a spec names would let any tenant probe the cluster's network (SSRF). A URL is
fetched only when it lies under one of `Remote.allow`'s prefixes: same scheme (http or https),
same host and port, and a path that continues the prefix's path at a `/` boundary
(`https://geojson.org/schema/` allows `https://geojson.org/schema/Feature.json`, never
`https://geojson.org/schemas-evil/…` nor `https://geojson.org.evil.com/…`). URLs with user
info (`https://a@b/`), dot segments (`/schema/../admin`) or other schemes are refused. The
answer must be a 200 within `timeout` seconds and `limits.max_bytes`; redirects are not
followed (allow the final URL instead); no proxy, `.netrc` or cookies from the environment.
"""

from __future__ import annotations

import dataclasses
import urllib.parse

import httpx

from kodegen import errors
from kodegen.documents import limits as limits_

__all__ = ["HOW_TO_ALLOW", "Remote", "allowed", "check_prefix", "join"]

HOW_TO_ALLOW = (
    "list its URL prefix in spec.specification.allowRemoteRefs (the operator also needs it "
    "in KODEGEN_REMOTE_REF_PREFIXES), or copy the document into the spec's folder"
)


def check_prefix(prefix: str) -> str | None:
    """Why `prefix` cannot be an allowed prefix (None when it can)."""
    parts = urllib.parse.urlsplit(prefix)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "must be an http:// or https:// URL with a host"
    if "@" in parts.netloc or parts.query or parts.fragment:
        return "must not hold user info, a query or a fragment"
    if _dotted(parts.path):
        return "must not hold '.' or '..' path segments"
    return None


def allowed(url: str, prefixes: tuple[str, ...]) -> bool:
    """Whether `url` lies under one of `prefixes` (the rule of the module doc)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or "@" in parts.netloc:
        return False
    if _dotted(parts.path):
        return False
    for prefix in prefixes:
        if check_prefix(prefix) is not None:
            continue
        base = urllib.parse.urlsplit(prefix)
        if (base.scheme, _netloc(base)) != (parts.scheme, _netloc(parts)):
            continue
        path = base.path or "/"
        if parts.path == path.rstrip("/") or parts.path.startswith(
            path if path.endswith("/") else path + "/"
        ):
            return True
    return False


def _netloc(parts: urllib.parse.SplitResult) -> tuple[str, int | None]:
    port = parts.port or {"http": 80, "https": 443}[parts.scheme]
    return (parts.hostname or "").lower().rstrip("."), port


def _dotted(path: str) -> bool:
    segments = urllib.parse.unquote(path).split("/")
    return any(segment in (".", "..") for segment in segments) or "\\" in path


@dataclasses.dataclass(frozen=True)
class Remote:
    """What may be fetched, and how: `allow` (URL prefixes; empty: nothing), `timeout`
    (seconds for the whole answer: connecting, waiting, reading), `limits` (its `max_bytes`
    bounds one answer)."""

    allow: tuple[str, ...] = ()
    timeout: float = 10.0
    """Seconds: a schema host that does not answer in 10 s is down for this run."""
    limits: limits_.Limits = limits_.DEFAULT

    def fetch(self, url: str) -> bytes:
        """The body of `url`; `errors.SpecError` when it is not allowed or the answer is
        refused (not 200, too large), `errors.FetchError` when the fetch may pass later."""
        if not allowed(url, self.allow):
            raise errors.SpecError(
                pointer="", reason=f"remote $ref {url!r} is not fetched; {HOW_TO_ALLOW}"
            )
        try:
            with (
                httpx.Client(
                    timeout=self.timeout, follow_redirects=False, trust_env=False
                ) as client,
                client.stream("GET", url, headers={"Accept": "application/json, */*"}) as answer,
            ):
                return self._body(url, answer)
        except httpx.TimeoutException as exc:
            raise errors.FetchError(url=url, reason=f"no answer within {self.timeout:g} s") from exc
        except httpx.HTTPError as exc:
            raise errors.FetchError(url=url, reason=type(exc).__name__) from exc

    def _body(self, url: str, answer: httpx.Response) -> bytes:
        if answer.status_code >= 500:
            raise errors.FetchError(url=url, reason=f"the server answered {answer.status_code}")
        if answer.status_code != 200:
            moved = answer.headers.get("location")
            hint = f" (to {moved!r}: refer to that URL instead)" if moved else ""
            raise errors.SpecError(
                pointer="",
                reason=f"remote $ref {url!r}: the server answered {answer.status_code}{hint}",
            )
        chunks: list[bytes] = []
        size = 0
        for chunk in answer.iter_bytes():
            size += len(chunk)
            if size > self.limits.max_bytes:
                raise errors.SpecError(
                    pointer="",
                    reason=f"remote $ref {url!r} is larger than the {self.limits.max_bytes} "
                    "bytes kodegen reads (limits.max_bytes)",
                )
            chunks.append(chunk)
        return b"".join(chunks)


def join(base: str, reference: str) -> str:
    """`reference` resolved against the remote document `base` (RFC 3986), no fragment."""
    joined = urllib.parse.urljoin(base, reference)
    return urllib.parse.urldefrag(joined).url
