"""`kodegen operator` as a subprocess of a test, with a kubeconfig; its log for messages.

Operator   as shipped: `kodegen operator --executor job`
Killable   the same through killable_operator.py, armed at each start to kill itself
           (SIGKILL) at one checkpoint of the run of one CodeGeneration (the kill soak)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

NAMESPACE = "kodegen-system"
HERE = Path(__file__).resolve().parent


class Operator:
    """`kodegen operator` as a subprocess; its log for failure messages."""

    def __init__(
        self,
        kubeconfig: Path,
        log: Path,
        *,
        pod: str = "kodegen-operator-test-0",
        env: Mapping[str, str] | None = None,
    ) -> None:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
        environment.update(
            KUBECONFIG=str(kubeconfig),
            KODEGEN_NAMESPACE=NAMESPACE,
            KODEGEN_METRICS_PORT="0",
            KODEGEN_JOB_BACKOFF_LIMIT="1",
            POD_NAME=pod,
            POD_ID=pod,
            PYTHONUNBUFFERED="1",
        )
        environment.update(env or {})
        self.env, self.log, self.logs, self.pod = environment, log, [log], pod
        self._spawn()

    def command(self) -> list[str]:
        kodegen = Path(sys.executable).parent / "kodegen"
        return [str(kodegen), "operator", "--executor", "job"]

    def _spawn(self) -> None:
        self.out = self.log.open("wb")
        self.process = subprocess.Popen(
            self.command(),
            env=self.env,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def restart(self) -> None:
        """Stop (SIGTERM, as a rollout would) and start again, logging to a new file."""
        self.stop()
        first = self.logs[0]
        self.log = first.with_name(f"{first.stem}-{len(self.logs)}{first.suffix}")
        self.logs.append(self.log)
        self._spawn()

    def text(self) -> str:
        logs = [log for log in self.logs[-4:] if log.exists()]
        return "\n".join(log.read_text(errors="replace")[-4000:] for log in logs)

    def says(self, words: str) -> int:
        """How many times its logs (whole) hold `words`."""
        logs = [log for log in self.logs if log.exists()]
        return sum(log.read_text(errors="replace").count(words) for log in logs)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self.out.close()


class Killable(Operator):
    """An `Operator` started through killable_operator.py: `arm(checkpoint, name)` (re)starts
    it set to kill itself at `checkpoint` of CodeGeneration `name`'s run; `died()` waits for
    that death and returns the line the process wrote to `kill_log` just before it. A spare
    process, its imports done, waits for each next `arm`: restarts take about as long as kopf's
    own start-up."""

    def __init__(
        self,
        kubeconfig: Path,
        log: Path,
        kill_log: Path,
        *,
        pod: str,
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.kill_log, self.checkpoint, self.target = kill_log, "none", ""
        self.spare: tuple[subprocess.Popen[bytes], IO[bytes], Path] | None = None
        self.seen = 0
        kill_log.touch()
        super().__init__(kubeconfig, log, pod=pod, env=env)

    def command(self) -> list[str]:
        launcher = HERE / "killable_operator.py"
        return [sys.executable, str(launcher), str(self.kill_log), "--", *super().command()[1:]]

    def _prepare(self) -> tuple[subprocess.Popen[bytes], IO[bytes], Path]:
        first = self.logs[0]
        log = first.with_name(f"{first.stem}-{len(self.logs)}{first.suffix}")
        self.logs.append(log)
        out = log.open("wb")
        process = subprocess.Popen(
            self.command(),
            env=self.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE,
        )
        return process, out, log

    def _spawn(self) -> None:
        self.process, self.out, self.log = self.spare or self._prepare()
        self.spare = None
        self.seen = len(self.kills())
        assert self.process.stdin is not None
        armed = {"checkpoint": self.checkpoint, "name": self.target}
        self.process.stdin.write(json.dumps(armed).encode() + b"\n")
        self.process.stdin.close()
        self.spare = self._prepare()

    def restart(self) -> None:
        self.stop()
        self._spawn()

    def arm(self, checkpoint: str, name: str = "") -> None:
        """Restart (the running process, if any, is stopped) armed at `checkpoint` for
        CodeGeneration `name` (`none`: not armed)."""
        self.checkpoint, self.target = checkpoint, name
        self.restart()

    def close(self) -> None:
        """Stop the operator and let the spare go (EOF on its stdin: it exits with 0)."""
        self.stop()
        if self.spare is not None:
            process, out, _ = self.spare
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
            out.close()
            self.spare = None

    def kills(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.kill_log.read_text().splitlines() if line]

    def died(self, timeout: float = 180.0) -> dict[str, Any]:
        """Wait until the process has killed itself; the kill-log line it wrote."""
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"the operator armed at {self.checkpoint} for {self.target} is still alive "
                f"after {timeout}s:\n{self.text()}"
            ) from None
        lines = self.kills()
        assert code == -signal.SIGKILL and len(lines) == self.seen + 1, (
            f"the operator exited with {code}, not by its own SIGKILL at {self.checkpoint}:\n"
            f"{self.text()}"
        )
        return lines[-1]

    def kill(self) -> bool:
        """SIGKILL it now (from outside); False when it had died already."""
        if self.process.poll() is not None:
            return False
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)
        return True
