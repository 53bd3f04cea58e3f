"""Open, or update, a pull (merge) request through a forge's REST API.

    open_or_update(settings, repository=, token=, head=, base=, title=, body=) -> PullRequest

The open request from `head` into `base` is looked up first (all pages); found, its title and
description are updated; not found, one is created. A creation refused because one already
exists (a concurrent run) is looked up again. Each forge as documented:

- GitHub: find `GET /repos/{o}/{r}/pulls?head={o}:{head}&base={base}&state=open`, create
  `POST /repos/{o}/{r}/pulls`, update `PATCH /repos/{o}/{r}/pulls/{number}`; token as
  `Authorization: Bearer`, API version header 2022-11-28.
- GitLab: find `GET /projects/{id}/merge_requests?source_branch=…&target_branch=…&state=opened`,
  create `POST /projects/{id}/merge_requests`, update `PUT …/merge_requests/{iid}`; token as
  `PRIVATE-TOKEN`; the project id is the URL-encoded path.
- Gitea (and Forgejo): find `GET /repos/{o}/{r}/pulls?state=open&limit=…&page=…` (filtered on
  head and base), create `POST /repos/{o}/{r}/pulls`, update `PATCH /repos/{o}/{r}/pulls/{index}`;
  token as `Authorization: token`.

Pages are followed through the `Link: <…>; rel="next"` header (all three send it). Failures
are `errors.GitError`: kind `forge` (401, 403, 404, 422: fix the settings or the token) or
`forge-unavailable` (no answer, 429, 5xx, GitHub's exhausted rate limit: retry); the message
names the forge, the request and the API's own message, never the token.
"""

from __future__ import annotations

import abc
import dataclasses
import re
import urllib.parse
from collections.abc import Iterator, Mapping
from typing import Any, Literal

import httpx

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.templates import git as git_source

__all__ = ["PullRequest", "api_url", "open_or_update", "repository_path"]

_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_MAX_PAGES = 50
_PER_PAGE = 50


@dataclasses.dataclass(frozen=True)
class PullRequest:
    url: str
    number: int
    state: Literal["open", "closed", "merged"]


def open_or_update(
    settings: codegeneration.PullRequestSettings,
    *,
    repository: str,
    token: str | None,
    head: str,
    base: str,
    title: str,
    body: str,
    supersedes: str | None = None,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> PullRequest:
    """The pull request from `head` into `base` of `repository`, with `title` and `body`.
    `supersedes`: a branch prefix (`kodegen/<name>-`); other open requests into `base` from
    branches with it are closed (an older input's proposals), after this one is open."""
    forge = _FORGES[settings.provider](settings, repository, token, timeout, transport)
    with forge.client:
        opened = _open_or_update(forge, head, base, title, body)
        if supersedes:
            for older in forge.others(base, prefix=supersedes, keep=head):
                forge.close(older)
        return opened


def _open_or_update(forge: _Forge, head: str, base: str, title: str, body: str) -> PullRequest:
    found = forge.find(head, base)
    if found is not None:
        return forge.update(found, title, body)
    try:
        return forge.create(head, base, title, body)
    except errors.GitError as exc:
        if exc.status not in (409, 422):
            raise
        again = forge.find(head, base)  # created meanwhile by a concurrent run
        if again is None:
            raise
        return forge.update(again, title, body)


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


class _Forge(abc.ABC):
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


class GitHub(_Forge):
    name = "github"

    def _auth(self, token: str | None) -> dict[str, str]:
        version = {"X-GitHub-Api-Version": "2022-11-28", "Accept": "application/vnd.github+json"}
        return {**version, **({"Authorization": f"Bearer {token}"} if token else {})}

    def find(self, head: str, base: str) -> PullRequest | None:
        owner = self.path.split("/")[0]
        params = {"head": f"{owner}:{head}", "base": base, "state": "open", "per_page": "50"}
        for item in self.pages(f"/repos/{self.path}/pulls", params):
            if _get(item, "head", "ref") == head and _get(item, "base", "ref") == base:
                return self._read(item, "a pull request")
        return None

    def create(self, head: str, base: str, title: str, body: str) -> PullRequest:
        payload = {"title": title, "head": head, "base": base, "body": body}
        return self._read(
            self.call("POST", f"/repos/{self.path}/pulls", json=payload).json(), "create"
        )

    def update(self, found: PullRequest, title: str, body: str) -> PullRequest:
        url = f"/repos/{self.path}/pulls/{found.number}"
        return self._read(
            self.call("PATCH", url, json={"title": title, "body": body}).json(), "update"
        )

    def others(self, base: str, *, prefix: str, keep: str) -> list[PullRequest]:
        params = {"base": base, "state": "open", "per_page": str(_PER_PAGE)}
        return [
            self._read(item, "a pull request")
            for item in self.pages(f"/repos/{self.path}/pulls", params)
            if _older(_get(item, "head", "ref"), prefix, keep) and _get(item, "base", "ref") == base
        ]

    def close(self, found: PullRequest) -> None:
        self.call("PATCH", f"/repos/{self.path}/pulls/{found.number}", json={"state": "closed"})

    def _read(self, item: Any, what: str) -> PullRequest:
        try:
            state = "merged" if item.get("merged_at") else item["state"]
            return PullRequest(
                url=str(item["html_url"]), number=int(item["number"]), state=_state(state)
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self.malformed(what) from exc


class GitLab(_Forge):
    name = "gitlab"

    def _auth(self, token: str | None) -> dict[str, str]:
        return {"PRIVATE-TOKEN": token} if token else {}

    @property
    def project(self) -> str:
        return "/projects/" + urllib.parse.quote(self.path, safe="")

    def find(self, head: str, base: str) -> PullRequest | None:
        params = {
            "source_branch": head,
            "target_branch": base,
            "state": "opened",
            "per_page": str(_PER_PAGE),
        }
        for item in self.pages(f"{self.project}/merge_requests", params):
            if item.get("source_branch") == head and item.get("target_branch") == base:
                return self._read(item, "a merge request")
        return None

    def create(self, head: str, base: str, title: str, body: str) -> PullRequest:
        payload = {
            "source_branch": head,
            "target_branch": base,
            "title": title,
            "description": body,
        }
        answer = self.call("POST", f"{self.project}/merge_requests", json=payload)
        return self._read(answer.json(), "create")

    def update(self, found: PullRequest, title: str, body: str) -> PullRequest:
        url = f"{self.project}/merge_requests/{found.number}"
        answer = self.call("PUT", url, json={"title": title, "description": body})
        return self._read(answer.json(), "update")

    def others(self, base: str, *, prefix: str, keep: str) -> list[PullRequest]:
        params = {"target_branch": base, "state": "opened", "per_page": str(_PER_PAGE)}
        return [
            self._read(item, "a merge request")
            for item in self.pages(f"{self.project}/merge_requests", params)
            if _older(item.get("source_branch"), prefix, keep) and item.get("target_branch") == base
        ]

    def close(self, found: PullRequest) -> None:
        url = f"{self.project}/merge_requests/{found.number}"
        self.call("PUT", url, json={"state_event": "close"})

    def _read(self, item: Any, what: str) -> PullRequest:
        states = {"opened": "open", "closed": "closed", "locked": "open", "merged": "merged"}
        try:
            return PullRequest(
                url=str(item["web_url"]),
                number=int(item["iid"]),
                state=_state(states[item["state"]]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise self.malformed(what) from exc


class Gitea(_Forge):
    name = "gitea"

    def _auth(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"token {token}"} if token else {}

    def find(self, head: str, base: str) -> PullRequest | None:
        params = {"state": "open", "limit": str(_PER_PAGE), "page": "1"}
        for item in self.pages(f"/repos/{self.path}/pulls", params):
            if _get(item, "head", "ref") == head and _get(item, "base", "ref") == base:
                return self._read(item, "a pull request")
        return None

    def create(self, head: str, base: str, title: str, body: str) -> PullRequest:
        payload = {"title": title, "head": head, "base": base, "body": body}
        return self._read(
            self.call("POST", f"/repos/{self.path}/pulls", json=payload).json(), "create"
        )

    def update(self, found: PullRequest, title: str, body: str) -> PullRequest:
        url = f"/repos/{self.path}/pulls/{found.number}"
        return self._read(
            self.call("PATCH", url, json={"title": title, "body": body}).json(), "update"
        )

    def others(self, base: str, *, prefix: str, keep: str) -> list[PullRequest]:
        params = {"state": "open", "limit": str(_PER_PAGE), "page": "1"}
        return [
            self._read(item, "a pull request")
            for item in self.pages(f"/repos/{self.path}/pulls", params)
            if _older(_get(item, "head", "ref"), prefix, keep) and _get(item, "base", "ref") == base
        ]

    def close(self, found: PullRequest) -> None:
        self.call("PATCH", f"/repos/{self.path}/pulls/{found.number}", json={"state": "closed"})

    def _read(self, item: Any, what: str) -> PullRequest:
        try:
            state = "merged" if item.get("merged") else item["state"]
            return PullRequest(
                url=str(item["html_url"]), number=int(item["number"]), state=_state(state)
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self.malformed(what) from exc


_FORGES: dict[str, type[_Forge]] = {"github": GitHub, "gitlab": GitLab, "gitea": Gitea}


def _older(head: object, prefix: str, keep: str) -> bool:
    """Whether `head` is `prefix` + 12 hex digits (another input of the same CodeGeneration;
    `kodegen/petstore-` never matches `kodegen/petstore-api-…`), other than `keep`."""
    if not isinstance(head, str) or not head.startswith(prefix) or head == keep:
        return False
    return re.fullmatch(r"[0-9a-f]{12}", head[len(prefix) :]) is not None


def _state(value: object) -> Literal["open", "closed", "merged"]:
    if value == "open" or value == "closed" or value == "merged":
        return value
    raise ValueError(f"unknown pull request state {value!r}")


def _get(item: Any, *keys: str) -> Any:
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
