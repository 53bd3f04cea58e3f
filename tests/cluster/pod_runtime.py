"""What the node agent does for one container besides starting it: environment references
(`$(VAR)`), paths under mount points, `fieldRef` values, container states and pod conditions in
the kubelet's shapes, and stopping a process group."""

from __future__ import annotations

import datetime
import os
import re
import signal
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\$")


class ConfigError(Exception):
    """A container's environment cannot be built yet (CreateContainerConfigError)."""


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def conditions(*, ready: bool) -> list[dict[str, str]]:
    stamp = now()
    flag = "True" if ready else "False"
    return [
        {"type": "PodScheduled", "status": "True", "lastTransitionTime": stamp},
        {"type": "Initialized", "status": "True", "lastTransitionTime": stamp},
        {"type": "ContainersReady", "status": flag, "lastTransitionTime": stamp},
        {"type": "Ready", "status": flag, "lastTransitionTime": stamp},
    ]


def terminated(
    container: Mapping[str, Any],
    code: int,
    reason: str,
    started: str,
    restarts: int,
    *,
    message: str = "",
) -> dict[str, Any]:
    state: dict[str, Any] = {
        "exitCode": code,
        "reason": reason,
        "startedAt": started,
        "finishedAt": now(),
    }
    if message:
        state["message"] = message
    return {
        "name": container["name"],
        "image": container.get("image", ""),
        "imageID": "",
        "ready": False,
        "started": False,
        "restartCount": restarts,
        "state": {"terminated": state},
    }


def terminate(process: subprocess.Popen[bytes], *, grace: float) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    except ProcessLookupError:
        return


def log_tail(log: Path) -> str:
    """The kubelet's fallback termination message: the last 80 lines, at most 2048 bytes."""
    lines = log.read_bytes().splitlines()[-80:]
    return b"\n".join(lines)[-2048:].decode(errors="replace")


def expand(value: str, env: Mapping[str, str]) -> str:
    """`$(VAR)` to the value of an earlier variable (kept as is when unknown), `$$` to `$`."""

    def one(match: re.Match[str]) -> str:
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return REFERENCE.sub(one, value)


def rewrite(value: str, mounts: list[tuple[str, Path]]) -> str:
    """A path under a mount point to the same path under the volume's folder."""
    for mount_path, host in mounts:
        if value == mount_path or value.startswith(mount_path + "/"):
            return str(host) + value[len(mount_path) :]
    return value


def field(pod: Mapping[str, Any], path: str) -> str:
    meta, spec = pod["metadata"], pod["spec"]
    simple = {
        "metadata.name": meta["name"],
        "metadata.namespace": meta["namespace"],
        "metadata.uid": meta["uid"],
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": "127.0.0.1",
        "status.hostIP": "127.0.0.1",
    }
    if path in simple:
        return str(simple[path])
    found = re.fullmatch(r"metadata\.(labels|annotations)\['([^']+)'\]", path)
    if found:
        return str((meta.get(found.group(1)) or {}).get(found.group(2), ""))
    raise ConfigError(f"unsupported fieldRef {path}")
