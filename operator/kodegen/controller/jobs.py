"""The Job that runs one generation, and what its status says. Pure functions, no I/O.

    build(name=, namespace=, uid=, digest=, settings=, env=)   batch/v1 Job body of one run
    state(job)                                                 JobState: Running/Succeeded/Failed
    service_account(namespace=, settings=)                     the Job's ServiceAccount
    role_binding(namespace=, settings=)                        binds it to ClusterRole kodegen-job

The pod meets the *restricted* Pod Security Standard: non-root (65532), read-only root
filesystem, no privilege escalation, every capability dropped, seccomp RuntimeDefault. What
the pipeline must write (HOME, TMPDIR, caches) lives on one emptyDir, `work`, at `/work`.

Exit codes of `kodegen run-job` decide whether the Job retries: `EXIT_GATES_FAILED` and
`EXIT_BAD_INPUT` fail the Job at once (`podFailurePolicy`), since a second attempt would
produce the same result; crashes (any other code) retry up to `backoffLimit`; evictions and
preemptions (`DisruptionTarget`) retry without counting against it.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from kodegen.api import base
from kodegen.controller import names, settings

__all__ = [
    "ANNOTATION_INPUT_HASH",
    "CONTAINER",
    "EXIT_BAD_INPUT",
    "EXIT_GATES_FAILED",
    "JOB_CLUSTER_ROLE",
    "RESERVED_ENV",
    "RUN_AS",
    "WORK_DIR",
    "JobState",
    "Phase",
    "build",
    "role_binding",
    "service_account",
    "state",
]

EXIT_GATES_FAILED = 1
"""`kodegen run-job` exit code: the code was generated but failed a quality gate. Final."""
EXIT_BAD_INPUT = 2
"""`kodegen run-job` exit code: the request is invalid (spec, template, variables). Final."""

CONTAINER = "generate"
"""Name of the Job's one container (the `podFailurePolicy` rules name it)."""
RUN_AS = 65532
"""UID, GID and fsGroup of the pod: the image's non-root user (`nonroot` in distroless)."""
WORK_DIR = "/work"
"""Mount point of the `work` emptyDir: the pod's only writable place besides /tmp."""
JOB_CLUSTER_ROLE = "kodegen-job"
"""ClusterRole of the Job's ServiceAccount (deploy/rbac.yaml), bound per namespace."""
ANNOTATION_INPUT_HASH = "kodegen.dev/input-hash"
"""The full input digest on the Job (its label holds 8 hex digits only)."""

_IDENTITY_LABELS = {"app.kubernetes.io/name": "kodegen", "app.kubernetes.io/component": "job"}
"""Labels of the Job's ServiceAccount and RoleBinding (created by people, not by kodegen)."""

_WORK_VOLUME = "work"
_TMP_SUBPATH = "tmp"

_ENVIRONMENT: tuple[tuple[str, str], ...] = (
    ("HOME", WORK_DIR),
    ("TMPDIR", f"{WORK_DIR}/{_TMP_SUBPATH}"),
    ("XDG_CACHE_HOME", f"{WORK_DIR}/.cache"),
    ("PYTHONDONTWRITEBYTECODE", "1"),
    ("PYTHONUNBUFFERED", "1"),
)
"""Where the pipeline writes on a read-only root filesystem: git and the gates' tools read
HOME, `tempfile` and subprocesses TMPDIR, the Hypothesis tables XDG_CACHE_HOME; bytecode is
never written next to the installed package. Unbuffered, so the log shows the last line."""

RESERVED_ENV = frozenset(name for name, _ in _ENVIRONMENT)
"""Variables `build` sets itself; an `env` entry with one of these names is a ValueError."""

Phase = Literal["Running", "Succeeded", "Failed"]


def build(
    *,
    name: str,
    namespace: str,
    uid: str,
    digest: str,
    settings: settings.JobSettings,
    env: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The batch/v1 Job of one run of the CodeGeneration `namespace/name` (metadata.uid `uid`)
    for the input hash `digest` (`sha256:…`).

    The settings' `env` and then `env` entries are appended to the container's environment as
    given (deep-copied): pass Secrets as `{"name": …, "valueFrom": {"secretKeyRef": {…}}}`,
    never as values. An entry without a name, a name given twice, or one of `RESERVED_ENV` is
    a ValueError.
    """
    owner = {"apiVersion": base.API_VERSION, "kind": "CodeGeneration", "name": name, "uid": uid}
    return job(
        job_name=names.job(name, digest),
        namespace=namespace,
        request=names.request(name, digest),
        labels=names.labels(name, digest, "job"),
        owner=owner,
        digest=digest,
        settings=settings,
        env=env,
    )


def job(
    *,
    job_name: str,
    namespace: str,
    request: str,
    labels: Mapping[str, str],
    owner: Mapping[str, str],
    digest: str,
    settings: settings.JobSettings,
    env: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """A Job running `kodegen run-job --request <request>`, owned by `owner` (apiVersion, kind,
    name, uid): the run of a CodeGeneration (`build`) or the tests of a template version."""
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": job_name,
            "namespace": namespace,
            "labels": dict(labels),
            "annotations": {ANNOTATION_INPUT_HASH: digest},
            "ownerReferences": [{**owner, "controller": True, "blockOwnerDeletion": True}],
        },
        "spec": {
            "activeDeadlineSeconds": settings.active_deadline_seconds,
            "backoffLimit": settings.backoff_limit,
            "ttlSecondsAfterFinished": settings.ttl_seconds_after_finished,
            "podFailurePolicy": {
                "rules": [
                    {
                        "action": "FailJob",
                        "onExitCodes": {
                            "containerName": CONTAINER,
                            "operator": "In",
                            "values": [EXIT_GATES_FAILED, EXIT_BAD_INPUT],
                        },
                    },
                    {
                        "action": "Ignore",
                        "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
                    },
                ]
            },
            "template": {
                "metadata": _pod_metadata(labels, settings),
                "spec": _pod(request=request, namespace=namespace, settings=settings, env=env),
            },
        },
    }


def _pod_metadata(labels: Mapping[str, str], settings: settings.JobSettings) -> dict[str, Any]:
    metadata: dict[str, Any] = {"labels": dict(labels)}
    if settings.annotations:
        metadata["annotations"] = dict(sorted(settings.annotations.items()))
    return metadata


def _placement(settings: settings.JobSettings) -> dict[str, Any]:
    """Where and how the pod runs, from the settings: only the fields that are set, copied."""
    fields: dict[str, Any] = {
        "imagePullSecrets": [{"name": secret} for secret in settings.image_pull_secrets],
        "nodeSelector": dict(sorted(settings.node_selector.items())),
        "tolerations": [dict(toleration) for toleration in settings.tolerations],
        "affinity": dict(settings.affinity),
        "priorityClassName": settings.priority_class_name,
        "runtimeClassName": settings.runtime_class_name,
    }
    return {key: copy.deepcopy(value) for key, value in fields.items() if value}


def _pod(
    *,
    request: str,
    namespace: str,
    settings: settings.JobSettings,
    env: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    return {
        **_placement(settings),
        "serviceAccountName": settings.service_account,
        "automountServiceAccountToken": True,  # run-job reads and writes ConfigMaps
        "restartPolicy": "Never",  # podFailurePolicy requires it; the Job retries, not kubelet
        "enableServiceLinks": False,
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": CONTAINER,
                "image": settings.image,
                "imagePullPolicy": settings.image_pull_policy,
                "command": [
                    "kodegen",
                    "run-job",
                    "--request",
                    request,
                    "--namespace",
                    namespace,
                ],
                "workingDir": WORK_DIR,
                "env": [
                    *({"name": n, "value": v} for n, v in _ENVIRONMENT),
                    *_extra([*settings.env, *env]),
                ],
                "resources": {
                    "requests": {"cpu": settings.cpu_request, "memory": settings.memory_request},
                    "limits": {"cpu": settings.cpu_limit, "memory": settings.memory_limit},
                },
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "readOnlyRootFilesystem": True,
                    "runAsNonRoot": True,
                    "capabilities": {"drop": ["ALL"]},
                },
                "volumeMounts": [
                    {"name": _WORK_VOLUME, "mountPath": WORK_DIR},
                    # The same volume again at /tmp, for tools that ignore TMPDIR; the kubelet
                    # creates the subPath folder, so TMPDIR (/work/tmp) exists at start too.
                    {"name": _WORK_VOLUME, "mountPath": "/tmp", "subPath": _TMP_SUBPATH},
                ],
                # The last lines of the log become the termination message when run-job dies
                # without writing one: the operator can show them in a condition.
                "terminationMessagePolicy": "FallbackToLogsOnError",
            }
        ],
        "volumes": [{"name": _WORK_VOLUME, "emptyDir": {"sizeLimit": settings.work_size}}],
    }


def _extra(env: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The caller's env entries, copied; ValueError for a missing, reserved or repeated name."""
    seen: set[str] = set()
    entries: list[dict[str, Any]] = []
    for entry in env:
        variable = entry.get("name")
        if not isinstance(variable, str) or not variable:
            raise ValueError(f"Job env entry {dict(entry)!r} has no name; give each a 'name'")
        if variable in RESERVED_ENV:
            raise ValueError(
                f"Job env entry {variable!r} is set by jobs.build itself "
                f"(reserved: {', '.join(sorted(RESERVED_ENV))}); drop it from env"
            )
        if variable in seen:
            raise ValueError(f"Job env entry {variable!r} is given twice; keep one")
        seen.add(variable)
        entries.append(copy.deepcopy(dict(entry)))
    return entries


# -- what a Job's status says ---------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class JobState:
    """A Job's outcome as read from its status (never from our own records)."""

    phase: Phase
    """Running until a Complete/SuccessCriteriaMet or Failed/FailureTarget condition is True."""
    reason: str = ""
    """For a failed Job, the condition's reason: `BackoffLimitExceeded`, `DeadlineExceeded`,
    `PodFailurePolicy` (run-job exited `EXIT_GATES_FAILED` or `EXIT_BAD_INPUT`) …; else ""."""
    message: str = ""
    """For a failed Job, the condition's message (which pod, which exit code); else ""."""
    attempts: int = 0
    """Pods started so far: failed + succeeded + active (pods ignored as disruptions are not
    counted by the Job controller)."""


_SUCCEEDED = ("Complete", "SuccessCriteriaMet")
_FAILED = ("Failed", "FailureTarget")


def state(job: Mapping[str, Any]) -> JobState:
    """Where the Job `job` (a batch/v1 body as the API returns it) stands.

    Since Kubernetes 1.31 the Job controller first sets `SuccessCriteriaMet` or
    `FailureTarget` and only adds `Complete` or `Failed` once every pod has terminated; the
    outcome is decided by the first, so either counts. A terminal condition wins over an
    interim one; a True failure condition wins over a True success condition (which the API
    never shows together)."""
    status = job.get("status") or {}
    conditions = {
        condition.get("type"): condition
        for condition in status.get("conditions") or ()
        if isinstance(condition, Mapping) and condition.get("status") == "True"
    }
    attempts = sum(_count(status, field) for field in ("failed", "succeeded", "active"))
    for kind in _FAILED:
        if kind in conditions:
            failed = conditions[kind]
            return JobState(
                phase="Failed",
                reason=str(failed.get("reason") or ""),
                message=str(failed.get("message") or ""),
                attempts=attempts,
            )
    if any(kind in conditions for kind in _SUCCEEDED):
        return JobState(phase="Succeeded", attempts=attempts)
    return JobState(phase="Running", attempts=attempts)


def _count(status: Mapping[str, Any], field: str) -> int:
    value = status.get(field)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


# -- the Job's identity in a namespace ------------------------------------------------------


def service_account(*, namespace: str, settings: settings.JobSettings) -> dict[str, Any]:
    """The ServiceAccount the Job runs as in `namespace` (see deploy/rbac.yaml)."""
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": settings.service_account,
            "namespace": namespace,
            "labels": dict(_IDENTITY_LABELS),
        },
    }


def role_binding(*, namespace: str, settings: settings.JobSettings) -> dict[str, Any]:
    """Binds the Job's ServiceAccount in `namespace` to ClusterRole `JOB_CLUSTER_ROLE`: its
    rights stay within that namespace."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {
            "name": settings.service_account,
            "namespace": namespace,
            "labels": dict(_IDENTITY_LABELS),
        },
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": JOB_CLUSTER_ROLE,
        },
        "subjects": [
            {"kind": "ServiceAccount", "name": settings.service_account, "namespace": namespace}
        ],
    }
