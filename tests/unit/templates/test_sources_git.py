"""Git sources against real servers on 127.0.0.1: `git daemon` (git://), `git http-backend`
behind a small CGI server with token and password auth (http://), and ssh through a stand-in
`ssh` that runs the remote command locally (so the key file and GIT_SSH_COMMAND are real)."""

from __future__ import annotations

import base64
import http.server
import os
import socket
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from kodegen import errors
from kodegen.api import codetemplate
from kodegen.templates import git, model, sources

from .conftest import spec_data

TOKEN = "s3cr3t-token-0123456789"
FILES = {"README.md": "hello\n", "{{ packageName }}/__init__.py.j2": '"""{{ packageName }}."""\n'}
FOLDER = "templates/demo/1.0.0"


@dataclass(frozen=True)
class Repo:
    root: Path
    """The folder served: holds the bare repository `r.git`."""
    tagged: str
    """The commit tagged v1.0.0 (annotated) and v1 (lightweight)."""
    head: str
    """The newer commit at the tip of branch main."""


def run(*args: str, cwd: Path) -> str:
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


def commit(work: Path, message: str) -> str:
    run("git", "add", "-A", cwd=work)
    identity = ("-c", "user.name=t", "-c", "user.email=t@example.com")
    run("git", *identity, "commit", "-q", "-m", message, cwd=work)
    return run("git", "rev-parse", "HEAD", cwd=work)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    root = tmp_path_factory.mktemp("served")
    run("git", "init", "-q", "--bare", str(root / "r.git"), cwd=root)
    work = tmp_path_factory.mktemp("work")
    run("git", "init", "-q", "-b", "main", cwd=work)
    folder = work / FOLDER
    (folder / "files" / "{{ packageName }}").mkdir(parents=True)
    (folder / "template.yaml").write_text(yaml.safe_dump(spec_data()))
    for path, text in FILES.items():
        (folder / "files" / path).write_text(text)
    (work / "templates" / "other").mkdir()
    (work / "templates" / "other" / "template.yaml").write_text(
        yaml.safe_dump(spec_data(family="other"))
    )
    for family, target in (("inside", "README.md"), ("outside", "/etc/passwd")):
        linky = work / "templates" / family / "1.0.0"
        (linky / "files").mkdir(parents=True)
        (linky / "template.yaml").write_text(yaml.safe_dump(spec_data(family=family)))
        (linky / "files" / "README.md").write_text("x\n")
        (linky / "files" / "link").symlink_to(target)
    linked = work / "templates" / "linkedfiles" / "1.0.0"  # files/ a symlink to a sibling
    (linked / "stuff").mkdir(parents=True)
    (linked / "template.yaml").write_text(yaml.safe_dump(spec_data(family="linkedfiles")))
    (linked / "stuff" / "README.md").write_text("x\n")
    (linked / "files").symlink_to("stuff", target_is_directory=True)
    (work / "docs").mkdir()
    (work / "docs" / "index.md").write_text("no template here\n")
    tagged = commit(work, "one")
    identity = ("-c", "user.name=t", "-c", "user.email=t@example.com")
    run("git", *identity, "tag", "-a", "v1.0.0", "-m", "v1.0.0", cwd=work)
    run("git", "tag", "v1", cwd=work)
    (folder / "files" / "README.md").write_text("hello again\n")
    head = commit(work, "two")
    run("git", "push", "-q", str(root / "r.git"), "main", "v1.0.0", "v1", cwd=work)
    return Repo(root=root, tagged=tagged, head=head)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(port: int) -> None:
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)  # polling a real server's startup, not waiting out time


@pytest.fixture(scope="module")
def daemon(repo: Repo) -> Iterator[str]:
    """`git://127.0.0.1:PORT/r.git`."""
    port = free_port()
    process = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            f"--base-path={repo.root}",
            "--export-all",
            "--listen=127.0.0.1",
            f"--port={port}",
            str(repo.root),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(port)
        yield f"git://127.0.0.1:{port}/r.git"
    finally:
        process.terminate()
        process.wait(timeout=10)


class GitHTTP(http.server.BaseHTTPRequestHandler):
    """`git http-backend` as CGI; Basic auth required (a token or a username/password)."""

    root: Path
    accepted: tuple[str, ...] = (f"x-access-token:{TOKEN}", "alice:wonder-land")
    seen: list[str]

    def do_GET(self) -> None:
        self.cgi()

    def do_POST(self) -> None:
        self.cgi()

    def cgi(self) -> None:
        auth = self.headers.get("Authorization", "")
        self.seen.append(auth)
        allowed = {"Basic " + base64.b64encode(pair.encode()).decode() for pair in self.accepted}
        if auth not in allowed:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "REMOTE_USER": "reader",
            "REMOTE_ADDR": "127.0.0.1",
        }
        output = subprocess.run(
            ["git", "http-backend"], input=body, env=env, capture_output=True, check=True
        ).stdout
        head, _, payload = output.partition(b"\r\n\r\n")
        status, headers = 200, []
        for line in head.decode().split("\r\n"):
            name, _, value = line.partition(":")
            if name.lower() == "status":
                status = int(value.split()[0])
            elif name:
                headers.append((name, value.strip()))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture(scope="module")
def smart_http(repo: Repo) -> Iterator[tuple[str, list[str]]]:
    """`http://127.0.0.1:PORT/r.git` and the Authorization headers the server saw."""
    seen: list[str] = []
    handler = type("Handler", (GitHTTP,), {"root": repo.root, "seen": seen})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/r.git", seen
    finally:
        server.shutdown()
        server.server_close()


def spec(url: str, ref: str, path: str | None = FOLDER, **extra: Any) -> Any:
    git_ref: dict[str, Any] = {"url": url, "ref": ref, **extra}
    if path is not None:
        git_ref["path"] = path
    return codetemplate.CodeTemplateSpec.model_validate(spec_data(source={"git": git_ref}))


# -- git daemon --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ref", "which"),
    [("v1.0.0", "tagged"), ("v1", "tagged"), ("main", "head"), ("tagged-sha", "tagged")],
)
def test_refs_resolve_to_the_commit(repo: Repo, daemon: str, ref: str, which: str) -> None:
    wanted = getattr(repo, which)
    loaded = sources.load(spec(daemon, repo.tagged if ref == "tagged-sha" else ref))
    assert loaded.kind == "git" and loaded.commit == wanted
    readme = "hello\n" if which == "tagged" else "hello again\n"
    assert dict(loaded.template.files) == {**FILES, "README.md": readme}
    assert loaded.template.folder is None
    assert loaded.template.digest == model.content_digest(
        loaded.template.spec, loaded.template.files
    )


def test_git_and_inline_of_the_same_files_have_the_same_digest(repo: Repo, daemon: str) -> None:
    fetched = sources.load(spec(daemon, "v1.0.0")).template
    inline = sources.load(
        codetemplate.CodeTemplateSpec.model_validate(spec_data(source={"inline": {"files": FILES}}))
    ).template
    assert fetched.digest == inline.digest


def test_unknown_ref_names_url_and_ref(daemon: str) -> None:
    with pytest.raises(errors.TemplateError) as caught:
        sources.load(spec(daemon, "v9.9.9"))
    message = str(caught.value)
    assert f"{daemon}@v9.9.9" in message
    assert "couldn't find remote ref v9.9.9" in message and "check spec.source.git.ref" in message


def test_path_that_is_not_a_folder(repo: Repo, daemon: str) -> None:
    with pytest.raises(errors.TemplateError, match=r"'nowhere' is not a folder at commit"):
        sources.load(spec(daemon, "v1.0.0", path="nowhere"))


def test_folder_of_another_family_is_refused(daemon: str) -> None:
    with pytest.raises(errors.TemplateError, match=r"template.yaml: is other/1.0.0, but the"):
        sources.load(spec(daemon, "v1.0.0", path="templates/other"))


def test_folder_without_template_yaml_is_refused(daemon: str) -> None:
    with pytest.raises(errors.TemplateError, match=r"template.yaml: is missing"):
        sources.load(spec(daemon, "v1.0.0", path="docs"))


@pytest.mark.parametrize(
    ("family", "message"),
    [
        ("inside", r"files/link: is a symbolic link; templates hold regular files only"),
        ("outside", r"holds what a template may not: .*templates hold regular files only"),
        ("linkedfiles", r"files: is a symbolic link; a template's files must be inside"),
    ],
)
def test_symbolic_links_are_refused(daemon: str, family: str, message: str) -> None:
    data = spec_data(
        family=family,
        source={"git": {"url": daemon, "ref": "v1", "path": f"templates/{family}/1.0.0"}},
    )
    with pytest.raises(errors.TemplateError, match=message):
        sources.load(codetemplate.CodeTemplateSpec.model_validate(data))


def test_unreachable_server(daemon: str) -> None:
    url = f"git://127.0.0.1:{free_port()}/r.git"
    with pytest.raises(
        errors.TemplateError, match=r"git fetch failed: .*check spec.source.git.url"
    ):
        sources.load(spec(url, "v1.0.0"))


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"git://127.0.0.1:{silent.getsockname()[1]}/r.git"
        fetcher = git.Cli(timeout=0.5)
        with pytest.raises(errors.TemplateError, match=r"git fetch timed out after 0.5 s"):
            sources.load(spec(url, "v1.0.0"), git=fetcher)


def test_file_urls_are_refused_unless_allowed(repo: Repo) -> None:
    url = (repo.root / "r.git").as_uri()
    with pytest.raises(errors.TemplateError, match=r"transport 'file' not allowed"):
        sources.load(spec(url, "v1.0.0"))
    allowed = git.Cli(protocols=(*git.DEFAULT_PROTOCOLS, "file"))
    assert sources.load(spec(url, "v1.0.0"), git=allowed).commit == repo.tagged


def test_option_like_ref_is_refused(daemon: str) -> None:
    with pytest.raises(errors.TemplateError, match=r"the ref '--upload-pack=x' is not valid"):
        sources.load(spec(daemon, "--upload-pack=x"))


# -- smart HTTP with credentials -----------------------------------------------------------------


def test_token_over_http(repo: Repo, smart_http: tuple[str, list[str]]) -> None:
    url, seen = smart_http
    fetcher = git.Cli(credentials=git.Credentials.from_secret({"token": TOKEN.encode()}))
    assert sources.load(spec(url, "v1.0.0"), git=fetcher).commit == repo.tagged
    assert any(header.startswith("Basic ") for header in seen)


def test_username_and_password_over_http(repo: Repo, smart_http: tuple[str, list[str]]) -> None:
    url, _ = smart_http
    credentials = git.Credentials.from_secret({"username": "alice", "password": "wonder-land"})
    fetched = sources.load(spec(url, "main"), git=git.Cli(credentials=credentials))
    assert fetched.commit == repo.head


def test_wrong_token_is_a_clear_error_without_the_token(smart_http: tuple[str, list[str]]) -> None:
    url, _ = smart_http
    wrong = "wrong-" + TOKEN
    fetcher = git.Cli(credentials=git.Credentials(token=wrong))
    with pytest.raises(errors.TemplateError) as caught:
        sources.load(spec(url, "v1.0.0"), git=fetcher)
    message = str(caught.value)
    assert f"{url}@v1.0.0" in message
    assert "Authentication failed" in message and "secretRef" in message
    assert wrong not in message and TOKEN not in message


def test_no_credentials_fails_without_prompting(smart_http: tuple[str, list[str]]) -> None:
    url, _ = smart_http
    with pytest.raises(errors.TemplateError, match=r"check the credentials"):
        sources.load(spec(url, "v1.0.0"))


def test_credentials_in_the_url_are_never_shown(smart_http: tuple[str, list[str]]) -> None:
    url, _ = smart_http
    with_user = url.replace("http://", f"http://x-access-token:wrong{TOKEN}@")
    with pytest.raises(errors.TemplateError) as caught:
        sources.load(spec(with_user, "v1.0.0"))
    assert TOKEN not in str(caught.value) and "***@127.0.0.1" in str(caught.value)


def test_credentials_are_never_sent_over_plain_http_off_loopback() -> None:
    fetcher = git.Cli(credentials=git.Credentials(token=TOKEN))
    with pytest.raises(errors.TemplateError, match=r"over plain http; use an https:// URL"):
        sources.load(spec("http://git.example.com/r.git", "v1.0.0"), git=fetcher)


# -- ssh -----------------------------------------------------------------------------------------

FAKE_SSH = """#!/bin/sh
# Stands in for ssh: records the key file's mode and options, then runs the remote command here.
key=""
while [ $# -gt 1 ]; do
  case "$1" in
    -i) key="$2"; shift 2 ;;
    -o|-p|-l) echo "option $2" >> "$SSH_RECORD"; shift 2 ;;
    *) shift ;;
  esac
done
stat -c '%a' "$key" >> "$SSH_RECORD"
head -c 12 "$key" >> "$SSH_RECORD"; echo >> "$SSH_RECORD"
exec sh -c "$1"
"""


def test_ssh_private_key(repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "ssh").write_text(FAKE_SSH)
    (bin_dir / "ssh").chmod(stat.S_IRWXU)
    record = tmp_path / "record"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("SSH_RECORD", str(record))
    credentials = git.Credentials.from_secret(
        {"ssh-privatekey": "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n"}
    )
    url = f"ssh://git@localhost{repo.root / 'r.git'}"
    loaded = sources.load(spec(url, "v1.0.0"), git=git.Cli(credentials=credentials))
    assert loaded.commit == repo.tagged
    lines = record.read_text().splitlines()
    assert "600" in lines and "-----BEGIN O" in lines
    assert "option IdentitiesOnly=yes" in lines and "option BatchMode=yes" in lines
    assert "option StrictHostKeyChecking=accept-new" in lines


# -- credentials -----------------------------------------------------------------------------


def test_credentials_never_show_their_values() -> None:
    credentials = git.Credentials.from_secret(
        {"username": b"bob", "password": "pw-123", "token": "", "ssh-privatekey": b""}
    )
    assert repr(credentials) == "Credentials(username, password)"
    assert "pw-123" not in str(credentials)
    assert credentials.secrets() == ("pw-123",)


def test_redact() -> None:
    assert git.redact("https://u:p@host/r.git and ssh://git@h/x") == (
        "https://***@host/r.git and ssh://***@h/x"
    )
    assert git.describe("https://t@h/r", "v1", None) == "https://***@h/r@v1"
