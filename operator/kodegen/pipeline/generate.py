"""The generation pipeline: a CodeGeneration in, generated files, gate reports and provenance out.

    Generator(...).run(manifest) -> Result
        parse      the specification -> specs.model.ApiSpec
        resolve    template family + semver range -> templates.model.Template
        variables  the manifest's variables, validated against the template, defaults applied
        plan       spec + template + variables -> render context, not-implemented operations
        render     the template's files rendered in the sandbox
        ai         spec.ai.mode assist or full only (pipeline.authoring): AI writes or fills,
                   and repairs what the gates reject; never run, never imported, for mode off
        gates      the quality gates over the rendered files, in a scratch folder
        provenance `.kodegen/provenance.json` added to the files

    Generator(...).validate(manifest) -> Prepared    the first four stages only: nothing rendered

The same object serves `kodegen generate`, `kodegen validate`, the Job's `run-job` and the
operator's local executor. It writes nothing where the user can see it: publishing `Result.files`
is the caller's job (`outputs.directory.publish`, ConfigMaps, Git). Progress is reported through
the `Progress` protocol, so no display library is imported here.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kodegen import errors, provenance
from kodegen.api import codegeneration
from kodegen.api import specification as spec_api
from kodegen.gates import config as gate_config
from kodegen.gates import report, runner
from kodegen.pipeline import formatting, stages
from kodegen.specs import graphql_model, model, openapi
from kodegen.templates import model as template_model
from kodegen.templates import registry, render
from kodegen.templates import variables as variables_
from kodegen.views import plan as plan_
from kodegen.views.openapi import context as openapi_context

if TYPE_CHECKING:  # the AI layer, GraphQL and JSON Schema load only for the runs that need them
    from kodegen.ai import session

__all__ = [
    "STAGES",
    "Counts",
    "GateRunner",
    "Generator",
    "Result",
]

STAGES = ("parse", "resolve", "variables", "plan", "render", "format", "gates", "provenance")
"""The stages of `Generator.run`, in order; `validate` runs the first four. With spec.ai.mode
assist or full, `AI_STAGE` runs between format and gates (and format, ai, gates repeat for each
repair attempt; their timings add up)."""

AI_STAGE = "ai"

RESERVED = ".kodegen/"
"""Output folder kodegen writes itself; a template may not render into it."""


class GateRunner(Protocol):
    """Runs the quality gates over a project folder: `gates.runner.run_all`, or a test's fake."""

    def __call__(
        self,
        project: Path,
        config: gate_config.GateConfig,
        *,
        progress: runner.Progress | None = None,
    ) -> tuple[report.GateReport, ...]: ...


@dataclasses.dataclass(frozen=True)
class Counts:
    files: int
    """Generated files, provenance included."""
    lines: int
    """Lines of the rendered files (provenance excluded)."""
    coverage: float | None
    """Line coverage of the generated package by its tests (percent); None if not measured."""


@dataclasses.dataclass(frozen=True)
class Result:
    """What `Generator.run` produced; publish `files` to make it visible."""

    files: Mapping[str, bytes]
    """Every output file, provenance included: relative POSIX path -> content, sorted by path."""
    gates: tuple[report.GateReport, ...]
    timings: Mapping[str, float]
    """Seconds per stage, in stage order (not in the output: it differs run to run)."""
    not_implemented: tuple[plan_.NotImplementedOp, ...]
    passed: bool
    """Whether every gate passed; a failed result is still published, marked failed."""
    counts: Counts
    prepared: stages.Prepared
    ai: session.Summary | None = None
    """What AI did (provider, model, tokens, cost, attempts); None for spec.ai.mode off."""
    isolation: Mapping[str, Any] | None = None
    """How the gates contained the generated code (`gates.runner.isolation_record`)."""


class Generator:
    """Runs the pipeline for one manifest at a time; holds settings, not per-run state."""

    def __init__(
        self,
        *,
        templates_root: Path | None = None,
        gate_timeout: float | None = None,
        progress: stages.Progress | None = None,
        clock: Callable[[], float] = time.perf_counter,
        run_gates: GateRunner = runner.run_all,
        ai: session.Options | None = None,
    ) -> None:
        """templates_root: folder of `<family>/<version>/` templates; None for the builtin ones.
        gate_timeout: wall-time limit per gate in seconds; None for `GateConfig`'s default.
        progress: told about stages and gates as they finish; `Silent()` by default.
        clock: monotonic seconds, injected so tests can time stages without sleeping.
        run_gates: the gate runner, injected so unit tests need not run ruff, pytest...
        ai: how to reach AI providers (keys from the environment, cache, breakers); None for
            `session.Options()`: keys from `os.environ`, no cache. Unused for mode off.
        """
        self.templates_root = templates_root
        self.gate_timeout = gate_timeout
        self.progress: stages.Progress = progress or stages.Silent()
        self.clock = clock
        self.run_gates = run_gates
        self.ai = ai

    def validate(
        self,
        manifest: codegeneration.CodeGeneration,
        template: template_model.Template | None = None,
    ) -> stages.Prepared:
        """Parse, resolve, validate the variables and plan: every input error, nothing rendered.
        `template`: a version already loaded (a template resource), instead of resolving the
        manifest's range among the builtin templates."""
        timings: dict[str, float] = {}
        with self._stage("parse", timings):
            spec = self.parse(manifest)
        with self._stage("resolve", timings):
            template = self.resolve(manifest, template)
        with self._stage("variables", timings):
            values = variables_.validate(template.spec.variables, manifest.spec.variables)
        with self._stage("plan", timings):
            if manifest.spec.specification.type in spec_api.AI_ONLY_SPEC_TYPES:
                plan = plan_.for_text(
                    manifest.spec.specification.type,
                    spec.title,
                    spec.description or "",
                    template,
                    values,
                )
            elif isinstance(spec, graphql_model.GraphQLSpec):
                wanted = manifest.spec.specification
                subset = wanted.graphql.operations if wanted.graphql else None
                from kodegen.views.graphql import context as graphql_context

                plan = graphql_context.build(spec, template, values, subset or wanted.operations)
            else:
                plan = openapi_context.build(
                    spec, template, values, operations=manifest.spec.specification.operations
                )
        return stages.Prepared(manifest, spec, template, values, plan, timings)

    def run(
        self,
        manifest: codegeneration.CodeGeneration,
        template: template_model.Template | None = None,
    ) -> Result:
        """Every stage; raises `errors.InputError` for bad input, never for failed gates.
        `template`: as for `validate`."""
        prepared = self.validate(manifest, template)
        timings = dict(prepared.timings)
        with self._stage("render", timings):
            rendered = self.render(prepared)
        with self._stage("format", timings):
            rendered = self.format(prepared, rendered)
        summary: session.Summary | None = None
        ai_record: dict[str, Any] | None = None
        if manifest.spec.ai.mode == "off":
            with self._stage("gates", timings):
                gates = self.gates(prepared, rendered)
            output = rendered
        else:
            from kodegen.pipeline import authoring

            outcome = authoring.run(self, self.ai, prepared, rendered, timings)
            output, gates, summary = outcome.files, outcome.gates, outcome.summary
            ai_record = {**summary.to_dict(), "exchanges": outcome.exchanges}
            timings = _in_stage_order(timings)
        passed = all(gate.passed for gate in gates)
        with self._stage("provenance", timings):
            files = self.stamp(prepared, output, gates, passed=passed, ai=ai_record)
        if ai_record is not None:  # the keys AI held stay out of every file, provenance too
            authoring.check_keys(self.ai or _default_ai(), files)
        counts = Counts(
            files=len(files),
            lines=sum(_lines(content) for path, content in output.items() if path not in _OWN),
            coverage=_coverage(gates),
        )
        return Result(
            files=files,
            gates=gates,
            timings=timings,
            not_implemented=prepared.plan.not_implemented,
            passed=passed,
            counts=counts,
            prepared=prepared,
            ai=summary,
            isolation=runner.isolation_record(runner.policy(manifest.spec.quality_gates.isolation)),
        )

    # -- the stages ----------------------------------------------------------------------------

    def parse(self, manifest: codegeneration.CodeGeneration) -> model.ApiSpec:
        """The specification: an inline OpenAPI document, or an ADR or user story (AI on)."""
        specification = manifest.spec.specification
        kind = specification.type
        if kind in spec_api.AI_ONLY_SPEC_TYPES:
            ai = manifest.spec.ai
            if ai.mode == "off" or not ai.providers:
                raise errors.ManifestError(field="spec.specification.type", reason=_needs_ai(kind))
            return _text_spec(specification)
        if kind == "graphql":
            if specification.graphql is None:
                raise errors.ManifestError(
                    field="spec.specification.graphql",
                    reason="required when type is graphql; put the SDL under schema",
                )
            from kodegen.specs import graphql

            return graphql.parse(specification.graphql.sdl)
        if kind == "jsonSchema":
            return _json_schema(specification)
        source = specification.openapi
        if source is None or source.inline is None:
            given = "configMapRef" if source and source.config_map_ref else "git"
            if source is not None and source.file is not None:
                raise errors.ManifestError(
                    field="spec.specification.openapi.file",
                    reason="is read when the manifest is loaded from disk (kodegen generate "
                    "MANIFEST); in a cluster use configMapRef or git",
                )
            if source is None:
                raise errors.ManifestError(
                    field="spec.specification.openapi",
                    reason="required when type is openapi; put the document under inline",
                )
            raise errors.ManifestError(
                field=f"spec.specification.openapi.{given}",
                reason="needs the operator (a cluster to read it from); the CLI reads only "
                "spec.specification.openapi.inline: paste the OpenAPI document there, "
                "or apply the manifest to a cluster running kodegen",
            )
        return openapi.parse(source.inline)

    def resolve(
        self,
        manifest: codegeneration.CodeGeneration,
        template: template_model.Template | None = None,
    ) -> template_model.Template:
        """The template version the manifest asks for (or `template`), if it takes this kind
        of input."""
        wanted = manifest.spec.template
        if template is None:
            template = registry.resolve(wanted.family, wanted.version, self.templates_root)
        kind = manifest.spec.specification.type
        if kind not in template.spec.spec_types:
            raise errors.ManifestError(
                field="spec.template.family",
                reason=f"{template.name} generates from {', '.join(template.spec.spec_types)} "
                f"specifications, not {kind!r}; choose a template family that takes {kind!r}",
            )
        language = manifest.spec.preferences.language
        if language is not None and language != template.spec.language:
            raise errors.ManifestError(
                field="spec.preferences.language",
                reason=f"{language!r}, but {template.name} generates "
                f"{template.spec.language!r}; change the preference or the template family",
            )
        return template

    def render(self, prepared: stages.Prepared) -> dict[str, bytes]:
        """The template rendered with the plan's context, as bytes, sorted by path."""
        texts = render.render(prepared.template, prepared.plan.context)
        for path in texts:
            if path.startswith(RESERVED):
                raise errors.TemplateError(
                    template=prepared.template.name,
                    file=path,
                    reason=f"renders into {RESERVED}, which kodegen reserves for provenance",
                )
        return {path: texts[path].encode() for path in sorted(texts)}

    def format(self, prepared: stages.Prepared, rendered: Mapping[str, bytes]) -> dict[str, bytes]:
        """The formatter of the template's language over its output (Python: ruff)."""
        if prepared.template.spec.language == "python":
            return formatting.python(rendered)
        return dict(rendered)

    def gates(
        self, prepared: stages.Prepared, rendered: Mapping[str, bytes]
    ) -> tuple[report.GateReport, ...]:
        """The quality gates over `rendered`, written to a scratch folder deleted afterwards."""
        entrypoints = prepared.plan.entrypoints
        wanted = prepared.manifest.spec.quality_gates
        settings: dict[str, Any] = {}
        if self.gate_timeout is not None:
            settings["timeout_seconds"] = self.gate_timeout
        config = gate_config.GateConfig(
            package=entrypoints.package,
            app=entrypoints.app,
            openapi=entrypoints.openapi,
            graphql=prepared.spec.sdl
            if isinstance(prepared.spec, graphql_model.GraphQLSpec)
            else None,
            min_coverage=wanted.min_coverage,
            fail_on_severity=wanted.fail_on_severity,
            contract=wanted.contract,
            isolation=runner.policy(wanted.isolation),
            spec_gaps=tuple((g.method, g.path, g.status) for g in prepared.plan.spec_gaps),
            **settings,
        )
        with tempfile.TemporaryDirectory(prefix="kodegen-gates-") as scratch:
            project = Path(scratch) / "project"
            for path, content in rendered.items():
                target = project / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
            return self.run_gates(
                project, config, progress=lambda _, gate: self.progress.gate_finished(gate)
            )

    def stamp(
        self,
        prepared: stages.Prepared,
        rendered: Mapping[str, bytes],
        gates: tuple[report.GateReport, ...],
        *,
        passed: bool,
        ai: Mapping[str, Any] | None = None,
    ) -> dict[str, bytes]:
        """`rendered` plus `.kodegen/provenance.json` describing it, sorted by path."""
        manifest, template = prepared.manifest, prepared.template
        statement = provenance.statement(
            files=rendered,
            name=manifest.metadata.name,
            parameters=manifest.spec.model_dump(mode="json", by_alias=True, exclude_none=True),
            spec_digest=prepared.spec.digest,
            template_family=template.spec.family,
            template_version=template.spec.version,
            template_digest=template.digest,
            variables=prepared.variables,
            gates=[gate.to_dict() for gate in gates],
            not_implemented=[op.to_dict() for op in prepared.plan.not_implemented],
            passed=passed,
            ai=ai,
            isolation=runner.isolation_record(runner.policy(manifest.spec.quality_gates.isolation)),
            warnings=[warning.to_dict() for warning in prepared.plan.warnings],
        )
        files = {**rendered, provenance.PATH: provenance.dump(statement)}
        return {path: files[path] for path in sorted(files)}

    @contextlib.contextmanager
    def _stage(self, stage: str, timings: dict[str, float]) -> Iterator[None]:
        self.progress.stage_started(stage)
        started = self.clock()
        yield
        timings[stage] = self.clock() - started
        self.progress.stage_finished(stage, timings[stage])


def _default_ai() -> session.Options:
    from kodegen.ai import session

    return session.Options()


def _needs_ai(kind: str) -> str:
    return (
        f"specification type {kind!r} needs an AI provider: set spec.ai.mode to full and "
        "list spec.ai.providers (anthropic, openai, google or ollama; keys come from "
        "ANTHROPIC_API_KEY, OPENAI_API_KEY, GEMINI_API_KEY or OLLAMA_HOST), or use an openapi "
        "specification, which needs no AI"
    )


def _text_spec(specification: Any) -> model.ApiSpec:
    """An ADR or a user story as the pipeline's spec model: prose, no operations."""
    from kodegen.pipeline import authoring

    title, text = authoring.text_of(specification)
    raw = specification.model_dump(mode="json", by_alias=True, exclude_none=True)
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return model.ApiSpec(
        title=title,
        version=str(raw.get("adr", {}).get("version") or "0"),
        openapi_version="",
        description=text,
        schemas={},
        operations=(),
        resources=(),
        raw=raw,
        digest="sha256:" + hashlib.sha256(canonical.encode()).hexdigest(),
    )


def _json_schema(specification: Any) -> model.ApiSpec:
    """An inline JSON Schema document as the pipeline's spec model: schemas, no operations."""
    source = specification.json_schema
    if source is None or source.inline is None:
        raise errors.ManifestError(
            field="spec.specification.jsonSchema" + (".configMapRef" if source else ""),
            reason="needs the operator (a cluster to read it from); the CLI reads only "
            "spec.specification.jsonSchema.inline: paste the JSON Schema document there"
            if source
            else "required when type is jsonSchema; put the document under inline",
        )
    from kodegen.specs import jsonschema as json_schema

    return json_schema.parse(source.inline)


_OWN = frozenset({provenance.PATH, ".kodegen/transcript.jsonl"})


def _in_stage_order(timings: Mapping[str, float]) -> dict[str, float]:
    order = [*STAGES[: STAGES.index("gates")], AI_STAGE, *STAGES[STAGES.index("gates") :]]
    return {stage: timings[stage] for stage in order if stage in timings}


def _lines(content: bytes) -> int:
    return content.count(b"\n") + (1 if content and not content.endswith(b"\n") else 0)


def _coverage(gates: tuple[report.GateReport, ...]) -> float | None:
    for gate in gates:
        if "coverage" in gate.metrics:
            return gate.metrics["coverage"]
    return None
