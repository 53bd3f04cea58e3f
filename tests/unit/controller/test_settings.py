"""settings.from_env: KODEGEN_* variables into the frozen settings groups."""

from __future__ import annotations

import dataclasses

import pytest

from kodegen.controller import settings


def test_no_variables_means_defaults() -> None:
    assert settings.from_env({}) == settings.Settings()
    assert settings.from_env({"UNRELATED": "1", "KODEGEN": "x"}) == settings.Settings()


def test_defaults() -> None:
    defaults = settings.Settings()
    assert defaults.executor == "job"
    assert defaults.job.image == "ghcr.io/kodegen/kodegen:0.1.0"
    assert defaults.job.service_account == "kodegen-job"
    assert defaults.job.ttl_seconds_after_finished > defaults.job.active_deadline_seconds / 2


def test_every_field_has_a_variable() -> None:
    environ = {
        "KODEGEN_EXECUTOR": "local",
        "KODEGEN_NAMESPACE": "ops",
        "KODEGEN_METRICS_PORT": "0",
        "KODEGEN_LOCAL_WORKERS": "8",
        "KODEGEN_DRIFT_INTERVAL_SECONDS": "30",
        "KODEGEN_JOB_IMAGE": "registry.local/kodegen:dev",
        "KODEGEN_JOB_IMAGE_PULL_POLICY": "Always",
        "KODEGEN_JOB_SERVICE_ACCOUNT": "gen",
        "KODEGEN_JOB_CPU_REQUEST": "1",
        "KODEGEN_JOB_CPU_LIMIT": "4",
        "KODEGEN_JOB_MEMORY_REQUEST": "1Gi",
        "KODEGEN_JOB_MEMORY_LIMIT": "4Gi",
        "KODEGEN_JOB_WORK_SIZE": "2Gi",
        "KODEGEN_JOB_ACTIVE_DEADLINE_SECONDS": "60",
        "KODEGEN_JOB_BACKOFF_LIMIT": "0",
        "KODEGEN_JOB_TTL_SECONDS_AFTER_FINISHED": "120",
        "KODEGEN_JOB_IMAGE_PULL_SECRETS": '["registry"]',
        "KODEGEN_JOB_NODE_SELECTOR": '{"pool": "build"}',
        "KODEGEN_JOB_TOLERATIONS": '[{"key": "build", "operator": "Exists"}]',
        "KODEGEN_JOB_AFFINITY": '{"nodeAffinity": {}}',
        "KODEGEN_JOB_PRIORITY_CLASS_NAME": "batch-low",
        "KODEGEN_JOB_RUNTIME_CLASS_NAME": "gvisor",
        "KODEGEN_JOB_ENV": '[{"name": "HTTPS_PROXY", "value": "http://proxy:3128"}]',
        "KODEGEN_JOB_ANNOTATIONS": '{"sidecar.istio.io/inject": "false"}',
        "KODEGEN_LIMITS_PER_NAMESPACE": "1",
        "KODEGEN_LIMITS_CLUSTER": "3",
        "KODEGEN_REMOTE_REF_PREFIXES": "https://geojson.org/schema/",
    }
    assert settings.from_env(environ) == settings.Settings(
        executor="local",
        namespace="ops",
        metrics_port=0,
        local_workers=8,
        drift_interval_seconds=30,
        job=settings.JobSettings(
            image="registry.local/kodegen:dev",
            image_pull_policy="Always",
            service_account="gen",
            cpu_request="1",
            cpu_limit="4",
            memory_request="1Gi",
            memory_limit="4Gi",
            work_size="2Gi",
            active_deadline_seconds=60,
            backoff_limit=0,
            ttl_seconds_after_finished=120,
            image_pull_secrets=("registry",),
            node_selector={"pool": "build"},
            tolerations=({"key": "build", "operator": "Exists"},),
            affinity={"nodeAffinity": {}},
            priority_class_name="batch-low",
            runtime_class_name="gvisor",
            env=({"name": "HTTPS_PROXY", "value": "http://proxy:3128"},),
            annotations={"sidecar.istio.io/inject": "false"},
        ),
        limits=settings.LimitSettings(per_namespace=1, cluster=3),
        remote_ref_prefixes=("https://geojson.org/schema/",),
    )
    fields = [
        field
        for cls in (settings.Settings, settings.JobSettings, settings.LimitSettings)
        for field in dataclasses.fields(cls)
        if field.name not in ("job", "limits")
    ]
    assert len(environ) == len(fields)  # a new field needs a line above


def test_reads_the_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KODEGEN_LIMITS_CLUSTER", "5")
    assert settings.from_env().limits.cluster == 5


@pytest.mark.parametrize(
    ("variable", "value"),
    [("KODEGEN_METRICS_PORT", "http"), ("KODEGEN_JOB_BACKOFF_LIMIT", "1.5")],
)
def test_malformed_number_names_the_variable(variable: str, value: str) -> None:
    with pytest.raises(ValueError, match=f"{variable}: '{value}' is not a whole number"):
        settings.from_env({variable: value})


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("KODEGEN_JOB_TOLERATIONS", "[{", "not JSON"),
        ("KODEGEN_JOB_TOLERATIONS", '{"key": "x"}', "dict given, a JSON array expected"),
        ("KODEGEN_JOB_NODE_SELECTOR", '["pool"]', "list given, a JSON object expected"),
        ("KODEGEN_JOB_NODE_SELECTOR", '{"pool": 1}', "its values must be strings"),
        ("KODEGEN_JOB_IMAGE_PULL_SECRETS", '[{"name": "r"}]', "its entries must be strings"),
        ("KODEGEN_JOB_ENV", '["HTTPS_PROXY=x"]', "its entries must be JSON objects"),
    ],
)
def test_malformed_json_names_the_variable(variable: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        settings.from_env({variable: value})
    assert str(raised.value).startswith(f"{variable}: ")


def test_json_defaults_are_empty_and_not_shared() -> None:
    first, second = settings.JobSettings(), settings.JobSettings()
    assert (first.node_selector, first.tolerations, first.env) == ({}, (), ())
    assert first.node_selector is not second.node_selector


def test_unknown_executor_is_refused() -> None:
    with pytest.raises(ValueError, match="KODEGEN_EXECUTOR: 'cloud'"):
        settings.from_env({"KODEGEN_EXECUTOR": "cloud"})


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.Settings().executor = "local"  # type: ignore[misc]


def test_remote_ref_prefixes_are_none_by_default_and_read_from_one_variable() -> None:
    assert settings.from_env({}).remote_ref_prefixes == ()
    found = settings.from_env(
        {"KODEGEN_REMOTE_REF_PREFIXES": "https://geojson.org/schema/, https://x.org/a/"}
    )
    assert found.remote_ref_prefixes == ("https://geojson.org/schema/", "https://x.org/a/")


@pytest.mark.parametrize("prefix", ["ftp://x.org/", "https://u@x.org/", "https://x.org/../"])
def test_a_bad_remote_ref_prefix_names_the_variable(prefix: str) -> None:
    with pytest.raises(ValueError, match="KODEGEN_REMOTE_REF_PREFIXES"):
        settings.from_env({"KODEGEN_REMOTE_REF_PREFIXES": prefix})
