"""The operator's settings: small frozen groups, every field with its unit and the reason for
its default. Read once from the environment (`from_env`) by `kodegen operator`; tests build
them directly."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import Literal

import kodegen

__all__ = ["ExecutorName", "JobSettings", "LimitSettings", "Settings", "from_env"]

ExecutorName = Literal["job", "local"]


@dataclasses.dataclass(frozen=True)
class JobSettings:
    """How the Job that runs one generation looks."""

    image: str = f"ghcr.io/kodegen/kodegen:{kodegen.__version__}"
    """Image with kodegen installed; the same image as the operator's by default."""
    image_pull_policy: str = "IfNotPresent"
    """Tagged releases never change; `Always` only for moving tags."""
    service_account: str = "kodegen-job"
    """The Job's own ServiceAccount (deploy/rbac.yaml): it may read its request ConfigMap and
    write ConfigMaps, nothing else."""
    cpu_request: str = "500m"
    cpu_limit: str = "2"
    """The gates run in parallel subprocesses: two cores finish Petstore in about 3 s."""
    memory_request: str = "512Mi"
    memory_limit: str = "2Gi"
    """pytest, schemathesis and ruff in parallel peak near 1 GiB on the largest shared spec."""
    work_size: str = "1Gi"
    """emptyDir for the pipeline's scratch folders (the root filesystem is read-only)."""
    active_deadline_seconds: int = 900
    """A generation that runs 15 minutes is stuck; AI calls with repairs stay well below it."""
    backoff_limit: int = 2
    """Retries for crashes and evictions; failed gates and bad input fail at once (see
    `podFailurePolicy` in `jobs.build`)."""
    ttl_seconds_after_finished: int = 3600
    """An hour for the operator to read the result, even after a restart; the result itself
    lives on in its ConfigMap."""


@dataclasses.dataclass(frozen=True)
class LimitSettings:
    """How many generations run at once; the others wait with `phase: Queued`."""

    per_namespace: int = 4
    """One team cannot take every slot."""
    cluster: int = 16
    """Each run is a pod of up to 2 CPUs; 16 is what a small cluster carries beside its work."""


@dataclasses.dataclass(frozen=True)
class Settings:
    executor: ExecutorName = "job"
    """`job`: a Kubernetes Job per run (production); `local`: the same pipeline in a bounded
    worker pool inside the operator (dev clusters without a registry, tests)."""
    namespace: str = "kodegen-system"
    """Namespace the operator runs in (its Events and peering live there)."""
    job: JobSettings = dataclasses.field(default_factory=JobSettings)
    limits: LimitSettings = dataclasses.field(default_factory=LimitSettings)
    metrics_port: int = 8080
    """Port of the Prometheus endpoint (`/metrics`); 0 to serve none."""
    local_workers: int = 2
    """Threads of the local executor: one run uses about one core."""
    drift_interval_seconds: int = 300
    """How often published Git output is compared with its branch (`spec.driftPolicy`): one
    `ls-remote` per CodeGeneration, and a two-commit fetch only when the branch moved."""


_ENV = "KODEGEN_"


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `KODEGEN_*` variables (e.g. `KODEGEN_JOB_IMAGE`, `KODEGEN_LIMITS_CLUSTER`,
    `KODEGEN_EXECUTOR`); unset ones keep their defaults. A malformed number is a ValueError
    naming the variable."""
    env = os.environ if environ is None else environ

    def group(cls: type, prefix: str) -> dict[str, object]:
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            if dataclasses.is_dataclass(field.type) or field.name in ("job", "limits"):
                continue
            name = f"{_ENV}{prefix}{field.name.upper()}"
            if name not in env:
                continue
            raw = env[name]
            default = field.default
            if isinstance(default, int) and not isinstance(default, bool):
                try:
                    values[field.name] = int(raw)
                except ValueError:
                    raise ValueError(f"{name}: {raw!r} is not a whole number") from None
            else:
                values[field.name] = raw
        return values

    top = group(Settings, "")
    executor = top.get("executor", "job")
    if executor not in ("job", "local"):
        raise ValueError(f"{_ENV}EXECUTOR: {executor!r} is neither 'job' nor 'local'")
    return Settings(
        **top,  # type: ignore[arg-type]
        job=JobSettings(**group(JobSettings, "JOB_")),  # type: ignore[arg-type]
        limits=LimitSettings(**group(LimitSettings, "LIMITS_")),  # type: ignore[arg-type]
    )
