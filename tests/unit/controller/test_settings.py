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
        "KODEGEN_LIMITS_PER_NAMESPACE": "1",
        "KODEGEN_LIMITS_CLUSTER": "3",
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
        ),
        limits=settings.LimitSettings(per_namespace=1, cluster=3),
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


def test_unknown_executor_is_refused() -> None:
    with pytest.raises(ValueError, match="KODEGEN_EXECUTOR: 'cloud'"):
        settings.from_env({"KODEGEN_EXECUTOR": "cloud"})


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.Settings().executor = "local"  # type: ignore[misc]
