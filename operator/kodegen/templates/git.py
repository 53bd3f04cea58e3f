"""Fetch one folder of a Git repository, read-only, with the `git` command.

    Cli(credentials=..., timeout=...).fetch(url, ref, path, into) -> commit SHA

The repository is fetched into a scratch bare repository (`git init` + `git fetch --depth 1
<url> <ref>`: one commit, no history), `ref` (a tag, a branch or a full commit SHA) is resolved
to its commit, and the folder `path` of that commit is written into `into` with `git archive`
(extracted with tarfile's `data` filter: nothing lands outside `into`). Nothing is left behind.

Credentials come from a Secret's data (:meth:`Credentials.from_secret`) and never appear on a
command line or in a message:

- `username` + `password`, or `token` (username `x-access-token` unless `username` is given)
  over HTTPS (plain http only to loopback): answered by a `GIT_ASKPASS` helper that reads
  them from its environment;
- `ssh-privatekey`: written to a 0600 file for `GIT_SSH_COMMAND`; the host key is checked
  against the Secret's `known_hosts` when it has one, else accepted on first use (per fetch).

Every failure is a :class:`~kodegen.errors.TemplateError` naming the URL (its user info
removed) and the ref. :class:`GitFetcher` is the protocol, so tests and the operator can bring
their own.
"""

from __future__ import annotations

import dataclasses
import io
import os
import re
import shlex
import subprocess
import tarfile
import tempfile
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from kodegen import errors

__all__ = ["DEFAULT_PROTOCOLS", "Cli", "Credentials", "GitFetcher", "describe", "redact"]

DEFAULT_PROTOCOLS: tuple[str, ...] = ("https", "http", "ssh", "git")
"""Transports the operator may use; `file` is left out so a resource cannot read the
operator's own disk (the CLI adds it)."""

TOKEN_USERNAME = "x-access-token"
"""Username sent with a bare `token` (GitHub's convention; GitLab and Gitea accept any)."""

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")
_STDERR_LINES = 3
_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_ASKPASS = """#!/bin/sh
case "$1" in
  Username*) printf '%s\\n' "$KODEGEN_GIT_USERNAME" ;;
  *) printf '%s\\n' "$KODEGEN_GIT_PASSWORD" ;;
esac
"""


@dataclasses.dataclass(frozen=True, repr=False)
class Credentials:
    """What a Git Secret holds; empty fields are absent. The repr shows which kinds are set,
    never a value."""

    username: str | None = None
    password: str | None = None
    token: str | None = None
    ssh_private_key: str | None = None
    known_hosts: str | None = None

    @classmethod
    def from_secret(cls, data: Mapping[str, str | bytes]) -> Credentials:
        """From a Secret's data, already base64-decoded: keys `username`, `password`, `token`,
        `ssh-privatekey` (the `kubernetes.io/basic-auth` and `kubernetes.io/ssh-auth` types)
        and `known_hosts`."""

        def text(key: str) -> str | None:
            value = data.get(key)
            if value is None or value == "" or value == b"":
                return None
            return value.decode("utf-8") if isinstance(value, bytes) else value

        return cls(
            username=text("username"),
            password=text("password"),
            token=text("token"),
            ssh_private_key=text("ssh-privatekey"),
            known_hosts=text("known_hosts"),
        )

    def secrets(self) -> tuple[str, ...]:
        """The values a message must never show."""
        return tuple(v for v in (self.password, self.token, self.ssh_private_key) if v)

    def __repr__(self) -> str:
        kinds = [f.name for f in dataclasses.fields(self) if getattr(self, f.name)]
        return f"Credentials({', '.join(kinds) or 'none'})"


class GitFetcher(Protocol):
    """Writes one folder of a repository at a ref into a folder; returns the commit SHA."""

    def fetch(self, url: str, ref: str, path: str | None, into: Path) -> str:
        """Write folder `path` (the root when None) of `url` at `ref` into `into` (an existing
        empty folder); return the full commit SHA `ref` resolved to."""
        ...


class Cli:
    """A :class:`GitFetcher` over the `git` command.

    credentials: from the Secret of `secretRef`; None for a public repository.
    timeout: seconds each git command may take (the fetch is the long one).
    isolated: ignore the user's and the system's git configuration (credential helpers,
        url rewrites, hooks) and HOME; the operator's setting. The CLI passes False, so a
        developer's own credentials work.
    protocols: the transports allowed (`GIT_ALLOW_PROTOCOL`).
    """

    def __init__(
        self,
        *,
        credentials: Credentials | None = None,
        timeout: float = 60.0,
        isolated: bool = True,
        protocols: Sequence[str] = DEFAULT_PROTOCOLS,
        executable: str = "git",
    ) -> None:
        self.credentials = credentials or Credentials()
        self.timeout = timeout
        self.isolated = isolated
        self.protocols = tuple(protocols)
        self.executable = executable

    def fetch(self, url: str, ref: str, path: str | None, into: Path) -> str:
        where = describe(url, ref, path)
        for name, value in (("url", url), ("ref", ref)):
            if value.startswith("-") or "\n" in value or "\x00" in value:
                raise errors.TemplateError(
                    template=where, reason=f"the {name} {redact(value)!r} is not valid"
                )
        self._check_plain_http(url, where)
        with tempfile.TemporaryDirectory(prefix="kodegen-git-") as scratch:
            home = Path(scratch)
            env = self._environment(home)
            repo = str(home / "repo.git")
            self._git(["init", "--quiet", "--bare", repo], env, where, "init")
            self._git(
                ["--git-dir", repo, "fetch", "--quiet", "--depth", "1", "--no-tags", url, ref],
                env,
                where,
                "fetch",
            )
            sha = self._git(
                ["--git-dir", repo, "rev-parse", "--verify", "--quiet", "FETCH_HEAD^{commit}"],
                env,
                where,
                "resolve",
            ).decode("ascii")
            sha = sha.strip()
            if _SHA.match(ref) and not sha.startswith(ref):
                raise errors.TemplateError(
                    template=where, reason=f"fetched commit {sha}, not the requested {ref}"
                )
            tree = f"{sha}:{path.strip('/')}" if path and path.strip("/") else sha
            kind = self._run(["--git-dir", repo, "cat-file", "-t", tree], env)
            if kind.returncode != 0 or kind.stdout.strip() != b"tree":
                raise errors.TemplateError(
                    template=where,
                    reason=f"{path!r} is not a folder at commit {sha}; check spec.source.git.path",
                )
            archive = self._git(
                ["--git-dir", repo, "archive", "--format=tar", tree], env, where, "archive"
            )
        try:
            with tarfile.open(fileobj=io.BytesIO(archive), mode="r:") as tar:
                tar.extractall(into, filter="data")
        except tarfile.TarError as exc:  # FilterError: a link out of the folder, a device...
            raise errors.TemplateError(
                template=where,
                reason=f"the folder at commit {sha} holds what a template may not: {exc}; "
                "templates hold regular files only",
            ) from exc
        return sha

    # -- internals -----------------------------------------------------------------------------

    def _check_plain_http(self, url: str, where: str) -> None:
        """Credentials never cross the network unencrypted (loopback excepted)."""
        parsed = urllib.parse.urlsplit(url)
        sends = self.credentials.password or self.credentials.token
        if parsed.scheme == "http" and sends and parsed.hostname not in _LOOPBACK:
            raise errors.TemplateError(
                template=where,
                reason="refusing to send the Secret's credentials over plain http; use an "
                "https:// URL",
            )

    def _environment(self, home: Path) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith("GIT_") and not key.startswith("KODEGEN_GIT_")
        }
        env.update(
            GIT_TERMINAL_PROMPT="0",
            GIT_ALLOW_PROTOCOL=":".join(self.protocols),
            LC_ALL="C",
        )
        if self.isolated:
            env.update(
                HOME=str(home),
                GIT_CONFIG_NOSYSTEM="1",
                GIT_CONFIG_GLOBAL=os.devnull,
                XDG_CONFIG_HOME=str(home),
            )
            env.pop("SSH_AUTH_SOCK", None)
        credentials = self.credentials
        password = credentials.password or credentials.token
        if password:
            askpass = home / "askpass.sh"
            askpass.write_text(_ASKPASS, encoding="utf-8")
            askpass.chmod(0o700)
            username = credentials.username or (TOKEN_USERNAME if credentials.token else "")
            env.update(
                GIT_ASKPASS=str(askpass),
                SSH_ASKPASS=str(askpass),
                KODEGEN_GIT_USERNAME=username,
                KODEGEN_GIT_PASSWORD=password,
            )
        if credentials.ssh_private_key:
            key = home / "id"
            descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(credentials.ssh_private_key.rstrip("\n") + "\n")
            known = home / "known_hosts"
            known.write_text(credentials.known_hosts or "", encoding="utf-8")
            checking = "yes" if credentials.known_hosts else "accept-new"
            options = [
                "ssh",
                "-i",
                str(key),
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "BatchMode=yes",
                "-o",
                f"UserKnownHostsFile={known}",
                "-o",
                f"StrictHostKeyChecking={checking}",
            ]
            env["GIT_SSH_COMMAND"] = shlex.join(options)
        return env

    def _run(self, args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [self.executable, *args],
            env=dict(env),
            capture_output=True,
            timeout=self.timeout,
            check=False,
            stdin=subprocess.DEVNULL,
        )

    def _git(self, args: list[str], env: Mapping[str, str], where: str, step: str) -> bytes:
        try:
            done = self._run(args, env)
        except subprocess.TimeoutExpired as exc:
            raise errors.TemplateError(
                template=where,
                reason=f"git {step} timed out after {self.timeout:g} s; check that the "
                "repository is reachable",
            ) from exc
        except OSError as exc:
            raise errors.TemplateError(
                template=where,
                reason=f"cannot run {self.executable!r}: {exc.strerror or exc}; install git",
            ) from exc
        if done.returncode != 0:
            raise errors.TemplateError(
                template=where, reason=f"git {step} failed: {self._explain(done.stderr, step)}"
            )
        return done.stdout

    def _explain(self, stderr: bytes, step: str) -> str:
        text = stderr.decode("utf-8", "replace")
        for secret in self.credentials.secrets():
            text = text.replace(secret, "***")
        lines = [redact(line.strip()) for line in text.splitlines() if line.strip()]
        detail = "; ".join(lines[-_STDERR_LINES:]) or "no message"
        lowered = detail.lower()
        if "authentication failed" in lowered or "could not read username" in lowered:
            hint = "check the credentials in the Secret of spec.source.git.secretRef"
        elif "permission denied" in lowered:
            hint = "check the ssh-privatekey in the Secret of spec.source.git.secretRef"
        elif step == "fetch" and (
            "couldn't find remote ref" in lowered or "not our ref" in lowered
        ):
            hint = "check spec.source.git.ref: a tag, a branch or a full 40-character commit SHA"
        elif "transport" in lowered and "not allowed" in lowered:
            hint = f"use one of: {', '.join(self.protocols)}"
        else:
            hint = "check spec.source.git.url and ref"
        return f"{detail}; {hint}"


def describe(url: str, ref: str, path: str | None) -> str:
    """`url@ref:path`, user info removed: how errors name a Git source."""
    return f"{redact(url)}@{ref}" + (f":{path}" if path else "")


def redact(text: str) -> str:
    """`text` with the user info of any URL in it (`https://user:token@host`) removed."""
    return _USERINFO.sub("***@", text)
