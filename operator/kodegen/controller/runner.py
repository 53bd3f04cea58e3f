"""One run of a frozen request: what `kodegen run-job` does in the Job's pod, and what the
local executor does in the operator's worker pool.

    execute(kube, namespace, request_name) -> Outcome
        read the request ConfigMap, run the pipeline on it, publish the code (only when every
        gate passed: the last good output stays in place otherwise), and write the outcome to
        the result ConfigMap. Bad input and failed gates are outcomes, not exceptions; a
        failure to reach the API raises `kube.KubeError` (the Job's pod then retries).

Exit codes of `kodegen run-job` (`exit_code`): 0 succeeded, 1 quality gates failed, 2 bad
input; the Job's podFailurePolicy fails the Job at once on 1 and 2, retrying will not help.
Anything else (a crash, an unreachable API, a failed publish) is retried up to the Job's
backoffLimit. A Git output that failed writes its outcome (the reason names the failure:
GitAuthFailed, GitUnreachable...) and then exits 3 when trying again may help (the branch moved,
the server did not answer), 1 otherwise (bad credentials, a protected branch).

Git credentials: the Job gets the keys of `spec.output.git.secretRef` as optional
`secretKeyRef` variables (`git_secret_env`); the local executor reads the Secret itself and
passes `credentials`.
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import time
from collections.abc import Callable
from typing import Any

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.api import codegeneration_status as status_api
from kodegen.controller import jobs, kube, names, runs
from kodegen.outputs import configmaps
from kodegen.outputs import git as git_output
from kodegen.pipeline import generate, template_tests
from kodegen.templates import git as git_source
from kodegen.templates import model as template_model

__all__ = [
    "EXIT_RETRY",
    "GIT_SECRET_KEYS",
    "execute",
    "execute_template",
    "exit_code",
    "git_credentials_from_env",
]

EXIT_RETRY = 3
"""`kodegen run-job` exit code: try again (the Job retries up to its backoffLimit)."""

GIT_SECRET_KEYS = git_output.SECRET_ENV
"""Key of the Git output's Secret -> the Job's environment variable holding it."""

_RETRYABLE_GIT = frozenset(
    reason for reason, retryable in errors.GitError.KINDS.values() if retryable
)

CredentialSource = Callable[[runs.Request], git_source.Credentials | None]
"""Where a run finds the credentials of its Git output."""


def git_credentials_from_env(request: runs.Request) -> git_source.Credentials | None:
    """The Git output's credentials from the Job's environment (see `GIT_SECRET_KEYS`)."""
    return git_output.credentials_from_env(os.environ)


def execute(
    client: kube.Kube,
    namespace: str,
    request_name: str,
    *,
    generator: generate.Generator | None = None,
    now: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC),
    credentials: CredentialSource = git_credentials_from_env,
) -> runs.Outcome:
    """Run the request stored in ConfigMap `namespace/request_name`; write and return its
    outcome."""
    body = client.read_config_map(namespace, request_name)
    if body is None:
        raise errors.ManifestError(
            field=f"configmap {namespace}/{request_name}",
            reason="the request ConfigMap does not exist (deleted, or the Job outlived its "
            "CodeGeneration)",
        )
    request = runs.Request.from_config_map(body)
    started = time.monotonic()
    outcome = _generate(client, request, generator or _generator(request), now, credentials)
    if outcome.result.duration_seconds is None:
        elapsed = round(time.monotonic() - started, 3)
        outcome = _with_duration(outcome, elapsed)
    client.write_config_map(outcome.config_map(request))
    return outcome


def execute_template(
    client: kube.Kube | None,
    request: runs.TemplateRequest,
    *,
    generator: generate.Generator | None = None,
) -> runs.TemplateOutcome:
    """Run a template version's own tests (every fixture through the gates); write the
    outcome to its result ConfigMap when `client` is given."""
    template = template_model.build(request.spec, request.files)
    if template.digest != request.digest:
        outcome = runs.TemplateOutcome(
            digest=request.digest,
            results=(),
            problem=f"the frozen content hashes to {template.digest}, not {request.digest}",
        )
    else:
        try:
            results = template_tests.run(template, generator=generator)
            outcome = runs.TemplateOutcome(request.digest, tuple(results), None)
        except errors.InputError as exc:
            outcome = runs.TemplateOutcome(request.digest, (), str(exc))
    if client is not None:
        client.write_config_map(outcome.config_map(request))
    return outcome


def _generator(request: runs.Request) -> generate.Generator:
    """The pipeline for a request: with the AI layer when the request asks for it (keys come
    from the environment, where the Job's secretKeyRefs put them)."""
    if request.generation.spec.ai.mode == "off":
        return generate.Generator()
    from kodegen.ai import session

    return generate.Generator(ai=session.Options(environ=dict(os.environ)))


def exit_code(outcome: runs.Outcome) -> int:
    if outcome.phase == "Succeeded":
        return 0
    if outcome.reason in _RETRYABLE_GIT:
        return EXIT_RETRY
    if outcome.reason == "InvalidInput":
        return jobs.EXIT_BAD_INPUT
    return jobs.EXIT_GATES_FAILED


def _generate(
    client: kube.Kube,
    request: runs.Request,
    generator: generate.Generator,
    now: Callable[[], datetime.datetime],
    credentials: CredentialSource,
) -> runs.Outcome:
    def finished(**fields: object) -> runs.Outcome:
        stamp = now().replace(microsecond=0).isoformat().replace("+00:00", "Z")
        return runs.Outcome(input_hash=request.input_hash, finished_at=stamp, **fields)  # type: ignore[arg-type]

    manifest = _pinned(request)
    template = (
        template_model.build(request.template_spec, request.template_files or {})
        if request.template_spec is not None
        else None
    )
    try:
        result = generator.run(manifest, template)
        if result.prepared.template.digest != request.template.digest:
            raise errors.TemplateError(
                template=request.template.name,
                reason=f"content digest {result.prepared.template.digest} differs from "
                f"{request.template.digest}, the one admitted; the operator and the Job "
                "run different images",
            )
    except errors.InputError as exc:
        return finished(phase="Failed", reason="InvalidInput", message=str(exc))
    except errors.LeakedKey as exc:  # final: a retry would pay the model to leak it again
        return finished(phase="Failed", reason="LeakedKey", message=str(exc))
    figures = status_api.GenerationResult(
        files=result.counts.files,
        lines=result.counts.lines,
        coverage=result.counts.coverage,
        findings=_findings(result),
        duration_seconds=round(sum(result.timings.values()), 3),
        **_ai_figures(result),
    )
    common = {
        "result": figures,
        "gates": tuple(gate.to_dict() for gate in result.gates),
        "not_implemented": tuple(op.to_dict() for op in result.not_implemented),
        "timings": dict(result.timings),
        "provenance": result.files[".kodegen/provenance.json"].decode(),
    }
    if not result.passed:
        failed = [gate for gate in result.gates if not gate.passed]
        summary = "; ".join(f"{gate.name}: {gate.reason or 'failed'}" for gate in failed)
        return finished(
            phase="Failed",
            reason="QualityGatesFailed",
            message=f"{len(failed)} of {len(result.gates)} quality gates failed ({summary}); "
            "nothing was published",
            **common,
        )
    git = request.generation.spec.output.git
    if git is not None:
        return _publish_git(request, result, git, credentials, finished, common)
    written = configmaps.publish(
        client.core,
        result.files,
        name=request.output_name,
        namespace=request.namespace,
        labels={names.LABEL_GENERATION: names.generation_label(request.name)},
        owner=request.owner(),
    )
    return finished(
        phase="Succeeded",
        reason="Succeeded",
        message=f"{result.counts.files} files published to ConfigMap {written[0]}"
        + (f" and {len(written) - 1} chunk(s)" if len(written) > 1 else ""),
        output=status_api.OutputStatus(config_maps=list(written)),
        **common,
    )


def _publish_git(
    request: runs.Request,
    result: generate.Result,
    git: codegeneration.GitOutput,
    credentials: CredentialSource,
    finished: Callable[..., runs.Outcome],
    common: dict[str, Any],
) -> runs.Outcome:
    """Publish to Git; a failure is the outcome, its reason the kind of failure."""
    about = git_output.About(
        name=request.name,
        namespace=request.namespace,
        family=request.template.family,
        version=request.template.version,
        input_hash=request.input_hash,
    )
    options = git_output.Options(credentials=credentials(request))
    try:
        published = git_output.publish(result.files, git, about, options)
    except errors.GitError as exc:
        return finished(phase="Failed", reason=exc.condition_reason, message=str(exc), **common)
    except errors.LeakedKey as exc:
        return finished(phase="Failed", reason="LeakedKey", message=str(exc), **common)
    where = f"{published.url} branch {published.branch} at {published.commit[:12]}"
    if published.pull_request is not None:
        where += f", pull request {published.pull_request.url}"
    verb = "published to" if published.changed else "already on"
    return finished(
        phase="Succeeded",
        reason="Succeeded",
        message=f"{result.counts.files} files {verb} {where}",
        output=status_api.OutputStatus(git=published),
        **common,
    )


def _pinned(request: runs.Request) -> codegeneration.CodeGeneration:
    """The admitted manifest, its template range narrowed to the exact version admitted."""
    spec = request.generation.spec
    template = spec.template.model_copy(update={"version": request.template.version})
    return request.generation.model_copy(
        update={"spec": spec.model_copy(update={"template": template})}
    )


def _ai_figures(result: generate.Result) -> dict[str, object]:
    if result.ai is None:
        return {}
    ai = result.ai
    return {
        "provider": ai.provider,
        "model": ai.model,
        "tokens": ai.input_tokens + ai.output_tokens,
        "cost_usd": round(ai.cost_usd, 6),
    }


def _findings(result: generate.Result) -> dict[str, int]:
    counts = {"high": 0, "medium": 0, "low": 0}
    for gate in result.gates:
        for finding in gate.findings:
            if finding.severity in counts:
                counts[finding.severity] += 1
    return counts


def _with_duration(outcome: runs.Outcome, seconds: float) -> runs.Outcome:
    return dataclasses.replace(
        outcome, result=outcome.result.model_copy(update={"duration_seconds": seconds})
    )
