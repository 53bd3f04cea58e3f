"""References from a kodegen resource to other things: Secrets, ConfigMaps, Git repositories."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kodegen.api import base

GitUrl = Annotated[str, Field(min_length=1, max_length=2048)]
"""A Git remote: `https://…`, `ssh://…`, `git://…`, `file://…` or `user@host:path`."""

GitRevision = Annotated[str, Field(min_length=1, max_length=256)]
"""A commit, tag or branch name."""

RepoPath = Annotated[str, Field(min_length=1, max_length=1024, pattern=r"^[^/].*$")]
"""A path relative to the root of a repository (no leading slash)."""

DataKey = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[-._a-zA-Z0-9]+$")]
"""A key of a ConfigMap or Secret."""


class SecretRef(base.KodegenModel):
    """A Secret in the namespace of the referring object."""

    name: base.ObjectName
    """Name of the Secret."""


class SecretKeyRef(base.KodegenModel):
    """One key of a Secret in the namespace of the referring object."""

    name: base.ObjectName
    """Name of the Secret."""
    key: DataKey | None = None
    """Key in the Secret; when omitted, the consumer's documented default key."""


class ConfigMapRef(base.KodegenModel):
    """A whole ConfigMap in the namespace of the referring object."""

    name: base.ObjectName
    """Name of the ConfigMap."""


class ConfigMapKeyRef(base.KodegenModel):
    """One key of a ConfigMap in the namespace of the referring object."""

    name: base.ObjectName
    """Name of the ConfigMap."""
    key: DataKey | None = None
    """Key in the ConfigMap; may be omitted when the ConfigMap has exactly one key."""


class GitFileRef(base.KodegenModel):
    """One file in a Git repository."""

    url: GitUrl
    """URL of the repository."""
    ref: GitRevision
    """Commit, tag or branch to read; a commit or tag keeps the input reproducible."""
    path: RepoPath
    """Path of the file, relative to the root of the repository."""
    secret_ref: SecretRef | None = None
    """Secret with the credentials (`username`/`password`, `token` or `ssh-privatekey`)."""


class GitDirRef(base.KodegenModel):
    """A folder of a Git repository."""

    url: GitUrl
    """URL of the repository."""
    ref: GitRevision
    """Commit or tag to read (not a branch: a template version never changes)."""
    path: RepoPath | None = None
    """Folder relative to the root of the repository; the root when omitted."""
    secret_ref: SecretRef | None = None
    """Secret with the credentials (`username`/`password`, `token` or `ssh-privatekey`)."""
