"""The Pod Security Standards, *baseline* and *restricted* (policy version "latest",
kubernetes.io/docs/concepts/security/pod-security-standards/), as a function: every rule a pod
spec breaks. Written from the standard's tables, one check per row, so a test reads as the
standard does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

Node = dict[str, Any]

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
SELINUX_TYPES = frozenset(
    {"container_t", "container_init_t", "container_kvm_t", "container_engine_t"}
)
RESTRICTED_VOLUMES = frozenset(
    {
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    }
)


def containers(pod: Node) -> Iterator[Node]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        yield from pod.get(field) or ()


def baseline(pod: Node, annotations: Node | None = None) -> list[str]:
    """Every baseline rule `pod` (a PodSpec) breaks, as `rule: where`."""
    found: list[str] = []
    pod_sc: Node = pod.get("securityContext") or {}
    contexts = [("pod", pod_sc)] + [
        (f"container {c['name']}", c.get("securityContext") or {}) for c in containers(pod)
    ]
    for where, sc in contexts:
        if (sc.get("windowsOptions") or {}).get("hostProcess"):
            found.append(f"HostProcess: {where}")
        selinux = sc.get("seLinuxOptions") or {}
        if selinux.get("type", "") not in SELINUX_TYPES | {""}:
            found.append(f"SELinux type: {where}")
        if selinux.get("user") or selinux.get("role"):
            found.append(f"SELinux user/role: {where}")
        if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
            found.append(f"Seccomp Unconfined: {where}")
        if (sc.get("appArmorProfile") or {}).get("type", "RuntimeDefault") not in (
            "RuntimeDefault",
            "Localhost",
        ):
            found.append(f"AppArmor: {where}")
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod.get(field):
            found.append(f"Host namespaces: {field}")
    for container in containers(pod):
        sc = container.get("securityContext") or {}
        name = container["name"]
        if sc.get("privileged"):
            found.append(f"Privileged: container {name}")
        added = set((sc.get("capabilities") or {}).get("add") or ())
        if added - BASELINE_CAPABILITIES:
            found.append(f"Capabilities beyond baseline: container {name}")
        if sc.get("procMount", "Default") != "Default":
            found.append(f"/proc mount: container {name}")
        if any(port.get("hostPort") for port in container.get("ports") or ()):
            found.append(f"Host ports: container {name}")
    for volume in pod.get("volumes") or ():
        if "hostPath" in volume:
            found.append(f"HostPath volume: {volume['name']}")
    for sysctl in pod_sc.get("sysctls") or ():
        if sysctl["name"] not in SAFE_SYSCTLS:
            found.append(f"Sysctl: {sysctl['name']}")
    for key, value in (annotations or {}).items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and not (
            value == "runtime/default" or value.startswith("localhost/")
        ):
            found.append(f"AppArmor annotation: {key}")
    return found


def restricted(pod: Node, annotations: Node | None = None) -> list[str]:
    """Every restricted rule (baseline included) `pod` (a PodSpec) breaks."""
    found = baseline(pod, annotations)
    pod_sc: Node = pod.get("securityContext") or {}
    for volume in pod.get("volumes") or ():
        kinds = set(volume) - {"name"}
        if not kinds <= RESTRICTED_VOLUMES:
            found.append(f"Volume type: {volume['name']}")
    if pod_sc.get("runAsUser") == 0:
        found.append("runAsUser 0: pod")
    for container in containers(pod):
        sc = container.get("securityContext") or {}
        name = container["name"]
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"Privilege escalation: container {name}")
        non_root = sc.get("runAsNonRoot", pod_sc.get("runAsNonRoot"))
        if non_root is not True:
            found.append(f"Running as non-root: container {name}")
        if sc.get("runAsUser") == 0:
            found.append(f"runAsUser 0: container {name}")
        seccomp = (sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"Seccomp: container {name}")
        capabilities = sc.get("capabilities") or {}
        if "ALL" not in (capabilities.get("drop") or ()):
            found.append(f"Capabilities not dropped: container {name}")
        if set(capabilities.get("add") or ()) - {"NET_BIND_SERVICE"}:
            found.append(f"Capabilities added: container {name}")
    return found
