"""charts/kodegen through Helm's own engine (Helm v4.2.3's Go SDK, tests/chart/helm.py):
`helm lint`, `helm template` for several value sets
with every rendered object validated (kubernetes-validate, strict; kopf's kinds against their
CRDs; prometheus-operator's kinds against the fields we use), a golden default render, the
schema refusing bad values, and the rendered settings read back by the operator's own code."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import helm_python
import jsonschema
import kubernetes_validate
import pytest
import yaml

from kodegen.api import crd
from kodegen.controller import jobs, settings
from tests.chart import helm
from tests.unit.deploy import pss

Node = dict[str, Any]
GOLDEN = Path(__file__).parent / "golden" / "default.yaml"
VERSIONS = ("1.31.0", helm.KUBERNETES)
"""Kubernetes versions the objects are validated against (Chart.yaml's kubeVersion floor, and
the control plane tier's)."""

TOLERATION = {"key": "build", "operator": "Exists", "effect": "NoSchedule"}
AFFINITY = {
    "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [
                {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["build"]}]}
            ]
        }
    }
}
PROXY = {"name": "HTTPS_PROXY", "value": "http://proxy.internal:3128"}
CA = {"name": "SSL_CERT_FILE", "value": "/etc/ssl/custom/ca.pem"}

VALUE_SETS: dict[str, Node] = {
    "default": {},
    "namespaced": {"watchNamespaces": ["team-a", "team-b"]},
    "job-placement": {
        "job": {
            "image": {"repository": "registry.internal/kodegen", "tag": "0.1.0-build"},
            "imagePullSecrets": ["registry-pull"],
            "nodeSelector": {"pool": "build"},
            "tolerations": [TOLERATION],
            "affinity": AFFINITY,
            "priorityClassName": "batch-low",
            "runtimeClassName": "gvisor",
            "extraEnv": [PROXY, CA],
            "annotations": {"sidecar.istio.io/inject": "false"},
            "resources": {
                "requests": {"cpu": "1", "memory": "1Gi"},
                "limits": {"cpu": "4", "memory": "4Gi"},
            },
            "workSize": "4Gi",
            "activeDeadlineSeconds": 1800,
            "backoffLimit": 1,
            "ttlSecondsAfterFinished": 600,
        },
        "limits": {"perNamespace": 2, "cluster": 8},
        "remoteRefPrefixes": ["https://specs.internal/", "https://schemas.example.com/v1/"],
    },
    "monitoring": {
        "metrics": {
            "serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}},
            "podMonitor": {"enabled": True},
            "prometheusRule": {"enabled": True, "aiCostPerHourUSD": 3},
            "dashboard": {"enabled": True},
        },
        "networkPolicy": {
            "apiServerCIDRs": ["10.0.0.1/32"],
            "metricsFrom": [
                {"namespaceSelector": {"matchLabels": {"name": "monitoring"}}},
            ],
            "jobNamespaces": ["team-c"],
        },
    },
    "single-pinned": {
        "image": {"digest": "sha256:" + "ab" * 32},
        "operator": {
            "replicas": 1,
            "executor": "local",
            "topologySpread": {"enabled": False},
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [TOLERATION],
            "priorityClassName": "system-cluster-critical",
            "podAnnotations": {"example.com/team": "platform"},
            "extraEnv": [PROXY],
        },
        "imagePullSecrets": ["registry-pull"],
        "networkPolicy": {"enabled": False},
        "peering": {"create": False},
    },
}


@pytest.fixture(scope="module")
def rendered() -> dict[str, list[Node]]:
    return {name: helm.template(values) for name, values in VALUE_SETS.items()}


# -- helm lint --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", VALUE_SETS)
def test_lint(name: str) -> None:
    """`helm lint --strict`: "1 chart(s) linted, 0 chart(s) failed"."""
    report = helm.lint(VALUE_SETS[name], strict=True)
    assert report["total_charts_linted"] == 1, report
    assert report["errors"] == [], report["messages"]


# -- every rendered object is valid ------------------------------------------------------------

MONITORING = {
    "ServiceMonitor": {
        "type": "object",
        "required": ["selector", "endpoints"],
        "additionalProperties": False,
        "properties": {
            "selector": {"type": "object"},
            "namespaceSelector": {"type": "object"},
            "endpoints": {"type": "array", "minItems": 1},
        },
    },
    "PodMonitor": {
        "type": "object",
        "required": ["selector", "podMetricsEndpoints"],
        "additionalProperties": False,
        "properties": {
            "selector": {"type": "object"},
            "namespaceSelector": {"type": "object"},
            "podMetricsEndpoints": {"type": "array", "minItems": 1},
        },
    },
    "PrometheusRule": {
        "type": "object",
        "required": ["groups"],
        "additionalProperties": False,
        "properties": {"groups": {"type": "array", "minItems": 1}},
    },
}
"""The spec fields of prometheus-operator's kinds that the chart uses (their CRDs are not ours
to ship); the rules themselves go through promtool in test_alerts.py."""
ENDPOINT = {
    "type": "object",
    "required": ["port"],
    "additionalProperties": False,
    "properties": {
        "port": {"type": "string"},
        "path": {"type": "string"},
        "interval": {"type": "string", "pattern": "^[0-9]+(ms|s|m|h)$"},
    },
}


def shipped_crds(objects: list[Node]) -> dict[tuple[str, str], Node]:
    return {
        (o["spec"]["group"], o["spec"]["names"]["kind"]): o
        for o in objects
        if o["kind"] == "CustomResourceDefinition"
    }


def validate(document: Node, crds: dict[tuple[str, str], Node], version: str) -> None:
    group, _, api_version = document["apiVersion"].rpartition("/")
    if group == "monitoring.coreos.com":
        assert api_version == "v1"
        jsonschema.validate(document["spec"], MONITORING[document["kind"]])
        for endpoint in (
            *document["spec"].get("endpoints", ()),
            *document["spec"].get("podMetricsEndpoints", ()),
        ):
            jsonschema.validate(endpoint, ENDPOINT)
        return
    definition = crds.get((group, document["kind"]))
    if definition is None:
        kubernetes_validate.validate(document, version, strict=True)
        return
    (schema,) = [
        v["schema"]["openAPIV3Schema"]
        for v in definition["spec"]["versions"]
        if v["served"] and v["name"] == api_version
    ]
    jsonschema.validate(document, schema)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("name", VALUE_SETS)
def test_every_object_is_valid(rendered: dict[str, list[Node]], name: str, version: str) -> None:
    documents = rendered[name]
    crds = shipped_crds(documents)
    assert len(crds) == 5  # three kodegen kinds, two kopf peering kinds
    for document in documents:
        try:
            validate(document, crds, version)
        except (kubernetes_validate.ValidationError, jsonschema.ValidationError) as exc:
            where = f"{document['kind']}/{document['metadata']['name']}"
            pytest.fail(f"{name}: {where} is invalid for {version}: {exc}")
    keys = [
        (d["kind"], d["metadata"].get("namespace", ""), d["metadata"]["name"]) for d in documents
    ]
    assert len(keys) == len(set(keys)), "two objects share a kind, namespace and name"


def test_validation_can_fail() -> None:
    """The validators used above reject a wrong field, so the test above can fail."""
    bad = {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": "x"},
        "spec": {"maxUnavailable": 1, "selector": {}, "bogus": True},
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(bad, {}, helm.KUBERNETES)
    monitor = {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {"name": "x"},
        "spec": {"selector": {}, "endpoints": [{"port": 8080}]},
    }
    with pytest.raises(jsonschema.ValidationError):
        validate(monitor, {}, helm.KUBERNETES)


@pytest.mark.parametrize("name", VALUE_SETS)
def test_operator_pod_meets_the_restricted_standard(
    rendered: dict[str, list[Node]], name: str
) -> None:
    deployment = helm.find(rendered[name], "Deployment", "kodegen-operator")
    assert pss.restricted(deployment["spec"]["template"]["spec"]) == []


def kinds(documents: list[Node]) -> set[str]:
    return {d["kind"] for d in documents}


def test_what_each_value_set_renders(rendered: dict[str, list[Node]]) -> None:
    base = {
        "CustomResourceDefinition",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ClusterKopfPeering",
    }
    assert kinds(rendered["default"]) == base
    assert kinds(rendered["namespaced"]) == base - {"ClusterKopfPeering"} | {
        "Role",
        "RoleBinding",
        "KopfPeering",
    }
    assert kinds(rendered["monitoring"]) == base | {
        "ServiceMonitor",
        "PodMonitor",
        "PrometheusRule",
        "ConfigMap",
    }
    assert kinds(rendered["single-pinned"]) == base - {
        "PodDisruptionBudget",
        "NetworkPolicy",
        "ClusterKopfPeering",
    }


# -- golden default render ---------------------------------------------------------------------


def test_default_render_is_the_golden_file() -> None:
    """The default render, byte for byte, without crds/ (test_chart_crds_equal_kodegen_crds
    checks those, so an API change needs `make crds` only). After an intended change of the
    chart: `KODEGEN_UPDATE_GOLDEN=1 pytest tests/chart/test_chart.py -k golden`, then review
    the diff."""
    text = helm.template_text({}, crds=False)
    if os.environ.get("KODEGEN_UPDATE_GOLDEN") == "1":
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "the default render changed; see this test's docstring"
    assert helm.template_text({}, crds=False) == text  # deterministic


# -- bad values fail with the schema's message ------------------------------------------------

BAD_VALUES = [
    ({"operator": {"replicas": 0}}, "/operator/replicas", "minimum"),
    ({"operator": {"executor": "cloud"}}, "/operator/executor", "one of 'job', 'local'"),
    ({"operator": {"replica": 2}}, "/operator", "additional properties 'replica' not allowed"),
    ({"image": {"digest": "sha256:abc"}}, "/image/digest", "does not match pattern"),
    # a variable the Job sets itself (HOME, TMPDIR, ...): the schema's `not: {enum: [...]}`
    ({"job": {"extraEnv": [{"name": "HOME", "value": "/"}]}}, "/job/extraEnv/0/name", "not"),
    ({"job": {"extraEnv": [{"value": "x"}]}}, "/job/extraEnv/0", "missing property 'name'"),
    ({"job": {"resources": {"limits": {"cpu": "two"}}}}, "/job/resources/limits/cpu", "'two'"),
    ({"job": {"nodeSelector": {"pool": 1}}}, "/job/nodeSelector/pool", "string"),
    ({"watchNamespaces": ["Team_A"]}, "/watchNamespaces/0", "does not match pattern"),
    ({"metrics": {"prometheusRule": {"failureRatio": 2}}}, "failureRatio", "maximum"),
    (
        {"networkPolicy": {"apiServerCIDRs": ["10.0.0.1"]}},
        "/networkPolicy/apiServerCIDRs/0",
        "pattern",
    ),
    ({"remoteRefPrefixes": ["ftp://specs/"]}, "/remoteRefPrefixes/0", "does not match pattern"),
]


@pytest.mark.parametrize(
    ("values", "where", "why"), BAD_VALUES, ids=[where for _, where, _ in BAD_VALUES]
)
def test_bad_values_fail_with_the_schema_message(values: Node, where: str, why: str) -> None:
    """Refused by the engine's render, by `helm template` (the client-only dry run of
    `helm install`: what an install checks first, offline) and by `helm lint`."""
    refusals: list[str] = []
    with (
        helm_python.Chart.load(helm.CHART) as chart,
        pytest.raises(helm_python.HelmValuesError) as render,
    ):
        chart.render(values, name=helm.RELEASE, namespace=helm.NAMESPACE, is_install=True)
    refusals.append(str(render.value))
    with pytest.raises(AssertionError) as template:
        helm.template_text(values)
    refusals.append(str(template.value))
    refusals.append("\n".join(helm.lint(values, strict=True)["errors"]))
    for message in refusals:
        assert "values don't meet the specifications of the schema" in message
        assert where in message and why in message, message


# -- the chart and the operator agree ----------------------------------------------------------


def operator_env(documents: list[Node]) -> dict[str, str]:
    """The operator container's env as the kubelet would resolve it (fieldRefs filled in)."""
    deployment = helm.find(documents, "Deployment", "kodegen-operator")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    fields = {"metadata.namespace": helm.NAMESPACE, "metadata.name": "kodegen-operator-abc"}
    env = {}
    for entry in container["env"]:
        if "value" in entry:
            env[entry["name"]] = entry["value"]
        else:
            env[entry["name"]] = fields[entry["valueFrom"]["fieldRef"]["fieldPath"]]
    return env


def test_default_settings_are_the_operators_defaults(rendered: dict[str, list[Node]]) -> None:
    assert settings.from_env(operator_env(rendered["default"])) == settings.Settings()


def test_job_values_reach_the_jobs_the_operator_builds(rendered: dict[str, list[Node]]) -> None:
    """Values -> the operator's env -> its settings -> the Job it creates, which is valid."""
    env = operator_env(rendered["job-placement"])
    # read by the operator's settings once the remote $ref setting is merged (main)
    assert env["KODEGEN_REMOTE_REF_PREFIXES"] == (
        "https://specs.internal/,https://schemas.example.com/v1/"
    )
    config = settings.from_env(env)
    assert config.limits == settings.LimitSettings(per_namespace=2, cluster=8)
    job = jobs.build(
        name="petstore-api",
        namespace="team-a",
        uid="6f1d2c4e-0000-4000-8000-000000000001",
        digest="sha256:" + "0" * 64,
        settings=config.job,
    )
    template = job["spec"]["template"]
    pod = template["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "registry.internal/kodegen:0.1.0-build"
    assert pod["imagePullSecrets"] == [{"name": "registry-pull"}]
    assert pod["nodeSelector"] == {"pool": "build"}
    assert pod["tolerations"] == [TOLERATION]
    assert pod["affinity"] == AFFINITY
    assert (pod["priorityClassName"], pod["runtimeClassName"]) == ("batch-low", "gvisor")
    assert [e for e in container["env"] if e["name"] in ("HTTPS_PROXY", "SSL_CERT_FILE")] == [
        PROXY,
        CA,
    ]
    assert template["metadata"]["annotations"] == {"sidecar.istio.io/inject": "false"}
    assert container["resources"] == {
        "requests": {"cpu": "1", "memory": "1Gi"},
        "limits": {"cpu": "4", "memory": "4Gi"},
    }
    assert pod["volumes"][0]["emptyDir"] == {"sizeLimit": "4Gi"}
    assert (job["spec"]["activeDeadlineSeconds"], job["spec"]["backoffLimit"]) == (1800, 1)
    for version in VERSIONS:
        kubernetes_validate.validate(job, version, strict=True)
    assert pss.restricted(pod) == []


def test_jobs_run_the_operators_image_by_default(rendered: dict[str, list[Node]]) -> None:
    for name in ("default", "single-pinned"):
        env = operator_env(rendered[name])
        deployment = helm.find(rendered[name], "Deployment", "kodegen-operator")
        (container,) = deployment["spec"]["template"]["spec"]["containers"]
        assert env["KODEGEN_JOB_IMAGE"] == container["image"]
    assert operator_env(rendered["single-pinned"])["KODEGEN_JOB_IMAGE"] == (
        "ghcr.io/kodegen/kodegen@sha256:" + "ab" * 32
    )
    assert operator_env(rendered["default"])["KODEGEN_JOB_IMAGE"] == (
        "ghcr.io/kodegen/kodegen:0.1.0"
    )


def test_namespaced_install_watches_only_its_namespaces(rendered: dict[str, list[Node]]) -> None:
    documents = rendered["namespaced"]
    deployment = helm.find(documents, "Deployment", "kodegen-operator")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["command"][-4:] == ["--namespace", "team-a", "--namespace", "team-b"]
    for namespace in ("team-a", "team-b"):
        role = helm.find(documents, "Role", "kodegen-operator", namespace)
        binding = helm.find(documents, "RoleBinding", "kodegen-operator", namespace)
        assert binding["roleRef"]["name"] == role["metadata"]["name"]
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "kodegen-operator", "namespace": helm.NAMESPACE}
        ]
        helm.find(documents, "KopfPeering", "kodegen", namespace)
        helm.find(documents, "NetworkPolicy", "kodegen-job", namespace)
    cluster = helm.find(documents, "ClusterRole", "kodegen-operator")
    resources = {r for rule in cluster["rules"] for r in rule["resources"]}
    assert not resources & {"configmaps", "secrets", "jobs", "codegenerations"}


# -- RBAC: the same grants as deploy/rbac.yaml -------------------------------------------------

Grant = tuple[str, str, str]


def grants(rules: list[Node]) -> set[Grant]:
    return {
        (group, resource, verb)
        for rule in rules
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def deploy_role(name: str) -> Node:
    documents = yaml.safe_load_all((helm.ROOT / "deploy" / "rbac.yaml").read_text())
    (role,) = [
        d for d in documents if d and d["kind"] == "ClusterRole" and d["metadata"]["name"] == name
    ]
    return role


@pytest.mark.parametrize("role", ["kodegen-operator", "kodegen-job"])
def test_cluster_wide_rbac_equals_deploy(rendered: dict[str, list[Node]], role: str) -> None:
    chart = helm.find(rendered["default"], "ClusterRole", role)
    assert grants(chart["rules"]) == grants(deploy_role(role)["rules"])
    assert chart["metadata"]["name"] == (jobs.JOB_CLUSTER_ROLE if role == "kodegen-job" else role)


def test_namespaced_rbac_is_the_same_grants_split(rendered: dict[str, list[Node]]) -> None:
    documents = rendered["namespaced"]
    cluster = grants(helm.find(documents, "ClusterRole", "kodegen-operator")["rules"])
    local = grants(helm.find(documents, "Role", "kodegen-operator", "team-a")["rules"])
    peering = {("kopf.dev", "kopfpeerings", verb) for verb in ("get", "list", "watch", "patch")}
    assert cluster | local == grants(deploy_role("kodegen-operator")["rules"]) | peering
    assert not cluster & local


# -- CRDs: the chart ships exactly what the code generates -------------------------------------


def test_chart_crds_equal_kodegen_crds() -> None:
    """charts/kodegen/crds/ holds `kodegen crds` (written by `make crds`) and kopf's peering
    CRDs of deploy/peering.yaml, nothing else."""
    folder = helm.CHART / "crds"
    expected = {crd.filename(document): document for document in crd.crds()}
    on_disk = {path.name for path in folder.glob("*.yaml")}
    assert on_disk == {*expected, "kopf-peerings.yaml"}, "stale chart CRDs: run `make crds`"
    for name, document in expected.items():
        assert yaml.safe_load((folder / name).read_text()) == document, (
            f"charts/kodegen/crds/{name} is stale: run `make crds`"
        )
    peering = [
        d
        for d in yaml.safe_load_all((helm.ROOT / "deploy" / "peering.yaml").read_text())
        if d and d["kind"] == "CustomResourceDefinition"
    ]
    shipped = [d for d in yaml.safe_load_all((folder / "kopf-peerings.yaml").read_text()) if d]
    assert shipped == peering


# -- selectors and ports point at what exists --------------------------------------------------


def test_network_policies_select_the_pods_they_mean(rendered: dict[str, list[Node]]) -> None:
    """The operator's policy selects the Deployment's pods and names its ports; the Job's
    policy selects the pods of the Jobs the operator builds (by their labels)."""
    documents = rendered["monitoring"]
    deployment = helm.find(documents, "Deployment", "kodegen-operator")
    pod = deployment["spec"]["template"]
    policy = helm.find(documents, "NetworkPolicy", "kodegen-operator", helm.NAMESPACE)
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod["metadata"]["labels"].items()
    (container,) = pod["spec"]["containers"]
    names = {port["name"] for port in container["ports"]}
    assert {p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]} == names
    job = jobs.build(
        name="petstore-api",
        namespace="team-c",
        uid="6f1d2c4e-0000-4000-8000-000000000001",
        digest="sha256:" + "0" * 64,
        settings=settings.JobSettings(),
    )
    job_policy = helm.find(documents, "NetworkPolicy", "kodegen-job", "team-c")
    selector = job_policy["spec"]["podSelector"]["matchLabels"]
    assert selector.items() <= job["spec"]["template"]["metadata"]["labels"].items()
    assert job_policy["spec"]["ingress"] == []
    (api, dns, https) = job_policy["spec"]["egress"]
    assert api["to"] == [{"ipBlock": {"cidr": "10.0.0.1/32"}}]
    assert {p["port"] for p in dns["ports"]} == {53}
    assert https == {"ports": [{"port": 443, "protocol": "TCP"}]}


def test_monitors_scrape_the_metrics_port(rendered: dict[str, list[Node]]) -> None:
    documents = rendered["monitoring"]
    service = helm.find(documents, "Service", "kodegen-operator-metrics")
    deployment = helm.find(documents, "Deployment", "kodegen-operator")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    monitor = helm.find(documents, "ServiceMonitor", "kodegen-operator")
    assert monitor["spec"]["selector"]["matchLabels"].items() <= (
        service["metadata"]["labels"].items()
    )
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    assert [e["port"] for e in monitor["spec"]["endpoints"]] == [
        p["name"] for p in service["spec"]["ports"]
    ]
    pod_monitor = helm.find(documents, "PodMonitor", "kodegen-operator")
    assert pod_monitor["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    assert [e["port"] for e in pod_monitor["spec"]["podMetricsEndpoints"]] == ["metrics"]
