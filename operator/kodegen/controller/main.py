"""The operator's entry points: what `kodegen operator` and `kodegen run-job` call.

build(settings, kube)          the `Operator` (memo) with its executor wired in
run(op, ...)                   kopf's operator loop over `handlers.registry()` (async)
run_job(kube, ns, request)     one run inside a Job's pod; returns the exit code
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Collection

import kopf

from kodegen import errors
from kodegen.controller import (
    executors,
    handlers,
    jobs,
    kube,
    metrics,
    reconcile,
    runner,
    runs,
    templates,
)
from kodegen.controller import resolver as resolver_
from kodegen.controller import settings as settings_
from kodegen.controller import slots as slots_
from kodegen.pipeline import generate

__all__ = ["build", "run", "run_job"]

logger = logging.getLogger(__name__)

EXIT_RETRY = runner.EXIT_RETRY
"""`run-job` could not finish (API unreachable, publish failed): the Job's pod is retried."""


def build(
    settings: settings_.Settings,
    client: kube.Kube,
    *,
    resolver: resolver_.Resolver | None = None,
    registry: metrics.Metrics | None = None,
    generator: Callable[[], generate.Generator] = generate.Generator,
) -> reconcile.Operator:
    """The operator's shared state; `generator` makes the pipeline of each local run (tests
    pass one with fast gates)."""
    op = reconcile.Operator(
        kube=client,
        settings=settings,
        slots=slots_.Slots(
            per_namespace=settings.limits.per_namespace, cluster=settings.limits.cluster
        ),
        metrics=registry or metrics.Metrics(),
        resolver=resolver or resolver_.Builtin(),
    )
    op.templates = templates.Templates(op)
    if resolver is None:
        op.resolver = resolver_.Resources(
            op.templates.catalog, op.templates.load, op.templates.state
        )
    op.on_finished = lambda body, outcome: templates.finished(op.templates, body, outcome)
    if settings.executor == "local":

        def done(namespace: str, name: str, run: str, state: jobs.JobState | None) -> None:
            try:
                reconcile.complete(op, namespace, name, run, state)
            except (kube.KubeError, kopf.PermanentError) as exc:
                # The resume or watchdog pass reads the result ConfigMap again and records it.
                op.metrics.reconcile_errors.labels(kind="complete").inc()
                logger.warning("recording a local run failed: %s", exc)

        op.executor = executors.Local(
            client, workers=settings.local_workers, done=done, generator=generator
        )
    else:
        op.executor = executors.Jobs(client, settings.job)
    return op


async def run(
    op: reconcile.Operator,
    *,
    namespaces: Collection[str] = (),
    standalone: bool = False,
    liveness: str | None = None,
    stop_flag: asyncio.Event | None = None,
    ready_flag: asyncio.Event | None = None,
) -> None:
    """Run the operator until `stop_flag` is set (or the process is signalled). Unless
    `standalone`, peering is mandatory under kodegen's own name (`handlers.PEERING`): the
    process starts paused and acts only once the peering shows no replica above it."""
    op.namespaces = tuple(namespaces)
    op.peering = None if standalone else handlers.PEERING
    try:
        await kopf.operator(
            registry=handlers.registry(drift_interval=op.settings.drift_interval_seconds),
            memo=op,
            clusterwide=not namespaces,
            namespaces=list(namespaces),
            standalone=standalone,
            peering_name=None if standalone else handlers.PEERING,
            liveness_endpoint=liveness,
            stop_flag=stop_flag,
            ready_flag=ready_flag,
        )
    finally:
        if isinstance(op.executor, executors.Local):
            await asyncio.to_thread(op.executor.shutdown)
        if op.templates is not None:
            await asyncio.to_thread(op.templates.pool.shutdown, True, cancel_futures=True)


def run_job(
    namespace: str,
    request: str,
    client: kube.Kube | None = None,
    generator: generate.Generator | None = None,
) -> int:
    """`kodegen run-job`: 0 succeeded, 1 gates failed, 2 bad input, 3 retry. Exit codes 1 and 2
    fail the Job at once (podFailurePolicy), so every unexpected failure, a crash included,
    must leave as 3: the Job's pod is then retried up to its backoffLimit."""
    try:
        client = client or kube.connect()
        body = client.read_config_map(namespace, request)
        if body is not None and runs.TEMPLATE_REQUEST_KEY in (body.get("data") or {}):
            tested = runner.execute_template(
                client, runs.TemplateRequest.from_config_map(body), generator=generator
            )
            logger.info("template tests finished: passed=%s", tested.passed)
            return 0 if tested.passed else jobs.EXIT_GATES_FAILED
        outcome = runner.execute(client, namespace, request, generator=generator)
    except errors.InputError as exc:
        logger.error("bad request: %s", exc)
        return jobs.EXIT_BAD_INPUT
    except Exception:  # the Job retries; the traceback goes to the pod's log
        logger.exception("run did not finish")
        return EXIT_RETRY
    logger.info("run finished: %s %s", outcome.phase, outcome.reason)
    return runner.exit_code(outcome)
