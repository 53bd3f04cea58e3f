"""pipeline.authoring: the ai stage in the pipeline, with a scripted provider and fake gates:
assist fills regions, full writes a project, the repair loop, the best attempt, mode off."""

from __future__ import annotations

import copy
import itertools
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kodegen import errors, provenance
from kodegen.ai import breaker, metrics, protocol, scripted, session, types
from kodegen.api import codegeneration
from kodegen.gates import config as gate_config
from kodegen.gates import report, runner
from kodegen.pipeline import generate

ROOT = Path(__file__).parents[3]
PETSTORE: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "petstore.yaml").read_text())
STORY: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "user-story.yaml").read_text())
HEALTH = {
    "openapi": "3.0.3",
    "info": {"title": "Health", "version": "1.0.0"},
    "paths": {
        "/health/summary": {  # computed: `/health` alone is a probe the store answers
            "get": {
                "operationId": "getHealth",
                "responses": {
                    "200": {
                        "description": "ok",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"status": {"type": "string"}},
                                }
                            }
                        },
                    }
                },
            }
        }
    },
}
OLLAMA = [{"provider": "ollama", "model": "qwen"}]


def assist(**ai: Any) -> codegeneration.CodeGeneration:
    data = copy.deepcopy(PETSTORE)
    data["spec"]["specification"] = {"type": "openapi", "openapi": {"inline": HEALTH}}
    data["spec"]["variables"] = {"packageName": "health"}
    data["spec"]["ai"] = {"mode": "assist", "providers": OLLAMA, **ai}
    return codegeneration.CodeGeneration.model_validate(data)


def story(**ai: Any) -> codegeneration.CodeGeneration:
    data = copy.deepcopy(STORY)
    data["spec"]["ai"] = {"mode": "full", "providers": OLLAMA, **ai}
    return codegeneration.CodeGeneration.model_validate(data)


def failing(name: str, message: str) -> report.GateReport:
    finding = report.Finding("tests/test_x.py", 3, "failed", message, "high")
    return report.GateReport.failure(name, reason="1 test failed", findings=(finding,))


PASSED = (report.GateReport(name="tests", passed=True, metrics={"coverage": 99.0}),)


class Gates:
    """Plays the gate runner: one canned result per run, and what each run saw."""

    def __init__(self, *runs: tuple[report.GateReport, ...]) -> None:
        self.runs = list(runs)
        self.seen: list[dict[str, bytes]] = []

    def __call__(
        self,
        project: Path,
        config: gate_config.GateConfig,
        *,
        progress: runner.Progress | None = None,
    ) -> tuple[report.GateReport, ...]:
        self.seen.append(
            {
                p.relative_to(project).as_posix(): p.read_bytes()
                for p in project.rglob("*")
                if p.is_file()
            }
        )
        return self.runs[min(len(self.seen), len(self.runs)) - 1]


def generator(provider: scripted.Scripted, gates: Gates, **options: Any) -> generate.Generator:
    ticks = itertools.count()
    ai = session.Options(
        environ={},
        build=lambda settings: provider,
        breakers=breaker.Breakers(),
        metrics=metrics.Metrics(),
        **options,
    )
    return generate.Generator(clock=lambda: float(next(ticks)), run_gates=gates, ai=ai)


def files_in(request: types.Request) -> dict[str, str]:
    return protocol.parse(request.messages[-1].content).files


def fill(request: types.Request) -> str:
    routes = next(text for path, text in files_in(request).items() if path.endswith("routes.py"))
    marker = "# kodegen:implement getHealth"
    assert marker in routes
    implemented = routes.replace(marker, "# implemented by the model")
    test = "def test_health(client):\n    assert client.get('/health/summary').status_code == 200\n"
    return protocol.format({"health/routes.py": implemented, "tests/test_health_ai.py": test})


def test_assist_fills_the_marked_regions_and_adds_tests() -> None:
    provider = scripted.Scripted([fill], name="ollama", model="qwen")
    gates = Gates(PASSED)
    result = generator(provider, gates).run(assist())
    assert result.passed
    routes = result.files["health/routes.py"].decode()
    assert "# implemented by the model" in routes and "kodegen:implement" not in routes
    assert "tests/test_health_ai.py" in result.files
    assert gates.seen[0]["health/routes.py"] == result.files["health/routes.py"]
    [request] = provider.requests
    assert '<specification type="openapi">' in request.messages[0].content
    assert "getHealth" in request.messages[0].content
    assert result.ai is not None
    assert (result.ai.mode, result.ai.provider, result.ai.calls, result.ai.attempts) == (
        "assist",
        "ollama",
        1,
        1,
    )
    assert list(result.timings) == [
        "parse", "resolve", "variables", "plan", "render", "format", "ai", "gates", "provenance",
    ]  # fmt: skip
    statement = json.loads(result.files[provenance.PATH])
    assert statement["predicate"]["ai"]["exchanges"][0]["purpose"] == "fill"
    assert statement["predicate"]["runDetails"]["metadata"]["reproducible"] is False
    assert ".kodegen/transcript.jsonl" in {s["name"] for s in statement["subject"]}


def test_the_repair_loop_converges_in_the_second_attempt() -> None:
    fix = protocol.format({"health/fixed.py": "FIXED = True\n"})
    provider = scripted.Scripted([fill, fix], name="ollama", model="qwen")
    gates = Gates((failing("tests", "assert 500 == 200"),), PASSED)
    result = generator(provider, gates).run(assist(repairAttempts=2))
    assert result.passed
    assert result.files["health/fixed.py"] == b"FIXED = True\n"
    assert len(gates.seen) == 2 and "health/fixed.py" in gates.seen[1]
    repair = provider.requests[1].messages[0].content
    assert "gate tests FAILED: 1 test failed" in repair
    assert "tests/test_x.py:3: failed assert 500 == 200 [high]" in repair
    assert "# implemented by the model" in repair  # the current files went back
    assert result.ai is not None and (result.ai.attempts, result.ai.chosen) == (2, 2)


def test_without_a_passing_attempt_the_best_one_is_kept() -> None:
    answers = [fill, protocol.format({"a.py": "A = 2\n"}), protocol.format({"a.py": "A = 3\n"})]
    provider = scripted.Scripted(answers, name="ollama", model="qwen")
    two = (failing("tests", "x"), failing("style", "y"))
    gates = Gates(two, (failing("tests", "x"),), two)
    result = generator(provider, gates).run(assist(repairAttempts=2))
    assert not result.passed
    assert result.files["a.py"] == b"A = 2\n"
    assert [g.name for g in result.gates if not g.passed] == ["tests"]
    assert result.ai is not None and (result.ai.attempts, result.ai.chosen) == (3, 2)


def test_repair_attempts_zero_means_one_gate_run() -> None:
    provider = scripted.Scripted([fill], name="ollama", model="qwen")
    gates = Gates((failing("tests", "x"),))
    result = generator(provider, gates).run(assist(repairAttempts=0))
    assert not result.passed and len(gates.seen) == 1 and len(provider.requests) == 1


def test_a_repair_the_providers_cannot_answer_keeps_the_best_and_says_why() -> None:
    refusal = errors.ProviderError(provider="ollama", kind="bad_request", reason="model gone")
    provider = scripted.Scripted([fill, refusal], name="ollama", model="qwen")
    gates = Gates((failing("tests", "x"),))
    result = generator(provider, gates).run(assist(repairAttempts=2))
    assert result.ai is not None and result.ai.note is not None
    assert result.ai.note.startswith("repair stopped: no AI provider answered the repair request")
    assert "# implemented by the model" in result.files["health/routes.py"].decode()


def test_a_first_attempt_nobody_answers_is_an_ai_error() -> None:
    gone = errors.ProviderError(provider="ollama", kind="unavailable", reason="connection refused")
    provider = scripted.Scripted([gone], name="ollama", model="qwen")
    with pytest.raises(errors.AIError, match="no AI provider answered the fill request"):
        generator(provider, Gates(PASSED)).run(assist())


def plan_then_write(request: types.Request) -> str:
    if "Plan the implementation" in request.messages[0].content:
        return "Modules: shortener/app.py. Tests: tests/test_app.py."
    assert "Modules: shortener/app.py" in request.messages[0].content  # the plan goes along
    assert "pyproject.toml" in request.messages[0].content  # and the template's structure
    return protocol.format(
        {"shortener/app.py": "VALUE = 1\n", "tests/test_app.py": "def test_value():\n    pass\n"}
    )


def test_full_mode_plans_then_writes_into_the_templates_structure() -> None:
    provider = scripted.Scripted([plan_then_write], name="ollama", model="qwen")
    gates = Gates(PASSED)
    result = generator(provider, gates).run(story())
    assert {"pyproject.toml", "README.md", "shortener/__init__.py"} <= set(result.files)
    assert result.files["shortener/app.py"] == b"VALUE = 1\n"
    assert [r.messages[0].content.count("<specification") for r in provider.requests] == [1, 1]
    assert "Acceptance criteria:\n- POST /links" in provider.requests[0].messages[0].content
    assert result.ai is not None and result.ai.calls == 2
    statement = json.loads(result.files[provenance.PATH])
    assert statement["predicate"]["buildDefinition"]["resolvedDependencies"][0]["digest"]
    config = gates_config_of(result)
    assert config == ("shortener", None)


def gates_config_of(result: generate.Result) -> tuple[str, str | None]:
    entry = result.prepared.plan.entrypoints
    return entry.package, entry.app


def test_no_transcript_when_disabled() -> None:
    provider = scripted.Scripted([fill], name="ollama", model="qwen")
    result = generator(provider, Gates(PASSED), transcript=False).run(assist())
    assert ".kodegen/transcript.jsonl" not in result.files


def test_mode_off_never_builds_a_provider() -> None:
    def refuse(settings: types.ProviderSettings) -> types.Provider:
        raise AssertionError("mode off must not build a provider")

    data = copy.deepcopy(PETSTORE)
    cg = codegeneration.CodeGeneration.model_validate(data)
    ticks = itertools.count()
    result = generate.Generator(
        clock=lambda: float(next(ticks)),
        run_gates=Gates(PASSED),
        ai=session.Options(environ={}, build=refuse),
    ).run(cg)
    assert result.ai is None
    assert "ai" not in json.loads(result.files[provenance.PATH])["predicate"]
    assert ".kodegen/transcript.jsonl" not in result.files
