"""`kodegen operator` as a subprocess of a test, with a kubeconfig; its log for messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NAMESPACE = "kodegen-system"


class Operator:
    """`kodegen operator` as a subprocess; its log for failure messages."""

    def __init__(
        self, kubeconfig: Path, log: Path, *, pod: str = "kodegen-operator-test-0"
    ) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("KUBERNETES_")}
        env.update(
            KUBECONFIG=str(kubeconfig),
            KODEGEN_NAMESPACE=NAMESPACE,
            KODEGEN_METRICS_PORT="0",
            KODEGEN_JOB_BACKOFF_LIMIT="1",
            POD_NAME=pod,
            POD_ID=pod,
            PYTHONUNBUFFERED="1",
        )
        self.env, self.log, self.logs, self.pod = env, log, [log], pod
        self._spawn()

    def _spawn(self) -> None:
        self.out = self.log.open("wb")
        kodegen = Path(sys.executable).parent / "kodegen"
        self.process = subprocess.Popen(
            [str(kodegen), "operator", "--executor", "job"],
            env=self.env,
            stdout=self.out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def restart(self) -> None:
        """Stop (SIGTERM, as a rollout would) and start again, logging to a new file."""
        self.stop()
        self.log = self.log.with_name(f"{self.log.stem}-{len(self.logs)}{self.log.suffix}")
        self.logs.append(self.log)
        self._spawn()

    def text(self) -> str:
        return "\n".join(log.read_text(errors="replace")[-4000:] for log in self.logs)

    def says(self, words: str) -> int:
        """How many times its logs (whole) hold `words`."""
        return sum(log.read_text(errors="replace").count(words) for log in self.logs)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.out.close()
