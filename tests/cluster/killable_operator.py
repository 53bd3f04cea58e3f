"""`kodegen operator` that kills itself (SIGKILL, as the OOM killer or a node loss would) at one
checkpoint: the launcher of the kill soak (test_cluster_soak.py). Shipped code has no fault
hooks; this wraps three of the operator's own seams before `kodegen.cli.main` runs:

    job-created  right after `Kube.create_job` created the Job of the named CodeGeneration
                 (the status records the run; its JobCreated Event is not posted yet)
    events       right before the first Event that tells how a run ended (`Generated`,
                 `Published`, `QualityGatesFailed`, `Failed`, a Git reason): the run's result
                 was read, nothing of it is recorded yet
    status       right before a status patch that moves the named CodeGeneration to a phase
                 (Running: recording a run before its Job; Succeeded/Failed: recording its
                 end, after its Events)

    python killable_operator.py KILL_LOG -- operator --executor job
    stdin: {"checkpoint": "job-created", "name": "soak-1"}

The process imports the operator first and reads its checkpoint from stdin only then, so the
test starts the next process while the current one still runs (imports take seconds on a
busy machine) and arms it when it is needed. Only calls about CodeGeneration `name` count.
Before dying, the process appends one JSON line (checkpoint, namespace, name, what) to
KILL_LOG, flushed and fsynced, so the test knows where it died. Checkpoint `none` runs the
operator unchanged.
"""

from __future__ import annotations

import functools
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from kodegen import cli
from kodegen.controller import kube

CHECKPOINTS = ("job-created", "events", "status", "none")
START_EVENTS = frozenset({"Accepted", "JobCreated", "DeprecatedTemplate"})
"""Events of a run's start; every other one tells how it ended."""
_DYING = threading.Lock()
"""Held by the first thread to reach the checkpoint: another one (kopf runs handlers in a
pool: a resume and a Job event may both record the same run) waits for the end with it."""


def die(log: Path, checkpoint: str, namespace: str, name: str, what: str) -> None:
    _DYING.acquire()
    line = json.dumps(
        {"checkpoint": checkpoint, "namespace": namespace, "name": name, "what": what}
    )
    with log.open("a") as out:
        out.write(line + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.kill(os.getpid(), signal.SIGKILL)


def install(checkpoint: str, target: str, log: Path) -> None:
    """Wrap the seam of `checkpoint` so that it kills the process for CodeGeneration `target`."""
    if checkpoint == "job-created":
        create_job = kube.Kube.create_job

        @functools.wraps(create_job)
        def created(self: kube.Kube, body: Mapping[str, Any]) -> bool:
            made = create_job(self, body)
            owners = body["metadata"].get("ownerReferences") or []
            if made and any(o.get("name") == target for o in owners):
                die(
                    log, checkpoint, body["metadata"]["namespace"], target, body["metadata"]["name"]
                )
            return made

        kube.Kube.create_job = created  # type: ignore[method-assign]
    elif checkpoint == "events":
        post_event: Callable[..., None] = kube.post_event

        @functools.wraps(post_event)
        def posting(client: kube.Kube, obj: Mapping[str, Any], **fields: Any) -> None:
            meta = obj["metadata"]
            if meta["name"] == target and fields["reason"] not in START_EVENTS:
                die(log, checkpoint, meta.get("namespace") or "default", target, fields["reason"])
            post_event(client, obj, **fields)

        kube.post_event = posting
    elif checkpoint == "status":
        patch = kube.Kube.patch_generation_status

        @functools.wraps(patch)
        def patching(self: kube.Kube, namespace: str, name: str, status: Mapping[str, Any]) -> None:
            if name == target and status.get("phase") in ("Running", "Succeeded", "Failed"):
                die(log, checkpoint, namespace, name, str(status["phase"]))
            patch(self, namespace, name, status)

        kube.Kube.patch_generation_status = patching  # type: ignore[method-assign]
    elif checkpoint != "none":
        raise SystemExit(f"unknown checkpoint {checkpoint!r}: one of {', '.join(CHECKPOINTS)}")


def main(argv: list[str]) -> int:
    """`KILL_LOG -- ARGS...`: import the operator, then wait for one JSON line on stdin
    ({"checkpoint": ..., "name": ...}) before running `kodegen ARGS...` armed at it; end
    quietly on EOF (a spare process the test did not need)."""
    log, separator, *rest = argv
    if separator != "--":
        raise SystemExit(__doc__)
    import kubernetes

    from kodegen.controller import main as _  # noqa: F401  (the slow imports, done ahead)

    for api in ("CoreV1Api", "BatchV1Api", "CustomObjectsApi", "RbacAuthorizationV1Api"):
        getattr(kubernetes.client, api)  # imported on first use: seconds each on a busy machine

    line = sys.stdin.readline()
    if not line:
        return 0
    armed = json.loads(line)
    install(armed["checkpoint"], armed["name"], Path(log))
    return cli.main(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
