"""Drift of published Git output: the folder kodegen committed, edited by hand since.

    drifted(session, branch=, path=, published=) -> Drift | None
    restore(session, drift, path=, message=, author=) -> gitcommit.Pushed

`published` is the commit kodegen made (or found unchanged): `status.output.git.commit`. The
branch's head is read and fetched with that commit (`--depth 1` each: two commits, no
history); the folder `path` is compared between them by tree id, so commits that touch only
the rest of the repository are no drift. A drift lists the files that differ (`M`, `A`, `D`
and the path inside the folder). `restore` puts the folder back as kodegen published it in a
new commit on top of the head, pushed with a lease: the hand edit stays in history, nothing is
force-pushed.
"""

from __future__ import annotations

import dataclasses

from kodegen.outputs import gitcli, gitcommit

__all__ = ["Drift", "drifted", "restore"]


@dataclasses.dataclass(frozen=True)
class Drift:
    branch: str
    head: str
    """The branch's head, where the folder differs."""
    published: str
    """The commit kodegen published."""
    files: tuple[str, ...]
    """`M path`, `A path`, `D path` inside the folder, sorted by path."""


def drifted(
    session: gitcli.Session, *, branch: str, path: str | None, published: str
) -> Drift | None:
    """The drift of folder `path` of `branch` since commit `published`; None when there is
    none. Raises `errors.GitError` (the branch is gone: kind not-found)."""
    head = _head(session, branch)
    if head == published:
        return None
    _fetch(session, head, published)
    ours, theirs = _folder(session, published, path), _folder(session, head, path)
    if ours == theirs:
        return None
    out = session.local(["diff-tree", "-r", "-z", "--name-status", "--no-renames", ours, theirs])
    fields = [f for f in out.decode("utf-8", "surrogateescape").split("\0") if f]
    files = sorted(
        (f"{status} {name}" for status, name in zip(fields[::2], fields[1::2], strict=True)),
        key=lambda entry: entry[2:],
    )
    return Drift(branch=branch, head=head, published=published, files=tuple(files))


def restore(
    session: gitcli.Session,
    drift: Drift,
    *,
    path: str | None,
    message: str,
    author: gitcommit.Author,
) -> gitcommit.Pushed:
    """A new commit on `drift.head` whose folder `path` is the published one again."""
    _fetch(session, drift.head, drift.published)
    prefix = f"{path.strip('/')}/" if path and path.strip("/") else ""
    entries = [
        record
        for record in _listing(session, drift.head)
        if prefix and not _name(record).startswith(prefix)
    ]
    for record in _listing(session, f"{drift.published}:{prefix}" if prefix else drift.published):
        meta, _, name = record.partition(b"\t")
        entries.append(meta + b"\t" + prefix.encode() + name)
    index = session.scratch / "restore-index"
    env = {"GIT_INDEX_FILE": str(index)}
    session.local(["read-tree", "--empty"], env=env)
    session.local(
        ["update-index", "-z", "--index-info"], stdin=b"\0".join(entries) + b"\0", env=env
    )
    tree = session.local(["write-tree"], env=env).decode("ascii").strip()
    stamp = author.when.isoformat()
    identity = {
        "GIT_AUTHOR_NAME": author.name,
        "GIT_AUTHOR_EMAIL": author.email,
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_NAME": author.name,
        "GIT_COMMITTER_EMAIL": author.email,
        "GIT_COMMITTER_DATE": stamp,
    }
    commit = session.local(
        ["commit-tree", tree, "-p", drift.head, "-F", "-"], stdin=message.encode(), env=identity
    )
    sha = commit.decode("ascii").strip()
    gitcommit.push(session, sha, drift.branch, expected=drift.head)
    return gitcommit.Pushed(commit=sha, branch=drift.branch, changed=True)


def _listing(session: gitcli.Session, tree: str) -> list[bytes]:
    """`ls-tree -r` records (`mode type id<TAB>path`) of `tree`."""
    out = session.local(["ls-tree", "-r", "-z", "--full-tree", tree])
    return [record for record in out.split(b"\0") if record]


def _name(record: bytes) -> str:
    return record.partition(b"\t")[2].decode("utf-8", "surrogateescape")


def _head(session: gitcli.Session, branch: str) -> str:
    done = session.remote(
        ["ls-remote", "--heads", "--", session.url, f"refs/heads/{branch}"], step="ls-remote"
    )
    for line in done.stdout.decode("utf-8", "replace").splitlines():
        sha, _, ref = line.partition("\t")
        if ref == f"refs/heads/{branch}":
            return sha
    raise session.fail("not-found", "ls-remote", f"branch {branch!r} does not exist any more")


def _fetch(session: gitcli.Session, *commits: str) -> None:
    session.remote(
        ["fetch", "--quiet", "--depth", "1", "--no-tags", "--", session.url, *commits],
        step="fetch",
    )


def _folder(session: gitcli.Session, commit: str, path: str | None) -> str:
    """The tree id of folder `path` at `commit` (the empty tree when it is absent)."""
    where = f"{commit}:{path.strip('/')}" if path and path.strip("/") else f"{commit}^{{tree}}"
    done = session.run(["rev-parse", "--verify", "--quiet", where], step="rev-parse")
    if done.returncode != 0:
        return session.local(["hash-object", "-t", "tree", "--stdin"], stdin=b"").decode().strip()
    return done.stdout.decode("ascii").strip()
