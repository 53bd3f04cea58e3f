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

import re
import urllib.parse
from typing import Any

import httpx

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.outputs import forgeclient

__all__ = ["PullRequest", "api_url", "open_or_update", "repository_path"]

PullRequest = forgeclient.PullRequest
api_url = forgeclient.api_url
repository_path = forgeclient.repository_path


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


def _open_or_update(
    forge: forgeclient.Forge, head: str, base: str, title: str, body: str
) -> PullRequest:
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


class GitHub(forgeclient.Forge):
    name = "github"

    def _auth(self, token: str | None) -> dict[str, str]:
        version = {"X-GitHub-Api-Version": "2022-11-28", "Accept": "application/vnd.github+json"}
        return {**version, **({"Authorization": f"Bearer {token}"} if token else {})}

    def find(self, head: str, base: str) -> PullRequest | None:
        owner = self.path.split("/")[0]
        params = {"head": f"{owner}:{head}", "base": base, "state": "open", "per_page": "50"}
        for item in self.pages(f"/repos/{self.path}/pulls", params):
            if (
                forgeclient.get(item, "head", "ref") == head
                and forgeclient.get(item, "base", "ref") == base
            ):
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
        params = {"base": base, "state": "open", "per_page": str(forgeclient.PER_PAGE)}
        return [
            self._read(item, "a pull request")
            for item in self.pages(f"/repos/{self.path}/pulls", params)
            if _older(forgeclient.get(item, "head", "ref"), prefix, keep)
            and forgeclient.get(item, "base", "ref") == base
        ]

    def close(self, found: PullRequest) -> None:
        self.call("PATCH", f"/repos/{self.path}/pulls/{found.number}", json={"state": "closed"})

    def _read(self, item: Any, what: str) -> PullRequest:
        try:
            state = "merged" if item.get("merged_at") else item["state"]
            return PullRequest(
                url=str(item["html_url"]),
                number=int(item["number"]),
                state=forgeclient.state(state),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self.malformed(what) from exc


class GitLab(forgeclient.Forge):
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
            "per_page": str(forgeclient.PER_PAGE),
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
        params = {"target_branch": base, "state": "opened", "per_page": str(forgeclient.PER_PAGE)}
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
                state=forgeclient.state(states[item["state"]]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise self.malformed(what) from exc


class Gitea(forgeclient.Forge):
    name = "gitea"

    def _auth(self, token: str | None) -> dict[str, str]:
        return {"Authorization": f"token {token}"} if token else {}

    def find(self, head: str, base: str) -> PullRequest | None:
        params = {"state": "open", "limit": str(forgeclient.PER_PAGE), "page": "1"}
        for item in self.pages(f"/repos/{self.path}/pulls", params):
            if (
                forgeclient.get(item, "head", "ref") == head
                and forgeclient.get(item, "base", "ref") == base
            ):
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
        params = {"state": "open", "limit": str(forgeclient.PER_PAGE), "page": "1"}
        return [
            self._read(item, "a pull request")
            for item in self.pages(f"/repos/{self.path}/pulls", params)
            if _older(forgeclient.get(item, "head", "ref"), prefix, keep)
            and forgeclient.get(item, "base", "ref") == base
        ]

    def close(self, found: PullRequest) -> None:
        self.call("PATCH", f"/repos/{self.path}/pulls/{found.number}", json={"state": "closed"})

    def _read(self, item: Any, what: str) -> PullRequest:
        try:
            state = "merged" if item.get("merged") else item["state"]
            return PullRequest(
                url=str(item["html_url"]),
                number=int(item["number"]),
                state=forgeclient.state(state),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise self.malformed(what) from exc


_FORGES: dict[str, type[forgeclient.Forge]] = {"github": GitHub, "gitlab": GitLab, "gitea": Gitea}


def _older(head: object, prefix: str, keep: str) -> bool:
    """Whether `head` is `prefix` + 12 hex digits (another input of the same CodeGeneration;
    `kodegen/petstore-` never matches `kodegen/petstore-api-…`), other than `keep`."""
    if not isinstance(head, str) or not head.startswith(prefix) or head == keep:
        return False
    return re.fullmatch(r"[0-9a-f]{12}", head[len(prefix) :]) is not None
