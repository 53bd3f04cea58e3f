"""The kopf handlers: short, sync (kopf runs them in its thread pool, so the official
Kubernetes client may block), each delegating to `reconcile`.

    registry(op)   a fresh `kopf.OperatorRegistry` with every handler, bound to nothing global:
                   the `Operator` arrives as kopf's `memo`
    configure      kopf's own settings, chosen deliberately:
                   - progress and diff-base in `status.kopf` (the CRDs keep that field as
                     it is, `x-kubernetes-preserve-unknown-fields`), never in annotations:
                     annotations hold 256 KiB in all, and the diff-base is a copy of the spec,
                     so a large inline spec would not fit (the copy is compressed:
                     `diffbase.CompressedStatusDiffBase`);
                   - log lines are never posted as Events (`posting.loggers = False`): Events
                     are written on purpose, by `reconcile`, and carry no spec bodies, prompts or
                     outputs;
                   - a peering priority per pod (from POD_NAME), so of two replicas exactly one
                     is active and the other waits, instead of both pausing on equal priority
                     (the peering itself, mandatory and named `PEERING`, is set by `main.run`).
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import logging
import os
import time
from typing import Any

import kopf

from kodegen.api import base
from kodegen.controller import diffbase, drift, jobs, kube, names, reconcile, templates
from kodegen.controller import login as login_

logger = logging.getLogger(__name__)

__all__ = ["priority", "registry"]

CODEGENERATIONS = (base.GROUP, base.VERSION, "codegenerations")
QUEUED_RETRY_SECONDS = 2.0
"""How often a Queued CodeGeneration asks for a slot again."""
STATUS_FIELD = "kopf"
"""kopf's own records live under `status.kopf` (see the CRDs' status schema)."""
PEERING = "kodegen"
"""The peering object's name: kodegen's own, never kopf's `default` that any other kopf
operator in the cluster would share."""
RUNNING_CHECK_SECONDS = 60.0
"""How often a Running CodeGeneration's run is looked at, should a Job event have been missed
(the watch reconnected at the wrong moment) or a local worker lost."""


def _publishes_to_git(spec: kopf.Spec, **_: Any) -> bool:
    return bool((spec.get("output") or {}).get("git")) and spec.get("driftPolicy") != "Ignore"


def priority(pod_name: str | None) -> int:
    """A peering priority distinct per pod (kopf pauses operators of equal priority)."""
    if not pod_name:
        return 0
    return 1 + int(hashlib.sha256(pod_name.encode()).hexdigest()[:7], 16)


def registry(drift_interval: float = 300.0) -> kopf.OperatorRegistry:
    """Every handler; `drift_interval`: seconds between drift checks of Git output."""
    handlers = kopf.OperatorRegistry()

    @kopf.on.startup(registry=handlers)
    def configure(settings: kopf.OperatorSettings, memo: reconcile.Operator, **_: Any) -> None:
        settings.persistence.progress_storage = kopf.StatusProgressStorage(
            field=f"status.{STATUS_FIELD}.progress"
        )
        settings.persistence.diffbase_storage = diffbase.CompressedStatusDiffBase(
            field=f"status.{STATUS_FIELD}.last-handled-configuration"
        )
        settings.posting.loggers = False
        settings.posting.level = logging.WARNING
        settings.peering.priority = priority(os.environ.get("POD_NAME"))
        memo.priority = settings.peering.priority
        settings.execution.max_workers = 16

    @kopf.on.login(registry=handlers)
    def login(
        memo: reconcile.Operator, settings: kopf.OperatorSettings, **_: Any
    ) -> kopf.ConnectionInfo:
        # The operator's own client's credentials, read as kopf's login_via_client does.
        return login_.connection(
            memo.kube.configuration,
            default_namespace=memo.settings.namespace,
            trust_env=settings.networking.trust_env,
        )

    @kopf.on.resume(*CODEGENERATIONS, registry=handlers)
    @kopf.on.create(*CODEGENERATIONS, registry=handlers)
    @kopf.on.update(*CODEGENERATIONS, field="spec", registry=handlers)
    def reconcile_generation(body: kopf.Body, memo: reconcile.Operator, **_: Any) -> None:
        reconcile.reconcile(memo, body)

    @kopf.timer(
        *CODEGENERATIONS,
        interval=drift_interval,
        initial_delay=drift_interval,
        when=_publishes_to_git,
        registry=handlers,
    )
    def check_drift(body: kopf.Body, memo: reconcile.Operator, **_: Any) -> None:
        drift.check(memo, body)

    @kopf.on.startup(registry=handlers)
    async def start_watchdog(memo: reconcile.Operator, **_: Any) -> None:
        memo.watchdog = asyncio.get_running_loop().create_task(watchdog(memo))

    @kopf.on.cleanup(registry=handlers)
    async def stop_watchdog(memo: reconcile.Operator, **_: Any) -> None:
        if memo.watchdog is not None:
            memo.watchdog.cancel()

    @kopf.on.event(*CODEGENERATIONS, registry=handlers)
    def forget_generation(
        body: kopf.Body, memo: reconcile.Operator, type: str | None, **_: Any
    ) -> None:
        if type == "DELETED":  # its Jobs and ConfigMaps go with it (ownerReferences)
            meta = body["metadata"]
            memo.slots.release((meta.get("namespace") or "default", meta["name"]))
            memo.users.forget(meta.get("namespace") or "default", meta["name"])

    for plural in ("codetemplates", "clustercodetemplates"):
        resource = (base.GROUP, base.VERSION, plural)

        @kopf.on.resume(*resource, registry=handlers)
        @kopf.on.create(*resource, registry=handlers)
        @kopf.on.update(*resource, field="spec", registry=handlers)
        def reconcile_template(body: kopf.Body, memo: reconcile.Operator, **_: Any) -> None:
            templates.reconcile_template(memo.templates, body)

        @kopf.on.event(*resource, registry=handlers)
        def forget_template(
            body: kopf.Body, memo: reconcile.Operator, type: str | None, **_: Any
        ) -> None:
            if type == "DELETED":
                meta = body["metadata"]
                memo.templates.catalog.remove(body["kind"], meta.get("namespace"), meta["name"])

    @kopf.on.event(
        "batch",
        "v1",
        "jobs",
        labels={names.LABEL_MANAGED_BY: "kodegen", names.LABEL_ROLE: "job"},
        registry=handlers,
    )
    def job_event(body: kopf.Body, memo: reconcile.Operator, type: str | None, **_: Any) -> None:
        if type == "DELETED":
            return
        state = jobs.state(body)
        owner = _owner(body)
        run = (body["metadata"].get("labels") or {}).get(names.LABEL_INPUT_HASH)
        if state.phase == "Running" or owner is None or run is None:
            return
        reconcile.complete(memo, body["metadata"]["namespace"], owner, run, state)

    @kopf.on.event(
        "batch",
        "v1",
        "jobs",
        labels={names.LABEL_MANAGED_BY: "kodegen", names.LABEL_ROLE: "template-job"},
        registry=handlers,
    )
    def template_job_event(
        body: kopf.Body, memo: reconcile.Operator, type: str | None, **_: Any
    ) -> None:
        if type == "DELETED":
            return
        state = jobs.state(body)
        owner = _template_owner(body)
        if state.phase != "Running" and owner is not None:
            templates.job_finished(memo.templates, body, owner, state)

    return handlers


async def watchdog(op: reconcile.Operator) -> None:
    """One loop for the whole operator, instead of a kopf timer per object (a timer makes kopf
    put a finalizer on every CodeGeneration: a write per object, and deletions that wait for
    the operator): every QUEUED_RETRY_SECONDS the Queued ones ask for a slot again, every
    RUNNING_CHECK_SECONDS the Running ones are looked at."""
    checked = time.monotonic()
    while True:
        await asyncio.sleep(QUEUED_RETRY_SECONDS)
        try:
            checked = await tick(op, checked)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug must not end the loop: logged, counted, next tick retries
            op.metrics.watchdog_errors.inc()
            logger.exception("watchdog: tick failed; retrying on the next one")


async def tick(op: reconcile.Operator, checked: float) -> float:
    """One round of the watchdog; returns when the Running ones were last looked at. A poke
    that raises is logged and counted, and the other keys are still poked."""
    if await asyncio.to_thread(outranked, op):
        return checked  # kopf has paused this replica: its watchdog waits too
    keys = op.slots.waiting_keys()
    if time.monotonic() - checked >= RUNNING_CHECK_SECONDS:
        keys += op.slots.held_keys()
        checked = time.monotonic()
    for namespace, name in keys:
        try:
            await asyncio.to_thread(_poke, op, namespace, name)
        except Exception:
            op.metrics.watchdog_errors.inc()
            logger.exception("watchdog: %s/%s failed; retrying on the next tick", namespace, name)
    return checked


def outranked(op: reconcile.Operator) -> bool:
    """Whether kopf keeps this replica paused: its peering object is missing (the peering is
    mandatory), or shows a live replica of higher priority. The watchdog then does nothing, as
    kopf's handlers do nothing: only the active replica admits and checks runs."""
    if op.peering is None:
        return False
    found = op.kube.read_peering(op.peering, op.namespaces[0] if op.namespaces else None)
    if found is None:
        return True
    now = datetime.datetime.now(datetime.UTC)
    for peer in (found.get("status") or {}).values():
        if not isinstance(peer, dict) or int(peer.get("priority") or 0) <= op.priority:
            continue
        seen = datetime.datetime.fromisoformat(str(peer.get("lastseen")))
        if seen + datetime.timedelta(seconds=int(peer.get("lifetime") or 60)) > now:
            return True
    return False


def _poke(op: reconcile.Operator, namespace: str, name: str) -> None:
    try:
        body = op.kube.read_generation(namespace, name)
        if body is None:
            op.slots.release((namespace, name))
            return
        reconcile.reconcile(op, body)
    except (kopf.PermanentError, kopf.TemporaryError, kube.KubeError) as exc:
        logger.warning("watchdog: %s/%s: %s", namespace, name, exc)


def _template_owner(job: kopf.Body) -> dict[str, Any] | None:
    for reference in job["metadata"].get("ownerReferences") or ():
        if reference.get("kind") in ("CodeTemplate", "ClusterCodeTemplate"):
            return dict(reference)
    return None


def _owner(job: kopf.Body) -> str | None:
    for reference in job["metadata"].get("ownerReferences") or ():
        if reference.get("kind") == "CodeGeneration":
            return str(reference["name"])
    return None
