"""pipeline.generate: the stages in order, timed, gates on disk, provenance, input errors."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kodegen import errors, provenance
from kodegen.ai import session
from kodegen.api import codegeneration
from kodegen.gates import config as gate_config
from kodegen.gates import report, runner
from kodegen.pipeline import generate, stages

EXAMPLE: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parents[3] / "examples" / "petstore.yaml").read_text()
)


def manifest(**spec: Any) -> codegeneration.CodeGeneration:
    data = copy.deepcopy(EXAMPLE)
    data["spec"].update(spec)
    return codegeneration.CodeGeneration.model_validate(data)


class Recorder(stages.Silent):
    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def stage_started(self, stage: str) -> None:
        self.events.append(("started", stage))

    def stage_finished(self, stage: str, seconds: float) -> None:
        self.events.append(("finished", stage, str(seconds)))

    def gate_finished(self, gate: report.GateReport) -> None:
        self.events.append(("gate", gate.name))


class FakeGates:
    """Plays `gates.runner.run_all`: records what it saw on disk, returns canned reports."""

    def __init__(self, *reports: report.GateReport) -> None:
        self.reports = reports or (
            report.GateReport(name="syntax", passed=True, duration_seconds=0.5),
            report.GateReport(name="tests", passed=True, metrics={"coverage": 97.5}),
        )
        self.configs: list[gate_config.GateConfig] = []
        self.seen: dict[str, bytes] = {}
        self.project: Path | None = None

    def __call__(
        self,
        project: Path,
        config: gate_config.GateConfig,
        *,
        progress: runner.Progress | None = None,
    ) -> tuple[report.GateReport, ...]:
        self.project, self.configs = project, [*self.configs, config]
        self.seen = {
            path.relative_to(project).as_posix(): path.read_bytes()
            for path in project.rglob("*")
            if path.is_file()
        }
        for gate in self.reports:
            if progress is not None:
                progress(gate.name, gate)
        return self.reports


def generator(gates: FakeGates | None = None, **options: Any) -> generate.Generator:
    ticks = itertools.count()
    return generate.Generator(
        clock=lambda: float(next(ticks)), run_gates=gates or FakeGates(), **options
    )


def test_run_goes_through_every_stage_in_order_and_times_each() -> None:
    progress = Recorder()
    result = generator(progress=progress).run(manifest())
    assert list(result.timings) == list(generate.STAGES)
    assert set(result.timings.values()) == {1.0}  # one tick of the fake clock per stage
    stages = [event[1] for event in progress.events if event[0] == "started"]
    assert stages == list(generate.STAGES)
    assert ("gate", "syntax") in progress.events
    gates_at = progress.events.index(("started", "gates"))
    assert progress.events[gates_at + 1 : gates_at + 3] == [("gate", "syntax"), ("gate", "tests")]


def test_files_are_sorted_and_stamped_with_provenance() -> None:
    result = generator().run(manifest())
    assert list(result.files) == sorted(result.files)
    assert provenance.PATH in result.files
    statement = json.loads(result.files[provenance.PATH])
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    assert subjects == {
        path: hashlib.sha256(content).hexdigest()
        for path, content in result.files.items()
        if path != provenance.PATH
    }
    predicate = statement["predicate"]
    assert predicate["passed"] is True
    assert [gate["name"] for gate in predicate["gates"]] == ["syntax", "tests"]
    assert predicate["buildDefinition"]["externalParameters"]["name"] == "petstore-api"
    template = predicate["buildDefinition"]["resolvedDependencies"][1]
    assert template["annotations"]["family"] == "python-fastapi-service"
    assert result.prepared.spec.digest.endswith(
        predicate["buildDefinition"]["resolvedDependencies"][0]["digest"]["sha256"]
    )


def test_counts() -> None:
    result = generator().run(manifest())
    assert result.counts.files == len(result.files)
    rendered = [content for path, content in result.files.items() if path != provenance.PATH]
    assert result.counts.lines == sum(content.count(b"\n") for content in rendered) > 0
    assert result.counts.coverage == 97.5
    assert result.passed


def test_gates_judge_the_rendered_files_on_disk_with_the_manifest_settings() -> None:
    gates = FakeGates()
    cg = manifest(qualityGates={"minCoverage": 80, "failOnSeverity": "high", "contract": False})
    result = generator(gates, gate_timeout=12.5).run(cg)
    rendered = {k: v for k, v in result.files.items() if k != provenance.PATH}
    assert gates.seen == rendered
    assert gates.project is not None and not gates.project.exists()  # scratch folder removed
    (config,) = gates.configs
    assert (config.package, config.app, config.openapi) == (
        "petstore",
        "petstore.main:app",
        "petstore/openapi.json",
    )
    assert (config.min_coverage, config.fail_on_severity, config.contract) == (80, "high", False)
    assert config.timeout_seconds == 12.5


def test_a_failed_gate_fails_the_result_but_still_gives_files() -> None:
    failed = report.GateReport.failure("style", reason="2 unformatted files")
    result = generator(FakeGates(failed)).run(manifest())
    assert not result.passed
    assert result.counts.coverage is None
    statement = json.loads(result.files[provenance.PATH])
    assert statement["predicate"]["passed"] is False
    assert statement["predicate"]["gates"][0]["reason"] == "2 unformatted files"


def test_two_runs_give_the_same_bytes() -> None:
    slow = report.GateReport(name="syntax", passed=True, duration_seconds=9.0)
    first = generator().run(manifest()).files
    second = generator(FakeGates(slow)).run(manifest()).files
    assert first.keys() == second.keys()
    assert {k: v for k, v in first.items() if k != provenance.PATH} == {
        k: v for k, v in second.items() if k != provenance.PATH
    }


def test_validate_stops_before_rendering() -> None:
    gates, progress = FakeGates(), Recorder()
    prepared = generator(gates, progress=progress).validate(manifest())
    assert list(prepared.timings) == ["parse", "resolve", "variables", "plan"]
    assert gates.configs == []
    assert prepared.variables["packageName"] == "petstore"
    assert prepared.variables["port"] == 8000  # the template's default
    assert prepared.template.spec.family == "python-fastapi-service"


def test_operations_subset_reaches_the_plan() -> None:
    cg = manifest(specification={**EXAMPLE["spec"]["specification"], "operations": ["listPets"]})
    prepared = generator().validate(cg)
    assert [op["id"] for op in prepared.plan.context["operations"]] == ["listPets"]


def test_a_failing_stage_is_started_but_never_finished() -> None:
    progress = Recorder()
    with pytest.raises(errors.InputError):
        generator(progress=progress).run(manifest(variables={}))
    assert progress.events[-1] == ("started", "variables")


SPECIFICATION = EXAMPLE["spec"]["specification"]
PROVIDERS = [{"provider": "ollama", "model": "llama3"}]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {
                "specification": {"type": "adr", "adr": {"id": "ADR-1", "text": "Queues."}},
                "ai": {"mode": "assist", "providers": PROVIDERS},
            },
            "spec.template.family: python-fastapi-service@1.0.0 generates from openapi "
            "specifications, not 'adr'; choose a template family that takes 'adr'",
        ),
        (
            {
                "specification": {"type": "userStory", "userStory": {"story": "As a user"}},
                "ai": {"mode": "full", "providers": PROVIDERS},
            },
            "generates from openapi specifications, not 'userStory'",
        ),
        (
            {"ai": {"mode": "assist", "providers": [{"provider": "openai", "model": "gpt-4.1"}]}},
            "spec.ai.providers: no provider has an API key: set OPENAI_API_KEY for "
            "spec.ai.providers[0] (openai)",
        ),
        (
            {"specification": {"type": "graphql", "graphql": {"schema": "type Query {a: Int}"}}},
            "spec.template.family: python-fastapi-service@1.0.0 generates from openapi "
            "specifications, not 'graphql'",
        ),
        (
            {"specification": {"type": "openapi", "openapi": {"configMapRef": {"name": "x"}}}},
            "spec.specification.openapi.configMapRef: needs the operator",
        ),
        (
            {
                "specification": {
                    "type": "openapi",
                    "openapi": {"git": {"url": "https://x/y.git", "ref": "v1", "path": "a.yaml"}},
                }
            },
            "spec.specification.openapi.git: needs the operator",
        ),
    ],
)
def test_what_the_cli_cannot_generate_yet_is_an_input_error(
    spec: dict[str, Any], expected: str
) -> None:
    with pytest.raises(errors.ManifestError) as caught:
        generator(ai=session.Options(environ={})).run(manifest(**spec))
    assert expected in str(caught.value)


def test_a_template_may_not_write_into_kodegens_folder(tmp_path: Path) -> None:
    builtin = Path(__file__).parents[3] / "templates" / "python-fastapi-service" / "1.0.0"
    folder = tmp_path / "python-fastapi-service" / "1.0.0"
    folder.mkdir(parents=True)
    (folder / "template.yaml").write_text((builtin / "template.yaml").read_text())
    (folder / "files" / ".kodegen").mkdir(parents=True)
    (folder / "files" / ".kodegen" / "provenance.json").write_text("{}")
    with pytest.raises(errors.TemplateError, match=r"\.kodegen/provenance\.json: renders into"):
        generator(templates_root=tmp_path).run(manifest())


def test_adr_without_ai_says_to_configure_a_provider() -> None:
    # The model already refuses this combination; the pipeline still says so itself, for any
    # caller that builds a CodeGeneration without validation.
    cg = manifest(
        specification={"type": "adr", "adr": {"id": "ADR-1", "text": "Queues."}},
        ai={"mode": "assist", "providers": PROVIDERS},
    )
    cg = cg.model_copy(update={"spec": cg.spec.model_copy(update={"ai": codegeneration.AISpec()})})
    with pytest.raises(errors.ManifestError) as caught:
        generator().run(cg)
    assert str(caught.value).startswith(
        "manifest: spec.specification.type: specification type 'adr' needs an AI provider: "
        "set spec.ai.mode to full and list spec.ai.providers"
    )


def test_a_preferred_language_the_template_does_not_generate() -> None:
    with pytest.raises(errors.ManifestError) as caught:
        generator().validate(manifest(preferences={"language": "go"}))
    assert str(caught.value).startswith(
        "manifest: spec.preferences.language: 'go', but python-fastapi-service@1.0.0 generates "
        "'python'"
    )


def test_a_template_that_does_not_take_the_spec_type(tmp_path: Path) -> None:
    builtin = Path(__file__).parents[3] / "templates" / "python-fastapi-service" / "1.0.0"
    folder = tmp_path / "python-fastapi-service" / "1.0.0"
    (folder / "files").mkdir(parents=True)
    text = (
        (builtin / "template.yaml").read_text().replace("specTypes: [openapi]", "specTypes: [adr]")
    )
    (folder / "template.yaml").write_text(text)
    with pytest.raises(
        errors.ManifestError, match="generates from adr specifications, not 'openapi'"
    ):
        generator(templates_root=tmp_path).validate(manifest())
