"""Local servers that speak the pull/merge request REST APIs of GitHub, GitLab and Gitea, as
each documents them: paths, auth headers, status codes, error bodies, `Link` pagination. They
keep pull requests in memory and check that the head branch exists in a real bare repository
(as forges do), so a test proves the branch was really pushed.

    with Forge("github", repository, token=TOKEN) as forge:
        forge.api_url, forge.pulls, forge.requests

Documented behaviour reproduced:
- GitHub (docs.github.com/rest/pulls): `GET /repos/{o}/{r}/pulls` filters `state`, `head`
  (`owner:branch`), `base`; `per_page`/`page`; 401 `Bad credentials`; 404 `Not Found`; a second
  open pull request for one head is 422 `Validation Failed` ("A pull request already exists"); a
  head that does not exist is 422 too; PATCH answers 200.
- GitLab (docs.gitlab.com/api/merge_requests): `/api/v4/projects/{url-encoded path}/merge_requests`
  filters `source_branch`, `target_branch`, `state=opened`; `PRIVATE-TOKEN`; 401
  `401 Unauthorized`; 404 `404 Project Not Found`; a duplicate is 409 with the message list;
  `X-Next-Page` and `Link`; PUT answers 200; state `opened`.
- Gitea (gitea.com/api/swagger): `/api/v1/repos/{o}/{r}/pulls?state=open&page=&limit=`,
  `Authorization: token`; a duplicate is 409; PATCH (edit) answers 201; `X-Total-Count`, `Link`.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import threading
import urllib.parse
from pathlib import Path
from types import TracebackType
from typing import Any

PREFIX = {"github": "", "gitlab": "/api/v4", "gitea": "/api/v1"}


class Forge:
    def __init__(
        self, kind: str, repository: Path, *, token: str, owner_repo: str = "team/r"
    ) -> None:
        self.kind, self.repository, self.token, self.owner_repo = (
            kind,
            repository,
            token,
            owner_repo,
        )
        self.pulls: list[dict[str, Any]] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.fail_next: list[tuple[int, dict[str, Any]]] = []
        """(status, body) answers to give before any handling, one per request."""
        handler = type("Handler", (_Handler,), {"forge": self})
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.lock = threading.Lock()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.base + PREFIX[self.kind]

    def add_other(self, count: int, base: str = "main") -> None:
        """`count` open pull requests from other branches (to push ours onto a later page)."""
        for index in range(count):
            self._store(f"feature/{index}", base, f"feature {index}", "")

    def __enter__(self) -> Forge:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the store ----------------------------------------------------------------------------

    def _store(self, head: str, base: str, title: str, body: str) -> dict[str, Any]:
        number = len(self.pulls) + 1
        pull = {
            "number": number,
            "head": head,
            "base": base,
            "title": title,
            "body": body,
            "state": "open",
        }
        self.pulls.append(pull)
        return pull

    def branch_exists(self, branch: str) -> bool:
        done = subprocess.run(
            ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
            cwd=self.repository,
            capture_output=True,
            check=False,
        )
        return done.returncode == 0

    def render(self, pull: dict[str, Any]) -> dict[str, Any]:
        web = f"{self.base}/{self.owner_repo}"
        if self.kind == "gitlab":
            return {
                "id": 1000 + pull["number"],
                "iid": pull["number"],
                "web_url": f"{web}/-/merge_requests/{pull['number']}",
                "state": {"open": "opened"}.get(pull["state"], pull["state"]),
                "source_branch": pull["head"],
                "target_branch": pull["base"],
                "title": pull["title"],
                "description": pull["body"],
            }
        owner = self.owner_repo.split("/")[0]
        rendered = {
            "id": 1000 + pull["number"],
            "number": pull["number"],
            "html_url": f"{web}/pull{'s' if self.kind == 'gitea' else ''}/{pull['number']}",
            "state": "closed" if pull["state"] == "merged" else pull["state"],
            "title": pull["title"],
            "body": pull["body"],
            "head": {"ref": pull["head"], "label": f"{owner}:{pull['head']}"},
            "base": {"ref": pull["base"], "label": f"{owner}:{pull['base']}"},
        }
        if self.kind == "github":
            rendered["merged_at"] = "2026-12-07T12:00:00Z" if pull["state"] == "merged" else None
        else:
            rendered["merged"] = pull["state"] == "merged"
        return rendered


class _Handler(http.server.BaseHTTPRequestHandler):
    forge: Forge
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.handle_api("GET")

    def do_POST(self) -> None:
        self.handle_api("POST")

    def do_PATCH(self) -> None:
        self.handle_api("PATCH")

    def do_PUT(self) -> None:
        self.handle_api("PUT")

    def log_message(self, format: str, *args: Any) -> None:
        return None

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def handle_api(self, method: str) -> None:
        forge = self.forge
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.forge.requests.append((method, self.path, dict(self.headers)))
        with forge.lock:
            if forge.fail_next:
                status, body = forge.fail_next.pop(0)
                return self.answer(status, body)
            if not self.authorized():
                unauthorized = {
                    "github": {
                        "message": "Bad credentials",
                        "documentation_url": "https://docs.github.com/rest",
                    },
                    "gitlab": {"message": "401 Unauthorized"},
                    "gitea": {"message": "user does not exist [uid: 0, name: ]"},
                }
                return self.answer(401, unauthorized[forge.kind])
            path, _, query = self.path.partition("?")
            params = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
            collection, number = self.route(path)
            if collection is None:
                not_found = {
                    "github": "Not Found",
                    "gitlab": "404 Project Not Found",
                    "gitea": "Not Found",
                }
                return self.answer(404, {"message": not_found[forge.kind]})
            body = json.loads(raw) if raw else {}
            if number is None and method == "GET":
                return self.list(params)
            if number is None and method == "POST":
                return self.create(body)
            if number is not None and method in ("PATCH", "PUT"):
                return self.update(number, body)
            return self.answer(405, {"message": "Method Not Allowed"})

    def authorized(self) -> bool:
        token = self.forge.token
        if self.forge.kind == "gitlab":
            return self.headers.get("PRIVATE-TOKEN") == token
        expected = {"github": (f"Bearer {token}", f"token {token}"), "gitea": (f"token {token}",)}
        return self.headers.get("Authorization") in expected[self.forge.kind]

    def route(self, path: str) -> tuple[str | None, int | None]:
        forge = self.forge
        if forge.kind == "gitlab":
            project = urllib.parse.quote(forge.owner_repo, safe="")
            base = f"/api/v4/projects/{project}/merge_requests"
        else:
            base = f"{PREFIX[forge.kind]}/repos/{forge.owner_repo}/pulls"
        if path == base:
            return "pulls", None
        rest = path.removeprefix(base + "/")
        if rest != path and rest.isdigit():
            return "pulls", int(rest)
        return None, None

    def list(self, params: dict[str, str]) -> None:
        forge = self.forge
        kind = forge.kind
        found = list(forge.pulls)
        state = params.get("state", "open")
        if kind == "gitlab":
            state = {"opened": "open"}.get(state, state)
            if "source_branch" in params:
                found = [p for p in found if p["head"] == params["source_branch"]]
            if "target_branch" in params:
                found = [p for p in found if p["base"] == params["target_branch"]]
        elif kind == "github":
            if "head" in params:
                found = [
                    p
                    for p in found
                    if f"{forge.owner_repo.split('/')[0]}:{p['head']}" == params["head"]
                ]
            if "base" in params:
                found = [p for p in found if p["base"] == params["base"]]
        if state != "all":
            found = [p for p in found if p["state"] == state]
        size_key = "limit" if kind == "gitea" else "per_page"
        size = int(params.get(size_key, "30" if kind == "github" else "20"))
        page = int(params.get("page", "1"))
        chunk = found[(page - 1) * size : page * size]
        headers = {"X-Total-Count": str(len(found))} if kind == "gitea" else {}
        if page * size < len(found):
            following = dict(params, page=str(page + 1))
            url = f"{forge.base}{self.path.partition('?')[0]}?{urllib.parse.urlencode(following)}"
            headers["Link"] = f'<{url}>; rel="next"'
            if kind == "gitlab":
                headers["X-Next-Page"] = str(page + 1)
        self.answer(200, [forge.render(p) for p in chunk], headers)

    def create(self, body: dict[str, Any]) -> None:
        forge = self.forge
        if forge.kind == "gitlab":
            head, base, text = (
                body.get("source_branch"),
                body.get("target_branch"),
                body.get("description", ""),
            )
        else:
            head, base, text = body.get("head"), body.get("base"), body.get("body", "")
        if not head or not base or not body.get("title"):
            return self.answer(422, {"message": "Validation Failed"})
        if not forge.branch_exists(str(head)):
            missing = {
                "github": (
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [{"resource": "PullRequest", "field": "head", "code": "invalid"}],
                    },
                ),
                "gitlab": (400, {"message": {"source_branch": ["does not exist"]}}),
                "gitea": (404, {"message": "The target couldn't be found."}),
            }
            return self.answer(*missing[forge.kind])
        if any(
            p["head"] == head and p["base"] == base and p["state"] == "open" for p in forge.pulls
        ):
            duplicate = {
                "github": (
                    422,
                    {
                        "message": "Validation Failed",
                        "errors": [
                            {
                                "resource": "PullRequest",
                                "code": "custom",
                                "message": f"A pull request already exists for {head}.",
                            }
                        ],
                    },
                ),
                "gitlab": (
                    409,
                    {
                        "message": [
                            "Another open merge request already exists for this source branch"
                        ]
                    },
                ),
                "gitea": (409, {"message": "pull request already exists for these targets"}),
            }
            return self.answer(*duplicate[forge.kind])
        pull = forge._store(str(head), str(base), str(body["title"]), str(text))
        self.answer(201, forge.render(pull))

    def update(self, number: int, body: dict[str, Any]) -> None:
        forge = self.forge
        found = [p for p in forge.pulls if p["number"] == number]
        if not found:
            return self.answer(404, {"message": "Not Found"})
        pull = found[0]
        if body.get("state") == "closed" or body.get("state_event") == "close":
            pull["state"] = "closed"
        pull["title"] = body.get("title", pull["title"])
        pull["body"] = body.get("description" if forge.kind == "gitlab" else "body", pull["body"])
        self.answer(201 if forge.kind == "gitea" else 200, forge.render(pull))
