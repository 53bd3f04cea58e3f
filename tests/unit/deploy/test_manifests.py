"""deploy/*.yaml, crds/ and the Job of jobs.build: valid for Kubernetes (kubernetes-validate,
strict), least-privilege RBAC, the restricted Pod Security Standard, and consistent with each
other and with the code (settings, names, the Dockerfile)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from kodegen.controller import handlers, jobs, settings
from tests.unit.deploy import pss

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
CRDS = ROOT / "crds"
Node = dict[str, Any]

KUBERNETES = ("1.31.0", "1.37.0")
"""Versions validated against: the first whose Job controller sets the interim conditions
jobs.state reads (SuccessCriteriaMet, FailureTarget), and the newest kubernetes-validate ships."""

DIGEST = "sha256:" + "0123abcd" * 8


def documents(path: Path) -> list[Node]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def deploy_objects() -> Iterator[tuple[str, Node]]:
    for path in sorted(DEPLOY.glob("*.yaml")):
        for index, document in enumerate(documents(path)):
            yield f"{path.name}#{index} {document['kind']}/{document['metadata']['name']}", document


def crd_objects() -> Iterator[tuple[str, Node]]:
    for path in sorted(CRDS.glob("*.yaml")):
        for document in documents(path):
            yield f"crds/{path.name}", document


def job() -> Node:
    return jobs.build(
        name="petstore-api",
        namespace="default",
        uid="6f1d2c4e-0000-4000-8000-000000000001",
        digest=DIGEST,
        settings=settings.JobSettings(),
        env=[
            {
                "name": "ANTHROPIC_API_KEY",
                "valueFrom": {"secretKeyRef": {"name": "ai-keys", "key": "anthropic"}},
            }
        ],
    )


def generated_objects() -> Iterator[tuple[str, Node]]:
    job_settings = settings.JobSettings()
    yield "jobs.build", job()
    yield "jobs.service_account", jobs.service_account(namespace="team-a", settings=job_settings)
    yield "jobs.role_binding", jobs.role_binding(namespace="team-a", settings=job_settings)


ALL = [*deploy_objects(), *crd_objects(), *generated_objects()]
DEPLOYED = dict(deploy_objects())


def find(kind: str, name: str) -> Node:
    matches = [
        document
        for document in DEPLOYED.values()
        if document["kind"] == kind and document["metadata"]["name"] == name
    ]
    assert len(matches) == 1, f"{kind}/{name}: {len(matches)} objects in deploy/"
    return matches[0]


def crds() -> dict[tuple[str, str], Node]:
    """Every CRD shipped (crds/ and deploy/), by (group, kind)."""
    return {
        (document["spec"]["group"], document["spec"]["names"]["kind"]): document
        for _, document in ALL
        if document["kind"] == "CustomResourceDefinition"
    }


# -- every object is valid -----------------------------------------------------------------


def test_there_is_something_to_validate() -> None:
    kinds = {document["kind"] for _, document in ALL}
    assert {
        "Namespace",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "RoleBinding",
        "CustomResourceDefinition",
        "ClusterKopfPeering",
        "Deployment",
        "Service",
        "Job",
    } <= kinds
    assert len([source for source, _ in ALL if source.startswith("crds/")]) == 3


@pytest.mark.parametrize("version", KUBERNETES)
@pytest.mark.parametrize(("source", "document"), ALL, ids=[source for source, _ in ALL])
def test_object_is_valid(source: str, document: Node, version: str) -> None:
    """Built-in kinds against the Kubernetes schemas (strict: no unknown fields); objects of
    custom kinds against the schema of the CRD shipped for them. Nothing is skipped: a kind
    that is neither built in nor defined by a shipped CRD fails."""
    group = document["apiVersion"].rpartition("/")[0]
    definition = crds().get((group, document["kind"]))
    if definition is None:
        kubernetes_validate.validate(document, version, strict=True)
        return
    served = [v for v in definition["spec"]["versions"] if v["served"]]
    (schema,) = [
        v["schema"]["openAPIV3Schema"]
        for v in served
        if f"{group}/{v['name']}" == document["apiVersion"]
    ]
    jsonschema.validate(document, schema)
    assert document["metadata"]["name"]


def test_validation_is_strict_and_skips_nothing() -> None:
    """An unknown field fails; a kind without a schema raises rather than passing."""
    bad = job()
    bad["spec"]["template"]["spec"]["containers"][0]["securityContext"]["bogus"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBERNETES[-1], strict=True)
    unknown = {"apiVersion": "example.dev/v1", "kind": "Nothing", "metadata": {"name": "x"}}
    with pytest.raises(kubernetes_validate.SchemaNotFoundError):
        kubernetes_validate.validate(unknown, KUBERNETES[-1], strict=True)


def test_names_are_unique() -> None:
    keys = [
        (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"])
        for d in DEPLOYED.values()
    ]
    assert len(keys) == len(set(keys))


# -- RBAC: exactly what the operator and the Job use ---------------------------------------

Grant = tuple[str, str, str]


def table(rows: dict[tuple[str, str], str]) -> frozenset[Grant]:
    return frozenset(
        (group, resource, verb)
        for (group, resource), verbs in rows.items()
        for verb in verbs.split()
    )


OPERATOR_NEEDS = table(
    {
        # reconciling: kopf watches, patches finalizers and its progress; status via status
        ("kodegen.dev", "codegenerations"): "get list watch patch",
        ("kodegen.dev", "codegenerations/status"): "get patch update",
        # ownerReferences with blockOwnerDeletion (OwnerReferencesPermissionEnforcement)
        ("kodegen.dev", "codegenerations/finalizers"): "update",
        # template versions: validated, made Ready, rolled out; Git credentials of their sources
        ("kodegen.dev", "codetemplates"): "get list watch patch",
        ("kodegen.dev", "codetemplates/status"): "get patch",
        ("kodegen.dev", "clustercodetemplates"): "get list watch patch",
        ("kodegen.dev", "clustercodetemplates/status"): "get patch",
        ("", "secrets"): "get",
        # requests, results, output chunks (stale ones deleted)
        ("", "configmaps"): "get list watch create update patch delete",
        # one Job per run; superseded ones deleted
        ("batch", "jobs"): "get list watch create delete",
        # Events (kube.post_event: core/v1, create only)
        ("", "events"): "create",
        # the Job's ServiceAccount and RoleBinding per namespace (executors.Jobs)
        ("", "serviceaccounts"): "create",
        ("rbac.authorization.k8s.io", "rolebindings"): "create",
        # kopf: namespace observer, CRD scan, peering
        ("", "namespaces"): "list watch",
        ("apiextensions.k8s.io", "customresourcedefinitions"): "list watch",
        ("kopf.dev", "clusterkopfpeerings"): "get list watch patch",
    }
)
"""Every (API group, resource, verb) the operator uses; the ClusterRole must grant these and
nothing more. Add a row here in the same change that makes the operator use it."""

JOB_NEEDS = table(
    {
        ("", "configmaps"): "get list create update patch delete",
        ("kodegen.dev", "codegenerations/finalizers"): "update",
    }
)
"""`kodegen run-job`: its request (and the ConfigMaps the spec names), its result, the output
chunks, owned by the CodeGeneration with blockOwnerDeletion (hence the finalizers check of
OwnerReferencesPermissionEnforcement). No Secrets: they reach the pod as secretKeyRef env."""


def grants(role: Node) -> frozenset[Grant]:
    found: set[Grant] = set()
    for rule in role["rules"]:
        assert "nonResourceURLs" not in rule and "resourceNames" not in rule, rule
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    assert "*" not in (group, resource, verb), f"wildcard in {rule}"
                    found.add((group, resource, verb))
    return frozenset(found)


def test_operator_role_grants_exactly_what_the_operator_needs() -> None:
    granted = grants(find("ClusterRole", "kodegen-operator"))
    assert sorted(OPERATOR_NEEDS - granted) == [], "missing"
    assert sorted(granted - OPERATOR_NEEDS) == [], "granted but not needed"


def test_job_role_grants_exactly_what_the_job_needs() -> None:
    granted = grants(find("ClusterRole", jobs.JOB_CLUSTER_ROLE))
    assert sorted(JOB_NEEDS - granted) == [], "missing"
    assert sorted(granted - JOB_NEEDS) == [], "granted but not needed"
    assert not any(resource == "secrets" for _, resource, _ in granted)


def test_grants_checker_catches_an_extra_verb() -> None:
    role = find("ClusterRole", "kodegen-operator")
    widened = {
        **role,
        "rules": [*role["rules"], {"apiGroups": [""], "resources": ["secrets"], "verbs": ["list"]}],
    }
    assert grants(widened) - OPERATOR_NEEDS == {("", "secrets", "list")}


def test_every_custom_resource_the_operator_uses_is_defined() -> None:
    defined = {(d["spec"]["group"], d["spec"]["names"]["plural"]) for d in crds().values()}
    used = {(group, resource.partition("/")[0]) for group, resource, _ in OPERATOR_NEEDS}
    custom = {(group, resource) for group, resource in used if group.endswith((".dev",))}
    assert custom <= defined
    kodegen = {(g, p) for g, p in defined if g == "kodegen.dev"}
    assert kodegen <= used  # the operator watches every kind kodegen defines


def test_bindings_name_existing_roles_and_accounts() -> None:
    for kind in ("ClusterRoleBinding", "RoleBinding"):
        for document in (d for d in DEPLOYED.values() if d["kind"] == kind):
            role = document["roleRef"]
            find(role["kind"], role["name"])
            for subject in document["subjects"]:
                account = find("ServiceAccount", subject["name"])
                assert account["metadata"]["namespace"] == subject["namespace"]
    binding = find("ClusterRoleBinding", "kodegen-operator")
    assert binding["roleRef"]["name"] == "kodegen-operator"
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "kodegen-operator", "namespace": "kodegen-system"}
    ]


def test_example_job_account_is_what_jobs_builds() -> None:
    job_settings = settings.JobSettings()
    account = [
        d
        for d in DEPLOYED.values()
        if d["kind"] == "ServiceAccount" and d["metadata"]["name"] == job_settings.service_account
    ]
    binding = [
        d
        for d in DEPLOYED.values()
        if d["kind"] == "RoleBinding" and d["metadata"]["name"] == job_settings.service_account
    ]
    assert account == [jobs.service_account(namespace="default", settings=job_settings)]
    assert binding == [jobs.role_binding(namespace="default", settings=job_settings)]
    assert job()["spec"]["template"]["spec"]["serviceAccountName"] == job_settings.service_account


# -- the operator's Deployment -------------------------------------------------------------


def deployment() -> Node:
    return find("Deployment", "kodegen-operator")


def operator_container() -> Node:
    (container,) = deployment()["spec"]["template"]["spec"]["containers"]
    assert isinstance(container, dict)
    return container


def settings_variables() -> set[str]:
    """Every variable settings.from_env reads."""
    found = set()
    groups = {
        "": settings.Settings,
        "JOB_": settings.JobSettings,
        "LIMITS_": settings.LimitSettings,
    }
    for prefix, cls in groups.items():
        for field in dataclasses.fields(cls):
            if field.name not in ("job", "limits"):
                found.add(f"KODEGEN_{prefix}{field.name.upper()}")
    return found


def resolved_env(container: Node, pod: Node) -> dict[str, str]:
    """The container's environment as the kubelet would give it (fieldRefs resolved)."""
    fields = {"metadata.namespace": pod["namespace"], "metadata.name": pod["name"]}
    resolved = {}
    for entry in container["env"]:
        if "value" in entry:
            resolved[entry["name"]] = entry["value"]
        else:
            resolved[entry["name"]] = fields[entry["valueFrom"]["fieldRef"]["fieldPath"]]
    return resolved


def test_operator_command_and_image() -> None:
    container = operator_container()
    assert container["command"] == [
        "kodegen",
        "operator",
        "--executor",
        "job",
        "--liveness=http://0.0.0.0:8081/healthz",
    ]
    assert container["image"] == "ghcr.io/kodegen/kodegen:0.1.0"
    assert deployment()["metadata"]["namespace"] == "kodegen-system"
    assert deployment()["spec"]["template"]["spec"]["serviceAccountName"] == "kodegen-operator"
    assert deployment()["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 0
    assert container["resources"]["requests"] and container["resources"]["limits"]


def test_operator_env_is_read_by_settings() -> None:
    container = operator_container()
    given = {entry["name"] for entry in container["env"] if entry["name"].startswith("KODEGEN_")}
    assert given == settings_variables() - {"KODEGEN_EXECUTOR"}  # the executor is a flag
    env = resolved_env(container, {"namespace": "kodegen-system", "name": "kodegen-operator-x"})
    assert settings.from_env(env) == settings.Settings()
    assert env["KODEGEN_JOB_IMAGE"] == container["image"]  # Jobs run the operator's image
    for name in ("POD_NAME", "POD_NAMESPACE", "POD_ID"):
        assert "fieldRef" in next(e for e in container["env"] if e["name"] == name)["valueFrom"]


def test_probes_and_ports() -> None:
    container = operator_container()
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"metrics": 8080, "healthz": 8081}
    liveness = container["livenessProbe"]["httpGet"]
    assert (liveness["path"], ports[liveness["port"]]) == ("/healthz", 8081)
    assert f"--liveness=http://0.0.0.0:{ports['healthz']}{liveness['path']}" in container["command"]
    service = find("Service", "kodegen-operator-metrics")
    labels = deployment()["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert deployment()["spec"]["selector"]["matchLabels"].items() <= labels.items()
    (port,) = service["spec"]["ports"]
    assert port["port"] == 8080 and port["targetPort"] == "metrics"


def test_several_replicas_only_with_peering() -> None:
    if deployment()["spec"]["replicas"] > 1:
        peering = find("ClusterKopfPeering", handlers.PEERING)
        assert peering["apiVersion"] == "kopf.dev/v1"
        assert ("kopf.dev", "ClusterKopfPeering") in crds()
        text = (DEPLOY / "operator.yaml").read_text()
        assert re.search(r"peering.*priorit|priorit.*peering", text, re.I | re.S)


# -- restricted Pod Security Standard ------------------------------------------------------


def test_operator_pod_is_restricted() -> None:
    template = deployment()["spec"]["template"]
    assert pss.restricted(template["spec"], template["metadata"].get("annotations")) == []
    assert operator_container()["securityContext"]["readOnlyRootFilesystem"] is True


def test_job_pod_is_restricted() -> None:
    template = job()["spec"]["template"]
    assert pss.restricted(template["spec"], template["metadata"].get("annotations")) == []
    (container,) = template["spec"]["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_operator_namespace_enforces_restricted() -> None:
    labels = find("Namespace", "kodegen-system")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


PRIVILEGED_POD: Node = {
    "hostNetwork": True,
    "securityContext": {"runAsUser": 0, "sysctls": [{"name": "kernel.msgmax", "value": "1"}]},
    "containers": [
        {
            "name": "c",
            "ports": [{"containerPort": 80, "hostPort": 80}],
            "securityContext": {
                "privileged": True,
                "allowPrivilegeEscalation": True,
                "capabilities": {"add": ["SYS_ADMIN"]},
                "seccompProfile": {"type": "Unconfined"},
            },
        }
    ],
    "volumes": [{"name": "h", "hostPath": {"path": "/"}}],
}


def test_pss_checker_finds_each_violation() -> None:
    found = "\n".join(pss.restricted(PRIVILEGED_POD))
    for rule in (
        "Host namespaces",
        "Privileged",
        "Capabilities beyond baseline",
        "Host ports",
        "HostPath",
        "Sysctl",
        "Seccomp Unconfined",
        "Volume type",
        "runAsUser 0",
        "Privilege escalation",
        "Running as non-root",
        "Capabilities not dropped",
        "Capabilities added",
    ):
        assert rule in found
    assert pss.restricted({"containers": [{"name": "c"}]}) == [
        "Privilege escalation: container c",
        "Running as non-root: container c",
        "Seccomp: container c",
        "Capabilities not dropped: container c",
    ]


# -- the image -----------------------------------------------------------------------------


def test_dockerfile_matches_the_pods() -> None:
    text = (ROOT / "Dockerfile").read_text()
    froms = re.findall(r"^FROM (\S+)", text, re.M)
    assert froms and all(
        f in ("${PYTHON_IMAGE}",) or f.startswith("python:3.11-slim") for f in froms
    )
    assert re.search(r"^ARG PYTHON_IMAGE=python:3\.11-slim$", text, re.M)
    assert re.search(rf"^USER {jobs.RUN_AS}:{jobs.RUN_AS}$", text, re.M)  # numeric: runAsNonRoot
    assert re.search(r'^ENTRYPOINT \["kodegen"\]$', text, re.M)
    assert "COPY templates/ templates/" in text  # the builtin templates go into the wheel
    ignored = (ROOT / ".dockerignore").read_text().split()
    for needed in ("!pyproject.toml", "!README.md", "!operator/", "!templates/"):
        assert needed in ignored
