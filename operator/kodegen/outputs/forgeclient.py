"""The HTTP side shared by the forge clients of `outputs.forges`: the `Forge` base (an httpx
client with the token header, errors translated, `Link` pagination), what a pull request is,
and where a repository's API lives. No forge's own endpoints here.
"""

from __future__ import annotations

import abc
import dataclasses
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import httpx

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.templates import git as git_source

__all__ = ["PER_PAGE", "Forge", "PullRequest", "api_url", "get", "repository_path", "state"]

_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_MAX_PAGES = 50
PER_PAGE = 50


@dataclasses.dataclass(frozen=True)
class PullRequest:
    url: str
    number: int
    state: Literal["open", "closed", "merged"]


def repository_path(url: str) -> str:
    """`owner/name` (GitLab: `group/subgroup/name`) of a repository URL (https, ssh or
    scp-like), without `.git`."""
    path = urllib.parse.urlsplit(url).path if "://" in url else url.partition(":")[2]
    path = path.strip("/").removesuffix(".git")
    if path.count("/") < 1:
        raise errors.GitError(
            remote=git_source.redact(url),
            kind="invalid",
            reason="spec.output.git.url names no owner/repository for the pull request API",
        )
    return path


def api_url(settings: codegeneration.PullRequestSettings, repository: str) -> str:
    """`settings.apiURL`, or the forge's default for the repository's host."""
    if settings.api_url:
        return settings.api_url.rstrip("/")
    host = urllib.parse.urlsplit(repository).hostname if "://" in repository else None
    if host is None:
        host = repository.partition("@")[2].partition(":")[0] or repository.partition(":")[0]
    if settings.provider == "github":
        return "https://api.github.com" if host == "github.com" else f"https://{host}/api/v3"
    return f"https://{host}/api/{'v4' if settings.provider == 'gitlab' else 'v1'}"


class Forge(abc.ABC):
    name = ""

    def __init__(
        self,
        settings: codegeneration.PullRequestSettings,
        repository: str,
        token: str | None,
        timeout: float,
        transport: httpx.BaseTransport | None,
    ) -> None:
        self.path = repository_path(repository)
        self.base_url = api_url(settings, repository)
        parsed = urllib.parse.urlsplit(self.base_url)
        if token and parsed.scheme != "https" and parsed.hostname not in _LOOPBACK:
            raise errors.GitError(
                remote=self.base_url,
                kind="invalid",
                reason="refusing to send the token to a forge API over plain http; use an "
                "https:// pullRequest.apiURL",
            )
        self.token = token
        self.client = httpx.Client(
            base_url=self.base_url,
            headers={"Accept": "application/json", **self._auth(token)},
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
        )

    def _auth(self, token: str | None) -> dict[str, str]:
        return {}

    # -- the operations ---------------------------------------------------------------------

    @abc.abstractmethod
    def find(self, head: str, base: str) -> PullRequest | None:
        """The open request from `head` into `base`, or None."""

    @abc.abstractmethod
    def create(self, head: str, base: str, title: str, body: str) -> PullRequest:
        """Open a request from `head` into `base`."""

    @abc.abstractmethod
    def update(self, found: PullRequest, title: str, body: str) -> PullRequest:
        """Set the title and description of `found`."""

    @abc.abstractmethod
    def others(self, base: str, *, prefix: str, keep: str) -> list[PullRequest]:
        """The open requests into `base` from branches starting with `prefix`, but `keep`."""

    @abc.abstractmethod
    def close(self, found: PullRequest) -> None:
        """Close `found` without merging it."""

    # -- HTTP ---------------------------------------------------------------------------------

    def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        where = f"{self.name} {method} {url.split('?')[0]}"
        try:
            response = self.client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            raise errors.GitError(
                remote=self.base_url,
                kind="forge-unavailable",
                reason=f"{where}: no answer ({type(exc).__name__}); check pullRequest.apiURL "
                "and that the forge is reachable",
            ) from exc
        if response.status_code < 400:
            return response
        status = response.status_code
        unavailable = status == 429 or status >= 500 or _rate_limited(response)
        raise errors.GitError(
            remote=self.base_url,
            kind="forge-unavailable" if unavailable else "forge",
            reason=f"{where}: {status} {_api_message(response, self.token)}{_hint(status)}",
            status=status,
        )

    def pages(self, url: str, params: Mapping[str, str]) -> Iterator[Any]:
        """The items of every page of a list, following `Link: rel="next"`."""
        response = self.call("GET", url, params=dict(params))
        for _ in range(_MAX_PAGES):
            items = response.json()
            if not isinstance(items, list):
                raise errors.GitError(
                    remote=self.base_url,
                    kind="forge",
                    reason=f"{self.name} GET {url}: the answer is not a list",
                )
            yield from items
            following = response.links.get("next", {}).get("url")
            if not following or not items:
                return
            response = self.call("GET", following)

    def malformed(self, what: str) -> errors.GitError:
        return errors.GitError(
            remote=self.base_url, kind="forge", reason=f"{self.name}: malformed answer to {what}"
        )


def state(value: object) -> Literal["open", "closed", "merged"]:
    if value == "open" or value == "closed" or value == "merged":
        return value
    raise ValueError(f"unknown pull request state {value!r}")


def get(item: Any, *keys: str) -> Any:
    for key in keys:
        item = item.get(key) if isinstance(item, dict) else None
    return item


def _rate_limited(response: httpx.Response) -> bool:
    """GitHub answers an exhausted rate limit with 403 and `x-ratelimit-remaining: 0`."""
    return response.status_code == 403 and response.headers.get("x-ratelimit-remaining") == "0"


def _api_message(response: httpx.Response, token: str | None) -> str:
    try:
        document = response.json()
    except ValueError:
        document = None
    text = ""
    if isinstance(document, dict):
        found = document.get("message") or document.get("error") or document.get("errors")
        text = str(found) if found else ""
    text = " ".join((text or response.text or response.reason_phrase).split())[:300]
    return text.replace(token, "***") if token else text


def _hint(status: int) -> str:
    if status in (401, 403):
        return "; check the token in the Secret of spec.output.git.secretRef and its scopes"
    if status == 404:
        return "; check spec.output.git.url and pullRequest.apiURL"
    return ""
