"""Where a run executes. Both take the same frozen request and end in the same result
ConfigMap; only who runs `runner.execute` differs.

    Jobs   a Kubernetes Job per run (`kodegen run-job` in its pod); the operator learns of the
           end from the Job's watch events (handlers.job_event).
    Local  the operator's own bounded worker pool; the end is reported by calling `done`.
"""

from __future__ import annotations

import base64
import concurrent.futures
import logging
from collections.abc import Callable
from typing import Any, Protocol

from kodegen.ai import keys
from kodegen.controller import jobs, kube, names, runner, runs, settings
from kodegen.pipeline import generate
from kodegen.templates import git as git_source

__all__ = [
    "Done",
    "Executor",
    "Jobs",
    "Local",
    "git_credentials",
    "secret_credentials",
    "secret_env",
]

logger = logging.getLogger(__name__)

Done = Callable[[str, str, str, "jobs.JobState | None"], None]
"""Called with (namespace, name, hash8, state) when a local run has ended."""


class Executor(Protocol):
    name: str

    def start(self, request: runs.Request) -> bool:
        """Start the run of `request` unless it is already going; True if it was started now."""
        ...

    def supersede(self, namespace: str, name: str, digest: str) -> None:
        """Stop the runs of CodeGeneration `name` other than the run `digest`."""
        ...

    def state(self, namespace: str, name: str, digest: str) -> jobs.JobState | None:
        """How the run `digest` of `name` stands; None when it runs nowhere (never started,
        lost in a restart, or its Job deleted)."""
        ...

    def forget(self, namespace: str, name: str, digest: str) -> None:
        """Delete the result an earlier run of `digest` left, once that run is gone (no Job,
        no worker), so a new run of it is never mistaken for the old one."""
        ...


def secret_env(request: runs.Request) -> list[dict[str, Any]]:
    """Environment entries that bring the run its AI keys and its Git output's credentials
    (`runner.GIT_SECRET_KEYS`, each optional): `secretKeyRef`s, never values. A
    `secretRef` without `key` reads the key named as the variable (`ANTHROPIC_API_KEY`, as
    `kubectl create secret generic --from-env-file` writes it): a `secretKeyRef` without a key
    is an invalid Job the API server refuses for good."""
    entries: dict[str, dict[str, Any]] = {}
    for provider in request.generation.spec.ai.providers:
        if provider.secret_ref is None:
            continue
        variable = keys.env_var(provider.provider)
        entries.setdefault(
            variable,
            {
                "name": variable,
                "valueFrom": {
                    "secretKeyRef": {
                        "name": provider.secret_ref.name,
                        "key": provider.secret_ref.key or variable,
                    }
                },
            },
        )
    git = request.generation.spec.output.git
    if git is not None and git.secret_ref is not None:
        for key, variable in runner.GIT_SECRET_KEYS.items():
            entries[variable] = {
                "name": variable,
                "valueFrom": {
                    "secretKeyRef": {"name": git.secret_ref.name, "key": key, "optional": True}
                },
            }
    return [entries[variable] for variable in sorted(entries)]


def secret_credentials(client: kube.Kube) -> runner.CredentialSource:
    """The Git output's credentials read from its Secret through the API (the local
    executor: the operator's own identity may read it)."""

    def read(request: runs.Request) -> git_source.Credentials | None:
        git = request.generation.spec.output.git
        if git is None or git.secret_ref is None:
            return None
        return git_credentials(client, request.namespace, git.secret_ref.name)

    return read


def git_credentials(client: kube.Kube, namespace: str, secret: str) -> git_source.Credentials:
    """The keys of `runner.GIT_SECRET_KEYS` in Secret `namespace/secret`. A missing Secret is
    no credentials: the push then fails as GitAuthFailed, naming the Secret to check."""
    body = client.read_secret(namespace, secret)
    data = {
        key: base64.b64decode(value)
        for key, value in ((body or {}).get("data") or {}).items()
        if key in runner.GIT_SECRET_KEYS
    }
    return git_source.Credentials.from_secret(data)


class Jobs:
    name = "job"

    def __init__(self, client: kube.Kube, job_settings: settings.JobSettings) -> None:
        self.client, self.settings = client, job_settings
        self._identities: set[str] = set()
        """Namespaces where the Job's ServiceAccount and RoleBinding are known to exist."""

    def start(self, request: runs.Request) -> bool:
        self._identity(request.namespace)
        self.client.create_config_map(_bounded(request.config_map()))
        body = jobs.build(
            name=request.name,
            namespace=request.namespace,
            uid=request.uid,
            digest=request.input_hash,
            settings=self.settings,
            env=secret_env(request),
        )
        return self.client.create_job(body)

    def start_template(self, request: runs.TemplateRequest) -> bool:
        """Start the Job testing a template version (idempotent, like `start`)."""
        namespace = request.job_namespace
        self._identity(namespace)
        self.client.create_config_map(request.config_map())
        owner = request.owner()
        body = jobs.job(
            job_name=names.template_job(request.name, request.digest),
            namespace=namespace,
            request=names.template_request(request.name, request.digest),
            labels=names.template_labels(
                request.kind, request.name, request.digest, "template-job"
            ),
            owner={key: owner[key] for key in ("apiVersion", "kind", "name", "uid")},
            digest=request.digest,
            settings=self.settings,
        )
        return self.client.create_job(body)

    def _identity(self, namespace: str) -> None:
        """The Job's ServiceAccount and RoleBinding in `namespace`, created once."""
        if namespace in self._identities:
            return
        for body in (
            jobs.service_account(namespace=namespace, settings=self.settings),
            jobs.role_binding(namespace=namespace, settings=self.settings),
        ):
            self.client.ensure(body)
        self._identities.add(namespace)

    def supersede(self, namespace: str, name: str, digest: str) -> None:
        for job in self.client.jobs(namespace, _selector(name)):
            meta = job["metadata"]
            if meta.get("labels", {}).get(names.LABEL_INPUT_HASH) != names.hash8(digest):
                self.client.delete_job(namespace, meta["name"])

    def forget(self, namespace: str, name: str, digest: str) -> None:
        self.client.delete_config_map(namespace, names.result(name, digest))

    def state(self, namespace: str, name: str, digest: str) -> jobs.JobState | None:
        wanted = {**_selector(name), names.LABEL_INPUT_HASH: names.hash8(digest)}
        found = self.client.jobs(namespace, wanted)
        return jobs.state(found[0]) if found else None


CONFIG_MAP_MAX_BYTES = 1024 * 1024
"""The API server's limit on a ConfigMap's data (1 MiB)."""


def _bounded(body: dict[str, Any]) -> dict[str, Any]:
    """`body` if its data fits a ConfigMap; else the 422 the API server would answer, before
    anything is sent (a request that can never be stored is refused for good)."""
    size = sum(len(k) + len(v.encode()) for k, v in (body.get("data") or {}).items())
    if size > CONFIG_MAP_MAX_BYTES:
        raise kube.KubeError(
            action=f"create configmap {body['metadata']['namespace']}/{body['metadata']['name']}",
            status=422,
            reason=f"the run's request is {size} bytes, over the {CONFIG_MAP_MAX_BYTES} bytes "
            "a ConfigMap holds; make the specification smaller",
        )
    return body


def _selector(name: str) -> dict[str, str]:
    return {names.LABEL_GENERATION: names.generation_label(name), names.LABEL_ROLE: "job"}


class Local:
    name = "local"

    def __init__(
        self,
        client: kube.Kube,
        *,
        workers: int,
        done: Done,
        generator: Callable[[], generate.Generator] = generate.Generator,
    ) -> None:
        self.client, self.done, self.generator = client, done, generator
        self.pool = concurrent.futures.ThreadPoolExecutor(workers, "kodegen-local")
        self._running: dict[tuple[str, str], str] = {}

    def start(self, request: runs.Request) -> bool:
        key, digest8 = (request.namespace, request.name), names.hash8(request.input_hash)
        if self._running.get(key) == digest8:
            return False
        if self.client.read_config_map(request.namespace, names.result(request.name, digest8)):
            return False  # this run already happened (kopf re-ran the handler): its Job "exists"
        self.client.create_config_map(request.config_map())
        self._running[key] = digest8
        self.pool.submit(self._run, request)
        return True

    def supersede(self, namespace: str, name: str, digest: str) -> None:
        # A thread cannot be stopped; its outcome arrives superseded and goes to history only.
        if self._running.get((namespace, name)) not in (None, names.hash8(digest)):
            del self._running[(namespace, name)]

    def forget(self, namespace: str, name: str, digest: str) -> None:
        self.client.delete_config_map(namespace, names.result(name, digest))

    def state(self, namespace: str, name: str, digest: str) -> jobs.JobState | None:
        if self._running.get((namespace, name)) == names.hash8(digest):
            return jobs.JobState(phase="Running", attempts=1)
        return None

    def shutdown(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)

    def _run(self, request: runs.Request) -> None:
        digest8 = names.hash8(request.input_hash)
        state: jobs.JobState | None = None
        try:
            outcome = runner.execute(
                self.client,
                request.namespace,
                names.request(request.name, request.input_hash),
                generator=self.generator(),
                credentials=secret_credentials(self.client),
            )
            state = jobs.JobState(
                phase=outcome.phase, reason=outcome.reason, message=outcome.message, attempts=1
            )
        except Exception as exc:  # reported as the run's failure, never swallowed
            logger.exception("local run failed", extra={"generation": request.name})
            state = jobs.JobState(
                phase="Failed", reason="Error", message=f"{type(exc).__name__}: {exc}", attempts=1
            )
        finally:
            if self._running.get((request.namespace, request.name)) == digest8:
                del self._running[(request.namespace, request.name)]
        self.done(request.namespace, request.name, digest8, state)
