"""provenance.statement: in-toto Statement v1, every file a subject, no clock."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest

import kodegen
from kodegen import provenance

FILES = {
    "z/last.py": b"z = 1\n",
    "README.md": b"# hello\n",
    "app/main.py": b"app = 1\n",
    provenance.PATH: b"{}\n",  # a previous statement never describes itself
}


def build(**overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "files": FILES,
        "name": "petstore-api",
        "parameters": {
            "specification": {"type": "openapi", "openapi": {"inline": {"openapi": "3.0.0"}}},
            "template": {"family": "python-fastapi-service", "version": "^1.0"},
            "variables": {"packageName": "petstore", "dbPassword": "hunter2"},
            "ai": {
                "mode": "off",
                "providers": [
                    {"provider": "anthropic", "apiKey": "sk-1", "secretRef": {"name": "keys"}}
                ],
            },
        },
        "spec_digest": "sha256:" + "a" * 64,
        "template_family": "python-fastapi-service",
        "template_version": "1.0.0",
        "template_digest": "sha256:" + "b" * 64,
        "variables": {"packageName": "petstore", "port": 8000, "apiToken": "t0k"},
        "gates": [
            {"name": "syntax", "passed": True, "duration_seconds": 0.12, "counts": {"files": 3}},
            {"name": "tests", "passed": False, "durationSeconds": 1.5, "reason": "coverage 80%"},
        ],
        "not_implemented": [
            {"operation_id": "searchPets", "method": "get", "path": "/search", "reason": "search"}
        ],
        "passed": False,
    }
    arguments.update(overrides)
    return provenance.statement(**arguments)


def test_is_an_in_toto_statement_v1() -> None:
    document = build()
    assert document["_type"] == "https://in-toto.io/Statement/v1"
    assert document["predicateType"] == provenance.PREDICATE_TYPE
    assert set(document) == {"_type", "subject", "predicateType", "predicate"}


def test_every_file_but_the_statement_is_a_subject_sorted_with_its_sha256() -> None:
    subjects = build()["subject"]
    assert [s["name"] for s in subjects] == ["README.md", "app/main.py", "z/last.py"]
    for subject in subjects:
        assert subject["digest"] == {"sha256": hashlib.sha256(FILES[subject["name"]]).hexdigest()}


def test_predicate_records_generator_spec_template_variables_gates() -> None:
    predicate = build()["predicate"]
    definition = predicate["buildDefinition"]
    assert definition["buildType"] == provenance.BUILD_TYPE
    assert definition["externalParameters"]["name"] == "petstore-api"
    spec, template = definition["resolvedDependencies"]
    assert spec == {"name": "specification", "digest": {"sha256": "a" * 64}}
    assert template["digest"] == {"sha256": "b" * 64}
    assert template["annotations"] == {"family": "python-fastapi-service", "version": "1.0.0"}
    assert definition["internalParameters"]["variables"]["port"] == 8000
    builder = predicate["runDetails"]["builder"]
    assert builder["id"] == f"kodegen@{kodegen.__version__}"
    assert [gate["name"] for gate in predicate["gates"]] == ["syntax", "tests"]
    assert predicate["gates"][1]["reason"] == "coverage 80%"
    assert predicate["notImplemented"][0]["operation_id"] == "searchPets"
    assert predicate["passed"] is False


def test_secrets_are_redacted_and_references_kept() -> None:
    definition = build()["predicate"]["buildDefinition"]
    spec = definition["externalParameters"]["spec"]
    assert spec["variables"]["dbPassword"] == provenance.REDACTED
    provider = spec["ai"]["providers"][0]
    assert provider["apiKey"] == provenance.REDACTED
    assert provider["secretRef"] == {"name": "keys"}
    assert definition["internalParameters"]["variables"]["apiToken"] == provenance.REDACTED
    text = provenance.dump(build()).decode()
    assert "hunter2" not in text and "sk-1" not in text and "t0k" not in text


def test_no_timestamps_or_durations_anywhere() -> None:
    text = provenance.dump(build()).decode()
    assert "duration" not in text.lower()
    assert not re.search(r"\d{4}-\d{2}-\d{2}T", text)
    for key in ("startedOn", "finishedOn", "timestamp"):
        assert key not in text


def test_deterministic_bytes() -> None:
    first = provenance.dump(build())
    second = provenance.dump(build(files=dict(reversed(list(FILES.items())))))
    assert first == second


def test_dump_is_sorted_indented_with_a_trailing_newline() -> None:
    raw = provenance.dump(build())
    assert raw.endswith(b"}\n") and not raw.endswith(b"\n\n")
    document = json.loads(raw)
    assert raw.decode() == json.dumps(document, sort_keys=True, indent=2) + "\n"


def test_a_digest_without_algorithm_is_a_bug() -> None:
    with pytest.raises(ValueError, match="algorithm"):
        build(spec_digest="abc")
