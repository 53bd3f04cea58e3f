"""jobs.build: the Job of one run (names, owner, retries, the restricted Pod Security Standard,
env); jobs.state: what a Job's status says."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import pytest

from kodegen.controller import jobs, names, settings
from tests.unit.deploy import pss

DIGEST = "sha256:" + "ab12cd34" + "0" * 56
UID = "6f1d2c4e-0000-4000-8000-000000000001"
SECRET_ENV = {
    "name": "ANTHROPIC_API_KEY",
    "valueFrom": {"secretKeyRef": {"name": "ai-keys", "key": "anthropic", "optional": False}},
}


def build(name: str = "petstore-api", **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "name": name,
        "namespace": "team-a",
        "uid": UID,
        "digest": DIGEST,
        "settings": settings.JobSettings(),
    }
    arguments.update(overrides)
    return jobs.build(**arguments)


def pod(job: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = job["spec"]["template"]["spec"]
    return spec


def container(job: dict[str, Any]) -> dict[str, Any]:
    (only,) = pod(job)["containers"]
    assert isinstance(only, dict)
    return only


def env(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["name"]: entry for entry in container(job)["env"]}


# -- identity ------------------------------------------------------------------------------


def test_name_labels_and_annotation() -> None:
    job = build()
    assert job["apiVersion"] == "batch/v1"
    assert job["kind"] == "Job"
    assert job["metadata"]["name"] == "petstore-api-ab12cd34" == names.job("petstore-api", DIGEST)
    assert job["metadata"]["namespace"] == "team-a"
    assert job["metadata"]["labels"] == names.labels("petstore-api", DIGEST, "job")
    assert job["spec"]["template"]["metadata"]["labels"] == job["metadata"]["labels"]
    assert job["metadata"]["annotations"] == {jobs.ANNOTATION_INPUT_HASH: DIGEST}
    assert "selector" not in job["spec"]  # the Job controller generates it


def test_owner_reference_is_the_codegeneration() -> None:
    assert build()["metadata"]["ownerReferences"] == [
        {
            "apiVersion": "kodegen.dev/v1alpha1",
            "kind": "CodeGeneration",
            "name": "petstore-api",
            "uid": UID,
            "controller": True,
            "blockOwnerDeletion": True,
        }
    ]


LONG = "team-a.petstore-api." + "v" * 233  # 253 characters: the longest object name


@pytest.mark.parametrize(
    "name", ["a", "x" * 54, "x" * 55, "y" * 63, "z" * 64, "a.b-c" * 40, "q" * 253, LONG]
)
def test_names_fit_kubernetes_limits(name: str) -> None:
    job = build(name)
    job_name = job["metadata"]["name"]
    assert len(job_name) <= 63
    assert job_name.endswith("-ab12cd34")
    assert job_name[0].isalnum()
    for value in job["metadata"]["labels"].values():
        assert len(value) <= 63
        assert value[0].isalnum() and value[-1].isalnum()
    assert job["metadata"]["ownerReferences"][0]["name"] == name  # the owner keeps its name
    request = container(job)["command"][3]
    assert request == names.request(name, DIGEST) and len(request) <= 253


def test_253_character_name() -> None:
    assert len(LONG) == 253
    assert len(build(LONG)["metadata"]["name"]) == 63


def test_long_names_that_share_a_prefix_get_distinct_jobs() -> None:
    first, second = "x" * 252 + "a", "x" * 252 + "b"
    assert build(first)["metadata"]["name"] != build(second)["metadata"]["name"]


def test_command_runs_the_frozen_request() -> None:
    assert container(build())["command"] == [
        "kodegen",
        "run-job",
        "--request",
        "petstore-api-request-ab12cd34",
        "--namespace",
        "team-a",
    ]
    assert container(build())["name"] == jobs.CONTAINER == "generate"


def test_deterministic_and_unshared() -> None:
    first, second = build(env=[SECRET_ENV]), build(env=[SECRET_ENV])
    assert first == second
    first["metadata"]["labels"]["x"] = "y"
    assert "x" not in first["spec"]["template"]["metadata"]["labels"]
    assert "x" not in second["metadata"]["labels"]


# -- settings ------------------------------------------------------------------------------


def test_image_resources_and_limits_come_from_settings() -> None:
    custom = settings.JobSettings(
        image="registry.local/kodegen:dev",
        image_pull_policy="Always",
        service_account="gen",
        cpu_request="1",
        cpu_limit="3",
        memory_request="1Gi",
        memory_limit="3Gi",
        work_size="5Gi",
        active_deadline_seconds=60,
        backoff_limit=5,
        ttl_seconds_after_finished=10,
    )
    job = build(settings=custom)
    spec, main = job["spec"], container(job)
    assert main["image"] == "registry.local/kodegen:dev"
    assert main["imagePullPolicy"] == "Always"
    assert main["resources"] == {
        "requests": {"cpu": "1", "memory": "1Gi"},
        "limits": {"cpu": "3", "memory": "3Gi"},
    }
    assert pod(job)["serviceAccountName"] == "gen"
    assert pod(job)["volumes"] == [{"name": "work", "emptyDir": {"sizeLimit": "5Gi"}}]
    assert (spec["activeDeadlineSeconds"], spec["backoffLimit"]) == (60, 5)
    assert spec["ttlSecondsAfterFinished"] == 10


def test_pod_placement_comes_from_settings() -> None:
    toleration = {"key": "build", "operator": "Exists", "effect": "NoSchedule"}
    affinity = {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["b"]}]}
                ]
            }
        }
    }
    custom = settings.JobSettings(
        image_pull_secrets=("registry", "mirror"),
        node_selector={"pool": "build", "arch": "amd64"},
        tolerations=(toleration,),
        affinity=affinity,
        priority_class_name="batch-low",
        runtime_class_name="gvisor",
        env=({"name": "HTTPS_PROXY", "value": "http://proxy:3128"},),
        annotations={"sidecar.istio.io/inject": "false"},
    )
    job = build(settings=custom, env=[SECRET_ENV])
    spec = pod(job)
    assert spec["imagePullSecrets"] == [{"name": "registry"}, {"name": "mirror"}]
    assert list(spec["nodeSelector"].items()) == [("arch", "amd64"), ("pool", "build")]
    assert spec["tolerations"] == [toleration] and spec["tolerations"][0] is not toleration
    assert spec["affinity"] == affinity
    assert spec["affinity"]["nodeAffinity"] is not affinity["nodeAffinity"]  # deep-copied
    assert (spec["priorityClassName"], spec["runtimeClassName"]) == ("batch-low", "gvisor")
    assert job["spec"]["template"]["metadata"]["annotations"] == {
        "sidecar.istio.io/inject": "false"
    }
    # the settings' env first, then the run's (its AI keys)
    assert [entry["name"] for entry in container(job)["env"]][-2:] == [
        "HTTPS_PROXY",
        "ANTHROPIC_API_KEY",
    ]
    assert pss.restricted(spec) == []


def test_unset_placement_adds_no_fields() -> None:
    job = build()
    for field in (
        "imagePullSecrets",
        "nodeSelector",
        "tolerations",
        "affinity",
        "priorityClassName",
        "runtimeClassName",
    ):
        assert field not in pod(job)
    assert "annotations" not in job["spec"]["template"]["metadata"]


def test_settings_env_may_not_override_the_jobs_own() -> None:
    custom = settings.JobSettings(env=({"name": "HOME", "value": "/root"},))
    with pytest.raises(ValueError, match=r"'HOME' is set by jobs\.build"):
        build(settings=custom)


def test_defaults() -> None:
    job = build()
    main = container(job)
    assert main["image"] == "ghcr.io/kodegen/kodegen:0.1.0"
    assert pod(job)["serviceAccountName"] == "kodegen-job"
    assert pod(job)["automountServiceAccountToken"] is True
    assert pod(job)["restartPolicy"] == "Never"
    assert job["spec"]["ttlSecondsAfterFinished"] >= 600  # the operator must find the result


# -- retries -------------------------------------------------------------------------------


def test_pod_failure_policy_fails_at_once_on_final_exit_codes() -> None:
    assert (jobs.EXIT_GATES_FAILED, jobs.EXIT_BAD_INPUT) == (1, 2)
    rules = build()["spec"]["podFailurePolicy"]["rules"]
    assert rules[0] == {
        "action": "FailJob",
        "onExitCodes": {"containerName": "generate", "operator": "In", "values": [1, 2]},
    }
    assert rules[1] == {
        "action": "Ignore",
        "onPodConditions": [{"type": "DisruptionTarget", "status": "True"}],
    }
    assert len(rules) == 2
    assert 0 not in rules[0]["onExitCodes"]["values"]  # the API forbids 0 with In


# -- restricted Pod Security Standard ------------------------------------------------------


def test_pod_meets_the_restricted_pod_security_standard() -> None:
    assert pss.restricted(pod(build(env=[SECRET_ENV]))) == []


def test_security_context_fields() -> None:
    job = build()
    assert pod(job)["securityContext"] == {
        "runAsNonRoot": True,
        "runAsUser": 65532,
        "runAsGroup": 65532,
        "fsGroup": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    assert container(job)["securityContext"] == {
        "allowPrivilegeEscalation": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
    }
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        assert field not in pod(job)


def test_writable_places_are_on_the_work_volume() -> None:
    job = build()
    variables = env(job)
    assert variables["HOME"]["value"] == "/work"
    assert variables["TMPDIR"]["value"] == "/work/tmp"
    assert variables["XDG_CACHE_HOME"]["value"].startswith("/work/")
    assert variables["PYTHONDONTWRITEBYTECODE"]["value"] == "1"
    mounts = container(job)["volumeMounts"]
    assert {"name": "work", "mountPath": "/work"} in mounts
    # /tmp is the work volume's tmp folder: the kubelet creates it, so TMPDIR exists at start
    assert {"name": "work", "mountPath": "/tmp", "subPath": "tmp"} in mounts
    assert container(job)["workingDir"] == "/work"
    assert pod(job)["volumes"] == [{"name": "work", "emptyDir": {"sizeLimit": "1Gi"}}]


# -- env -----------------------------------------------------------------------------------


def test_env_passes_secret_key_refs_through_untouched() -> None:
    git = {
        "name": "GIT_TOKEN",
        "valueFrom": {"secretKeyRef": {"name": "git", "key": "token"}},
    }
    given = [SECRET_ENV, git]
    before = copy.deepcopy(given)
    job = build(env=given)
    entries = container(job)["env"]
    assert entries[-2:] == [SECRET_ENV, git]
    assert entries[-1] is not git  # copied: changing the Job cannot change the caller's list
    assert given == before
    assert all("value" not in entry for entry in entries[-2:])


def test_env_order_is_fixed_then_callers() -> None:
    names_in_order = [entry["name"] for entry in container(build(env=[SECRET_ENV]))["env"]]
    assert names_in_order[: len(jobs.RESERVED_ENV)] == [
        "HOME",
        "TMPDIR",
        "XDG_CACHE_HOME",
        "PYTHONDONTWRITEBYTECODE",
        "PYTHONUNBUFFERED",
    ]
    assert names_in_order[-1] == "ANTHROPIC_API_KEY"


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([{"name": "HOME", "value": "/"}], "'HOME' is set by jobs.build"),
        ([SECRET_ENV, SECRET_ENV], "'ANTHROPIC_API_KEY' is given twice"),
        ([{"valueFrom": {}}], "has no name"),
        ([{"name": ""}], "has no name"),
    ],
)
def test_bad_env_entries_are_refused(entries: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build(env=entries)


# -- service account -----------------------------------------------------------------------


def test_service_account_and_role_binding() -> None:
    job_settings = settings.JobSettings(service_account="gen")
    account = jobs.service_account(namespace="team-a", settings=job_settings)
    binding = jobs.role_binding(namespace="team-a", settings=job_settings)
    assert account["metadata"]["name"] == "gen"
    assert account["metadata"]["namespace"] == "team-a"
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "ClusterRole",
        "name": jobs.JOB_CLUSTER_ROLE,
    }
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "gen", "namespace": "team-a"}]


# -- state ---------------------------------------------------------------------------------


def condition(
    kind: str, status: str = "True", reason: str = "", message: str = ""
) -> dict[str, str]:
    return {"type": kind, "status": status, "reason": reason, "message": message}


def job_with(*conditions: dict[str, str], **counts: int) -> dict[str, Any]:
    status: dict[str, Any] = dict(counts)
    if conditions:
        status["conditions"] = list(conditions)
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "j"}, "status": status}


GATES = (
    "Container generate for pod team-a/x failed with exit code 1 matching FailJob rule at index 0"
)

STATES: list[tuple[str, dict[str, Any], jobs.JobState]] = [
    ("new Job, no status", {"metadata": {"name": "j"}}, jobs.JobState("Running")),
    ("empty status", job_with(), jobs.JobState("Running")),
    ("one pod running", job_with(active=1), jobs.JobState("Running", attempts=1)),
    (
        "retrying after a crash",
        job_with(active=1, failed=1),
        jobs.JobState("Running", attempts=2),
    ),
    (
        "suspended",
        job_with(condition("Suspended", reason="JobSuspended")),
        jobs.JobState("Running"),
    ),
    (
        "complete",
        job_with(
            condition("SuccessCriteriaMet", reason="CompletionsReached"),
            condition("Complete", reason="CompletionsReached"),
            succeeded=1,
        ),
        jobs.JobState("Succeeded", attempts=1),
    ),
    (
        "complete, before 1.31 (no interim condition)",
        job_with(condition("Complete"), succeeded=1, failed=1),
        jobs.JobState("Succeeded", attempts=2),
    ),
    (
        "success criteria met, pods still terminating",
        job_with(condition("SuccessCriteriaMet", reason="CompletionsReached"), succeeded=1),
        jobs.JobState("Succeeded", attempts=1),
    ),
    (
        "gates failed: pod failure policy",
        job_with(
            condition("FailureTarget", reason="PodFailurePolicy", message=GATES),
            condition("Failed", reason="PodFailurePolicy", message=GATES),
            failed=1,
        ),
        jobs.JobState("Failed", "PodFailurePolicy", GATES, 1),
    ),
    (
        "failure target only, pod still terminating",
        job_with(condition("FailureTarget", reason="PodFailurePolicy", message=GATES), failed=1),
        jobs.JobState("Failed", "PodFailurePolicy", GATES, 1),
    ),
    (
        "backoff limit exceeded",
        job_with(
            condition(
                "Failed",
                reason="BackoffLimitExceeded",
                message="Job has reached the specified backoff limit",
            ),
            failed=3,
        ),
        jobs.JobState(
            "Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit", 3
        ),
    ),
    (
        "deadline exceeded while a pod ran",
        job_with(
            condition("FailureTarget", reason="DeadlineExceeded", message="Job was active longer"),
            condition("Failed", reason="DeadlineExceeded", message="Job was active longer"),
            failed=1,
        ),
        jobs.JobState("Failed", "DeadlineExceeded", "Job was active longer", 1),
    ),
    (
        "terminal condition wins over the interim one",
        job_with(
            condition("FailureTarget", reason="Interim", message="first"),
            condition("Failed", reason="BackoffLimitExceeded", message="final"),
            failed=3,
        ),
        jobs.JobState("Failed", "BackoffLimitExceeded", "final", 3),
    ),
    (
        "conditions that are False do not count",
        job_with(
            condition("Complete", "False"),
            condition("Failed", "False"),
            condition("FailureTarget", "Unknown"),
            active=1,
        ),
        jobs.JobState("Running", attempts=1),
    ),
    (
        "failed condition without reason or message",
        job_with({"type": "Failed", "status": "True"}),
        jobs.JobState("Failed"),
    ),
    (
        "disrupted pod ignored, replacement running",
        job_with(condition("Suspended", "False"), active=1, terminating=1),
        jobs.JobState("Running", attempts=1),
    ),
    (
        "garbage counts are not attempts",
        job_with(active=-1, failed=True, succeeded=0),
        jobs.JobState("Running"),
    ),
]


@pytest.mark.parametrize(
    ("body", "expected"),
    [(body, expected) for _, body, expected in STATES],
    ids=[s[0] for s in STATES],
)
def test_state(body: dict[str, Any], expected: jobs.JobState) -> None:
    assert jobs.state(body) == expected


def test_state_is_frozen() -> None:
    state = jobs.state(job_with())
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.phase = "Failed"  # type: ignore[misc]
