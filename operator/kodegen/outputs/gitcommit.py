"""Commit a tree of files under one folder of a branch and push it, never rewriting history.

    commit_andpush(session, files, branch=, path=, message=, author=, start_from=) -> Pushed

1. The branch's head is read (`ls-remote`) and fetched alone (`--depth 1`): the parent. A
   branch that does not exist yet starts from `start_from` (the pull request's target), or
   from nothing (an empty repository).
2. The new tree is the parent's with the folder `path` replaced by `files` (the root when
   `path` is None): every other entry of the repository is kept as it is, by its object id.
3. The same tree as the parent's: no commit, nothing pushed (`changed=False`).
4. Otherwise one commit on top of the parent, pushed with `--force-with-lease=<branch>:<parent>`:
   the server moves the branch only if it still points at the parent, and the new commit
   descends from the parent, so no commit is ever dropped. When the branch moved meanwhile
   (the lease fails), it starts again from step 1 on the new head, up to `ATTEMPTS` times.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from pathlib import PurePosixPath

from kodegen import errors
from kodegen.outputs import gitcli

__all__ = ["ATTEMPTS", "Author", "Pushed", "checked_path", "commit_and_push", "push"]

ATTEMPTS = 3
"""Publishes tried in a row while the branch keeps moving under us."""

_FILE_MODE = "100644"


@dataclasses.dataclass(frozen=True)
class Author:
    name: str
    email: str
    when: datetime.datetime
    """Author and committer date (timezone-aware)."""


@dataclasses.dataclass(frozen=True)
class Pushed:
    commit: str
    """The branch's head after publishing: the new commit, or the parent when unchanged."""
    branch: str
    changed: bool
    """Whether a commit was made and pushed."""


def commit_and_push(
    session: gitcli.Session,
    files: Mapping[str, bytes],
    *,
    branch: str,
    path: str | None,
    message: str,
    author: Author,
    start_from: str | None = None,
) -> Pushed:
    """Publish `files` (relative POSIX path -> content) as the folder `path` of `branch`
    (see the module doc). Raises `errors.GitError`."""
    prefix = _prefix(session, path)
    checked = {_checked(session, name): content for name, content in files.items()}
    blobs = _hash_blobs(session, checked)
    for attempt in range(ATTEMPTS):
        parent, exists = _parent(session, branch, start_from)
        tree = _tree(session, parent, prefix, blobs)
        if parent is not None and _tree_of(session, parent) == tree:
            # Nothing to change; for a branch not created yet, its start already holds it.
            return Pushed(
                commit=parent, branch=branch if exists else str(start_from), changed=False
            )
        commit = _commit(session, tree, parent, message, author)
        try:
            push(session, commit, branch, expected=parent if exists else None)
        except errors.GitError as exc:
            if exc.kind != "non-fast-forward" or attempt == ATTEMPTS - 1:
                raise
            continue
        return Pushed(commit=commit, branch=branch, changed=True)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _prefix(session: gitcli.Session, path: str | None) -> str:
    if path is None or not path.strip("/"):
        return ""
    return _checked(session, path.strip("/")) + "/"


def checked_path(name: str) -> str:
    """`name` if it is a plain relative path inside a repository; else `errors.GitError`
    (kind invalid)."""
    return _checked(None, name)


def _checked(session: gitcli.Session | None, name: str) -> str:
    parts = name.split("/")
    if (
        not name
        or PurePosixPath(name).is_absolute()
        or any(part in ("", ".", "..", ".git") for part in parts)
        or any(c in name for c in "\n\r\t\x00\\")
    ):
        reason = (
            f"path {name!r} is not a plain relative path inside the repository (no '..', "
            "'.git', backslash or control character)"
        )
        if session is None:
            raise errors.GitError(remote="-", kind="invalid", reason=reason)
        raise session.error("invalid", reason)
    return name


def _hash_blobs(session: gitcli.Session, files: Mapping[str, bytes]) -> dict[str, str]:
    """Write each file as a blob (bytes as given: no filters, no line-ending conversion);
    path -> object id."""
    folder = session.scratch / "blobs"
    folder.mkdir()
    paths: list[str] = []
    for index, content in enumerate(files.values()):
        blob = folder / str(index)
        blob.write_bytes(content)
        paths.append(str(blob))
    if not paths:
        return {}
    out = session.local(
        ["hash-object", "-w", "--no-filters", "--stdin-paths"], stdin="\n".join(paths).encode()
    )
    ids = out.decode("ascii").split()
    return dict(zip(files, ids, strict=True))


def _parent(
    session: gitcli.Session, branch: str, start_from: str | None
) -> tuple[str | None, bool]:
    """(the commit to build on, whether `branch` exists): the head of `branch`, else of
    `start_from`, else None (an empty repository), fetched into the scratch repository."""
    names = [branch] if start_from is None or start_from == branch else [branch, start_from]
    done = session.remote(
        ["ls-remote", "--heads", "--", session.url, *(f"refs/heads/{n}" for n in names)],
        step="ls-remote",
    )
    heads: set[str] = set()
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        ref = line.partition("\t")[2]
        if ref.startswith("refs/heads/"):
            heads.add(ref.removeprefix("refs/heads/"))
    source = branch if branch in heads else start_from if start_from in heads else None
    if source is None:
        return None, False
    session.remote(
        [
            "fetch",
            "--quiet",
            "--depth",
            "1",
            "--no-tags",
            "--",
            session.url,
            f"+refs/heads/{source}:refs/kodegen/parent",
        ],
        step="fetch",
    )
    fetched = session.local(["rev-parse", "--verify", "refs/kodegen/parent^{commit}"])
    return fetched.decode("ascii").strip(), source == branch


def _tree_of(session: gitcli.Session, commit: str) -> str:
    return session.local(["rev-parse", "--verify", f"{commit}^{{tree}}"]).decode().strip()


def _tree(
    session: gitcli.Session, parent: str | None, prefix: str, blobs: Mapping[str, str]
) -> str:
    """The parent's tree with folder `prefix` (the whole tree when empty) replaced by
    `blobs`."""
    index = session.scratch / "index"
    index.unlink(missing_ok=True)
    env = {"GIT_INDEX_FILE": str(index)}
    entries: list[bytes] = []
    if parent is not None and prefix:
        listing = session.local(["ls-tree", "-r", "-z", "--full-tree", parent], env=env)
        for record in listing.split(b"\0"):
            if not record:
                continue
            kept = record.partition(b"\t")[2].decode("utf-8", "surrogateescape")
            if not kept.startswith(prefix):
                entries.append(record)
    for name, blob in blobs.items():
        entries.append(f"{_FILE_MODE} {blob}\t{prefix}{name}".encode())
    session.local(["read-tree", "--empty"], env=env)
    session.local(
        ["update-index", "-z", "--index-info"], stdin=b"\0".join(entries) + b"\0", env=env
    )
    return session.local(["write-tree"], env=env).decode("ascii").strip()


def _commit(
    session: gitcli.Session, tree: str, parent: str | None, message: str, author: Author
) -> str:
    stamp = author.when.isoformat()
    env = {
        "GIT_AUTHOR_NAME": author.name,
        "GIT_AUTHOR_EMAIL": author.email,
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_NAME": author.name,
        "GIT_COMMITTER_EMAIL": author.email,
        "GIT_COMMITTER_DATE": stamp,
    }
    args = ["commit-tree", tree, *(["-p", parent] if parent else []), "-F", "-"]
    return session.local(args, stdin=message.encode(), env=env).decode("ascii").strip()


def push(session: gitcli.Session, commit: str, branch: str, *, expected: str | None) -> None:
    """Push `commit` to `branch` if the branch is still at `expected` (None: absent)."""
    ref = f"refs/heads/{branch}"
    args = [
        "push",
        "--porcelain",
        f"--force-with-lease={ref}:{expected or ''}",
        "--",
        session.url,
        f"{commit}:{ref}",
    ]
    done = session.run(args, step="push")
    report = done.stdout.decode("utf-8", "replace")
    refused = [line for line in report.splitlines() if line.startswith("!")]
    if done.returncode == 0 and not refused:
        return
    stderr = done.stderr.decode("utf-8", "replace")
    # '!<TAB>from:to<TAB>[rejected] (stale info)': the summary names why
    summary = "; ".join(line.split("\t")[-1] for line in refused)
    kind = gitcli.classify(f"{summary}\n{stderr}")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    detail = "; ".join([summary, *lines[-2:]] if summary else lines[-3:]) or "no message"
    raise session.fail(kind, "push", detail)
