"""The operator's settings: small frozen groups, every field with its unit and the reason for
its default. Read once from the environment (`from_env`) by `kodegen operator`; tests build
them directly."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from typing import Any, Literal

import kodegen
from kodegen.documents import remote

__all__ = ["ExecutorName", "JobSettings", "LimitSettings", "Settings", "from_env"]

ExecutorName = Literal["job", "local"]

_JSON = "json"
"""Field metadata key: the variable holds JSON, a (container type, item type) pair: `list`
or `dict`, whose items (list entries, object values) are `str` or `dict`."""


def _json(kind: type, items: type) -> Any:
    """A field read from its variable as JSON (the Helm chart writes it with `toJson`); empty
    by default."""
    if kind is list:
        return dataclasses.field(default=(), metadata={_JSON: (list, items)})
    return dataclasses.field(default_factory=dict, metadata={_JSON: (dict, items)})


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
    image_pull_secrets: tuple[str, ...] = _json(list, str)
    """Names of Secrets (in each CodeGeneration's namespace) to pull `image` from a private
    registry; none for a public image."""
    node_selector: Mapping[str, str] = _json(dict, str)
    """Node labels the Job's pod must match (e.g. a pool for build workloads); any node by
    default."""
    tolerations: tuple[Mapping[str, Any], ...] = _json(list, dict)
    """Pod tolerations (core/v1 Toleration objects), to run on tainted build nodes."""
    affinity: Mapping[str, Any] = _json(dict, dict)
    """Pod affinity (a core/v1 Affinity object); none by default."""
    priority_class_name: str = ""
    """PriorityClass of the Job's pod; "" keeps the cluster's default priority."""
    runtime_class_name: str = ""
    """RuntimeClass (e.g. gVisor or Kata for a stronger sandbox around generated code); ""
    keeps the node's default runtime."""
    env: tuple[Mapping[str, Any], ...] = _json(list, dict)
    """Extra core/v1 EnvVar entries for every Job (proxies, CA bundles such as
    `SSL_CERT_FILE`); the Job's own variables are reserved (`jobs.RESERVED_ENV`)."""
    annotations: Mapping[str, str] = _json(dict, str)
    """Annotations of the Job's pod (e.g. for a service mesh or a cost allocation tool)."""


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
    remote_ref_prefixes: tuple[str, ...] = ()
    """URL prefixes under which specs' remote `$ref`s may be fetched, when a CodeGeneration
    also lists them in `allowRemoteRefs` (`KODEGEN_REMOTE_REF_PREFIXES`, comma-separated).
    None by default: the operator fetches nothing a spec names, so no tenant can make it
    probe the network it runs in."""
    drift_interval_seconds: int = 300
    """How often published Git output is compared with its branch (`spec.driftPolicy`): one
    `ls-remote` per CodeGeneration, and a two-commit fetch only when the branch moved."""


_ENV = "KODEGEN_"


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `KODEGEN_*` variables (e.g. `KODEGEN_JOB_IMAGE`, `KODEGEN_LIMITS_CLUSTER`,
    `KODEGEN_EXECUTOR`, `KODEGEN_JOB_TOLERATIONS` as JSON); unset ones keep their defaults. A
    malformed number or JSON value is a ValueError naming the variable."""
    env = os.environ if environ is None else environ

    def group(cls: type, prefix: str) -> dict[str, object]:
        values: dict[str, object] = {}
        for field in dataclasses.fields(cls):
            if dataclasses.is_dataclass(field.type) or field.name in (
                "job",
                "limits",
                "remote_ref_prefixes",
            ):
                continue
            name = f"{_ENV}{prefix}{field.name.upper()}"
            if name not in env:
                continue
            raw = env[name]
            if _JSON in field.metadata:
                values[field.name] = _decode(name, raw, *field.metadata[_JSON])
                continue
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
    prefixes = _prefixes(env.get(f"{_ENV}REMOTE_REF_PREFIXES", ""))
    return Settings(
        **top,  # type: ignore[arg-type]
        remote_ref_prefixes=prefixes,
        job=JobSettings(**group(JobSettings, "JOB_")),  # type: ignore[arg-type]
        limits=LimitSettings(**group(LimitSettings, "LIMITS_")),  # type: ignore[arg-type]
    )


def _prefixes(raw: str) -> tuple[str, ...]:
    """`KODEGEN_REMOTE_REF_PREFIXES`: URL prefixes separated by commas or spaces."""
    found = tuple(part for part in raw.replace(",", " ").split() if part)
    for prefix in found:
        reason = remote.check_prefix(prefix)
        if reason is not None:
            raise ValueError(f"{_ENV}REMOTE_REF_PREFIXES: {prefix!r} {reason}")
    return found


def _decode(name: str, raw: str, kind: type, items: type) -> object:
    """The JSON `raw` of variable `name`: a list (as a tuple) or an object whose entries or
    values are all of type `items`, else ValueError naming the variable."""
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name}: not JSON ({exc.msg} at character {exc.pos})") from None
    decoded: tuple[Any, ...] | dict[str, Any]
    if isinstance(value, list) and kind is list:
        entries, what, decoded = value, "entries", tuple(value)
    elif isinstance(value, dict) and kind is dict:
        entries, what, decoded = list(value.values()), "values", value
    else:
        expected = "a JSON array" if kind is list else "a JSON object"
        raise ValueError(f"{name}: {type(value).__name__} given, {expected} expected")
    if not all(isinstance(entry, items) for entry in entries):
        must = "strings" if items is str else "JSON objects"
        raise ValueError(f"{name}: its {what} must be {must}")
    return decoded
