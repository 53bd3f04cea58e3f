"""A test node agent: the kubelet's and the scheduler's part, for a control plane without them.

`NodeAgent(api, folder, path=...)` registers one Node (Ready), then watches every Pod:

- a Pending pod with no node is bound to this node (pods/binding, as the scheduler does);
- a pod bound here runs: init containers one by one, then the containers together, each
  container's `command` + `args` as a local process (the image is not pulled: no entrypoint of
  an image is known, so a container without `command` fails with exit code 127);
- its environment is the Pod's: `value` (with `$(VAR)` references expanded), `valueFrom`
  `secretKeyRef` / `configMapKeyRef` read through the API (a missing one that is not `optional`
  holds the container in `CreateContainerConfigError` and is retried, as the kubelet does),
  `fieldRef` (name, namespace, uid, node, service account, labels, annotations), `envFrom`;
  plus PATH (the agent's `path` first, so `kodegen` is the virtualenv's) and nothing else of the
  agent's own environment;
- volumes are folders under the pod's folder; a path under a container's `mountPath` in its
  env values, args and `workingDir` is rewritten to that folder (`subPath` honoured);
- the projected ServiceAccount volume (`automountServiceAccountToken`) gets a token from the
  TokenRequest API, bound to the pod, with `ca.crt` and `namespace`; the container then has a
  `KUBECONFIG` for it (a process cannot see `/var/run/secrets/...`), and no token otherwise;
- exit codes go to `status.containerStatuses[].state.terminated.exitCode` and the phase to
  `Succeeded` / `Failed` (`restartPolicy: Never`), or the container restarts (`OnFailure`,
  `restartCount`), so the real Job controller applies `backoffLimit` and `podFailurePolicy`;
- a pod being deleted has its processes stopped (SIGTERM, SIGKILL after its grace period) and
  is then removed with grace period 0, as the kubelet does.

Not emulated: images, users and security contexts (processes run as the agent's user),
resource limits, probes, networking (the pod's IP is 127.0.0.1), `terminationMessagePath` (a
failed container's message is its log's end under `FallbackToLogsOnError`).
"""

from __future__ import annotations

import base64
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pod_runtime
import yaml
from kubernetes import client, watch

logger = logging.getLogger("node_agent")

SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"


class NodeAgent:
    def __init__(
        self,
        api: client.ApiClient,
        folder: Path,
        *,
        name: str = "kodegen-test-node",
        path: str = "",
        server: str = "",
        ca: Path | None = None,
    ) -> None:
        self.api, self.core = api, client.CoreV1Api(api)
        self.folder, self.name, self.path = folder, name, path
        self.server, self.ca = server, ca
        self.runs: dict[str, threading.Thread] = {}
        self.processes: dict[str, list[subprocess.Popen[bytes]]] = {}
        self.finished: set[str] = set()
        self.removed: set[str] = set()
        self.lock = threading.Lock()
        self.held: set[str] = set()
        self.crashes: dict[str, int] = {}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="node-agent", daemon=True)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._register()
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        with self.lock:
            running = [p for ps in self.processes.values() for p in ps]
        for process in running:
            pod_runtime.terminate(process, grace=2)
        self.thread.join(15)

    # -- faults a test asks for -------------------------------------------------------------

    def hold(self, namespace: str) -> None:
        """Bind but do not start pods of `namespace` until `release` (a slow image pull)."""
        with self.lock:
            self.held.add(namespace)

    def release(self, namespace: str) -> None:
        with self.lock:
            self.held.discard(namespace)
        for pod in self.core.list_namespaced_pod(namespace).items:
            self._handle(self.api.sanitize_for_serialization(pod))

    def crash_next(self, namespace: str, count: int = 1) -> None:
        """The next `count` pods started in `namespace` are killed (SIGKILL, exit code 137)
        right after their containers start, as an OOM kill would."""
        with self.lock:
            self.crashes[namespace] = count

    def _take_crash(self, namespace: str) -> bool:
        with self.lock:
            left = self.crashes.get(namespace, 0)
            if left:
                self.crashes[namespace] = left - 1
            return left > 0

    def _register(self) -> None:
        self.core.create_node(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": self.name,
                    "labels": {
                        "kubernetes.io/hostname": self.name,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                    },
                },
            }
        )
        capacity = {"cpu": "2", "memory": "24Gi", "pods": "110", "ephemeral-storage": "50Gi"}
        self.core.patch_node_status(
            self.name,
            {
                "status": {
                    "capacity": capacity,
                    "allocatable": capacity,
                    "addresses": [
                        {"type": "InternalIP", "address": "127.0.0.1"},
                        {"type": "Hostname", "address": self.name},
                    ],
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "KubeletReady",
                            "message": "kodegen test node agent",
                            "lastHeartbeatTime": pod_runtime.now(),
                            "lastTransitionTime": pod_runtime.now(),
                        }
                    ],
                    "nodeInfo": {
                        "machineID": "kodegen",
                        "systemUUID": "kodegen",
                        "bootID": "kodegen",
                        "kernelVersion": os.uname().release,
                        "osImage": "kodegen test node agent",
                        "containerRuntimeVersion": "local://0",
                        "kubeletVersion": "v0.0.0-kodegen",
                        "kubeProxyVersion": "",
                        "operatingSystem": "linux",
                        "architecture": "amd64",
                    },
                }
            },
        )

    # -- the watch -------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self.stopping.is_set():
            try:
                listed = self.core.list_pod_for_all_namespaces()
                for pod in listed.items:
                    self._handle(self.api.sanitize_for_serialization(pod))
                stream = watch.Watch().stream(
                    self.core.list_pod_for_all_namespaces,
                    resource_version=listed.metadata.resource_version,
                    timeout_seconds=5,
                    _request_timeout=10,
                )
                for event in stream:
                    if self.stopping.is_set():
                        break
                    self._handle(self.api.sanitize_for_serialization(event["object"]))
            except Exception:  # the agent keeps going, like a kubelet; the log says why
                if not self.stopping.is_set():
                    logger.exception("node agent: watch failed; listing again")
                    time.sleep(0.5)

    def _handle(self, pod: Mapping[str, Any]) -> None:
        meta, spec = pod["metadata"], pod.get("spec") or {}
        uid, node = meta["uid"], spec.get("nodeName")
        phase = (pod.get("status") or {}).get("phase")
        if meta.get("deletionTimestamp"):
            if node == self.name and uid not in self.removed:
                self.removed.add(uid)
                threading.Thread(target=self._remove, args=(pod,), daemon=True).start()
            return
        if not node:
            if phase == "Pending" and not spec.get("schedulerName", "").startswith("none"):
                self._bind(meta)
            return
        if node != self.name or phase in ("Succeeded", "Failed"):
            return
        with self.lock:
            if uid in self.runs or meta["namespace"] in self.held:
                return
            thread = threading.Thread(
                target=self._run, args=(pod,), name=f"pod-{meta['name']}", daemon=True
            )
            self.runs[uid] = thread
        thread.start()

    def _bind(self, meta: Mapping[str, Any]) -> None:
        body = {
            "apiVersion": "v1",
            "kind": "Binding",
            "metadata": {"name": meta["name"], "uid": meta["uid"]},
            "target": {"apiVersion": "v1", "kind": "Node", "name": self.name},
        }
        try:  # the answer is a Status the client's model cannot read: take it raw
            self.core.create_namespaced_pod_binding(
                meta["name"], meta["namespace"], body, _preload_content=False
            )
        except client.ApiException as exc:
            if exc.status != 409:  # already bound: a second event for the same pod
                logger.warning("binding %s/%s: %s", meta["namespace"], meta["name"], exc.reason)

    def _remove(self, pod: Mapping[str, Any]) -> None:
        meta = pod["metadata"]
        grace = int(meta.get("deletionGracePeriodSeconds") or 30)
        with self.lock:
            running = list(self.processes.get(meta["uid"], []))
        for process in running:
            pod_runtime.terminate(process, grace=min(grace, 30))
        try:
            self.core.delete_namespaced_pod(
                meta["name"],
                meta["namespace"],
                grace_period_seconds=0,
                body={"preconditions": {"uid": meta["uid"]}},
            )
        except client.ApiException as exc:
            if exc.status not in (404, 409):
                logger.warning("removing %s/%s: %s", meta["namespace"], meta["name"], exc.reason)

    # -- one pod ---------------------------------------------------------------------------

    def pod_folder(self, namespace: str, name: str, uid: str) -> Path:
        return self.folder / "pods" / f"{namespace}_{name}_{uid[:8]}"

    def logs(self, namespace: str, name: str) -> str:
        """Every log of every pod named `name` in `namespace` (for messages of failed tests)."""
        texts = []
        for folder in sorted((self.folder / "pods").glob(f"{namespace}_{name}_*")):
            for log in sorted(folder.glob("*.log")):
                texts.append(
                    f"--- {log.relative_to(self.folder)}\n{log.read_text(errors='replace')}"
                )
        return "\n".join(texts)

    def _run(self, pod: Mapping[str, Any]) -> None:
        meta, spec = pod["metadata"], pod["spec"]
        root = self.pod_folder(meta["namespace"], meta["name"], meta["uid"])
        try:
            while True:
                try:
                    volumes = self._volumes(pod, root)
                    break
                except pod_runtime.ConfigError as exc:  # the kubelet retries mounting, so do we
                    if self._deleted(meta):
                        return
                    for container in spec.get("containers") or []:
                        self._patch_container_waiting(pod, container, str(exc))
                    time.sleep(1)
            crash = self._take_crash(meta["namespace"])
            started = pod_runtime.now()
            init = spec.get("initContainers") or []
            containers = spec.get("containers") or []
            statuses: dict[str, dict[str, Any]] = {}
            for container in init:
                if self._deleted(meta):
                    return
                result = self._container(pod, container, root, volumes, started, crash=crash)
                statuses[container["name"]] = result
                if result["state"]["terminated"]["exitCode"] != 0:
                    self._finish(pod, "Failed", [], [*statuses.values()], started)
                    return
            init_statuses = [*statuses.values()]
            self._patch_status(pod, "Running", containers, started, running=True)
            results: dict[str, dict[str, Any]] = {}
            threads = [
                threading.Thread(
                    target=lambda c=c: results.__setitem__(
                        c["name"], self._container(pod, c, root, volumes, started, crash=crash)
                    ),
                    daemon=True,
                )
                for c in containers
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            if self._deleted(meta):
                return
            codes = [results[c["name"]]["state"]["terminated"]["exitCode"] for c in containers]
            phase = "Succeeded" if all(code == 0 for code in codes) else "Failed"
            ordered = [results[c["name"]] for c in containers]
            self._finish(pod, phase, ordered, init_statuses, started)
        except Exception:
            logger.exception("node agent: pod %s/%s", meta["namespace"], meta["name"])
        finally:
            with self.lock:
                self.processes.pop(meta["uid"], None)
                self.finished.add(meta["uid"])

    def _deleted(self, meta: Mapping[str, Any]) -> bool:
        return self.stopping.is_set() or meta["uid"] in self.removed

    def _volumes(self, pod: Mapping[str, Any], root: Path) -> dict[str, Path]:
        folders: dict[str, Path] = {}
        for volume in pod["spec"].get("volumes") or []:
            folder = root / "volumes" / volume["name"]
            folder.mkdir(parents=True, exist_ok=True)
            folders[volume["name"]] = folder
            sources = (volume.get("projected") or {}).get("sources") or []
            if any("serviceAccountToken" in source for source in sources):
                self._service_account(pod, folder, sources)
            for source in sources:
                if "configMap" in source:
                    self._files(pod, folder, source["configMap"], secret=False)
                for item in (source.get("downwardAPI") or {}).get("items") or []:
                    if "fieldRef" in item:
                        value = pod_runtime.field(pod, item["fieldRef"]["fieldPath"])
                        (folder / item["path"]).write_text(value)
            if "configMap" in volume:
                self._files(pod, folder, volume["configMap"], secret=False)
            if "secret" in volume:
                self._files(pod, folder, {"name": volume["secret"]["secretName"]}, secret=True)
        return folders

    def _files(
        self, pod: Mapping[str, Any], folder: Path, ref: Mapping[str, Any], *, secret: bool
    ) -> None:
        data = self._read(pod["metadata"]["namespace"], ref["name"], secret=secret)
        if data is None:
            if ref.get("optional"):
                return
            raise pod_runtime.ConfigError(
                f"{'secret' if secret else 'configmap'} {ref['name']} not found"
            )
        items = ref.get("items") or [{"key": k, "path": k} for k in data]
        for item in items:
            target = folder / item["path"]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(data.get(item["key"], ""))

    def _service_account(self, pod: Mapping[str, Any], folder: Path, sources: list[Any]) -> None:
        meta, spec = pod["metadata"], pod["spec"]
        expiry = 3600
        for source in sources:
            if "serviceAccountToken" in source:
                expiry = int(source["serviceAccountToken"].get("expirationSeconds") or 3600)
        answer = self.core.create_namespaced_service_account_token(
            spec.get("serviceAccountName") or "default",
            meta["namespace"],
            {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenRequest",
                "spec": {
                    "expirationSeconds": max(expiry, 600),
                    "boundObjectRef": {
                        "apiVersion": "v1",
                        "kind": "Pod",
                        "name": meta["name"],
                        "uid": meta["uid"],
                    },
                },
            },
        )
        (folder / "token").write_text(answer.status.token)
        (folder / "namespace").write_text(meta["namespace"])
        if self.ca is not None:
            shutil.copyfile(self.ca, folder / "ca.crt")
        (folder / "kubeconfig").write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [
                        {
                            "name": "in-cluster",
                            "cluster": {
                                "server": self.server,
                                "certificate-authority": str(folder / "ca.crt"),
                            },
                        }
                    ],
                    "users": [{"name": "pod", "user": {"tokenFile": str(folder / "token")}}],
                    "contexts": [
                        {
                            "name": "pod",
                            "context": {
                                "cluster": "in-cluster",
                                "user": "pod",
                                "namespace": meta["namespace"],
                            },
                        }
                    ],
                    "current-context": "pod",
                }
            )
        )

    def _mounts(
        self, container: Mapping[str, Any], volumes: Mapping[str, Path]
    ) -> list[tuple[str, Path]]:
        mounts = []
        for mount in container.get("volumeMounts") or []:
            host = volumes[mount["name"]]
            if mount.get("subPath"):
                host = host / mount["subPath"]
                host.mkdir(parents=True, exist_ok=True)
            mounts.append((mount["mountPath"].rstrip("/") or "/", host))
        return sorted(mounts, key=lambda m: len(m[0]), reverse=True)

    def _environment(
        self, pod: Mapping[str, Any], container: Mapping[str, Any], mounts: list[tuple[str, Path]]
    ) -> dict[str, str]:
        namespace = pod["metadata"]["namespace"]
        env: dict[str, str] = {
            "PATH": f"{self.path}:{os.environ.get('PATH', '/usr/bin:/bin')}".strip(":")
        }
        env["HOSTNAME"] = pod["metadata"]["name"]
        for source in container.get("envFrom") or []:
            ref = source.get("configMapRef") or source.get("secretRef") or {}
            data = self._read(namespace, ref["name"], secret="secretRef" in source)
            if data is None and not ref.get("optional"):
                raise pod_runtime.ConfigError(f"envFrom {ref['name']} not found")
            for key, value in (data or {}).items():
                env[source.get("prefix", "") + key] = value
        for entry in container.get("env") or []:
            value = self._value(pod, entry, env)
            if value is not None:
                env[entry["name"]] = pod_runtime.rewrite(value, mounts)
        for mount_path, host in mounts:
            if mount_path == SA_MOUNT and (host / "kubeconfig").exists():
                env["KUBECONFIG"] = str(host / "kubeconfig")
        return env

    def _value(
        self, pod: Mapping[str, Any], entry: Mapping[str, Any], env: Mapping[str, str]
    ) -> str | None:
        if "valueFrom" not in entry:
            return pod_runtime.expand(entry.get("value", ""), env)
        source = entry["valueFrom"]
        namespace = pod["metadata"]["namespace"]
        for kind, secret in (("secretKeyRef", True), ("configMapKeyRef", False)):
            if kind in source:
                ref = source[kind]
                data = self._read(namespace, ref["name"], secret=secret)
                if data is None or ref["key"] not in data:
                    if ref.get("optional"):
                        return None
                    raise pod_runtime.ConfigError(
                        f"{kind} {ref['name']}/{ref['key']} for {entry['name']} not found"
                    )
                value: str = data[ref["key"]]
                return value
        if "fieldRef" in source:
            return pod_runtime.field(pod, source["fieldRef"]["fieldPath"])
        raise pod_runtime.ConfigError(
            f"env {entry['name']}: unsupported valueFrom {sorted(source)}"
        )

    def _read(self, namespace: str, name: str, *, secret: bool) -> dict[str, str] | None:
        try:
            if secret:
                found = self.core.read_namespaced_secret(name, namespace)
                return {k: base64.b64decode(v).decode() for k, v in (found.data or {}).items()}
            found = self.core.read_namespaced_config_map(name, namespace)
            return dict(found.data or {})
        except client.ApiException as exc:
            if exc.status == 404:
                return None
            raise

    def _container(
        self,
        pod: Mapping[str, Any],
        container: Mapping[str, Any],
        root: Path,
        volumes: Mapping[str, Path],
        started: str,
        *,
        crash: bool = False,
    ) -> dict[str, Any]:
        meta = pod["metadata"]
        mounts = self._mounts(container, volumes)
        restarts = 0
        while True:
            while True:
                try:
                    env = self._environment(pod, container, mounts)
                    break
                except pod_runtime.ConfigError as exc:
                    if self._deleted(meta):
                        return pod_runtime.terminated(
                            container, 137, "ContainerStatusUnknown", started, restarts
                        )
                    self._patch_container_waiting(pod, container, str(exc))
                    time.sleep(1)
            command = [*(container.get("command") or []), *(container.get("args") or [])]
            if not container.get("command"):
                return pod_runtime.terminated(
                    container,
                    127,
                    "ContainerCannotRun",
                    started,
                    restarts,
                    message="the node agent runs only command/args",
                )
            command = [
                pod_runtime.rewrite(pod_runtime.expand(part, env), mounts) for part in command
            ]
            cwd = Path(pod_runtime.rewrite(container.get("workingDir") or str(root), mounts))
            cwd.mkdir(parents=True, exist_ok=True)
            log = root / f"{container['name']}.{restarts}.log"
            with log.open("wb") as out:
                try:
                    process = subprocess.Popen(
                        command,
                        env=env,
                        cwd=cwd,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        start_new_session=True,
                    )
                except OSError as exc:
                    out.write(f"node agent: cannot start {command[0]}: {exc}\n".encode())
                    return pod_runtime.terminated(
                        container, 127, "StartError", started, restarts, message=str(exc)
                    )
                with self.lock:
                    self.processes.setdefault(meta["uid"], []).append(process)
                if crash:
                    crash = False
                    os.killpg(process.pid, signal.SIGKILL)
                code = process.wait()
            code = 128 - code if code < 0 else code  # killed by a signal: 128 + signal number
            policy = pod["spec"].get("restartPolicy", "Always")
            again = policy == "Always" or (policy == "OnFailure" and code != 0)
            if not again or self._deleted(meta):
                message = ""
                policy = container.get("terminationMessagePolicy")
                if code != 0 and policy == "FallbackToLogsOnError":
                    message = pod_runtime.log_tail(
                        log
                    )  # as the kubelet: the log's end, when it failed
                reason = "Completed" if code == 0 else "Error"
                return pod_runtime.terminated(
                    container, code, reason, started, restarts, message=message
                )
            restarts += 1
            time.sleep(1)

    # -- status ----------------------------------------------------------------------------

    def _patch_container_waiting(
        self, pod: Mapping[str, Any], container: Mapping[str, Any], message: str
    ) -> None:
        status = {
            "name": container["name"],
            "image": container.get("image", ""),
            "imageID": "",
            "ready": False,
            "restartCount": 0,
            "state": {"waiting": {"reason": "CreateContainerConfigError", "message": message}},
        }
        self._patch(pod, {"containerStatuses": [status]})

    def _patch_status(
        self,
        pod: Mapping[str, Any],
        phase: str,
        containers: list[Any],
        started: str,
        *,
        running: bool,
    ) -> None:
        statuses = [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "containerID": f"local://{pod['metadata']['uid']}/{c['name']}",
                "ready": running,
                "started": running,
                "restartCount": 0,
                "state": {"running": {"startedAt": started}},
            }
            for c in containers
        ]
        self._patch(
            pod,
            {
                "phase": phase,
                "hostIP": "127.0.0.1",
                "podIP": "127.0.0.1",
                "podIPs": [{"ip": "127.0.0.1"}],
                "startTime": started,
                "conditions": pod_runtime.conditions(ready=running),
                "containerStatuses": statuses,
            },
        )

    def _finish(
        self, pod: Mapping[str, Any], phase: str, statuses: list[Any], init: list[Any], started: str
    ) -> None:
        body: dict[str, Any] = {
            "phase": phase,
            "hostIP": "127.0.0.1",
            "podIP": "127.0.0.1",
            "podIPs": [{"ip": "127.0.0.1"}],
            "startTime": started,
            "conditions": pod_runtime.conditions(ready=False),
            "containerStatuses": statuses,
        }
        if init:
            body["initContainerStatuses"] = init
        self._patch(pod, body)

    def _patch(self, pod: Mapping[str, Any], status: Mapping[str, Any]) -> None:
        meta = pod["metadata"]
        try:
            self.core.patch_namespaced_pod_status(
                meta["name"], meta["namespace"], {"status": status}
            )
        except client.ApiException as exc:
            if exc.status != 404:
                raise
