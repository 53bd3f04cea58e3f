"""Publish generated files to Git (`spec.output.git`): the one publisher of the Job, the local
executor and `kodegen generate`.

    publish(files, output, about, options) -> GitPublication

- `mode: push`: the files become the folder `output.path` of `output.branch` in one commit
  (`outputs.gitcommit`: nothing else in the repository changes; no commit when the tree is
  already there; pushed with a lease, never rewriting history).
- `mode: pullRequest`: the same commit goes to branch `kodegen/<name>-<input hash, 12 digits>`
  started from `output.branch`, and a pull (merge) request into `output.branch` is opened, or
  updated when it is already open (`outputs.forges`). When `output.branch` already holds the
  files, there is nothing to propose: no branch, no pull request.

The commit message is `output.message` (placeholders `{name}`, `{namespace}`, `{family}`,
`{version}`, `{inputHash}`, `{files}`) followed by trailers naming the input hash, the
template and the digest of the provenance statement, so `git log` leads to the run. Before
anything is sent, the files are checked for the credentials' values: a file holding one is
never published (`errors.LeakedKey`).
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
import re
from collections.abc import Callable, Mapping

import httpx

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.api import codegeneration_status as status_api
from kodegen.outputs import forges, gitcli, gitcommit, gitdrift
from kodegen.templates import git as git_source

__all__ = [
    "CLI_PROTOCOLS",
    "DEFAULT_MESSAGE",
    "SECRET_ENV",
    "About",
    "Options",
    "branch_for",
    "branch_prefix",
    "check",
    "credentials_from_env",
    "drift",
    "message",
    "publish",
    "restore",
]

SECRET_ENV: dict[str, str] = {
    "token": "KODEGEN_OUTPUT_GIT_TOKEN",
    "username": "KODEGEN_OUTPUT_GIT_USERNAME",
    "password": "KODEGEN_OUTPUT_GIT_PASSWORD",
    "ssh-privatekey": "KODEGEN_OUTPUT_GIT_SSH_PRIVATE_KEY",
    "known_hosts": "KODEGEN_OUTPUT_GIT_KNOWN_HOSTS",
}
"""Key of the Git output's Secret -> the environment variable holding it: in the Job (its
secretKeyRefs) and for `kodegen generate` (set them, or rely on your own git setup)."""

DEFAULT_MESSAGE = "kodegen: generate {name} with {family} {version}"
"""The commit message (and pull request title) when `output.message` is not given."""

CLI_PROTOCOLS: tuple[str, ...] = (*gitcli.DEFAULT_PROTOCOLS, "file")
"""Transports `kodegen generate` may push over: a local repository too (never the operator)."""

PROVENANCE = ".kodegen/provenance.json"
"""The provenance statement among the files: its digest goes into the trailers."""

_PLACEHOLDER = re.compile(r"\{([A-Za-z]*)\}")


@dataclasses.dataclass(frozen=True)
class About:
    """What was generated: what the commit message and the trailers tell."""

    name: str
    namespace: str
    family: str
    version: str
    input_hash: str


@dataclasses.dataclass(frozen=True)
class Options:
    """How to reach the repository and the forge.

    credentials: the Secret of `output.secretRef` (None: no Secret).
    isolated: ignore the user's git configuration (the operator); False in the CLI.
    protocols: transports allowed; the operator never allows `file`.
    timeout: seconds per git command and per forge request.
    clock: the commits' date.
    forge_transport: the HTTP transport of the forge client (None: httpx's own, the
        network); a proxy or a custom TLS setup plugs in here.
    """

    credentials: git_source.Credentials | None = None
    isolated: bool = True
    protocols: tuple[str, ...] = gitcli.DEFAULT_PROTOCOLS
    timeout: float = 120.0
    clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC)
    forge_transport: httpx.BaseTransport | None = None


def publish(
    files: Mapping[str, bytes],
    output: codegeneration.GitOutput,
    about: About,
    options: Options = Options(),
) -> status_api.GitPublication:
    """Publish `files` as `output` says (see the module doc). Raises `errors.GitError` (with
    `kind` and `condition_reason`), `errors.LeakedKey`, or `errors.ManifestError` for an
    unknown placeholder in `output.message`."""
    credentials = options.credentials or git_source.Credentials()
    _refuse_leaks(files, credentials)
    text = message(output.message, about, files)
    author = gitcommit.Author(
        name=output.author.name, email=output.author.email, when=options.clock()
    )
    session = gitcli.Session(
        output.url,
        credentials=credentials,
        isolated=options.isolated,
        protocols=options.protocols,
        timeout=options.timeout,
    )
    pull_request = output.mode == "pullRequest"
    branch = branch_for(about) if pull_request else output.branch
    with session:
        pushed = gitcommit.commit_and_push(
            session,
            files,
            branch=branch,
            path=output.path,
            message=text,
            author=author,
            start_from=output.branch if pull_request else None,
        )
    publication = status_api.GitPublication(
        commit=pushed.commit,
        branch=pushed.branch,
        url=git_source.redact(output.url),
        path=output.path,
        changed=pushed.changed,
    )
    if not pull_request or pushed.branch == output.branch:
        return publication
    assert output.pull_request is not None  # GitOutput's validator: pullRequest needs it
    title, _, body = text.partition("\n")
    opened = forges.open_or_update(
        output.pull_request,
        repository=output.url,
        token=credentials.token or credentials.password,
        head=pushed.branch,
        base=output.branch,
        title=title,
        body=body.strip(),
        supersedes=branch_prefix(about),
        timeout=options.timeout,
        transport=options.forge_transport,
    )
    return publication.model_copy(
        update={
            "pull_request": status_api.PullRequestStatus(
                url=opened.url, number=opened.number, state=opened.state
            )
        }
    )


def credentials_from_env(environ: Mapping[str, str]) -> git_source.Credentials | None:
    """The credentials `SECRET_ENV` names in `environ`; None when none is set."""
    data = {key: environ.get(variable, "") for key, variable in SECRET_ENV.items()}
    if not any(data.values()):
        return None
    return git_source.Credentials.from_secret(data)


def check(output: codegeneration.GitOutput) -> None:
    """Refuse, before any run, what `publish` would refuse whatever the Secret holds: a URL
    with credentials or options in it, an unknown placeholder in the message, a path that
    leaves the repository. Raises `errors.ManifestError` naming the field."""
    checks: list[tuple[str, Callable[[], object]]] = [
        ("url", lambda: gitcli.Session(output.url, protocols=CLI_PROTOCOLS)),
        ("path", lambda: output.path is None or gitcommit.checked_path(output.path)),
    ]
    if output.pull_request is not None:  # the forge API needs owner/repository
        checks.append(("url", lambda: forges.repository_path(output.url)))
    for field, run in checks:
        try:
            run()
        except errors.GitError as exc:
            raise errors.ManifestError(field=f"spec.output.git.{field}", reason=exc.reason) from exc
    about = About(name="n", namespace="ns", family="f", version="1", input_hash="sha256:0")
    message(output.message, about, {})


def drift(
    output: codegeneration.GitOutput, commit: str, options: Options = Options()
) -> gitdrift.Drift | None:
    """How the folder `output.path` of `output.branch` differs from what kodegen published in
    `commit` (`status.output.git.commit`); None when it does not."""
    with _session(output, options) as session:
        return gitdrift.drifted(session, branch=output.branch, path=output.path, published=commit)


def restore(
    output: codegeneration.GitOutput,
    found: gitdrift.Drift,
    about: About,
    options: Options = Options(),
) -> status_api.GitPublication:
    """Put the folder back as published, in a new commit on the branch (never a force push)."""
    where = output.path or "the repository root"
    files = ", ".join(found.files[:10]) + (" ..." if len(found.files) > 10 else "")
    text = (
        f"kodegen: restore {where} as published in {found.published[:12]}\n\n"
        f"spec.driftPolicy is Restore; edited by hand: {files}\n\n"
        f"Kodegen-Input-Hash: {about.input_hash}\nKodegen-Restores: {found.published}\n"
    )
    author = gitcommit.Author(
        name=output.author.name, email=output.author.email, when=options.clock()
    )
    with _session(output, options) as session:
        pushed = gitdrift.restore(session, found, path=output.path, message=text, author=author)
    return status_api.GitPublication(
        commit=pushed.commit,
        branch=pushed.branch,
        url=git_source.redact(output.url),
        path=output.path,
        changed=True,
    )


def _session(output: codegeneration.GitOutput, options: Options) -> gitcli.Session:
    return gitcli.Session(
        output.url,
        credentials=options.credentials,
        isolated=options.isolated,
        protocols=options.protocols,
        timeout=options.timeout,
    )


def branch_for(about: About) -> str:
    """The pull request's branch: `kodegen/<name>-<12 hex digits of the input hash>`."""
    return f"{branch_prefix(about)}{about.input_hash.removeprefix('sha256:')[:12]}"


def branch_prefix(about: About) -> str:
    """What the pull request branches of one CodeGeneration start with: `kodegen/<name>-`.
    Opening one closes the others still open (older inputs' proposals)."""
    return f"kodegen/{about.name}-"


def message(template: str | None, about: About, files: Mapping[str, bytes]) -> str:
    """The commit message: `template` filled in, then the trailers."""
    values = {
        "name": about.name,
        "namespace": about.namespace,
        "family": about.family,
        "version": about.version,
        "inputHash": about.input_hash,
        "files": str(len(files)),
    }

    def fill(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise errors.ManifestError(
                field="spec.output.git.message",
                reason=f"unknown placeholder {match.group(0)!r}; use "
                + ", ".join("{" + name + "}" for name in values),
            )
        return values[key]

    subject = _PLACEHOLDER.sub(fill, template or DEFAULT_MESSAGE).strip() or DEFAULT_MESSAGE
    provenance = files.get(PROVENANCE)
    trailers = [
        f"Kodegen-Input-Hash: {about.input_hash}",
        f"Kodegen-Template: {about.family}@{about.version}",
    ]
    if provenance is not None:
        trailers.append(f"Kodegen-Provenance: sha256:{hashlib.sha256(provenance).hexdigest()}")
    return f"{subject}\n\n" + "\n".join(trailers) + "\n"


def _refuse_leaks(files: Mapping[str, bytes], credentials: git_source.Credentials) -> None:
    secrets = [value.encode() for value in credentials.secrets() if len(value) >= 8]
    places = [name for name, content in sorted(files.items()) if any(s in content for s in secrets)]
    if places:
        raise errors.LeakedKey(places=[f"{name} (Git credentials)" for name in places])
