"""The operator's few calls to the Kubernetes API, on the official client, idempotent.

Every `ApiException` is translated here: 404 on read is `None`, 409 on create is "already there"
(kopf handlers run at least once, so a second create of the same child is success), and any
other failure is a `KubeError` carrying the status, which handlers turn into a retry.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any

import kubernetes
import urllib3

from kodegen import errors
from kodegen.api import base

__all__ = ["Kube", "KubeError", "connect", "post_event"]

PLURAL = "codegenerations"
REQUEST_TIMEOUT = (10.0, 60.0)
"""Seconds to connect and to wait for an answer, for every call: urllib3 waits forever by
default, and one answer lost by the API server (or a proxy) would hold a worker thread, and with
it the watchdog or a handler, for good."""
CONNECTIONS = 32
"""Connections to the API server kept open for reuse: kopf's 16 handler threads
(`handlers.configure`), the watchdog and the template pool, with room. The client's default (5
per CPU: 10 on two cores) makes busy threads discard theirs and open new ones, a TLS handshake
each."""
TEMPLATE_PLURALS = {"CodeTemplate": "codetemplates", "ClusterCodeTemplate": "clustercodetemplates"}


class KubeError(errors.KodegenError):
    """A call to the Kubernetes API failed; `status` is its HTTP status (0: no answer)."""

    def __init__(self, *, action: str, status: int, reason: str) -> None:
        self.action, self.status, self.reason = action, status, reason
        super().__init__(f"kubernetes: {action}: {status} {reason}")


@contextlib.contextmanager
def _translated(action: str) -> Iterator[None]:
    try:
        yield
    except kubernetes.client.ApiException as exc:
        raise KubeError(action=action, status=exc.status or 0, reason=str(exc.reason)) from exc
    except (OSError, urllib3.exceptions.HTTPError) as exc:  # no answer: refused, reset, timed out
        raise KubeError(action=action, status=0, reason=str(exc)) from exc


def _body(answer: Any) -> bytes:
    """The body of a raw answer (a call made with `_preload_content=False`, so no model objects
    are built), read to its end, its connection given back to the pool. An answer left unread
    keeps its connection until it is collected: the next call opens a new one (against a real
    API server a TLS handshake, three times the cost of a create), and the API server logs
    every such write as "Timeout or abort while handling"."""
    try:
        return bytes(answer.data)
    finally:
        answer.release_conn()


def connect(
    configuration: kubernetes.client.Configuration | None = None, kubeconfig: str | None = None
) -> Kube:
    """A `Kube` on `configuration`; else on the `kubeconfig` file; else in-cluster credentials,
    else the local kubeconfig (`KUBECONFIG`, `~/.kube/config`)."""
    if configuration is None and kubeconfig is not None:
        configuration = kubernetes.client.Configuration()
        kubernetes.config.load_kube_config(  # type: ignore[no-untyped-call]
            config_file=kubeconfig, client_configuration=configuration
        )
    if configuration is None:
        configuration = kubernetes.client.Configuration()
        try:
            kubernetes.config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
        except kubernetes.config.ConfigException:
            kubernetes.config.load_kube_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    configuration.connection_pool_maxsize = max(
        configuration.connection_pool_maxsize or 0, CONNECTIONS
    )
    return Kube(kubernetes.client.ApiClient(configuration))


def _bounded(client: kubernetes.client.ApiClient) -> None:
    """Give every call of `client` REQUEST_TIMEOUT unless the call sets its own (the generated
    API methods all go through `call_api`; the client has no default of its own)."""
    call: Callable[..., Any] = client.call_api
    if getattr(call, "bounded", False):
        return

    def call_api(*args: Any, _request_timeout: Any = None, **kwargs: Any) -> Any:
        return call(*args, _request_timeout=_request_timeout or REQUEST_TIMEOUT, **kwargs)

    call_api.bounded = True  # type: ignore[attr-defined]
    client.call_api = call_api  # type: ignore[method-assign]


@dataclasses.dataclass
class Kube:
    client: kubernetes.client.ApiClient

    def __post_init__(self) -> None:
        _bounded(self.client)
        # Bodies go in and come out as plain dicts; the client's model classes stay out of it.
        self.core: Any = kubernetes.client.CoreV1Api(self.client)
        self.batch: Any = kubernetes.client.BatchV1Api(self.client)
        self.custom: Any = kubernetes.client.CustomObjectsApi(self.client)
        self.rbac: Any = kubernetes.client.RbacAuthorizationV1Api(self.client)
        self._plain: Callable[[Any], Any] = self.client.sanitize_for_serialization

    @property
    def configuration(self) -> kubernetes.client.Configuration:
        config: kubernetes.client.Configuration = self.client.configuration
        return config

    # -- ConfigMaps -------------------------------------------------------------------------

    def read_config_map(self, namespace: str, name: str) -> dict[str, Any] | None:
        with _translated(f"read configmap {namespace}/{name}"):
            try:
                found = self.core.read_namespaced_config_map(name, namespace)
            except kubernetes.client.ApiException as exc:
                if exc.status == 404:
                    return None
                raise
        return self._plain(found)  # type: ignore[no-any-return]

    def create_config_map(self, body: Mapping[str, Any]) -> bool:
        """Create `body`; False when it already exists (same name: same content, by design)."""
        namespace = body["metadata"]["namespace"]
        with _translated(f"create configmap {namespace}/{body['metadata']['name']}"):
            try:
                _body(
                    self.core.create_namespaced_config_map(
                        namespace, dict(body), _preload_content=False
                    )
                )
            except kubernetes.client.ApiException as exc:
                if exc.status == 409:
                    return False
                raise
        return True

    def write_config_map(self, body: Mapping[str, Any]) -> None:
        """Create `body`, or merge it into the ConfigMap of that name (a retried pod rewriting
        its result: same keys, new values)."""
        if not self.create_config_map(body):
            namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
            with _translated(f"patch configmap {namespace}/{name}"):
                self.core.patch_namespaced_config_map(name, namespace, dict(body))

    def ensure(self, body: Mapping[str, Any]) -> bool:
        """Create a ServiceAccount or RoleBinding unless one of that name exists (then it is
        left as the cluster's admins may have changed it); True if created."""
        namespace, name = body["metadata"]["namespace"], body["metadata"]["name"]
        create = {
            "ServiceAccount": self.core.create_namespaced_service_account,
            "RoleBinding": self.rbac.create_namespaced_role_binding,
        }[body["kind"]]
        with _translated(f"create {body['kind'].lower()} {namespace}/{name}"):
            try:
                create(namespace, dict(body))
            except kubernetes.client.ApiException as exc:
                if exc.status == 409:
                    return False
                raise
        return True

    def delete_config_map(self, namespace: str, name: str) -> None:
        """Delete the ConfigMap; one already gone is fine."""
        with _translated(f"delete configmap {namespace}/{name}"):
            try:
                self.core.delete_namespaced_config_map(name, namespace)
            except kubernetes.client.ApiException as exc:
                if exc.status != 404:
                    raise

    # -- Jobs -------------------------------------------------------------------------------

    def create_job(self, body: Mapping[str, Any]) -> bool:
        """Create the Job; False when it already exists (its name is derived from its input)."""
        namespace = body["metadata"]["namespace"]
        with _translated(f"create job {namespace}/{body['metadata']['name']}"):
            try:
                _body(
                    self.batch.create_namespaced_job(namespace, dict(body), _preload_content=False)
                )
            except kubernetes.client.ApiException as exc:
                if exc.status == 409:
                    return False
                raise
        return True

    def jobs(self, namespace: str, labels: Mapping[str, str]) -> list[dict[str, Any]]:
        """The Jobs of `namespace` carrying every label of `labels`."""
        selector = ",".join(f"{key}={value}" for key, value in sorted(labels.items()))
        with _translated(f"list jobs {namespace} {selector}"):
            found = _body(
                self.batch.list_namespaced_job(
                    namespace, label_selector=selector, _preload_content=False
                )
            )
        items: list[dict[str, Any]] = json.loads(found).get("items") or []
        return [job for job in items if _has_labels(job, labels)]

    def delete_job(self, namespace: str, name: str) -> None:
        """Delete the Job and its pods; a Job already gone is fine."""
        with _translated(f"delete job {namespace}/{name}"):
            try:
                self.batch.delete_namespaced_job(name, namespace, propagation_policy="Background")
            except kubernetes.client.ApiException as exc:
                if exc.status != 404:
                    raise

    def read_secret(self, namespace: str, name: str) -> dict[str, Any] | None:
        """The Secret's body (data base64-encoded, as the API gives it); never logged."""
        with _translated(f"read secret {namespace}/{name}"):
            try:
                found = _body(
                    self.core.read_namespaced_secret(name, namespace, _preload_content=False)
                )
            except kubernetes.client.ApiException as exc:
                if exc.status == 404:
                    return None
                raise
        return dict(json.loads(found))

    # -- templates --------------------------------------------------------------------------

    def read_template(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        plural = TEMPLATE_PLURALS[kind]
        with _translated(f"read {kind.lower()} {namespace or ''}/{name}"):
            try:
                if namespace:
                    found = self.custom.get_namespaced_custom_object(
                        base.GROUP, base.VERSION, namespace, plural, name
                    )
                else:
                    found = self.custom.get_cluster_custom_object(
                        base.GROUP, base.VERSION, plural, name
                    )
            except kubernetes.client.ApiException as exc:
                if exc.status == 404:
                    return None
                raise
        return dict(found)

    def patch_template_status(
        self, kind: str, namespace: str | None, name: str, status: Mapping[str, Any]
    ) -> None:
        plural, body = TEMPLATE_PLURALS[kind], {"status": dict(status)}
        with _translated(f"patch {kind.lower()} {namespace or ''}/{name} status"):
            if namespace:
                answer = self.custom.patch_namespaced_custom_object_status(
                    base.GROUP,
                    base.VERSION,
                    namespace,
                    plural,
                    name,
                    body,
                    _preload_content=False,
                )
            else:
                answer = self.custom.patch_cluster_custom_object_status(
                    base.GROUP, base.VERSION, plural, name, body, _preload_content=False
                )
            _body(answer)

    # -- CodeGenerations --------------------------------------------------------------------

    def read_generation(self, namespace: str, name: str) -> dict[str, Any] | None:
        with _translated(f"read codegeneration {namespace}/{name}"):
            try:
                found = self.custom.get_namespaced_custom_object(
                    base.GROUP, base.VERSION, namespace, PLURAL, name
                )
            except kubernetes.client.ApiException as exc:
                if exc.status == 404:
                    return None
                raise
        return dict(found)

    def generations(self, namespaces: Collection[str] = ()) -> list[dict[str, Any]]:
        """Every CodeGeneration of `namespaces` (none: of the whole cluster)."""
        found: list[dict[str, Any]] = []
        with _translated(f"list codegenerations {','.join(namespaces) or '*'}"):
            if not namespaces:
                answer = self.custom.list_cluster_custom_object(
                    base.GROUP, base.VERSION, PLURAL, _preload_content=False
                )
                return list(json.loads(_body(answer)).get("items") or [])
            for namespace in namespaces:
                answer = self.custom.list_namespaced_custom_object(
                    base.GROUP, base.VERSION, namespace, PLURAL, _preload_content=False
                )
                found.extend(json.loads(_body(answer)).get("items") or [])
        return found

    def read_peering(self, name: str, namespace: str | None = None) -> dict[str, Any] | None:
        """kopf's peering object `name`: the ClusterKopfPeering, or the KopfPeering of
        `namespace`; None when there is none."""
        with _translated(f"read kopfpeering {namespace or '*'}/{name}"):
            try:
                if namespace is None:
                    answer = self.custom.get_cluster_custom_object(
                        "kopf.dev", "v1", "clusterkopfpeerings", name, _preload_content=False
                    )
                else:
                    answer = self.custom.get_namespaced_custom_object(
                        "kopf.dev", "v1", namespace, "kopfpeerings", name, _preload_content=False
                    )
                found: dict[str, Any] = json.loads(_body(answer))
            except kubernetes.client.ApiException as exc:
                if exc.status == 404:
                    return None
                raise
        return found

    def patch_generation_status(self, namespace: str, name: str, status: Mapping[str, Any]) -> None:
        """Merge `status` into the CodeGeneration's status subresource (never its spec)."""
        with _translated(f"patch codegeneration {namespace}/{name} status"):
            _body(
                self.custom.patch_namespaced_custom_object_status(
                    base.GROUP,
                    base.VERSION,
                    namespace,
                    PLURAL,
                    name,
                    {"status": dict(status)},
                    _preload_content=False,
                )
            )


def _has_labels(obj: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    found = obj.get("metadata", {}).get("labels") or {}
    return all(found.get(key) == value for key, value in labels.items())


def post_event(
    client: Kube,
    obj: Mapping[str, Any],
    *,
    type: str,
    reason: str,
    message: str,
    now: str,
    run: str = "",
) -> None:
    """Post a core/v1 Event about `obj` (a CodeGeneration body). The name is derived from the
    object, the run (its hash8), reason and message, so the at-least-once handlers post each
    line of a run's story once."""
    meta = obj["metadata"]
    namespace = meta.get("namespace") or "default"
    tag = hashlib.sha256(f"{meta.get('uid')}/{run}/{reason}/{message}".encode()).hexdigest()[:12]
    body = {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": f"{meta['name'][:200]}.{tag}", "namespace": namespace},
        "involvedObject": {
            "apiVersion": obj.get("apiVersion"),
            "kind": obj.get("kind"),
            "name": meta["name"],
            "namespace": namespace,
            "uid": meta.get("uid"),
        },
        "type": type,
        "reason": reason,
        "message": message[:1024],
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
        "source": {"component": "kodegen-operator"},
        "reportingComponent": "kodegen.dev/operator",
    }
    with _translated(f"create event {namespace}/{reason}"):
        try:
            _body(client.core.create_namespaced_event(namespace, body, _preload_content=False))
        except kubernetes.client.ApiException as exc:
            if exc.status != 409:
                raise
