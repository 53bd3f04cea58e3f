"""`mode: pullRequest` end to end: the branch pushed to a real `git http-backend` (token auth),
the pull/merge request opened and updated through local servers speaking GitHub's, GitLab's
and Gitea's REST wire formats (`tests/forgeservers.py`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests import forgeservers, gitservers

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.outputs import forges, git
from kodegen.templates import git as git_source

TOKEN = gitservers.TOKEN
WHEN = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)
ABOUT = git.About(
    name="petstore",
    namespace="team-a",
    family="python-fastapi-service",
    version="1.0.0",
    input_hash="sha256:" + "cd" * 32,
)
FILES = {"app/main.py": b"print('hello')\n", "README.md": b"# petstore\n"}
KINDS = ("github", "gitlab", "gitea")
AUTH = {"github": "Authorization", "gitlab": "PRIVATE-TOKEN", "gitea": "Authorization"}


class World:
    def __init__(self, repository: Path, http: gitservers.SmartHttp, forge: forgeservers.Forge):
        self.repository, self.http, self.forge = repository, http, forge

    def output(self, **extra: Any) -> codegeneration.GitOutput:
        return codegeneration.GitOutput.model_validate(
            {
                "url": self.http.url("team/r.git"),
                "branch": "main",
                "path": "svc",
                "mode": "pullRequest",
                "pullRequest": {"provider": self.forge.kind, "apiURL": self.forge.api_url},
                **extra,
            }
        )

    def publish(self, files: dict[str, bytes] = FILES, token: str = TOKEN) -> Any:
        options = git.Options(credentials=git_source.Credentials(token=token), clock=lambda: WHEN)
        return git.publish(files, self.output(), ABOUT, options)


@pytest.fixture(params=KINDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    root = tmp_path / "served"
    repository = gitservers.bare(root / "team")
    gitservers.seed(repository, {"README.md": "team repo\n"})
    with (
        gitservers.SmartHttp(root) as http,
        forgeservers.Forge(request.param, repository, token=TOKEN) as forge,
    ):
        yield World(repository, http, forge)


def test_opens_a_pull_request_from_a_branch_named_after_the_input(world: World) -> None:
    published = world.publish()

    branch = git.branch_for(ABOUT)
    assert branch == "kodegen/petstore-" + "cd" * 6
    assert published.branch == branch and published.changed
    assert published.commit == gitservers.git("rev-parse", branch, cwd=world.repository)
    main = gitservers.git("rev-parse", "main", cwd=world.repository)
    assert gitservers.git("rev-parse", f"{branch}^", cwd=world.repository) == main
    assert "svc/app/main.py" not in gitservers.tree(world.repository, "main")  # main untouched
    (pull,) = world.forge.pulls
    assert (pull["head"], pull["base"], pull["state"]) == (branch, "main", "open")
    assert pull["title"] == "kodegen: generate petstore with python-fastapi-service 1.0.0"
    assert f"Kodegen-Input-Hash: {ABOUT.input_hash}" in pull["body"]
    assert published.pull_request is not None
    assert (published.pull_request.number, published.pull_request.state) == (1, "open")
    assert published.pull_request.url.startswith(world.forge.base + "/team/r/")
    header = AUTH[world.forge.kind]
    assert all(TOKEN in headers.get(header, "") for _, _, headers in world.forge.requests)


def test_a_second_run_updates_the_same_pull_request(world: World) -> None:
    first = world.publish()
    again = world.publish()
    assert again.changed is False and again.commit == first.commit
    assert len(world.forge.pulls) == 1
    assert again.pull_request == first.pull_request
    methods = [method for method, _, _ in world.forge.requests]
    assert methods.count("POST") == 1 and set(methods) - {"GET", "POST"} in ({"PATCH"}, {"PUT"})


def test_the_open_request_is_found_on_a_later_page(world: World) -> None:
    """Gitea lists every open request (no head filter): ours is on page 3 of 50. GitHub and
    GitLab filter by branch on the server: one page per look-up. Looking for older requests
    to close reads every page on all three."""
    world.forge.add_other(120)
    world.publish()
    world.publish()
    ours = [p for p in world.forge.pulls if p["head"] == git.branch_for(ABOUT)]
    assert len(ours) == 1
    assert all(p["state"] == "open" for p in world.forge.pulls)  # none of them was ours
    pages = [path for method, path, _ in world.forge.requests if method == "GET"]
    assert any("page=3" in path for path in pages)
    if world.forge.kind != "gitea":
        by_branch = "head=" if world.forge.kind == "github" else "source_branch="
        assert len([path for path in pages if by_branch in path]) == 2


def test_nothing_to_propose_when_the_branch_already_holds_the_files(world: World) -> None:
    pushed = git.publish(
        FILES,
        world.output(mode="push", pullRequest=None),
        ABOUT,
        git.Options(credentials=git_source.Credentials(token=TOKEN), clock=lambda: WHEN),
    )
    published = world.publish()
    assert published.pull_request is None and published.changed is False
    assert (published.branch, published.commit) == ("main", pushed.commit)
    assert world.forge.pulls == [] and world.forge.requests == []


def test_a_bad_forge_token_is_a_final_error_without_the_token(world: World) -> None:
    world.forge.token = "the-forge-wants-another-token"
    with pytest.raises(errors.GitError) as caught:
        world.publish()
    assert caught.value.kind == "forge" and caught.value.status == 401
    assert caught.value.condition_reason == "ForgeFailed" and not caught.value.retryable
    assert TOKEN not in str(caught.value) and "\n" not in str(caught.value)
    assert "secretRef" in str(caught.value)


@pytest.mark.parametrize("status", [500, 502, 429])
def test_a_forge_that_fails_for_now_is_retryable(world: World, status: int) -> None:
    world.forge.fail_next.append((status, {"message": "try later"}))
    with pytest.raises(errors.GitError) as caught:
        world.publish()
    assert caught.value.kind == "forge-unavailable" and caught.value.retryable
    assert caught.value.condition_reason == "ForgeUnavailable"


def test_a_concurrent_creation_is_found_and_updated(world: World) -> None:
    """Another run opened the request between our look-up and our creation: the forge
    refuses the duplicate (422 or 409) and the request is looked up again."""
    published = world.publish()
    world.forge.requests.clear()
    # Our look-up misses (an empty page), the creation is refused as a duplicate.
    world.forge.fail_next.append((200, []))
    again = world.publish()
    assert again.pull_request == published.pull_request
    assert len(world.forge.pulls) == 1


def test_a_forge_that_cannot_be_reached_is_retryable(tmp_path: Path) -> None:
    settings = codegeneration.PullRequestSettings(
        provider="gitea", apiURL=f"http://127.0.0.1:{gitservers.free_port()}/api/v1"
    )
    with pytest.raises(errors.GitError) as caught:
        forges.open_or_update(
            settings,
            repository="https://example.com/team/r.git",
            token=TOKEN,
            head="h",
            base="main",
            title="t",
            body="b",
            timeout=5,
        )
    assert caught.value.kind == "forge-unavailable"


@pytest.mark.parametrize(
    ("provider", "url", "expected"),
    [
        ("github", "https://github.com/team/r.git", "https://api.github.com"),
        ("github", "https://ghe.example.com/team/r", "https://ghe.example.com/api/v3"),
        ("gitlab", "git@gitlab.example.com:group/sub/r.git", "https://gitlab.example.com/api/v4"),
        ("gitea", "ssh://git@gitea.example.com/team/r.git", "https://gitea.example.com/api/v1"),
    ],
)
def test_default_api_urls(provider: str, url: str, expected: str) -> None:
    settings = codegeneration.PullRequestSettings.model_validate({"provider": provider})
    assert forges.api_url(settings, url) == expected


def test_repository_paths() -> None:
    assert forges.repository_path("git@gitlab.example.com:group/sub/r.git") == "group/sub/r"
    assert forges.repository_path("https://github.com/team/r") == "team/r"
    with pytest.raises(errors.GitError, match="owner/repository"):
        forges.repository_path("https://example.com/r.git")


def test_a_new_input_closes_the_older_inputs_requests_only(world: World) -> None:
    first = world.publish()
    newer = git.About(**{**ABOUT.__dict__, "input_hash": "sha256:" + "12" * 32})
    options = git.Options(credentials=git_source.Credentials(token=TOKEN), clock=lambda: WHEN)
    # Another CodeGeneration whose name extends ours: its request is not ours to close.
    other = git.About(**{**ABOUT.__dict__, "name": "petstore-api"})
    git.publish({**FILES, "README.md": b"other\n"}, world.output(), other, options)

    second = git.publish({**FILES, "README.md": b"v2\n"}, world.output(), newer, options)

    assert first.pull_request is not None and second.pull_request is not None
    states = {p["head"]: p["state"] for p in world.forge.pulls}
    assert states == {
        git.branch_for(ABOUT): "closed",
        git.branch_for(other): "open",
        git.branch_for(newer): "open",
    }


def test_a_token_is_never_sent_to_a_forge_over_plain_http() -> None:
    settings = codegeneration.PullRequestSettings(
        provider="gitea", apiURL="http://forge.example.com/api/v1"
    )
    with pytest.raises(errors.GitError, match="plain http") as caught:
        forges.open_or_update(
            settings,
            repository="https://forge.example.com/team/r.git",
            token=TOKEN,
            head="h",
            base="main",
            title="t",
            body="b",
        )
    assert caught.value.kind == "invalid" and TOKEN not in str(caught.value)


def test_check_refuses_a_pull_request_repository_without_owner() -> None:
    output = codegeneration.GitOutput.model_validate(
        {
            "url": "https://example.com/r.git",
            "branch": "main",
            "mode": "pullRequest",
            "pullRequest": {"provider": "github"},
        }
    )
    with pytest.raises(errors.ManifestError, match=r"spec\.output\.git\.url: .*owner/repository"):
        git.check(output)
