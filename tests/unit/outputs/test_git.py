"""The Git publisher against real servers on 127.0.0.1: `git daemon` (git://) and
`git http-backend` behind token auth (http://). Real git on both sides, no doubles."""

from __future__ import annotations

import datetime
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests import gitservers

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.outputs import git, gitcli, gitcommit
from kodegen.templates import git as git_source

WHEN = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)
ABOUT = git.About(
    name="petstore",
    namespace="team-a",
    family="python-fastapi-service",
    version="1.0.0",
    input_hash="sha256:" + "ab" * 32,
)
FILES = {
    "app/main.py": b"print('hello')\n",
    "README.md": b"# petstore\n",
    ".kodegen/provenance.json": b'{"_type": "https://in-toto.io/Statement/v1"}\n',
}
TOKEN = gitservers.TOKEN


def output(url: str, **extra: Any) -> codegeneration.GitOutput:
    return codegeneration.GitOutput.model_validate(
        {"url": url, "branch": "main", "path": "services/petstore", **extra}
    )


def options(**extra: Any) -> git.Options:
    return git.Options(clock=lambda: WHEN, **extra)


def token() -> git_source.Credentials:
    return git_source.Credentials(token=TOKEN)


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[Path, Any]]:
    """(bare repository r.git holding a README and a file in the output folder, URL maker)."""
    root = tmp_path / "served"
    repository = gitservers.bare(root)
    gitservers.seed(
        repository,
        {"README.md": "the team's repo\n", "services/petstore/stale.py": "old = 1\n"},
    )
    with gitservers.Daemon(root) as url_of:
        yield repository, url_of


@pytest.fixture()
def http(tmp_path: Path) -> Iterator[tuple[Path, gitservers.SmartHttp]]:
    root = tmp_path / "http"
    repository = gitservers.bare(root)
    gitservers.seed(repository, {"README.md": "the team's repo\n"})
    with gitservers.SmartHttp(root) as server:
        yield repository, server


# -- push mode -----------------------------------------------------------------------------------


def test_commits_the_tree_under_path_and_leaves_the_rest(served: tuple[Path, Any]) -> None:
    repository, url_of = served
    before = gitservers.git("rev-parse", "main", cwd=repository)

    published = git.publish(FILES, output(url_of("r.git")), ABOUT, options())

    assert published.changed and published.branch == "main"
    assert published.commit == gitservers.git("rev-parse", "main", cwd=repository)
    assert gitservers.git("rev-parse", f"{published.commit}^", cwd=repository) == before
    files = gitservers.tree(repository)
    assert files["README.md"] == b"the team's repo\n"  # outside path: untouched
    assert "services/petstore/stale.py" not in files  # inside path: replaced as a whole
    assert {k: v for k, v in files.items() if k.startswith("services/")} == {
        f"services/petstore/{name}": content for name, content in FILES.items()
    }


def test_commit_message_has_the_trailers(served: tuple[Path, Any]) -> None:
    repository, url_of = served
    published = git.publish(FILES, output(url_of("r.git")), ABOUT, options())
    text = gitservers.git("log", "-1", "--format=%B", published.commit, cwd=repository)
    trailers = gitservers.git(
        "interpret-trailers", "--parse", cwd=repository, stdin=text.encode()
    ).splitlines()
    provenance = hashlib.sha256(FILES[".kodegen/provenance.json"]).hexdigest()
    assert text.splitlines()[0] == "kodegen: generate petstore with python-fastapi-service 1.0.0"
    assert trailers == [
        f"Kodegen-Input-Hash: {ABOUT.input_hash}",
        "Kodegen-Template: python-fastapi-service@1.0.0",
        f"Kodegen-Provenance: sha256:{provenance}",
    ]
    who = gitservers.git(
        "log", "-1", "--format=%an <%ae> %aI|%cn", published.commit, cwd=repository
    )
    assert who == "kodegen <kodegen@kodegen.dev> 2026-12-07T12:00:00+00:00|kodegen"


def test_unchanged_tree_makes_no_commit(served: tuple[Path, Any]) -> None:
    repository, url_of = served
    first = git.publish(FILES, output(url_of("r.git")), ABOUT, options())
    again = git.publish(FILES, output(url_of("r.git")), ABOUT, options())
    assert again.changed is False and again.commit == first.commit
    assert gitservers.git("rev-parse", "main", cwd=repository) == first.commit


def test_a_hand_edit_elsewhere_is_kept_and_built_on(served: tuple[Path, Any]) -> None:
    repository, url_of = served
    git.publish(FILES, output(url_of("r.git")), ABOUT, options())
    theirs = gitservers.seed(repository, {"docs/notes.md": "ours\n"}, message="notes")
    changed = {**FILES, "app/main.py": b"print('v2')\n"}

    published = git.publish(changed, output(url_of("r.git")), ABOUT, options())

    assert gitservers.git("rev-parse", f"{published.commit}^", cwd=repository) == theirs
    assert gitservers.tree(repository)["docs/notes.md"] == b"ours\n"


def test_empty_repository_and_root_path(tmp_path: Path) -> None:
    repository = gitservers.bare(tmp_path / "root")
    with gitservers.Daemon(tmp_path / "root") as url_of:
        published = git.publish(FILES, output(url_of("r.git"), path=None), ABOUT, options())
    assert gitservers.tree(repository) == FILES
    assert gitservers.git("rev-list", "--count", "main", cwd=repository) == "1"
    assert published.path is None


def test_message_template_placeholders(served: tuple[Path, Any]) -> None:
    repository, url_of = served
    target = output(url_of("r.git"), message="{namespace}/{name}: {files} files ({inputHash})")
    published = git.publish(FILES, target, ABOUT, options())
    subject = gitservers.git("log", "-1", "--format=%s", published.commit, cwd=repository)
    assert subject == f"team-a/petstore: 3 files ({ABOUT.input_hash})"


def test_unknown_placeholder_is_one_line_naming_the_field(served: tuple[Path, Any]) -> None:
    _, url_of = served
    with pytest.raises(
        errors.ManifestError, match=r"spec.output.git.message: unknown placeholder '\{token\}'"
    ):
        git.publish(FILES, output(url_of("r.git"), message="{token}"), ABOUT, options())


def test_lease_retries_when_the_branch_moves_during_the_publish(
    served: tuple[Path, Any], tmp_path: Path
) -> None:
    """A real git, wrapped: just before the first push, someone else pushes to the branch. The
    lease refuses our push; the publisher starts again from their commit and keeps it."""
    repository, url_of = served
    marker = tmp_path / "pushed-once"
    wrapper = tmp_path / "git-racing"
    work = tmp_path / "racer"
    gitservers.git("clone", "-q", url_of("r.git"), str(work), cwd=tmp_path)
    (work / "race.txt").write_text("theirs\n")
    gitservers.git("add", "-A", cwd=work)
    gitservers.git("-c", "user.name=r", "-c", "user.email=r@x", "commit", "-qm", "race", cwd=work)
    wrapper.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = push ] && [ ! -e {marker} ]; then\n'
        f"  touch {marker}\n"
        f"  env -u GIT_DIR git -C {work} push -q origin HEAD:main || exit 99\n"
        "fi\n"
        'exec git "$@"\n'
    )
    wrapper.chmod(0o755)
    session = gitcli.Session(url_of("r.git"), executable=str(wrapper))
    author = gitcommit.Author("kodegen", "k@x", WHEN)
    with session:
        pushed = gitcommit.commit_and_push(
            session, FILES, branch="main", path="svc", message="m\n", author=author
        )
    racer = gitservers.git("rev-parse", "HEAD", cwd=work)
    assert marker.exists() and pushed.changed
    assert gitservers.git("rev-parse", f"{pushed.commit}^", cwd=repository) == racer
    assert gitservers.tree(repository)["race.txt"] == b"theirs\n"


def test_a_stale_lease_is_refused_as_non_fast_forward(served: tuple[Path, Any]) -> None:
    repository, url_of = served
    head = gitservers.git("rev-parse", "main", cwd=repository)
    with gitcli.Session(url_of("r.git")) as session:
        blobs = gitcommit._hash_blobs(session, {"a": b"x"})
        tree = gitcommit._tree(session, None, "", blobs)
        orphan = gitcommit._commit(session, tree, None, "m", gitcommit.Author("k", "k@x", WHEN))
        with pytest.raises(errors.GitError) as caught:
            gitcommit.push(session, orphan, "main", expected="0" * 40)
    assert caught.value.kind == "non-fast-forward" and caught.value.retryable
    assert caught.value.condition_reason == "GitNonFastForward"
    assert gitservers.git("rev-parse", "main", cwd=repository) == head  # history untouched


def test_protected_branch_is_a_typed_final_error(served: tuple[Path, Any]) -> None:
    repository, url_of = served
    gitservers.protect(repository, "main")
    with pytest.raises(errors.GitError) as caught:
        git.publish(FILES, output(url_of("r.git")), ABOUT, options())
    assert caught.value.kind == "protected-branch" and not caught.value.retryable
    assert caught.value.condition_reason == "GitProtectedBranch"
    assert "\n" not in str(caught.value) and "mode pullRequest" in str(caught.value)


def test_unreachable_server_is_retryable() -> None:
    url = f"git://127.0.0.1:{gitservers.free_port()}/r.git"
    with pytest.raises(errors.GitError) as caught:
        git.publish(FILES, output(url), ABOUT, options())
    assert caught.value.kind == "unreachable" and caught.value.retryable
    assert caught.value.condition_reason == "GitUnreachable"


def test_missing_repository_is_not_found(served: tuple[Path, Any]) -> None:
    _, url_of = served
    with pytest.raises(errors.GitError) as caught:
        git.publish(FILES, output(url_of("nope.git")), ABOUT, options())
    assert caught.value.kind in ("not-found", "unreachable")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "name",
    ["../escape.py", "/abs.py", "a/../../b", ".git/hooks/post-checkout", "a\\b", "a\nb", ""],
)
def test_file_names_outside_the_folder_are_refused(served: tuple[Path, Any], name: str) -> None:
    repository, url_of = served
    head = gitservers.git("rev-parse", "main", cwd=repository)
    with pytest.raises(errors.GitError, match="not a plain relative path") as caught:
        git.publish({name: b"x"}, output(url_of("r.git")), ABOUT, options())
    assert caught.value.kind == "invalid"
    assert gitservers.git("rev-parse", "main", cwd=repository) == head


# -- credentials ----------------------------------------------------------------------------------


def test_token_over_smart_http(http: tuple[Path, gitservers.SmartHttp]) -> None:
    repository, server = http
    published = git.publish(FILES, output(server.url("r.git")), ABOUT, options(credentials=token()))
    assert published.commit == gitservers.git("rev-parse", "main", cwd=repository)
    assert any(header.startswith("Basic ") for header in server.seen)
    assert TOKEN.encode() not in gitservers.all_objects(repository)


def test_username_and_password(tmp_path: Path) -> None:
    root = tmp_path / "pw"
    repository = gitservers.bare(root)
    with gitservers.SmartHttp(root, accepted=("alice:wonder-land-42",)) as server:
        credentials = git_source.Credentials(username="alice", password="wonder-land-42")
        git.publish(FILES, output(server.url("r.git")), ABOUT, options(credentials=credentials))
    assert "services/petstore/README.md" in gitservers.tree(repository)


def test_wrong_token_is_auth_failed_and_never_shown(
    http: tuple[Path, gitservers.SmartHttp],
) -> None:
    _, server = http
    wrong = git_source.Credentials(token="wrong-token-value-123456")
    with pytest.raises(errors.GitError) as caught:
        git.publish(FILES, output(server.url("r.git")), ABOUT, options(credentials=wrong))
    assert caught.value.kind == "auth" and not caught.value.retryable
    assert caught.value.condition_reason == "GitAuthFailed"
    assert "wrong-token-value-123456" not in str(caught.value)
    assert "secretRef" in str(caught.value)


def test_no_credentials_fails_without_prompting(http: tuple[Path, gitservers.SmartHttp]) -> None:
    _, server = http
    with pytest.raises(errors.GitError) as caught:
        git.publish(FILES, output(server.url("r.git")), ABOUT, options())
    assert caught.value.kind == "auth"


def test_credentials_never_reach_a_command_line(
    http: tuple[Path, gitservers.SmartHttp], tmp_path: Path
) -> None:
    """Every git command line and every environment variable name is logged by a wrapper; the
    token shows up in no argument (only in the credential helper's environment)."""
    _, server = http
    log = tmp_path / "argv.log"
    wrapper = tmp_path / "git-logging"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> {log}\nexec git "$@"\n')
    wrapper.chmod(0o755)
    session = gitcli.Session(server.url("r.git"), credentials=token(), executable=str(wrapper))
    with session:
        gitcommit.commit_and_push(
            session,
            FILES,
            branch="main",
            path="p",
            message="m\n",
            author=gitcommit.Author("k", "k@x", WHEN),
        )
        helper = (session.scratch / "credential-helper").read_text()
    logged = log.read_text()
    assert "push" in logged and TOKEN not in logged and TOKEN not in helper
    assert not (tmp_path / "http").joinpath("r.git", "config").read_text().count(TOKEN)


@pytest.mark.parametrize(
    ("url", "credentials", "message"),
    [
        ("https://bob:hunter2@example.com/r.git", None, "holds credentials"),
        ("http://example.com/r.git", git_source.Credentials(token="t0k3n-abcdef"), "plain http"),
        (
            "ssh://git@example.com/r.git",
            git_source.Credentials(ssh_private_key="-----BEGIN OPENSSH PRIVATE KEY-----\nx\n"),
            "no known_hosts",
        ),
        ("--upload-pack=touch /tmp/x", None, "not a valid Git URL"),
    ],
)
def test_unsafe_settings_are_refused_before_any_connection(
    url: str, credentials: git_source.Credentials | None, message: str
) -> None:
    with pytest.raises(errors.GitError, match=message) as caught:
        git.publish(FILES, output(url), ABOUT, options(credentials=credentials))
    assert caught.value.kind == "invalid"
    assert "hunter2" not in str(caught.value)


def test_files_holding_a_credential_are_never_published(served: tuple[Path, Any]) -> None:
    repository, url_of = served
    head = gitservers.git("rev-parse", "main", cwd=repository)
    leaky = {**FILES, "app/settings.py": f"TOKEN = '{TOKEN}'\n".encode()}
    with pytest.raises(errors.LeakedKey, match=r"app/settings\.py") as caught:
        git.publish(leaky, output(url_of("r.git")), ABOUT, options(credentials=token()))
    assert TOKEN not in str(caught.value)
    assert gitservers.git("rev-parse", "main", cwd=repository) == head


def test_operator_refuses_file_urls(tmp_path: Path) -> None:
    repository = gitservers.bare(tmp_path / "local")
    with pytest.raises(errors.GitError) as caught:
        git.publish(FILES, output(f"file://{repository}"), ABOUT, options())
    assert "transport" in str(caught.value).lower() or caught.value.kind != "auth"
    assert os.listdir(repository / "refs" / "heads") == []


# -- ssh ---------------------------------------------------------------------------------------


@pytest.fixture()
def ssh(tmp_path: Path) -> Iterator[tuple[Path, Any]]:
    from tests import sshserver

    root = tmp_path / "ssh"
    repository = gitservers.bare(root / "team")
    gitservers.seed(repository, {"README.md": "team repo\n"})
    with sshserver.GitSsh(root) as server:
        yield repository, server


def test_ssh_key_with_known_hosts(ssh: tuple[Path, Any]) -> None:
    repository, server = ssh
    credentials = git_source.Credentials(
        ssh_private_key=server.client_key, known_hosts=server.known_hosts
    )
    published = git.publish(
        FILES, output(server.url("team/r.git")), ABOUT, options(credentials=credentials)
    )
    assert published.commit == gitservers.git("rev-parse", "main", cwd=repository)
    assert gitservers.tree(repository)["README.md"] == b"team repo\n"


def test_ssh_host_key_not_in_known_hosts_is_refused(ssh: tuple[Path, Any]) -> None:
    import asyncssh

    repository, server = ssh
    impostor = server.known_hosts_for(asyncssh.generate_private_key("ssh-ed25519"))
    credentials = git_source.Credentials(ssh_private_key=server.client_key, known_hosts=impostor)
    head = gitservers.git("rev-parse", "main", cwd=repository)
    with pytest.raises(errors.GitError, match=r"(?i)host key") as caught:
        git.publish(
            FILES, output(server.url("team/r.git")), ABOUT, options(credentials=credentials)
        )
    assert caught.value.kind == "auth" and not caught.value.retryable
    assert "PRIVATE KEY" not in str(caught.value)
    assert gitservers.git("rev-parse", "main", cwd=repository) == head


def test_ssh_key_the_server_does_not_know_is_auth_failed(ssh: tuple[Path, Any]) -> None:
    import asyncssh

    _, server = ssh
    stranger = bytes(
        asyncssh.generate_private_key("ssh-ed25519").export_private_key("openssh")
    ).decode()
    credentials = git_source.Credentials(ssh_private_key=stranger, known_hosts=server.known_hosts)
    with pytest.raises(errors.GitError) as caught:
        git.publish(
            FILES, output(server.url("team/r.git")), ABOUT, options(credentials=credentials)
        )
    assert caught.value.kind == "auth"
    assert caught.value.condition_reason == "GitAuthFailed"
