"""mode assist end to end: the template renders a shared spec's service, a scripted model behind
the OpenAI wire protocol (the real `openai` SDK) implements its `# kodegen:implement` region
and adds a test, and every real quality gate, the contract included, passes."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml
from tests import shared_specs

from kodegen import provenance
from kodegen.ai import breaker, metrics, protocol, session, wire
from kodegen.api import codegeneration
from kodegen.pipeline import generate

REGION = re.compile(r"    # kodegen:implement listVersionsv2\n.*?    # kodegen:end\n", re.DOTALL)
VERSIONS = '''
VERSIONS: tuple[dict[str, object], ...] = (
    {"id": "v2.0", "status": "CURRENT", "updated": "2011-01-21T11:33:21Z",
     "links": [{"href": "http://127.0.0.1:8774/v2/", "rel": "self"}]},
    {"id": "v3.0", "status": "EXPERIMENTAL", "updated": "2013-07-23T11:33:21Z",
     "links": [{"href": "http://127.0.0.1:8774/v3/", "rel": "self"}]},
)
"""The API versions this service speaks, oldest first."""
'''
TEST = """
def test_versions_are_listed_oldest_first(client):
    versions = client.get("/").json()["versions"]
    assert [(v["id"], v["status"]) for v in versions] == [
        ("v2.0", "CURRENT"),
        ("v3.0", "EXPERIMENTAL"),
    ]
"""

pytestmark = pytest.mark.slow


def model(body: dict[str, Any]) -> wire.Reply:
    """Implements listVersionsv2 from a table and tests it (getVersionDetailsv2 keeps the
    template's conforming answer)."""
    prompt = body["messages"][-1]["content"]
    files = protocol.parse(prompt).files
    routes = files["api_with_examples/routes.py"]
    routes = routes.replace("STORES: tuple", VERSIONS + "\nSTORES: tuple", 1)
    routes = REGION.sub(
        '    return responses.respond(200, "application/json", {"versions": list(VERSIONS)})\n',
        routes,
    )
    answer = protocol.format(
        {"api_with_examples/routes.py": routes, "tests/test_versions_ai.py": TEST.lstrip()}
    )
    return wire.Reply("Implemented listVersionsv2.\n\n" + answer, input_tokens=3000)


def manifest() -> codegeneration.CodeGeneration:
    spec = shared_specs.path("api-with-examples.yaml")
    return codegeneration.CodeGeneration.model_validate(
        {
            "apiVersion": "kodegen.dev/v1alpha1",
            "kind": "CodeGeneration",
            "metadata": {"name": "versions"},
            "spec": {
                "specification": {
                    "type": "openapi",
                    "openapi": {"inline": yaml.safe_load(spec.read_text())},
                },
                "template": {"family": "python-fastapi-service", "version": "^1.0"},
                "variables": {"packageName": "api_with_examples"},
                "ai": {
                    "mode": "assist",
                    "providers": [{"provider": "openai", "model": "gpt-4.1"}],
                    "repairAttempts": 1,
                },
            },
        }
    )


def test_assist_implements_the_region_and_every_gate_passes() -> None:
    with wire.in_thread("openai", model) as server:
        options = session.Options(
            environ={"OPENAI_API_KEY": "sk-test-0123456789abcdefghij"},
            breakers=breaker.Breakers(),
            metrics=metrics.Metrics(),
        )
        generator = generate.Generator(ai=options)
        cg = manifest()
        cg.spec.ai.providers[0].base_url = server.base_url
        result = generator.run(cg)
    failed = {
        g.name: (g.reason, [f.to_dict() for f in g.findings[:3]])
        for g in result.gates
        if not g.passed
    }
    assert result.passed, failed
    assert {g.name for g in result.gates} >= {"tests", "contract", "style", "security"}
    routes = result.files["api_with_examples/routes.py"].decode()
    assert "kodegen:implement listVersionsv2" not in routes and "VERSIONS" in routes
    assert "tests/test_versions_ai.py" in result.files

    [request] = server.requests
    assert request.headers["Authorization"] == "Bearer sk-test-0123456789abcdefghij"
    prompt = request.body["messages"][-1]["content"]
    assert '<specification type="openapi">' in prompt and "listVersionsv2" in prompt
    assert request.body["temperature"] == 0 and request.body["seed"] == 0

    statement = json.loads(result.files[provenance.PATH])
    ai = statement["predicate"]["ai"]
    assert (ai["mode"], ai["provider"], ai["model"], ai["attempts"]) == (
        "assist",
        "openai",
        "gpt-4.1",
        1,
    )
    assert ai["costUSD"] > 0
    assert b"sk-test-0123456789abcdefghij" not in result.files[".kodegen/transcript.jsonl"]
