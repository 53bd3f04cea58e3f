"""A real SSH server on 127.0.0.1 serving Git (asyncssh; no sshd is installed here): public-key
auth for one client key, `git-upload-pack` / `git-receive-pack` run on repositories under
`root`. The client side is OpenSSH's own `ssh`, so host key checking is the real thing.

    with GitSsh(root) as server:
        server.url("team/r.git"), server.known_hosts, server.client_key (OpenSSH private key)
"""

from __future__ import annotations

import asyncio
import shlex
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import asyncssh

_COMMANDS = ("git-upload-pack", "git-receive-pack")


class GitSsh:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.client = asyncssh.generate_private_key("ssh-ed25519")
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.server: Any = None
        self.port = 0

    @property
    def client_key(self) -> str:
        return bytes(self.client.export_private_key("openssh")).decode()

    def known_hosts_for(self, key: Any) -> str:
        public = bytes(key.export_public_key("openssh")).decode().strip()
        return f"[127.0.0.1]:{self.port} {public}\n"

    @property
    def known_hosts(self) -> str:
        return self.known_hosts_for(self.host_key)

    def url(self, name: str) -> str:
        return f"ssh://git@127.0.0.1:{self.port}/{name}"

    async def _handle(self, process: asyncssh.SSHServerProcess[bytes]) -> None:
        words = shlex.split(process.command or "")
        if len(words) != 2 or words[0] not in _COMMANDS:
            process.stderr.write(b"only git-upload-pack and git-receive-pack\n")
            process.exit(1)
            return
        path = (self.root / words[1].lstrip("/")).resolve()
        if not path.is_relative_to(self.root.resolve()) or not path.is_dir():
            process.stderr.write(b"fatal: repository not found\n")
            process.exit(128)
            return
        local = await asyncio.create_subprocess_exec(
            words[0],
            str(path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        await process.redirect(stdin=local.stdin, stdout=local.stdout, stderr=local.stderr)
        process.exit(await local.wait())

    async def _start(self) -> None:
        authorized = asyncssh.import_authorized_keys(
            bytes(self.client.export_public_key("openssh")).decode()
        )
        self.server = await asyncssh.create_server(
            asyncssh.SSHServer,
            "127.0.0.1",
            0,
            server_host_keys=[self.host_key],
            authorized_client_keys=authorized,
            process_factory=self._handle,
            encoding=None,
        )
        self.port = self.server.sockets[0].getsockname()[1]

    def __enter__(self) -> GitSsh:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout=30)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        async def stop() -> None:
            self.server.close()
            await self.server.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()
