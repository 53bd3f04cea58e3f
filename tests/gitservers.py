"""Real Git servers on 127.0.0.1 for tests: `git daemon` (git://, pushes enabled) and
`git http-backend` behind a small CGI server that requires HTTP Basic auth (a token or a
username/password), plus helpers to make, read and protect bare repositories.

    with Daemon(root) as url_of: url_of("r.git")           git://127.0.0.1:PORT/r.git
    with SmartHttp(root, accepted=...) as server: server.url("r.git"), server.seen
"""

from __future__ import annotations

import base64
import http.server
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

TOKEN = "tok-3f9a1c7e5b2d4680aa11"
"""The token the smart HTTP server accepts (username `x-access-token`)."""

_CLEAN = {"GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C"}


def git(*args: str, cwd: Path, stdin: bytes | None = None) -> str:
    """Run git with no user or system configuration; its stdout, stripped."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | _CLEAN
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, input=stdin, capture_output=True, check=True
    )
    return done.stdout.decode().strip()


def bare(root: Path, name: str = "r.git") -> Path:
    """A new, empty bare repository `root/name`."""
    root.mkdir(parents=True, exist_ok=True)
    git("init", "-q", "--bare", "-b", "main", name, cwd=root)
    return root / name


def seed(
    repository: Path, files: dict[str, str], *, branch: str = "main", message: str = "seed"
) -> str:
    """Commit `files` (path -> text) on top of `branch` of the bare `repository` (as a person
    would: clone, write, commit, push); the new commit."""
    work = repository.parent / f".seed-{time.monotonic_ns()}"
    git("init", "-q", "-b", branch, str(work), cwd=repository.parent)
    has = git("ls-remote", "--heads", str(repository), branch, cwd=work)
    if has:
        git("fetch", "-q", str(repository), branch, cwd=work)
        git("reset", "-q", "--hard", "FETCH_HEAD", cwd=work)
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git("add", "-A", cwd=work)
    git(
        "-c",
        "user.name=person",
        "-c",
        "user.email=p@example.com",
        "commit",
        "-q",
        "-m",
        message,
        cwd=work,
    )
    git("push", "-q", str(repository), f"HEAD:refs/heads/{branch}", cwd=work)
    return git("rev-parse", "HEAD", cwd=work)


def tree(repository: Path, ref: str = "main") -> dict[str, bytes]:
    """Every file of `ref` in the bare `repository`: path -> content."""
    names = git("ls-tree", "-r", "--name-only", "-z", ref, cwd=repository).split("\0")
    out: dict[str, bytes] = {}
    for name in filter(None, names):
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | _CLEAN
        out[name] = subprocess.run(
            ["git", "cat-file", "blob", f"{ref}:{name}"],
            cwd=repository,
            env=env,
            capture_output=True,
            check=True,
        ).stdout
    return out


def all_objects(repository: Path) -> bytes:
    """Every object of the repository, concatenated (to look for a credential in any)."""
    listing = git("cat-file", "--batch-all-objects", "--batch-check=%(objectname)", cwd=repository)
    ids = "\n".join(listing.split()) + "\n"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")} | _CLEAN
    return subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repository,
        env=env,
        input=ids.encode(),
        capture_output=True,
        check=True,
    ).stdout


def protect(repository: Path, branch: str) -> None:
    """Refuse every update of `branch` with a pre-receive hook, as forges do for a protected
    branch (GitLab: "You are not allowed to push code to protected branches")."""
    hook = repository / "hooks" / "pre-receive"
    hook.write_text(
        "#!/bin/sh\n"
        "while read old new ref; do\n"
        f'  if [ "$ref" = "refs/heads/{branch}" ]; then\n'
        '    echo "GL-HOOK-ERR: You are not allowed to push code to protected branches '
        'on this project." >&2\n'
        "    exit 1\n"
        "  fi\n"
        "done\n"
    )
    hook.chmod(0o755)


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
            time.sleep(0.02)  # polling a real server's start-up, not waiting out time


class Daemon:
    """`git daemon` serving every repository under `root`, pushes enabled."""

    def __init__(self, root: Path) -> None:
        self.root, self.port = root, free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Callable[[str], str]:
        self.process = subprocess.Popen(
            [
                "git",
                "daemon",
                "--reuseaddr",
                f"--base-path={self.root}",
                "--export-all",
                "--enable=receive-pack",
                "--listen=127.0.0.1",
                f"--port={self.port}",
                str(self.root),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self.port)
        return lambda name: f"git://127.0.0.1:{self.port}/{name}"

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)


class _Handler(http.server.BaseHTTPRequestHandler):
    """`git http-backend` as CGI behind HTTP Basic auth."""

    root: Path
    accepted: frozenset[str]
    seen: list[str]
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.cgi()

    def do_POST(self) -> None:
        self.cgi()

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def cgi(self) -> None:
        body = self._body()
        auth = self.headers.get("Authorization", "")
        self.seen.append(auth)
        if auth not in self.accepted:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="git"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        path, _, query = self.path.partition("?")
        env = {
            "PATH": os.environ["PATH"],
            "GIT_PROJECT_ROOT": str(self.root),
            "GIT_HTTP_EXPORT_ALL": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_CONTENT_ENCODING": self.headers.get("Content-Encoding", ""),
            "GIT_PROTOCOL": self.headers.get("Git-Protocol", ""),
            "REMOTE_USER": "pusher",
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


class SmartHttp:
    """`git http-backend` for every repository under `root` on http://127.0.0.1:PORT/, Basic
    auth required: `accepted` holds `user:password` pairs (default: the token `TOKEN` as
    `x-access-token`). `seen`: the Authorization headers received."""

    def __init__(self, root: Path, accepted: Iterable[str] = (f"x-access-token:{TOKEN}",)) -> None:
        self.root = root
        self.seen: list[str] = []
        allowed = frozenset("Basic " + base64.b64encode(p.encode()).decode() for p in accepted)
        handler = type(
            "Handler", (_Handler,), {"root": root, "seen": self.seen, "accepted": allowed}
        )
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{name}"

    def __enter__(self) -> SmartHttp:
        self.thread.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
