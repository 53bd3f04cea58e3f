"""The operator's decisions, one CodeGeneration at a time. kopf-free except for its error
types: the handlers (handlers.py) call these with the parsed body and the `Operator`.

    reconcile(op, body)          on create, update, resume, and while Queued: validate, hash,
                                 and either do nothing (unchanged and Succeeded), wait (Queued),
                                 or start a run (request ConfigMap + Job, or a local worker)
    complete(op, ns, name, h8)   a run ended: read its result, rebuild status, post Events

Status is rebuilt from what the cluster shows (the resource, its Jobs, the result ConfigMaps),
and every side effect is idempotent: names derive from the input hash, creates that find the
object already there succeed, Events are named after what they say.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import kopf
import pydantic

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.api import codegeneration_status as status_api
from kodegen.controller import (
    conditions,
    executors,
    jobs,
    kube,
    metrics,
    names,
    rollouts,
    runs,
    settings,
)
from kodegen.controller import resolver as resolver_
from kodegen.controller import slots as slots_
from kodegen.documents import loading, sources
from kodegen.outputs import git as git_output
from kodegen.pipeline import generate
from kodegen.specs import bundle, inlining
from kodegen.templates import model as templates_model

__all__ = ["Operator", "complete", "parse", "reconcile"]

RETRY_SECONDS = 10.0
_log = logging.getLogger(__name__)
"""Delay before kopf retries a reconcile that hit a transient API error."""


@dataclasses.dataclass
class Operator:
    """Everything the handlers share: passed to kopf as its `memo`."""

    kube: kube.Kube
    settings: settings.Settings
    slots: slots_.Slots
    metrics: metrics.Metrics
    resolver: resolver_.Resolver
    users: rollouts.Users = dataclasses.field(default_factory=rollouts.Users)
    """The CodeGenerations seen, for rollouts and `usedBy`."""
    watchdog: Any = None
    """The operator-wide loop that re-admits Queued runs and checks Running ones."""
    templates: Any = None
    """The template side (`templates.Templates`), when template resources are reconciled."""
    on_finished: Callable[[Mapping[str, Any], runs.Outcome], None] = lambda body, outcome: None
    """Told of every current run that ended (canary bookkeeping of template rollouts)."""
    executor: executors.Executor = dataclasses.field(init=False)
    namespaces: tuple[str, ...] = ()
    """The namespaces watched; none: the whole cluster."""
    peering: str | None = None
    """The name of the peering this replica is in (None: standalone, alone by definition)."""
    priority: int = 0
    """This replica's peering priority (the highest live one acts, the others are paused)."""
    counted: threading.Event = dataclasses.field(default_factory=threading.Event)
    """Set once the slots of runs already going were counted from the cluster (`_admit`). An
    Event, not a bool: kopf hands every object its own shallow copy of the memo, so a flag set
    by assignment would be set in one object's copy only, and every other object would count
    again (a list of every CodeGeneration per admission, one at a time under `counting`)."""
    counting: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    unannounced: set[tuple[str, str]] = dataclasses.field(default_factory=set)
    """(Job, hash8) of runs this process started (or tried to) whose JobCreated Event is not
    posted yet: a later pass over the run posts it. After a restart, every run found Running
    outside the slots is announced again (a no-op when the Event is there)."""
    clock: Callable[[], datetime.datetime] = lambda: datetime.datetime.now(datetime.UTC)

    def now(self) -> str:
        return conditions.timestamp(self.clock())

    def event(
        self, body: Mapping[str, Any], kind: str, reason: str, message: str, run: str
    ) -> None:
        kube.post_event(
            self.kube, body, type=kind, reason=reason, message=message, now=self.now(), run=run
        )


def parse(body: Mapping[str, Any]) -> codegeneration.CodeGeneration:
    """The body as the model; a `kopf.PermanentError` naming the field when it is invalid (the
    CRD's schema lets through what only the model checks, e.g. cross-field rules)."""
    document = {key: body[key] for key in ("apiVersion", "kind", "metadata", "spec") if key in body}
    document["metadata"] = {
        key: body["metadata"][key] for key in ("name", "namespace") if key in body["metadata"]
    }
    if "status" in body:
        document["status"] = body["status"]
    try:
        return codegeneration.CodeGeneration.model_validate(document)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise kopf.PermanentError(f"invalid CodeGeneration: {where}: {first['msg']}") from exc


# -- reconcile ---------------------------------------------------------------------------------


def reconcile(op: Operator, body: Mapping[str, Any]) -> str:
    """One pass over a CodeGeneration; returns what it did (for metrics and tests)."""
    started = time.perf_counter()
    outcome = "error"
    try:
        outcome = _reconcile(op, body)
        return outcome
    except kube.KubeError as exc:
        op.metrics.reconcile_errors.labels(kind="api").inc()
        raise kopf.TemporaryError(str(exc), delay=RETRY_SECONDS) from exc
    finally:
        op.metrics.reconcile_seconds.labels(outcome=outcome).observe(time.perf_counter() - started)
        op.metrics.active.set(op.slots.active)
        op.metrics.queued.set(op.slots.waiting)


def _reconcile(op: Operator, body: Mapping[str, Any]) -> str:
    meta = body["metadata"]
    generation = parse(body)
    namespace, name, observed = (
        meta.get("namespace") or "default",
        meta["name"],
        meta.get("generation"),
    )
    key: slots_.Key = (namespace, name)
    status = generation.status
    report = _Reporter(op, body, observed)

    if generation.spec.suspend and status.phase not in ("Running",):
        op.slots.release(key)
        report.patch(
            {"observedGeneration": observed},
            ("Reconciling", "False", "Suspended", "spec.suspend is true: no new runs start"),
            ("Ready", "False", "Suspended", "spec.suspend is true: no new runs start"),
            phase=status.phase if status.phase != "Queued" else "Pending",
        )
        return "suspended"

    user = rollouts.User(namespace, name, dict(meta.get("labels") or {}), generation.spec.template)
    try:
        frozen = _inline_specification(op.kube, generation, op.settings.remote_ref_prefixes)
        resolution = op.resolver.resolve(
            namespace,
            generation.spec.template,
            current=status.resolved_template,
            user=user,
            asked=status.observed_generation != observed,
        )
    except _MissingConfigMap as missing:  # may appear later: retried, and shown meanwhile
        op.slots.release(key)
        report.patch({"observedGeneration": observed}, *missing.conditions, phase=status.phase)
        raise kopf.TemporaryError(str(missing), delay=_backoff(op, report)) from None
    except errors.FetchError as exc:  # an allowed remote $ref did not answer: try again
        op.slots.release(key)
        raise kopf.TemporaryError(str(exc), delay=_backoff(op, report)) from exc
    except errors.InputError as exc:
        op.users.record(user)
        return _rejected(op, report, generation, exc)
    template, resolved = resolution.template, resolution.resolved
    now_using = resolution.entry.key if resolution.entry else None
    before = op.users.record(dataclasses.replace(user, template=now_using))
    if before != now_using and op.templates is not None:
        op.templates.used_by_changed(before, now_using)
    digest = names.input_hash(frozen.spec, template.digest)
    run = names.hash8(digest)
    update = _update_available(resolution)

    if status.input_hash == digest:
        if status.phase in ("Succeeded", "Failed"):
            # A slot still held for it here was taken while another replica finished the
            # run (this one was paused): given back.
            op.slots.release(key, digest)
            if update is not None:
                report.patch({}, update, phase=status.phase)
            return "unchanged"
        if status.phase == "Running":
            going = _resume(op, report, key, digest)
            if going is not None:
                return going
            # recorded, but it runs nowhere and left no result (the process died before the
            # Job was created, a local worker was lost): start it now, in the slot it holds
    else:
        fresh = op.kube.read_generation(namespace, name) or {}
        if (fresh.get("status") or {}).get("inputHash") == digest:
            # this body is older than the status: the run is recorded already, go on from there
            return _reconcile(op, fresh)
        try:
            _validate(frozen, resolved, template)
        except errors.InputError as exc:
            return _rejected(op, report, generation, exc)
        except Exception as exc:  # a bug met in validation: SpecValid=False, never a stall
            op.metrics.reconcile_errors.labels(kind="internal").inc()
            _log.exception("validation failed unexpectedly namespace=%s name=%s", namespace, name)
            failure = errors.UnexpectedInputError(what="the specification", exception=exc)
            return _rejected(op, report, generation, failure)
        # The status names another input. A Job of this input still there is adopted: every
        # other input that started since would have deleted it (supersede), so its output is
        # still the one published. Without a Job, a result an earlier run of this input left
        # (A, then B, then A again) is out of date: it goes before the status records the run.
        if op.executor.state(namespace, name, digest) is None:
            op.executor.forget(namespace, name, digest)
        report.event("Normal", "Accepted", f"input {run}: template {resolved.name}", run)
        if resolution.deprecated_pin:
            report.event(
                "Warning",
                "DeprecatedTemplate",
                f"{resolved.name} {resolved.version} is deprecated; it is used because "
                "spec.template.version pins it exactly",
                run,
            )
        if status.input_hash is not None:  # an earlier run may still be going
            op.executor.supersede(namespace, name, digest)

    fields = {
        "observedGeneration": observed,
        "inputHash": digest,
        "resolvedTemplate": resolved.model_dump(mode="json", by_alias=True, exclude_none=True),
    }
    valid: list[conditions.Condition] = [
        ("SpecValid", "True", "Valid", "the specification parses and validates"),
        (
            "TemplateResolved",
            "True",
            "Resolved",
            f"{resolved.kind} {resolved.name} {resolved.version} ({resolved.digest[:19]})",
        ),
    ]
    if update is not None:
        valid.append(update)
    if not _admit(op, key, digest):
        limits = op.settings.limits
        report.patch(
            fields,
            *valid,
            ("Generated", "Unknown", "Queued", "waiting for a free slot"),
            ("Reconciling", "True", "Queued", "waiting for a free slot"),
            (
                "Ready",
                "False",
                "Queued",
                f"waiting: at most {limits.per_namespace} runs per "
                f"namespace and {limits.cluster} in the cluster",
            ),
            phase="Queued",
        )
        return "queued"

    request = runs.Request(
        generation=frozen,
        uid=meta["uid"],
        template=resolved,
        input_hash=digest,
        template_spec=template.spec if resolution.entry is not None else None,
        template_files=template.files if resolution.entry is not None else None,
    )
    job_name = names.job(name, digest)
    running = ("Running", f"run {run} in progress")
    # The status records the run before anything irreversible: a pass that dies after this
    # line finds inputHash and phase Running, and adopts the Job (or starts it) next time.
    report.patch(
        {**fields, "job": {"name": job_name, "attempts": 0}},
        *valid,
        ("Generated", "Unknown", *running),
        ("QualityGatesPassed", "Unknown", *running),
        ("Published", "Unknown", *running),
        ("Reconciling", "True", *running),
        ("Ready", "False", *running),
        phase="Running",
    )
    op.unannounced.add((job_name, run))  # until JobCreated is posted (`_job_created`)
    try:
        created = op.executor.start(request)  # an existing Job (409) is this run's: adopted
    except kube.KubeError as exc:
        if exc.status not in STALLING:
            raise
        return _stalled(op, report, key, fields, valid, exc)
    if created:
        op.metrics.started.labels(executor=op.executor.name).inc()
    _job_created(op, report, job_name, run)
    if not created:  # another pass or replica started it: it may have ended already
        state = op.executor.state(namespace, name, digest)
        if state is None or state.phase != "Running":
            done = complete(op, namespace, name, run, state)
            if done != "pending":
                return done
        return "running"
    return "started"


def _job_created(op: Operator, report: _Reporter, job_name: str, run: str) -> None:
    """The JobCreated Event: named by what it says, so posting it again is a no-op."""
    where = f"Job {job_name}" if op.executor.name == "job" else "the local executor"
    report.event("Normal", "JobCreated", f"run {run} started in {where}", run)
    op.unannounced.discard((job_name, run))


def _resume(op: Operator, report: _Reporter, key: slots_.Key, digest: str) -> str | None:
    """The run the status records as Running: go on with it (its Job runs: adopted, in its
    slot), record how it ended (its Job finished, or is gone but its result ConfigMap is
    there), or None when it runs nowhere and left no result (it must start)."""
    namespace, name = key
    run = names.hash8(digest)
    state = op.executor.state(namespace, name, digest)
    if state is not None and state.phase == "Running":
        job_name = names.job(name, digest)
        if op.slots.holder(key) != digest or (job_name, run) in op.unannounced:
            _job_created(op, report, job_name, run)  # a pass died before posting it
        op.slots.hold(key, digest)
        return "running"
    op.slots.hold(key, digest)
    done = complete(op, namespace, name, run, state)
    return None if done == "pending" else done


def _admit(op: Operator, key: slots_.Key, digest: str) -> bool:
    """A slot for `key`'s run, once the slots held by runs already going (a restart) are
    counted again from the cluster."""
    if not op.counted.is_set():
        with op.counting:
            if not op.counted.is_set():
                for found in op.kube.generations(op.namespaces):
                    meta, status = found["metadata"], found.get("status") or {}
                    if status.get("phase") == "Running" and status.get("inputHash"):
                        held = (meta.get("namespace") or "default", meta["name"])
                        op.slots.hold(held, str(status["inputHash"]))
                op.counted.set()
    return op.slots.acquire(key, digest)


STALLING = frozenset({403, 413, 422})
"""API answers to a run's creation that no quick retry mends: refused (RBAC, quota,
admission: 403), too large (413) or invalid (422). The run gives back its slot and says so."""
PERMANENT = frozenset({413, 422})
"""Of those, the ones only a spec change mends (the same input makes the same objects)."""
BACKOFF_MAX_SECONDS = 300.0


class _MissingConfigMap(Exception):
    """The spec's `configMapRef` names a ConfigMap that does not exist (yet)."""

    @property
    def conditions(self) -> list[conditions.Condition]:
        message = str(self)
        return [
            ("Stalled", "True", "ConfigMapNotFound", message),
            ("Reconciling", "False", "ConfigMapNotFound", "waiting for the ConfigMap to exist"),
            ("Ready", "False", "ConfigMapNotFound", message),
        ]


def _stalled(
    op: Operator,
    report: _Reporter,
    key: slots_.Key,
    fields: Mapping[str, Any],
    valid: list[conditions.Condition],
    exc: kube.KubeError,
) -> str:
    """A run the API server will not start: give the slot back, say why, and retry with
    backoff when a retry can help (403: RBAC or quota may change), never when it cannot (an
    invalid or oversized object stays so until the spec changes: kopf's update handler)."""
    op.slots.release(key)
    reason = "JobForbidden" if exc.status == 403 else "JobInvalid"
    message = f"the run cannot start: {exc}"
    report.patch(
        {**fields, "job": None},
        *valid,
        ("Stalled", "True", reason, message),
        ("Reconciling", "False", reason, "stalled: see the Stalled condition"),
        ("Generated", "Unknown", reason, "the run has not started"),
        ("Ready", "False", reason, message),
        phase="Pending",
    )
    report.event("Warning", reason, message, names.hash8(fields["inputHash"]))
    op.metrics.reconcile_errors.labels(kind="stalled").inc()
    if exc.status in PERMANENT:
        raise kopf.PermanentError(message) from exc
    raise kopf.TemporaryError(message, delay=_backoff(op, report)) from exc


def _backoff(op: Operator, report: _Reporter) -> float:
    """The delay before the next try of a stalled CodeGeneration: as long as it has been
    stalled so far (so doubling), from RETRY_SECONDS up to BACKOFF_MAX_SECONDS."""
    found = [
        c
        for c in (report.body.get("status") or {}).get("conditions") or []
        if c.get("type") == "Stalled" and c.get("status") == "True"
    ]
    if not found:
        return RETRY_SECONDS
    since = datetime.datetime.fromisoformat(str(found[0]["lastTransitionTime"]))
    stalled_for = (op.clock() - since).total_seconds()
    return min(BACKOFF_MAX_SECONDS, max(RETRY_SECONDS, stalled_for))


def _rejected(
    op: Operator, report: _Reporter, generation: codegeneration.CodeGeneration, exc: Exception
) -> str:
    template_side = isinstance(exc, errors.TemplateError | errors.VariableError)
    kind = "TemplateResolved" if template_side else "SpecValid"
    reason = "TemplateNotResolved" if template_side else "InvalidSpec"
    report.patch(
        {"observedGeneration": report.observed, "inputHash": None, "job": None},
        (kind, "False", reason, str(exc)),
        ("Reconciling", "False", reason, "the input is rejected: see Ready"),
        ("Ready", "False", reason, str(exc)),
        phase="Failed",
    )
    report.event("Warning", "Failed", str(exc), "")
    op.slots.release((generation.metadata.namespace or "default", generation.metadata.name))
    op.metrics.failed.labels(reason=reason).inc()
    raise kopf.PermanentError(str(exc)) from exc


def _update_available(resolution: resolver_.Resolution) -> conditions.Condition | None:
    """UpdateAvailable, for CodeGenerations whose template family is published as resources."""
    if resolution.entry is None:
        return None
    waiting = resolution.waiting
    if waiting is None:
        return ("UpdateAvailable", "False", "UpToDate", "no newer Ready version in range")
    how = (
        "change spec.regenerate to move to it"
        if waiting.spec.rollout.strategy == "Manual"
        else f"its {waiting.spec.rollout.strategy} rollout has not reached this CodeGeneration"
    )
    return ("UpdateAvailable", "True", "NewerVersion", f"{waiting.label} is Ready; {how}")


def _validate(
    frozen: codegeneration.CodeGeneration,
    resolved: status_api.ResolvedTemplate,
    template: templates_model.Template | None = None,
) -> None:
    """Parse the spec and plan against the template (no rendering): bad input is reported on
    the resource at once, not after a Job has started."""
    if frozen.spec.output.git is not None:
        git_output.check(frozen.spec.output.git)
    ref = frozen.spec.template.model_copy(update={"version": resolved.version})
    pinned = frozen.model_copy(update={"spec": frozen.spec.model_copy(update={"template": ref})})
    generate.Generator().validate(pinned, template)


def _inline_specification(
    client: kube.Kube,
    generation: codegeneration.CodeGeneration,
    prefixes: tuple[str, ...] = (),
) -> codegeneration.CodeGeneration:
    """The CodeGeneration with its OpenAPI or JSON Schema document inline: read from the
    ConfigMap it names (in its own namespace, never another's), the files it `$ref`s read
    from the ConfigMap's other keys, remote `$ref`s fetched only under the prefixes both the
    manifest (`allowRemoteRefs`) and the operator (`prefixes`) allow. The Job then needs
    nothing but the request."""
    found = inlining.member(generation.spec.specification)
    if found is None:
        return generation
    _, alias, source = found
    field = f"spec.specification.{alias}"
    remote = inlining.remote_for(generation, prefixes)
    if source.file is not None:
        raise errors.ManifestError(
            field=f"{field}.file",
            reason="is a file on the disk of whoever runs `kodegen generate`; the operator has "
            "none: put the files in a ConfigMap (configMapRef, one key per file) or use git",
        )
    if source.config_map_ref is None:
        if source.inline is None or not source.inline:
            return generation
        with loading.guard(f"{field}.inline"):
            return inlining.inlined(generation, bundle.bundle(source.inline, remote=remote))
    ref = source.config_map_ref
    namespace = generation.metadata.namespace or "default"
    field = f"{field}.configMapRef"
    held = client.read_config_map(namespace, ref.name)
    if held is None:
        raise _MissingConfigMap(
            f"{field}: ConfigMap {namespace}/{ref.name} does not exist (yet); retrying"
        )
    data: dict[str, str] = held.get("data") or {}
    files = {key: value for key, value in data.items() if key != sources.INDEX_KEY}
    if ref.key is None and len(files) != 1:
        raise errors.ManifestError(
            field=f"{field}.key",
            reason=f"ConfigMap {ref.name} has {len(files)} keys ({', '.join(sorted(files))}); "
            "name the one holding the entry document",
        )
    key = ref.key or next(iter(files))
    if key not in files:
        raise errors.ManifestError(
            field=f"{field}.key", reason=f"ConfigMap {ref.name} has no key {key!r}"
        )
    where = f"ConfigMap {namespace}/{ref.name}"
    try:
        named = sources.config_map_files(data, where=where)
        entry = sources.entry_name(key, data)
        document = inlining.document(
            sources.Files(named, label=f"{where} key"), entry, remote=remote
        )
    except errors.DocumentError as exc:
        raise errors.ManifestError(field=field, reason=str(exc)) from exc
    return inlining.inlined(generation, document)


# -- completion --------------------------------------------------------------------------------


def complete(op: Operator, namespace: str, name: str, run: str, state: jobs.JobState | None) -> str:
    """Record the end of run `run` (hash8) of CodeGeneration `name`; returns what it did."""
    body = op.kube.read_generation(namespace, name)
    key: slots_.Key = (namespace, name)
    if body is None:
        op.slots.release(key)
        return "gone"
    generation = parse(body)
    status = generation.status
    found = op.kube.read_config_map(namespace, names.result(name, run))
    current = status.input_hash
    is_current = current is not None and names.hash8(current) == run
    if found is not None:
        outcome = runs.Outcome.from_config_map(found)
    elif state is None or state.phase == "Running":
        return "pending"
    elif is_current:
        assert current is not None
        outcome = _job_failure(current, state, op.now())
    else:
        return "superseded"

    entry = status_api.HistoryEntry(
        revision=(status.history[-1].revision + 1) if status.history else 1,
        input_hash=outcome.input_hash,
        template_version=status.resolved_template.version if status.resolved_template else None,
        phase=outcome.phase,
        output=outcome.output,
        finished_at=outcome.finished_at,
    )
    recorded = any(
        h.input_hash == entry.input_hash and h.finished_at == entry.finished_at
        for h in status.history
    )
    history = [h.model_dump(mode="json", by_alias=True, exclude_none=True) for h in status.history]
    if not recorded:
        history = [*history, entry.model_dump(mode="json", by_alias=True, exclude_none=True)]
        history = history[-status_api.HISTORY_LIMIT :]
    if not is_current:
        if not recorded:
            op.kube.patch_generation_status(namespace, name, {"history": history})
        return "superseded"
    if recorded and status.phase == outcome.phase:
        op.slots.release(key, current)
        return "recorded"

    op.slots.release(key, current)
    report = _Reporter(op, body, body["metadata"].get("generation"))
    fields: dict[str, Any] = {
        "result": outcome.result.model_dump(mode="json", by_alias=True, exclude_none=True),
        "history": history,
        "job": {
            "name": names.job(name, outcome.input_hash),
            "attempts": state.attempts if state else 1,
        },
    }
    if outcome.output is not None:
        fields["output"] = outcome.output.model_dump(mode="json", by_alias=True, exclude_none=True)
    # Events first: each is named by what it says, so a pass that dies before the status
    # is written posts them again as no-ops, and one that dies after finds them all there
    # (JobCreated too: the pass that started the run may have died before posting it).
    _job_created(op, report, names.job(name, outcome.input_hash), run)
    for kind, reason, message in _outcome_events(outcome):
        report.event(kind, reason, message, run)
    report.patch(fields, *_outcome_conditions(outcome), phase=outcome.phase)
    _count(op.metrics, outcome)
    op.metrics.active.set(op.slots.active)
    op.on_finished(body, outcome)
    return outcome.phase.lower()


def _job_failure(digest: str, state: jobs.JobState, now: str) -> runs.Outcome:
    """The outcome of a run that ended without writing one: the Job's own story."""
    reason = state.reason or "Error"
    return runs.Outcome(
        input_hash=digest,
        phase="Failed",
        reason="Error",
        message=f"the Job failed before writing a result: {reason}: "
        f"{state.message or 'no message'}",
        finished_at=now,
    )


def _outcome_conditions(outcome: runs.Outcome) -> list[conditions.Condition]:
    ended: conditions.Condition = (
        "Reconciling",
        "False",
        outcome.reason,
        f"run {names.hash8(outcome.input_hash)} ended: {outcome.phase}",
    )
    return [*_result_conditions(outcome), ended]


def _result_conditions(outcome: runs.Outcome) -> list[conditions.Condition]:
    figures = outcome.result
    if outcome.reason == "Succeeded":
        coverage = f", coverage {figures.coverage:g} %" if figures.coverage is not None else ""
        where = _where(outcome.output)
        return [
            ("Generated", "True", "Generated", f"{figures.files} files, {figures.lines} lines"),
            (
                "QualityGatesPassed",
                "True",
                "Passed",
                f"{len(outcome.gates)} gates passed{coverage}{_uncontained(outcome)}",
            ),
            ("Published", "True", "Published", where),
            ("Ready", "True", "Succeeded", outcome.message),
        ]
    if outcome.reason == "QualityGatesFailed":
        return [
            ("Generated", "True", "Generated", f"{figures.files} files, {figures.lines} lines"),
            ("QualityGatesPassed", "False", "QualityGatesFailed", outcome.message),
            (
                "Published",
                "False",
                "QualityGatesFailed",
                "not published; the previous output, if any, stays in place",
            ),
            ("Ready", "False", "QualityGatesFailed", outcome.message),
        ]
    if outcome.reason in _GIT_REASONS or (outcome.reason == "LeakedKey" and figures.files):
        return [
            ("Generated", "True", "Generated", f"{figures.files} files, {figures.lines} lines"),
            ("QualityGatesPassed", "True", "Passed", f"{len(outcome.gates)} gates passed"),
            ("Published", "False", outcome.reason, outcome.message),
            ("Ready", "False", outcome.reason, outcome.message),
        ]
    not_run: tuple[conditions.Status, str, str] = (
        "Unknown",
        "NotRun",
        "the run ended before this step",
    )
    return [
        ("Generated", "False", outcome.reason, outcome.message),
        ("QualityGatesPassed", *not_run),
        ("Published", "False", outcome.reason, "not published"),
        ("Ready", "False", outcome.reason, outcome.message),
    ]


_GIT_REASONS = frozenset(reason for reason, _ in errors.GitError.KINDS.values())
"""Outcome reasons of a run whose code passed every gate and could not be published to Git."""


def _where(output: status_api.OutputStatus | None) -> str:
    """Where the code went, for the Published condition."""
    if output is None:
        return "-"
    git = output.git
    if git is None:
        return "ConfigMap " + ", ".join(output.config_maps)
    where = f"Git {git.url} branch {git.branch} commit {git.commit[:12]}"
    if git.path:
        where += f" path {git.path}"
    if git.pull_request is not None:
        where += f"; pull request {git.pull_request.url} ({git.pull_request.state})"
    return where + ("" if git.changed else " (unchanged: no new commit)")


def _uncontained(outcome: runs.Outcome) -> str:
    """A warning for the condition when generated code ran without full containment
    (`qualityGates.isolation: best-effort` where the sandbox lacks namespaces or limits)."""
    if any((gate.get("metrics") or {}).get("contained") == 0.0 for gate in outcome.gates):
        return (
            "; WARNING: generated code ran UNCONTAINED (qualityGates.isolation: best-effort;"
            " see predicate.isolation in the provenance)"
        )
    return ""


def _outcome_events(outcome: runs.Outcome) -> list[tuple[str, str, str]]:
    figures = outcome.result
    if outcome.reason == "Succeeded":
        return [
            (
                "Normal",
                "Generated",
                f"{figures.files} files, {figures.lines} lines, coverage "
                f"{figures.coverage if figures.coverage is not None else '-'} %",
            ),
            ("Normal", "Published", outcome.message),
        ]
    if outcome.reason == "QualityGatesFailed":
        return [("Warning", "QualityGatesFailed", outcome.message)]
    if outcome.reason in _GIT_REASONS:
        return [("Warning", outcome.reason, outcome.message)]
    return [("Warning", "Failed", outcome.message)]


def _count(registry: metrics.Metrics, outcome: runs.Outcome) -> None:
    if outcome.phase == "Succeeded":
        registry.succeeded.inc()
    else:
        registry.failed.labels(reason=outcome.reason).inc()
    for gate in outcome.failed_gates():
        registry.gate_failures.labels(gate=str(gate.get("name"))).inc()
    for stage, seconds in outcome.timings.items():
        registry.stage_seconds.labels(stage=stage).observe(seconds)
    if outcome.result.duration_seconds is not None:
        registry.run_seconds.observe(outcome.result.duration_seconds)


# -- status ------------------------------------------------------------------------------------


class _Reporter:
    """Writes one CodeGeneration's status and Events."""

    def __init__(self, op: Operator, body: Mapping[str, Any], observed: int | None) -> None:
        self.op, self.body, self.observed = op, body, observed

    def patch(
        self, fields: Mapping[str, Any], *updates: conditions.Condition, phase: str | None
    ) -> None:
        existing = (self.body.get("status") or {}).get("conditions") or []
        if _stalled_before(existing) and all(kind != "Stalled" for kind, *_ in updates):
            updates = (*updates, ("Stalled", "False", "Progressing", "no longer stalled"))
        status = {
            **fields,
            "phase": phase,
            "observedGeneration": self.observed,
            "conditions": conditions.merge(
                existing, updates, generation=self.observed, now=self.op.clock()
            ),
        }
        meta = self.body["metadata"]
        if _unchanged(self.body.get("status") or {}, status):
            return
        self.op.kube.patch_generation_status(
            meta.get("namespace") or "default", meta["name"], status
        )

    def event(self, kind: str, reason: str, message: str, run: str) -> None:
        self.op.event(self.body, kind, reason, message, run)


def _stalled_before(existing: Any) -> bool:
    return any(c.get("type") == "Stalled" and c.get("status") == "True" for c in existing)


def _unchanged(before: Mapping[str, Any], after: Mapping[str, Any]) -> bool:
    """Whether merging `after` into `before` would change nothing (no write, no watch event)."""
    return all(
        json.dumps(before.get(key), sort_keys=True) == json.dumps(value, sort_keys=True)
        for key, value in after.items()
    )
