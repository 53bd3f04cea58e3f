"""CodeTemplate and ClusterCodeTemplate resources: fetched, validated, made Ready, rolled out.

    reconcile(op, body)     on create, update (only `deprecated` and `rollout` may change) and
                            resume: load the content from its source and hash it; content that
                            changed under the same version is refused (ContentChanged); new
                            content is validated: every test fixture rendered and put through
                            the quality gates in the operator's worker pool
    validated(...)          the tests ended: status (Validated, Ready, per-test results,
                            contentDigest), Events, and the rollout starts
    finished(op, body, o)   a CodeGeneration's run ended: canary bookkeeping (halt or promote)

A ClusterCodeTemplate reads its ConfigMap and Secret from the operator's namespace; a
CodeTemplate from its own (never another namespace's).
"""

from __future__ import annotations

import base64
import concurrent.futures
import dataclasses
import logging
import threading
from collections.abc import Mapping
from typing import Any

import kopf
import pydantic

from kodegen import errors
from kodegen.api import codetemplate as template_api
from kodegen.controller import (
    catalog,
    conditions,
    executors,
    jobs,
    names,
    reconcile,
    rollouts,
    runner,
    runs,
)
from kodegen.templates import git, model, sources

__all__ = ["Templates", "entry_of", "finished", "reconcile_template", "validated"]

logger = logging.getLogger(__name__)

PLURALS = {"CodeTemplate": "codetemplates", "ClusterCodeTemplate": "clustercodetemplates"}
CONDITION_ORDER = ("Validated", "Ready", "ContentChanged", "RolloutHalted")


class Templates:
    """The template side of the operator: catalog, content cache, validation pool."""

    def __init__(self, op: reconcile.Operator, *, workers: int = 1) -> None:
        self.op = op
        self.catalog = catalog.Catalog()
        self.pool = concurrent.futures.ThreadPoolExecutor(workers, "kodegen-template-tests")
        self._content: dict[tuple[tuple[str, str | None, str], str], model.Template] = {}
        self._testing: set[tuple[tuple[str, str | None, str], str]] = set()
        self._states: dict[tuple[str, str | None, str], template_api.RolloutStatus] = {}
        self._lock = threading.Lock()

    # -- content ---------------------------------------------------------------------------

    def fetch(
        self, kind: str, namespace: str | None, spec: template_api.CodeTemplateSpec
    ) -> sources.Loaded:
        """The template's files from its source, now (ConfigMap and Secret from its namespace,
        the operator's for a ClusterCodeTemplate)."""
        where = namespace or self.op.settings.namespace
        source = spec.source
        config_map = None
        fetcher = None
        if source is not None and source.config_map_ref is not None:
            found = self.op.kube.read_config_map(where, source.config_map_ref.name)
            if found is None:
                raise kopf.TemporaryError(
                    f"ConfigMap {where}/{source.config_map_ref.name} of the template's source "
                    "does not exist (yet)",
                    delay=30,
                )
            config_map = dict(found.get("data") or {})
        if source is not None and source.git is not None:
            credentials = None
            if source.git.secret_ref is not None:
                secret = self.op.kube.read_secret(where, source.git.secret_ref.name)
                if secret is None:
                    raise errors.TemplateError(
                        template=f"{spec.family}@{spec.version}",
                        file="spec.source.git.secretRef",
                        reason=f"Secret {where}/{source.git.secret_ref.name} does not exist",
                    )
                data = {k: base64.b64decode(v) for k, v in (secret.get("data") or {}).items()}
                credentials = git.Credentials.from_secret(data)
            fetcher = git.Cli(credentials=credentials)
        return sources.load(spec, config_map=config_map, git=fetcher)

    def load(self, entry: catalog.Entry) -> model.Template:
        """The content of a catalog entry (the resolver's loader), cached by its digest."""
        cache_key = (entry.key, entry.digest or "")
        with self._lock:
            if cache_key in self._content:
                return self._content[cache_key]
        template = self.fetch(entry.kind, entry.namespace, entry.spec).template
        with self._lock:
            self._content[cache_key] = template
        return template

    def used_by_changed(self, *keys: tuple[str, str | None, str] | None) -> None:
        """Write `status.usedBy` of the template resources a CodeGeneration left or joined."""
        for key in keys:
            if key is None:
                continue
            body = self.op.kube.read_template(*key)
            count = self.op.users.count(key)
            if body is not None and (body.get("status") or {}).get("usedBy") != count:
                self.op.kube.patch_template_status(key[0], key[1], key[2], {"usedBy": count})

    def state(self, entry: catalog.Entry) -> template_api.RolloutStatus | None:
        with self._lock:
            return self._states.get(entry.key)

    def remember(
        self, key: tuple[str, str | None, str], state: template_api.RolloutStatus | None
    ) -> None:
        with self._lock:
            if state is None:
                self._states.pop(key, None)
            else:
                self._states[key] = state


def entry_of(body: Mapping[str, Any], spec: template_api.CodeTemplateSpec) -> catalog.Entry:
    meta, status = body["metadata"], body.get("status") or {}
    ready = any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in status.get("conditions") or ()
    )
    halted = (status.get("rollout") or {}).get("phase") == "Halted"
    return catalog.Entry(
        kind=body["kind"],
        namespace=meta.get("namespace"),
        name=meta["name"],
        spec=spec,
        ready=ready,
        digest=status.get("contentDigest"),
        halted=halted,
    )


def _parse(body: Mapping[str, Any]) -> template_api.CodeTemplate | template_api.ClusterCodeTemplate:
    model_class = (
        template_api.CodeTemplate
        if body["kind"] == "CodeTemplate"
        else template_api.ClusterCodeTemplate
    )
    document = {k: body[k] for k in ("apiVersion", "kind", "spec", "status") if k in body}
    document["metadata"] = {
        k: body["metadata"][k] for k in ("name", "namespace") if k in body["metadata"]
    }
    try:
        return model_class.model_validate(document)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise kopf.PermanentError(f"invalid {body['kind']}: {where}: {first['msg']}") from exc


def reconcile_template(templates: Templates, body: Mapping[str, Any]) -> str:
    op = templates.op
    try:
        resource = _parse(body)
    except kopf.PermanentError as exc:  # e.g. an invalid variable schema: never Ready, and why
        _patch(
            op,
            body,
            {},
            ("Validated", "False", "InvalidTemplate", str(exc)),
            ("Ready", "False", "InvalidTemplate", str(exc)),
        )
        _event(op, body, "Warning", "InvalidTemplate", str(exc))
        raise
    entry = entry_of(body, resource.spec)
    status = resource.status
    try:
        loaded = templates.fetch(entry.kind, entry.namespace, resource.spec)
    except errors.InputError as exc:
        _patch(
            op,
            body,
            {},
            ("Validated", "False", "InvalidTemplate", str(exc)),
            ("Ready", "False", "InvalidTemplate", str(exc)),
        )
        _event(op, body, "Warning", "InvalidTemplate", str(exc))
        templates.catalog.put(dataclasses.replace(entry, ready=False))
        raise kopf.PermanentError(str(exc)) from exc
    digest = loaded.template.digest
    if status.content_digest is not None and status.content_digest != digest:
        message = (
            f"version {resource.spec.version} was validated with content {status.content_digest}"
            f", the source now gives {digest}; a published version is immutable: publish a new "
            "version (it is not used meanwhile)"
        )
        _patch(
            op,
            body,
            {},
            ("ContentChanged", "True", "ContentChanged", message),
            ("Ready", "False", "ContentChanged", message),
        )
        _event(op, body, "Warning", "ContentChanged", message)
        templates.catalog.put(dataclasses.replace(entry, ready=False))
        return "content-changed"
    templates.remember(entry.key, status.rollout)
    if entry.ready and status.content_digest == digest:
        with templates._lock:
            templates._content[(entry.key, digest)] = loaded.template
        before = templates.catalog.get(*entry.key)
        templates.catalog.put(entry)
        if (
            before is None
            or before.spec.deprecated != entry.spec.deprecated
            or before.spec.rollout != entry.spec.rollout
        ):
            _move_users(templates, entry)
        return "ready"
    templates.catalog.put(dataclasses.replace(entry, ready=False))
    job = (entry.key, digest)
    with templates._lock:
        if job in templates._testing:
            return "testing"
        templates._testing.add(job)
    commit = {"commit": loaded.commit} if loaded.commit else {}
    _patch(
        op,
        body,
        commit,
        ("Validated", "Unknown", "Testing", f"running {len(resource.spec.tests)} test(s)"),
        ("Ready", "False", "Testing", "validation in progress"),
    )
    request = runs.TemplateRequest(
        kind=entry.kind,
        namespace=entry.namespace,
        name=entry.name,
        uid=body["metadata"].get("uid", ""),
        spec=resource.spec,
        files=loaded.template.files,
        digest=digest,
        job_namespace=entry.namespace or op.settings.namespace,
    )
    if isinstance(op.executor, executors.Jobs):
        op.executor.start_template(request)
    else:
        templates.pool.submit(_test_locally, templates, request)
    return "testing"


def _test_locally(templates: Templates, request: runs.TemplateRequest) -> None:
    key = (request.kind, request.namespace, request.name)
    try:
        validated(templates, key, runner.execute_template(None, request))
    except Exception:  # the next resume tests again; never lost silently
        logger.exception("template validation failed", extra={"template": request.name})
    finally:
        with templates._lock:
            templates._testing.discard((key, request.digest))


def job_finished(
    templates: Templates, job: Mapping[str, Any], owner: Mapping[str, Any], state: jobs.JobState
) -> str:
    """A template's test Job ended: read its outcome (or the Job's own story) and record it."""
    meta = job["metadata"]
    kind, name = str(owner["kind"]), str(owner["name"])
    namespace = meta["namespace"] if kind == "CodeTemplate" else None
    run = (meta.get("labels") or {}).get(names.LABEL_INPUT_HASH, "")
    digest = (meta.get("annotations") or {}).get(jobs.ANNOTATION_INPUT_HASH, run)
    found = templates.op.kube.read_config_map(meta["namespace"], names.template_result(name, run))
    if found is not None:
        outcome = runs.TemplateOutcome.from_config_map(found)
    elif state.phase == "Failed":
        why = f"the test Job failed before writing a result: {state.reason}: {state.message}"
        outcome = runs.TemplateOutcome(digest=digest, results=(), problem=why)
    else:
        return "pending"
    with templates._lock:
        templates._testing.discard(((kind, namespace, name), outcome.digest))
    body = templates.op.kube.read_template(kind, namespace, name)
    if body is not None and (body.get("status") or {}).get("contentDigest") == outcome.digest:
        return "recorded"  # at-least-once: this outcome is on the resource already
    return validated(templates, (kind, namespace, name), outcome)


def validated(
    templates: Templates, key: tuple[str, str | None, str], outcome: runs.TemplateOutcome
) -> str:
    """Record the outcome of a template's tests on its resource."""
    op = templates.op
    kind, namespace, name = key
    body = op.kube.read_template(kind, namespace, name)
    if body is None:
        return "gone"
    results, problem, passed = list(outcome.results), outcome.problem, outcome.passed
    failing = [r for r in results if not r.passed]
    fields: dict[str, Any] = {
        "contentDigest": outcome.digest,
        "tests": [r.model_dump(mode="json", by_alias=True, exclude_none=True) for r in results],
    }
    if problem is not None:
        updates: list[conditions.Condition] = [
            ("Validated", "False", "InvalidTemplate", problem),
            ("Ready", "False", "InvalidTemplate", problem),
        ]
    elif not passed:
        detail = "; ".join(f"{r.name}: {r.message or 'failed'}" for r in failing)
        updates = [
            ("Validated", "True", "Rendered", f"{len(results)} test(s) rendered"),
            ("Ready", "False", "TestsFailed", f"{len(failing)} of {len(results)} failed: {detail}"),
        ]
    else:
        updates = [
            ("Validated", "True", "Rendered", f"{len(results)} test(s) rendered"),
            ("Ready", "True", "TestsPassed", f"{len(results)} test(s) passed every gate"),
        ]
    resource = _parse(body)
    entry = dataclasses.replace(entry_of(body, resource.spec), ready=passed, digest=outcome.digest)
    state = _initial_rollout(templates, entry) if passed else None
    if state is not None:
        fields["rollout"] = state.model_dump(mode="json", by_alias=True, exclude_none=True)
        templates.remember(entry.key, state)
    _patch(op, body, fields, *updates)
    _event(op, body, "Normal" if passed else "Warning", updates[-1][2], updates[-1][3])
    templates.catalog.put(entry)
    if passed:
        _move_users(templates, entry)
    return "ready" if passed else "failed"


def _initial_rollout(templates: Templates, entry: catalog.Entry) -> template_api.RolloutStatus:
    strategy = entry.spec.rollout.strategy
    if strategy == "Manual":
        return template_api.RolloutStatus(phase="Waiting")
    if strategy == "Automatic":
        return template_api.RolloutStatus(phase="Complete")
    users = templates.op.users.of(entry.spec.family)
    chosen = rollouts.canaries(entry, users)
    return template_api.RolloutStatus(
        phase="Progressing" if chosen else "Complete", canaries=chosen
    )


def _move_users(templates: Templates, entry: catalog.Entry) -> None:
    """Reconcile every CodeGeneration that could use `entry`: each one decides by the rollout
    rules whether it moves (runs are bounded by the operator's concurrency limits)."""
    op = templates.op
    for user in op.users.of(entry.spec.family):
        body = op.kube.read_generation(user.namespace, user.name)
        if body is None:
            op.users.forget(user.namespace, user.name)
            continue
        try:
            reconcile.reconcile(op, body)
        except (kopf.PermanentError, kopf.TemporaryError) as exc:
            logger.warning("moving %s: %s", user.id, exc)


def finished(templates: Templates, body: Mapping[str, Any], outcome: runs.Outcome) -> None:
    """A CodeGeneration's current run ended: count it for a canary rollout it belongs to."""
    resolved = (body.get("status") or {}).get("resolvedTemplate") or {}
    kind = resolved.get("kind")
    if kind not in PLURALS:
        return
    namespace = body["metadata"].get("namespace") if kind == "CodeTemplate" else None
    key: tuple[str, str | None, str] = (str(kind), namespace, str(resolved.get("name")))
    entry = templates.catalog.get(*key)
    state = templates.state(entry) if entry is not None else None
    if state is None or entry is None or state.phase != "Progressing":
        return
    user = f"{body['metadata'].get('namespace')}/{body['metadata']['name']}"
    if user not in state.canaries:
        return
    succeeded = sorted(
        {*state.succeeded, user} if outcome.phase == "Succeeded" else set(state.succeeded) - {user}
    )
    failed = sorted(
        {*state.failed, user} if outcome.phase != "Succeeded" else set(state.failed) - {user}
    )
    limit = entry.spec.rollout.max_failures or 0
    phase: template_api.RolloutPhase = "Progressing"
    if len(failed) > limit:
        phase = "Halted"
    elif len(succeeded) + len(failed) >= len(state.canaries):
        phase = "Complete"
    new = template_api.RolloutStatus(
        phase=phase, canaries=state.canaries, succeeded=succeeded, failed=failed
    )
    templates.remember(key, new)
    target = templates.op.kube.read_template(kind, namespace, str(resolved.get("name")))
    if target is None:
        return
    fields = {"rollout": new.model_dump(mode="json", by_alias=True, exclude_none=True)}
    if phase == "Halted":
        message = (
            f"{len(failed)} canary run(s) failed ({', '.join(failed)}), more than "
            f"maxFailures {limit}; the other CodeGenerations stay on their version"
        )
        _patch(templates.op, target, fields, ("RolloutHalted", "True", "CanaryFailed", message))
        _event(templates.op, target, "Warning", "RolloutHalted", message)
        templates.op.event(body, "Warning", "RolloutHalted", f"{entry.label}: {message}", "")
        templates.catalog.put(dataclasses.replace(entry, halted=True))
    elif phase == "Complete":
        _patch(
            templates.op,
            target,
            fields,
            ("RolloutHalted", "False", "CanariesPassed", f"{len(succeeded)} canary run(s) passed"),
        )
        _event(
            templates.op,
            target,
            "Normal",
            "RolloutComplete",
            f"{len(succeeded)} canary run(s) passed; moving the rest",
        )
        _move_users(templates, entry)
    else:
        _patch(templates.op, target, fields)


def _patch(
    op: reconcile.Operator,
    body: Mapping[str, Any],
    fields: Mapping[str, Any],
    *updates: conditions.Condition,
) -> None:
    meta = body["metadata"]
    existing = (body.get("status") or {}).get("conditions") or []
    key = (body["kind"], meta.get("namespace"), meta["name"])
    status = {**fields, "observedGeneration": meta.get("generation"), "usedBy": op.users.count(key)}
    if updates:
        merged = conditions.merge(
            existing, updates, generation=meta.get("generation"), now=op.clock()
        )
        order = {t: i for i, t in enumerate(CONDITION_ORDER)}
        status["conditions"] = sorted(merged, key=lambda c: order.get(c["type"], len(order)))
    op.kube.patch_template_status(body["kind"], meta.get("namespace"), meta["name"], status)


def _event(
    op: reconcile.Operator, body: Mapping[str, Any], kind: str, reason: str, message: str
) -> None:
    meta = body["metadata"]
    target = dict(body)
    if not meta.get("namespace"):  # Events about cluster-scoped objects live in `default`
        target = {**body, "metadata": {**meta, "namespace": "default"}}
    op.event(
        target, kind, reason, message, str((body.get("status") or {}).get("contentDigest", ""))[:19]
    )
