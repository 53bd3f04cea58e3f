"""What the gate sandbox can contain on this machine, and what the policy makes of a shortfall.

Containment has four parts, each needing something of the kernel:

- **namespaces** (bubblewrap, `bwrap`): a mount namespace showing the system read-only and only
  the gate's own folders writable, a pid namespace (no other process visible; every descendant
  dies with the command), a network namespace (no network, not even the host's 127.0.0.1), and
  no capabilities. Needs `bwrap` and either unprivileged user namespaces or root with
  CAP_SYS_ADMIN. Refused, for example, in a Kubernetes pod under seccomp `RuntimeDefault`.
- **a process-count limit**: a cgroup (`kodegen.gates.cgroups`), else `RLIMIT_NPROC`, which
  binds every user but root.
- **a memory limit**: a cgroup bounds the whole command; else `RLIMIT_AS` bounds each process.
- **an environment from an allow-list, no inherited descriptor, `PR_SET_PDEATHSIG`**: always.

`probe()` finds out once which parts work (really trying them, not guessing from versions).
The policy (`qualityGates.isolation`) decides what a shortfall means: `required` refuses to run
generated code without namespaces and a process-count limit, naming what is missing;
`best-effort` runs it with a loud warning. The default is `best-effort` on a workstation and
`required` where `KODEGEN_ISOLATION=required` is set, as the operator image does.

Two switches turn parts off to show (and test) the weaker paths on a machine that has them:
`KODEGEN_SANDBOX_NAMESPACES=off` behaves as if the kernel refused namespaces, and
`KODEGEN_SANDBOX_CGROUPS=off` as if no cgroup were writable.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess  # nosec B404: runs bwrap, a fixed program, without a shell
from typing import Any, Literal

from kodegen.gates import cgroups

__all__ = [
    "ENV_CGROUPS",
    "ENV_NAMESPACES",
    "ENV_POLICY",
    "POLICIES",
    "Isolation",
    "Policy",
    "default_policy",
    "probe",
]

Policy = Literal["required", "best-effort"]
POLICIES: tuple[Policy, ...] = ("required", "best-effort")

ENV_POLICY = "KODEGEN_ISOLATION"
"""The default policy where the manifest does not say (`required` in the operator image)."""

ENV_NAMESPACES = "KODEGEN_SANDBOX_NAMESPACES"
"""`off`: never use namespaces (as where the kernel refuses them)."""

ENV_CGROUPS = "KODEGEN_SANDBOX_CGROUPS"
"""`off`: never use a cgroup (as where none is writable)."""

_PROBE_SECONDS = 10.0
_cache: dict[tuple[bool, bool], Isolation] = {}


@dataclasses.dataclass(frozen=True)
class Isolation:
    """Which containment features work here."""

    namespaces: Literal["user", "root", "none"]
    """How bubblewrap runs: in an unprivileged user namespace, as root without one, or not."""

    cgroup: Literal["v1", "v2", "none"]
    """The cgroup version limiting processes and memory, or none."""

    root: bool
    """Whether kodegen runs as uid 0 (then `RLIMIT_NPROC` limits nothing)."""

    why_no_namespaces: str = ""
    """What refused the namespaces (bwrap's own words, or the switch), when it did."""

    @property
    def process_limit(self) -> Literal["cgroup", "rlimit", "none"]:
        """What bounds the number of processes."""
        if self.cgroup != "none":
            return "cgroup"
        return "none" if self.root else "rlimit"

    @property
    def memory_limit(self) -> Literal["cgroup", "rlimit"]:
        """What bounds memory: the whole command (cgroup) or each process (`RLIMIT_AS`)."""
        return "cgroup" if self.cgroup != "none" else "rlimit"

    def missing(self) -> tuple[str, ...]:
        """The containment features that are not available, in words; empty when contained."""
        gaps = []
        if self.namespaces == "none":
            reason = f" ({self.why_no_namespaces})" if self.why_no_namespaces else ""
            gaps.append(
                "namespaces (read-only file system, private processes, no network)" + reason
            )
        if self.process_limit == "none":
            gaps.append("process-count limit (no writable cgroup, and RLIMIT_NPROC binds no root)")
        return tuple(gaps)

    @property
    def contained(self) -> bool:
        """Whether generated code runs fully contained."""
        return not self.missing()

    def warning(self) -> str:
        """The one-line warning for an uncontained run (empty when contained)."""
        if self.contained:
            return ""
        return (
            "generated code runs UNCONTAINED (qualityGates.isolation: best-effort); missing: "
            + "; ".join(self.missing())
        )

    def refusal(self) -> str:
        """Why `required` refuses to run generated code here."""
        return (
            "refused to run generated code: qualityGates.isolation is 'required' but this "
            "machine lacks " + "; ".join(self.missing()) + " (install bubblewrap and allow user "
            "namespaces, or set qualityGates.isolation: best-effort)"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, for the gates summary and the provenance."""
        return {
            "contained": self.contained,
            "namespaces": self.namespaces,
            "processLimit": self.process_limit,
            "memoryLimit": self.memory_limit,
            "missing": list(self.missing()),
        }


def default_policy() -> Policy:
    """`KODEGEN_ISOLATION` if it names a policy, else `best-effort`."""
    value = os.environ.get(ENV_POLICY, "").strip()
    return "required" if value == "required" else "best-effort"


def switches() -> tuple[bool, bool]:
    """(namespaces allowed, cgroups allowed) from the environment switches."""
    return (
        os.environ.get(ENV_NAMESPACES, "").strip().lower() != "off",
        os.environ.get(ENV_CGROUPS, "").strip().lower() != "off",
    )


def probe() -> Isolation:
    """What works here, found once per combination of the switches by trying it (a few
    milliseconds, once: synchronous, so that callers without an event loop can ask too)."""
    key = switches()
    if key not in _cache:
        _cache[key] = _probe(*key)
    return _cache[key]


def _probe(namespaces_allowed: bool, cgroups_allowed: bool) -> Isolation:
    root = os.geteuid() == 0
    group = cgroups.create(processes=64, memory_bytes=256 << 20, allowed=cgroups_allowed)
    version: Literal["v1", "v2", "none"] = "none" if group is None else group.version
    if group is not None:
        group.remove()
    if not namespaces_allowed:
        return Isolation("none", version, root, f"disabled by {ENV_NAMESPACES}=off")
    if shutil.which("bwrap") is None:
        return Isolation("none", version, root, "bwrap (bubblewrap) is not installed")
    said = _try_bwrap(user=True)
    if not said:
        return Isolation("user", version, root)
    if root and not _try_bwrap(user=False):
        return Isolation("root", version, root)
    return Isolation("none", version, root, said)


def _try_bwrap(*, user: bool) -> str:
    """Run `true` in the namespaces; "" when that worked, else bwrap's complaint."""
    argv = ["bwrap", "--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    argv += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--die-with-parent"]
    argv += ["--unshare-user"] if user else []
    try:
        done = subprocess.run(
            [*argv, "--", "true"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=_PROBE_SECONDS,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bwrap could not run: {exc}"
    if done.returncode == 0:
        return ""
    return " ".join(done.stderr.decode("utf-8", "replace").split())[:200] or "bwrap failed"
