"""Drift of Git output against a real `git daemon`: a hand edit inside the published folder is
found and listed, an edit elsewhere is not drift, and a restore is a new commit on top of the
edit (history kept, nothing force-pushed)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests import gitservers

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.outputs import git

WHEN = datetime.datetime(2026, 12, 7, 13, 0, tzinfo=datetime.UTC)
ABOUT = git.About("petstore", "team-a", "python-fastapi-service", "1.0.0", "sha256:" + "ef" * 32)
FILES = {"app/main.py": b"print('hello')\n", "README.md": b"# petstore\n"}
OPTIONS = git.Options(clock=lambda: WHEN)


@pytest.fixture()
def published(tmp_path: Path) -> Iterator[tuple[Path, codegeneration.GitOutput, str]]:
    """(bare repository, output, the commit kodegen published)."""
    root = tmp_path / "served"
    repository = gitservers.bare(root)
    gitservers.seed(repository, {"README.md": "team repo\n"})
    with gitservers.Daemon(root) as url_of:
        output = codegeneration.GitOutput.model_validate(
            {"url": url_of("r.git"), "branch": "main", "path": "services/petstore"}
        )
        done = git.publish(FILES, output, ABOUT, OPTIONS)
        yield repository, output, done.commit


def test_no_drift_right_after_publishing(published: Any) -> None:
    _, output, commit = published
    assert git.drift(output, commit, OPTIONS) is None


def test_an_edit_outside_the_folder_is_not_drift(published: Any) -> None:
    repository, output, commit = published
    gitservers.seed(repository, {"docs/notes.md": "notes\n", "README.md": "changed\n"})
    assert git.drift(output, commit, OPTIONS) is None


def test_a_hand_edit_is_found_and_listed(published: Any) -> None:
    repository, output, commit = published
    edit = gitservers.seed(
        repository,
        {"services/petstore/app/main.py": "print('edited')\n", "services/petstore/extra.py": "x\n"},
    )
    found = git.drift(output, commit, OPTIONS)
    assert found is not None
    assert (found.head, found.published, found.branch) == (edit, commit, "main")
    assert found.files == ("M app/main.py", "A extra.py")


def test_restore_is_a_new_commit_on_top_of_the_edit(published: Any) -> None:
    repository, output, commit = published
    gitservers.seed(repository, {"docs/notes.md": "kept\n"})
    edit = gitservers.seed(repository, {"services/petstore/app/main.py": "print('edited')\n"})
    found = git.drift(output, commit, OPTIONS)
    assert found is not None

    restored = git.restore(output, found, ABOUT, OPTIONS)

    assert restored.commit == gitservers.git("rev-parse", "main", cwd=repository)
    assert gitservers.git("rev-parse", f"{restored.commit}^", cwd=repository) == edit
    tree = gitservers.tree(repository)
    assert tree["services/petstore/app/main.py"] == b"print('hello')\n"
    assert tree["docs/notes.md"] == b"kept\n"  # the rest of the repository as it is now
    message = gitservers.git("log", "-1", "--format=%B", "main", cwd=repository)
    assert f"Kodegen-Restores: {commit}" in message and "M app/main.py" in message
    assert git.drift(output, restored.commit, OPTIONS) is None


def test_a_deleted_folder_is_drift_and_restored(published: Any) -> None:
    repository, output, commit = published
    work = repository.parent / "work"
    gitservers.git("clone", "-q", str(repository), str(work), cwd=repository.parent)
    gitservers.git("rm", "-r", "-q", "services", cwd=work)
    gitservers.git("-c", "user.name=p", "-c", "user.email=p@x", "commit", "-qm", "rm", cwd=work)
    gitservers.git("push", "-q", "origin", "HEAD:main", cwd=work)
    found = git.drift(output, commit, OPTIONS)
    assert found is not None and found.files == ("D README.md", "D app/main.py")
    git.restore(output, found, ABOUT, OPTIONS)
    assert gitservers.tree(repository)["services/petstore/README.md"] == b"# petstore\n"


def test_a_deleted_branch_is_not_found(published: Any) -> None:
    repository, output, commit = published
    gitservers.git("update-ref", "-d", "refs/heads/main", cwd=repository)
    with pytest.raises(errors.GitError) as caught:
        git.drift(output, commit, OPTIONS)
    assert caught.value.kind == "not-found" and "main" in str(caught.value)


def test_a_restore_racing_another_push_is_refused_not_forced(published: Any) -> None:
    repository, output, commit = published
    gitservers.seed(repository, {"services/petstore/app/main.py": "print('edited')\n"})
    found = git.drift(output, commit, OPTIONS)
    assert found is not None
    later = gitservers.seed(repository, {"docs/late.md": "late\n"})
    with pytest.raises(errors.GitError) as caught:
        git.restore(output, found, ABOUT, OPTIONS)
    assert caught.value.kind == "non-fast-forward" and caught.value.retryable
    assert gitservers.git("rev-parse", "main", cwd=repository) == later
