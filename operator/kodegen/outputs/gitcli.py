"""The `git` command against one remote, for publishing: a scratch repository, an environment
that carries the credentials, and git's failures as typed errors.

    with Session(url, credentials=...) as git:
        git.remote(["ls-remote", ...], step="read")   talks to the remote: failures classified
        git.local(["write-tree"])                     plumbing in the scratch repository

Credentials come from a Secret (`templates.git.Credentials`) and never appear on a command
line, in a URL or in a message:

- `token`, or `username` + `password`, over https (plain http only to loopback): a credential
  helper script in the scratch folder prints them from the environment of the git process
  (`credential.helper` is set through `GIT_CONFIG_*` variables, after an empty value that
  drops every helper configured elsewhere, so no helper of the user stores them);
- `ssh-privatekey` with `known_hosts`, which is required: the host key is checked strictly,
  never accepted on first use.

A URL with user info (`https://user:token@host/…`) is refused: it would end up in logs. Every
failure is an `errors.GitError` whose `kind` says what went wrong (auth, non-fast-forward,
protected-branch, unreachable, timeout, not-found, rejected, invalid); its message has the
remote's URL and git's last lines, with any credential value masked.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import tempfile
import types
import urllib.parse
from collections.abc import Mapping, Sequence
from pathlib import Path

from kodegen import errors
from kodegen.templates import git as git_source

__all__ = ["DEFAULT_PROTOCOLS", "Session", "classify", "is_ssh"]

DEFAULT_PROTOCOLS: tuple[str, ...] = git_source.DEFAULT_PROTOCOLS
"""Transports the operator may push over (`file` only for the CLI and tests)."""

_LOOPBACK = ("127.0.0.1", "::1", "localhost")
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:")
_STDERR_LINES = 3
_HELPER = """#!/bin/sh
test "$1" = get || exit 0
printf 'username=%s\\npassword=%s\\n' "$KODEGEN_GIT_USERNAME" "$KODEGEN_GIT_PASSWORD"
"""

_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("protected-branch", ("protected branch", "gh006", "protected ref", "hook declined")),
    (
        "auth",
        (
            "authentication failed",
            "could not read username",
            "could not read password",
            "returned error: 401",
            "returned error: 403",
            "permission denied",
            "host key verification failed",
            "invalid username or password",
        ),
    ),
    ("non-fast-forward", ("non-fast-forward", "fetch first", "stale info", "cannot lock ref")),
    (
        "not-found",
        (
            "repository not found",
            "does not appear to be a git repository",
            "returned error: 404",
            "no such repository",
            "not exported",
            "not found",
        ),
    ),
    (
        "unreachable",
        (
            "could not resolve host",
            "connection refused",
            "connection timed out",
            "unable to connect",
            "failed to connect",
            "network is unreachable",
            "could not read from remote",
            "unable to access",
            "early eof",
            "connection reset",
            "returned error: 5",
        ),
    ),
)
"""What git's messages say, most specific first."""

_HINTS = {
    "auth": "check the credentials in the Secret of spec.output.git.secretRef (token, "
    "username/password, or ssh-privatekey and known_hosts) and that they may push",
    "protected-branch": "the branch is protected: use mode pullRequest, or allow the "
    "credentials to push to spec.output.git.branch",
    "non-fast-forward": "the branch moved while kodegen was publishing; it will try again",
    "not-found": "check spec.output.git.url",
    "unreachable": "check spec.output.git.url and that the Git server is reachable",
    "timeout": "check that the Git server is reachable",
    "rejected": "the server refused; see its message",
    "invalid": "check spec.output.git",
}


def is_ssh(url: str) -> bool:
    return url.startswith("ssh://") or bool(_SCP_LIKE.match(url))


def classify(text: str) -> str:
    """The `GitError` kind git's message `text` tells of (`rejected` when nothing matches)."""
    lowered = text.lower()
    for kind, needles in _KINDS:
        if any(needle in lowered for needle in needles):
            return kind
    return "rejected"


class Session:
    """A scratch repository and the environment to run git against `url`; a context manager
    (the scratch folder, with the helper script and the key, is removed on exit).

    credentials: from the Secret of `secretRef`; None: none (a public or local repository, or
        the user's own git setup when not `isolated`).
    isolated: ignore the user's and the system's git configuration and HOME (the operator);
        the CLI passes False so a developer's credential helpers and ssh agent work.
    protocols: transports allowed (`GIT_ALLOW_PROTOCOL`).
    timeout: seconds each git command may take.
    """

    def __init__(
        self,
        url: str,
        *,
        credentials: git_source.Credentials | None = None,
        isolated: bool = True,
        protocols: Sequence[str] = DEFAULT_PROTOCOLS,
        timeout: float = 120.0,
        executable: str = "git",
    ) -> None:
        self.url, self.remote_name = url, git_source.redact(url)
        self.credentials = credentials or git_source.Credentials()
        self.isolated, self.protocols = isolated, tuple(protocols)
        self.timeout, self.executable = timeout, executable
        self._check_url()
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        self.env: dict[str, str] = {}
        self.git_dir = Path()

    def __enter__(self) -> Session:
        self._scratch = tempfile.TemporaryDirectory(prefix="kodegen-publish-")
        home = Path(self._scratch.name)
        self.git_dir = home / "repo.git"
        self.env = self._environment(home)
        self.local(["init", "--quiet", "--bare", str(self.git_dir)])
        self.env["GIT_DIR"] = str(self.git_dir)  # every later command, remote ones included
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: types.TracebackType | None,
    ) -> None:
        if self._scratch is not None:
            self._scratch.cleanup()
            self._scratch = None

    @property
    def scratch(self) -> Path:
        assert self._scratch is not None, "use Session as a context manager"
        return Path(self._scratch.name)

    def error(self, kind: str, reason: str) -> errors.GitError:
        return errors.GitError(remote=self.remote_name, kind=kind, reason=reason)

    # -- running git ---------------------------------------------------------------------------

    def remote(
        self, args: Sequence[str], *, step: str, also: str = ""
    ) -> subprocess.CompletedProcess[bytes]:
        """Run a git command that talks to the remote; a non-zero exit is a `GitError`
        classified from its stderr and `also` (e.g. what `push --porcelain` printed)."""
        done = self.run(args, step=step)
        if done.returncode != 0:
            detail = self.masked(done.stderr.decode("utf-8", "replace"))
            kind = classify(f"{detail}\n{also}")
            raise self.error(kind, f"git {step} failed: {_last_lines(detail)}; {_HINTS[kind]}")
        return done

    def fail(self, kind: str, step: str, detail: str) -> errors.GitError:
        """The `GitError` of a step that failed for `kind`, with its hint."""
        return self.error(kind, f"git {step} failed: {self.masked(detail)}; {_HINTS[kind]}")

    def local(
        self,
        args: Sequence[str],
        *,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> bytes:
        """Run plumbing in the scratch repository; its failure is a bug or a broken git, so it
        is reported as `invalid` with git's message."""
        done = self.run(args, step=args[0], stdin=stdin, env=env)
        if done.returncode != 0:
            detail = self.masked(done.stderr.decode("utf-8", "replace"))
            raise self.error("invalid", f"git {args[0]} failed: {_last_lines(detail)}")
        return done.stdout

    def masked(self, text: str) -> str:
        """`text` with every credential value masked and URLs' user info removed."""
        for secret in self.credentials.secrets():
            text = text.replace(secret, "***")
        return git_source.redact(text)

    def run(
        self,
        args: Sequence[str],
        *,
        step: str,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.CompletedProcess[bytes]:
        try:
            return subprocess.run(
                [self.executable, *args],
                cwd=self.scratch,
                env={**self.env, **(env or {})},
                input=stdin,
                stdin=None if stdin is not None else subprocess.DEVNULL,
                capture_output=True,
                timeout=self.timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise self.error(
                "timeout", f"git {step} timed out after {self.timeout:g} s; {_HINTS['timeout']}"
            ) from exc
        except OSError as exc:
            raise self.error(
                "invalid", f"cannot run {self.executable!r}: {exc.strerror or exc}; install git"
            ) from exc

    # -- checks and environment ----------------------------------------------------------------

    def _check_url(self) -> None:
        url = self.url
        if url.startswith("-") or any(c in url for c in "\n\r\x00 "):
            raise self.error("invalid", "spec.output.git.url is not a valid Git URL")
        parsed = urllib.parse.urlsplit(url)
        userinfo = parsed.netloc.rpartition("@")[0]
        if (
            parsed.scheme in ("http", "https", "git", "ssh")
            and "@" in parsed.netloc
            and (parsed.scheme != "ssh" or ":" in userinfo)
        ):
            raise self.error(
                "invalid",
                "spec.output.git.url holds credentials (user info); remove them from the "
                "URL and put them in the Secret of spec.output.git.secretRef",
            )
        credentials = self.credentials
        sends = credentials.password or credentials.token
        if parsed.scheme == "http" and sends and parsed.hostname not in _LOOPBACK:
            raise self.error(
                "invalid",
                "refusing to send the Secret's credentials over plain http; use an https:// URL",
            )
        if credentials.ssh_private_key and not credentials.known_hosts:
            raise self.error(
                "invalid",
                "the Secret has ssh-privatekey but no known_hosts; add the server's host key "
                "(ssh-keyscan HOST, checked out of band) as known_hosts: kodegen never trusts "
                "a host key on first use",
            )

    def _environment(self, home: Path) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("GIT_", "KODEGEN_GIT_"))
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
        config: list[tuple[str, str]] = [("core.hooksPath", os.devnull)]
        credentials = self.credentials
        password = credentials.password or credentials.token
        if password:
            helper = home / "credential-helper"
            helper.write_text(_HELPER, encoding="utf-8")
            helper.chmod(0o700)
            username = credentials.username or git_source.TOKEN_USERNAME
            config += [("credential.helper", ""), ("credential.helper", str(helper))]
            env.update(KODEGEN_GIT_USERNAME=username, KODEGEN_GIT_PASSWORD=password)
        if credentials.ssh_private_key or (self.isolated and is_ssh(self.url)):
            env["GIT_SSH_COMMAND"] = self._ssh_command(home)
        env["GIT_CONFIG_COUNT"] = str(len(config))
        for index, (key, value) in enumerate(config):
            env[f"GIT_CONFIG_KEY_{index}"], env[f"GIT_CONFIG_VALUE_{index}"] = key, value
        return env

    def _ssh_command(self, home: Path) -> str:
        """ssh with the Secret's key and strict host key checking against its known_hosts."""
        options = ["ssh", "-F", os.devnull, "-o", "BatchMode=yes"]
        known = home / "known_hosts"
        known.write_text(self.credentials.known_hosts or "", encoding="utf-8")
        options += ["-o", f"UserKnownHostsFile={known}", "-o", "StrictHostKeyChecking=yes"]
        if self.credentials.ssh_private_key:
            key = home / "id"
            descriptor = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(self.credentials.ssh_private_key.rstrip("\n") + "\n")
            options += ["-i", str(key), "-o", "IdentitiesOnly=yes"]
        return shlex.join(options)


_BOILERPLATE = (
    "please make sure you have the correct access rights",
    "and the repository exists.",
    "fatal: could not read from remote repository.",
)
"""git's closing advice after any ssh failure: it hides the line that says what happened."""


def _last_lines(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    telling = [line for line in lines if line.lower() not in _BOILERPLATE] or lines
    return "; ".join(telling[-_STDERR_LINES:]) or "no message"
