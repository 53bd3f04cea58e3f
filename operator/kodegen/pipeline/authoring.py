"""The pipeline's "ai" stage (`spec.ai.mode` assist or full) and its repair loop.

    full    (adr, userStory)  the template renders the structure; AI plans, then writes the
                              code and the tests into it
    assist  (openapi)         the template renders the service; AI fills each
                              `# kodegen:implement <operationId>` region and adds tests
                              (`full` on an OpenAPI spec is the same: the template knows the
                              service's structure better than a model would)
    repair  (both)            while gates fail and `spec.ai.repairAttempts` allows, the failing
                              reports (trimmed) go back to the model with the files; every
                              attempt is gated, and the first one that passes wins, or else the
                              one with the fewest failing gates and findings

The AI layer is asynchronous (the SDKs' async clients); the gates run their own event loop.
One `asyncio.Runner` keeps the providers' connections alive across the stage, and no loop is
running while the gates run.

Hygiene: every answer goes through a `guard.Guard` over the project as it is (path clashes,
the protected files: the served specification `entrypoints.openapi`, conftest.py, test and
tool configuration); every attempt is searched for the keys the process holds (`check_keys`)
before the gates see it, and the output once more at the end: a hit is `errors.LeakedKey`,
so nothing is published.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from kodegen import errors
from kodegen.ai import author, guard, keys, prompts, redact, session
from kodegen.ai import transcript as transcript_
from kodegen.gates import report, secrets
from kodegen.pipeline import stages

__all__ = ["AI_ONLY", "Outcome", "check_keys", "run", "text_of"]

AI_ONLY = ("adr", "userStory")
"""Specification types only AI turns into code."""

MAX_FILE_CHARS = 60_000
"""Files longer than this (generated OpenAPI copies, data) are not sent to the model."""
SPEC_SUFFIXES = (".graphql", ".gql")
"""Rendered files with these suffixes are the specification a service serves."""
MIN_KEY_CHARS = 8
"""Shorter values of a key variable are not searched for in the output: a placeholder such as
`x` occurs everywhere (no provider issues keys that short)."""
MAX_FINDINGS = 20
"""Findings per failing gate sent back for repair; the rest are counted, not listed."""


@dataclasses.dataclass(frozen=True)
class Outcome:
    files: dict[str, bytes]
    """The chosen attempt's files, sorted by path, transcript included when enabled."""
    gates: tuple[report.GateReport, ...]
    summary: session.Summary
    exchanges: list[dict[str, str]]
    """Request/response digests of every answered call, for the provenance."""


def text_of(specification: Any) -> tuple[str, str]:
    """(title, text) of an ADR or a user story, as the model and the provenance see it."""
    if specification.type == "adr":
        adr = specification.adr
        title = adr.id + (f" {adr.version}" if adr.version else "")
        return title, adr.text
    story = specification.user_story
    criteria = "".join(f"- {item}\n" for item in story.acceptance_criteria)
    text = story.story.strip() + ("\n\nAcceptance criteria:\n" + criteria if criteria else "")
    return "user story", text


def run(
    generator: stages.Stages,
    ai: session.Options | None,
    prepared: stages.Prepared,
    rendered: Mapping[str, bytes],
    timings: dict[str, float],
) -> Outcome:
    """The AI stage and the gates over its attempts; raises `errors.AIError` (or
    `BudgetExceeded`) if not even a first attempt could be written."""
    spec = prepared.manifest.spec
    options = ai or session.Options()
    ask = session.router(spec.ai, options)
    writer = author.Author(ask)
    task = _task(prepared)
    attempts: list[tuple[dict[str, bytes], tuple[report.GateReport, ...]]] = []
    note: str | None = None
    protected = _served_specifications(prepared, rendered)
    with asyncio.Runner() as loop:
        try:
            with _timed(generator, "ai", timings):
                rules = guard.Guard(rendered, protected)
                if spec.specification.type in AI_ONLY:
                    changes = loop.run(writer.write(task, _texts(rendered), rules=rules))
                else:
                    changes = loop.run(writer.fill(task, _texts(rendered), rules=rules))
            files = dict(rendered)
            for _ in range(spec.ai.repair_attempts + 1):
                files = _merge(files, changes)
                with _timed(generator, "format", timings):
                    files = generator.format(prepared, files)
                check_keys(options, files)  # before the gates see it, let alone a next prompt
                with _timed(generator, "gates", timings):
                    gates = generator.gates(prepared, files)
                attempts.append((files, gates))
                if all(g.passed for g in gates) or len(attempts) > spec.ai.repair_attempts:
                    break
                try:
                    with _timed(generator, "ai", timings):
                        changes = loop.run(
                            writer.repair(
                                task,
                                _texts(files),
                                _reports(gates, prepared),
                                rules=guard.Guard(files, protected),
                            )
                        )
                except errors.AIError as exc:  # budget spent, providers gone: keep the best
                    note = f"repair stopped: {exc}"
                    break
        finally:
            loop.run(ask.aclose())
    chosen = _best(attempts)
    files, gates = attempts[chosen]
    summary = dataclasses.replace(
        session.summary(ask, mode=spec.ai.mode, attempts=len(attempts), chosen=chosen + 1),
        note=note,
    )
    if options.transcript:
        files = {**files, transcript_.PATH: ask.transcript.dump()}
    check_keys(options, files)
    return Outcome(
        files={path: files[path] for path in sorted(files)},
        gates=gates,
        summary=summary,
        exchanges=ask.transcript.exchanges(),
    )


def _served_specifications(
    prepared: stages.Prepared, rendered: Mapping[str, bytes]
) -> frozenset[str]:
    """The files a model may not change outside their regions besides the configuration
    `guard` knows: the specification the service serves and the contract gate tests against
    (`entrypoints.openapi`, and the rendered GraphQL SDL files)."""
    served = {path for path in rendered if path.endswith(SPEC_SUFFIXES)}
    if prepared.plan.entrypoints.openapi:
        served.add(prepared.plan.entrypoints.openapi)
    return frozenset(served)


def check_keys(options: session.Options, files: Mapping[str, bytes]) -> None:
    """Raise `errors.LeakedKey` if any file holds a key of `options.environ` (any provider's,
    as it is or encoded: `redact.encodings`), naming each place and never the value."""
    forms = [
        (f"{variable} ({'as it is' if form == key else 'encoded'})", form)
        for variable, key in keys.held(options.environ).items()
        if len(key) >= MIN_KEY_CHARS
        for form in redact.encodings(key)
    ]
    findings = secrets.held(files, forms) if forms else ()
    if findings:
        raise errors.LeakedKey(places=[f"{f.file}:{f.line} {f.message}" for f in findings])


def _task(prepared: stages.Prepared) -> author.Task:
    spec = prepared.manifest.spec
    wanted = spec.preferences
    if spec.specification.type in AI_ONLY:
        _, text = text_of(spec.specification)
    elif "openapi_json" in prepared.plan.context:
        text = str(prepared.plan.context["openapi_json"])
    else:  # another formal specification (GraphQL SDL...): as the manifest gives it
        text = json.dumps(
            spec.specification.model_dump(mode="json", by_alias=True, exclude_none=True),
            indent=2,
            ensure_ascii=False,
        )
    return author.Task(
        kind=spec.specification.type,
        text=text,
        preferences=prompts.Preferences(
            language=wanted.language or prepared.template.spec.language,
            framework=wanted.framework or "fastapi",
            test_framework=wanted.test_framework or "pytest",
            package=prepared.plan.entrypoints.package,
            coverage=spec.quality_gates.min_coverage,
        ),
    )


def _texts(files: Mapping[str, bytes]) -> dict[str, str]:
    """The files a model is shown: text, not too long, not kodegen's own."""
    shown = {}
    for path, content in files.items():
        if path.startswith(".kodegen/") or path.endswith(".json"):
            continue
        try:
            text = content.decode()
        except UnicodeDecodeError:
            continue
        if len(text) <= MAX_FILE_CHARS:
            shown[path] = text
    return shown


def _merge(files: Mapping[str, bytes], changes: Mapping[str, str]) -> dict[str, bytes]:
    merged = dict(files)
    for path, text in changes.items():
        merged[path] = text.encode()
    return {path: merged[path] for path in sorted(merged)}


def _reports(gates: Sequence[report.GateReport], prepared: stages.Prepared) -> list[str]:
    """The failing gates as text for the repair prompt (trimmed further by the prompt)."""
    texts = []
    for gate in gates:
        if gate.passed:
            continue
        lines = [f"gate {gate.name} FAILED: {gate.reason or 'see findings'}"]
        for finding in gate.findings[:MAX_FINDINGS]:
            where = f"{finding.file}:{finding.line}" if finding.line else finding.file or "-"
            lines.append(f"  {where}: {finding.code} {finding.message} [{finding.severity}]")
        if len(gate.findings) > MAX_FINDINGS:
            lines.append(f"  ... and {len(gate.findings) - MAX_FINDINGS} more findings")
        if "coverage" in gate.metrics:
            wanted = prepared.manifest.spec.quality_gates.min_coverage
            lines.append(f"  coverage {gate.metrics['coverage']:.1f} % (needed: {wanted:g} %)")
        texts.append("\n".join(lines))
    return texts


def _best(attempts: Sequence[tuple[Any, tuple[report.GateReport, ...]]]) -> int:
    """The first passing attempt, else the one with fewest failing gates, then findings."""

    def score(index: int) -> tuple[int, int, int]:
        gates = attempts[index][1]
        failing = [g for g in gates if not g.passed]
        return (len(failing), sum(len(g.findings) for g in failing), index)

    return min(range(len(attempts)), key=score)


@contextlib.contextmanager
def _timed(generator: stages.Stages, stage: str, timings: dict[str, float]) -> Iterator[None]:
    """Like `Generator._stage`, but adds up repeated runs of a stage (each repair attempt)."""
    generator.progress.stage_started(stage)
    started = generator.clock()
    yield
    seconds = generator.clock() - started
    timings[stage] = timings.get(stage, 0.0) + seconds
    generator.progress.stage_finished(stage, seconds)
