"""A real Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver, kube-controller-manager.

The binaries come from `make cluster-tools` (tools/k8s/build.sh, cached under ~/.cache/kodegen);
`binaries()` finds them or says why not. `ControlPlane.start(folder)` generates a CA, the API
server's serving certificate, the ServiceAccount signing key and an admin token, starts the
three processes on free loopback ports and waits until `/readyz` answers ok; `stop()` ends them.

The API server runs with the Node and RBAC authorizers, ServiceAccount token signing, the
admission plugins of a production cluster (PodSecurity, NodeRestriction,
OwnerReferencesPermissionEnforcement, ...), client-certificate authentication against the CA,
and a static admin token (group system:masters) for the tests. The controller manager runs the
Job, garbage-collector, ServiceAccount, token, namespace, TTL, Deployment and ReplicaSet
controllers, each controller with its own ServiceAccount credentials, as in a real cluster.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import secrets
import socket
import ssl
import subprocess
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pki as pki_
import yaml
from kubernetes import client

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "tools" / "k8s" / "build.sh"
BINARIES = ("etcd", "kube-apiserver", "kube-controller-manager")
CONTROLLERS = (
    "job,garbagecollector,serviceaccount,serviceaccount-token,namespace,ttl-after-finished,"
    "root-ca-cert-publisher"  # kube-root-ca.crt, which every pod's token volume projects
    ",deployment,replicaset"  # the Helm chart's operator Deployment (test_cluster_helm.py)
)
ADMISSION = (
    "NamespaceLifecycle,LimitRanger,ServiceAccount,PodSecurity,NodeRestriction,"
    "OwnerReferencesPermissionEnforcement,ResourceQuota,MutatingAdmissionWebhook,"
    "ValidatingAdmissionWebhook,ValidatingAdmissionPolicy"
)
ISSUER = "https://kubernetes.default.svc.cluster.local"
READY_TIMEOUT = 120.0
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1",
    "kind": "Policy",
    "omitStages": ["RequestReceived", "ResponseStarted"],
    "rules": [
        {  # what kodegen writes to its own resources, with the request bodies
            "level": "Request",
            "verbs": ["create", "update", "patch"],
            "resources": [{"group": "kodegen.dev"}],
        },
        {  # who created which Job, ConfigMap and Event (the kill soak counts them)
            "level": "Metadata",
            "verbs": ["create"],
            "resources": [
                {"group": "batch", "resources": ["jobs"]},
                {"group": "", "resources": ["configmaps", "events"]},
            ],
        },
        {"level": "None"},
    ],
}


def binaries() -> tuple[Path | None, str]:
    """The folder holding the built binaries, or `None` and the reason they are not there."""
    found = subprocess.run(
        ["bash", str(BUILD), "--print-dir"], capture_output=True, text=True, check=False
    )
    if found.returncode != 0:
        return None, f"tools/k8s/build.sh --print-dir failed: {found.stderr.strip()}"
    folder = Path(found.stdout.strip())
    missing = [b for b in BINARIES if not os.access(folder / b, os.X_OK)]
    if missing:
        return None, (
            f"the real control plane is not built ({', '.join(missing)} missing in {folder}): "
            "run `make cluster-tools` first"
        )
    return folder, ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def kubeconfig(
    path: Path,
    *,
    server: str,
    ca: Path,
    token: str | None = None,
    cert: tuple[Path, Path] | None = None,
    namespace: str | None = None,
) -> Path:
    """Write a kubeconfig for `server` with a bearer token or a client certificate."""
    user: dict[str, Any] = {}
    if token is not None:
        user["token"] = token
    if cert is not None:
        user["client-certificate"], user["client-key"] = str(cert[0]), str(cert[1])
    context: dict[str, Any] = {"cluster": "test", "user": "test"}
    if namespace:
        context["namespace"] = namespace
    document = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {"name": "test", "cluster": {"server": server, "certificate-authority": str(ca)}}
        ],
        "users": [{"name": "test", "user": user}],
        "contexts": [{"name": "test", "context": context}],
        "current-context": "test",
    }
    path.write_text(yaml.safe_dump(document))
    path.chmod(0o600)
    return path


@dataclasses.dataclass
class ControlPlane:
    """The three running processes and how to reach the API server as admin."""

    folder: Path
    bin: Path
    pki: pki_.Pki
    url: str
    admin_token: str
    admin_kubeconfig: Path
    processes: dict[str, subprocess.Popen[bytes]] = dataclasses.field(default_factory=dict)
    logs: dict[str, IO[bytes]] = dataclasses.field(default_factory=dict)

    @classmethod
    def start(cls, folder: Path, bin: Path, *, controllers: str = CONTROLLERS) -> ControlPlane:
        """Start the three processes in `folder`; the controller manager runs `controllers`
        (kube-controller-manager's `--controllers`)."""
        pki = pki_.Pki.create(folder / "pki")
        port = free_port()
        token = secrets.token_hex(16)
        url = f"https://127.0.0.1:{port}"
        plane = cls(
            folder=folder,
            bin=bin,
            pki=pki,
            url=url,
            admin_token=token,
            admin_kubeconfig=kubeconfig(
                folder / "admin.kubeconfig", server=url, ca=pki.ca_cert, token=token
            ),
        )
        try:
            plane._start_etcd()
            plane._start_apiserver(port)
            plane.wait_ready()
            plane._start_controller_manager(controllers)
        except BaseException:
            plane.stop()
            raise
        return plane

    def _spawn(self, name: str, args: list[str]) -> None:
        log = (self.folder / f"{name}.log").open("wb")
        self.logs[name] = log
        self.processes[name] = subprocess.Popen(
            [str(self.bin / name), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=self.folder,
            start_new_session=True,
        )

    def _start_etcd(self) -> None:
        client, peer = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{client}"
        self._spawn(
            "etcd",
            [
                "--name=default",
                f"--data-dir={self.folder / 'etcd'}",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer}",
                f"--initial-cluster=default=http://127.0.0.1:{peer}",
                "--unsafe-no-fsync",
                "--log-level=warn",
            ],
        )

    def _start_apiserver(self, port: int) -> None:
        tokens = self.folder / "tokens.csv"
        tokens.write_text(f'{self.admin_token},kodegen-admin,kodegen-admin,"system:masters"\n')
        tokens.chmod(0o600)
        policy = self.folder / "audit-policy.yaml"
        policy.write_text(yaml.safe_dump(AUDIT_POLICY))
        self._spawn(
            "kube-apiserver",
            [
                f"--etcd-servers={self.etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={port}",
                f"--cert-dir={self.folder / 'certs'}",
                f"--tls-cert-file={self.pki.serving_cert}",
                f"--tls-private-key-file={self.pki.serving_key}",
                f"--client-ca-file={self.pki.ca_cert}",
                f"--service-account-issuer={ISSUER}",
                f"--service-account-key-file={self.pki.service_account_key}",
                f"--service-account-signing-key-file={self.pki.service_account_key}",
                f"--token-auth-file={tokens}",
                "--authorization-mode=Node,RBAC",
                f"--enable-admission-plugins={ADMISSION}",
                "--service-cluster-ip-range=10.0.0.0/24",
                f"--audit-policy-file={policy}",
                f"--audit-log-path={self.audit_log}",
                "--audit-log-format=json",
                "--audit-log-mode=blocking",
                "--endpoint-reconciler-type=none",  # no Endpoints for the loopback address
                "--profiling=false",
                "--v=1",
            ],
        )

    def _start_controller_manager(self, controllers: str) -> None:
        self._spawn(
            "kube-controller-manager",
            [
                f"--kubeconfig={self.admin_kubeconfig}",
                f"--controllers={controllers}",
                "--use-service-account-credentials",
                f"--service-account-private-key-file={self.pki.service_account_key}",
                f"--root-ca-file={self.pki.ca_cert}",
                "--leader-elect=false",
                f"--secure-port={free_port()}",
                "--bind-address=127.0.0.1",
                f"--cert-dir={self.folder / 'kcm-certs'}",
                "--v=1",
            ],
        )

    @property
    def audit_log(self) -> Path:
        return self.folder / "audit.log"

    def audit(self) -> list[dict[str, Any]]:
        """The audit events so far (requests that wrote kodegen.dev resources, with their
        bodies; creates of Jobs, ConfigMaps and Events, without)."""
        if not self.audit_log.exists():
            return []
        lines = self.audit_log.read_text().splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.pki.ca_cert))

    def wait_ready(self, timeout: float = READY_TIMEOUT) -> None:
        """Wait until /readyz answers 200 (every post-start hook done, etcd reachable)."""
        deadline = time.monotonic() + timeout
        request = urllib.request.Request(
            f"{self.url}/readyz", headers={"Authorization": f"Bearer {self.admin_token}"}
        )
        last = "no answer"
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with {process.returncode}; log: {self.tail(name)}"
                    )
            try:
                with urllib.request.urlopen(
                    request, context=self.ssl_context(), timeout=5
                ) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError) as exc:
                last = str(exc)
            time.sleep(0.25)
        raise RuntimeError(f"kube-apiserver not ready after {timeout}s ({last})")

    def tail(self, name: str, lines: int = 30) -> str:
        path = self.folder / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM each process (controller manager first), SIGKILL what is left after 10 s."""
        for name in ("kube-controller-manager", "kube-apiserver", "etcd"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        for log in self.logs.values():
            with contextlib.suppress(OSError):
                log.close()


RESTRICTED = {
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/enforce-version": "latest",
}


def wait_for(
    what: Callable[[], Any], *, timeout: float = 60.0, message: Callable[[], str] = str
) -> Any:
    """Poll `what` until it returns something truthy; fail with `message()` after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s: {message()}")
        time.sleep(0.2)


def api_client(plane: ControlPlane, token: str) -> client.ApiClient:
    configuration = client.Configuration(host=plane.url)
    configuration.ssl_ca_cert = str(plane.pki.ca_cert)
    configuration.api_key = {"BearerToken": f"Bearer {token}"}
    configuration.connection_pool_maxsize = 16
    return client.ApiClient(configuration)


def restricted_pod(command: list[str], **container: Any) -> dict[str, Any]:
    """A pod spec that the `restricted` Pod Security level admits."""
    return {
        "restartPolicy": "Never",
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": 65532,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [
            {
                "name": "main",
                "image": "kodegen.test/none:0",
                "command": command,
                "securityContext": {
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                },
                **container,
            }
        ],
    }


def apply(api: client.ApiClient, path: Path, *, timeout: float = 30.0) -> list[dict[str, Any]]:
    """Create every object of a manifest file in order (an existing one is left as it is); a
    custom object whose CRD the same file defines waits until that CRD is served."""
    from kubernetes import dynamic
    from kubernetes.dynamic import exceptions

    created = []
    for body in yaml.safe_load_all(path.read_text()):
        if not body:
            continue

        def create(body: dict[str, Any] = body) -> dict[str, Any] | None:
            try:
                resource = dynamic.DynamicClient(api).resources.get(
                    api_version=body["apiVersion"], kind=body["kind"]
                )
                namespace = body["metadata"].get("namespace")
                found: dict[str, Any] = resource.create(body=body, namespace=namespace).to_dict()
                return found
            except exceptions.ConflictError:
                return dict(body)
            except exceptions.ResourceNotFoundError:
                return None  # its CRD is not served yet: discovery is asked again

        created.append(
            wait_for(create, timeout=timeout, message=lambda body=body: f"cannot create {body}")
        )
    return created


def token(api: client.ApiClient, namespace: str, service_account: str, seconds: int = 3600) -> str:
    """A token of `service_account` from the TokenRequest API."""
    answer = client.CoreV1Api(api).create_namespaced_service_account_token(
        service_account,
        namespace,
        {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": seconds},
        },
    )
    value: str = answer.status.token
    return value


@contextlib.contextmanager
def namespace(api: client.ApiClient) -> Iterator[str]:
    """A fresh namespace enforcing Pod Security `restricted`, with its `default`
    ServiceAccount already made by the ServiceAccount controller; deleted afterwards."""
    core = client.CoreV1Api(api)
    name = f"t-{uuid.uuid4().hex[:10]}"
    core.create_namespace({"metadata": {"name": name, "labels": RESTRICTED}})

    def has_default() -> bool:
        try:
            core.read_namespaced_service_account("default", name)
        except client.ApiException:
            return False
        return True

    wait_for(has_default, timeout=30, message=lambda: f"no ServiceAccount default in {name}")
    try:
        yield name
    finally:
        core.delete_namespace(name)
