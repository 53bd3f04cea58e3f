"""pipeline.manifest: every bad manifest is one line naming the place and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodegen import errors
from kodegen.pipeline import manifest

EXAMPLE = Path(__file__).parents[3] / "examples" / "petstore.yaml"
TEXT = EXAMPLE.read_text()


def error(text: str) -> str:
    with pytest.raises(errors.ManifestError) as caught:
        manifest.parse(text, source="m.yaml")
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_the_example_parses() -> None:
    cg = manifest.load(EXAMPLE)
    assert cg.metadata.name == "petstore-api"
    assert cg.spec.specification.type == "openapi"
    assert cg.spec.specification.openapi is not None
    assert cg.spec.specification.openapi.inline is not None
    assert cg.spec.specification.openapi.inline["info"]["title"] == "Swagger Petstore"
    assert cg.spec.template.family == "python-fastapi-service"
    assert cg.spec.template.version == "^1.0"
    assert cg.spec.variables == {"packageName": "petstore"}
    assert cg.spec.quality_gates.min_coverage == 95


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: [1, 2\n", r"m\.yaml:2:1: malformed YAML: .*expected ',' or '\]'"),
        ("a: b\n\tc: d\n", r"m\.yaml:2:1: malformed YAML: found .*tab"),
        ("a: 1\na: 2\n", r"m\.yaml:2:1: malformed YAML: duplicate key 'a' \(first at line 1\)"),
        ("a: 1\n---\nb: 2\n", r"m\.yaml:2:1: malformed YAML: expected a single document"),
        ("a: !!python/object:os.system x\n", r"m\.yaml:1:4: malformed YAML: .*constructor"),
        ("a: 1\nb: x\x07y\n", r"m\.yaml:2:5: malformed YAML: control character U\+0007"),
    ],
)
def test_malformed_yaml_names_line_and_column(text: str, expected: str) -> None:
    with pytest.raises(errors.ManifestError, match=expected):
        manifest.parse(text, source="m.yaml")


@pytest.mark.parametrize(
    ("text", "got"),
    [
        ("", "an empty document"),
        ("- a\n", "a list"),
        ("just text\n", "a string"),
        ("3\n", "a number"),
    ],
)
def test_not_a_mapping(text: str, got: str) -> None:
    assert (
        error(text) == f"manifest: m.yaml: must be a mapping (a CodeGeneration object), got {got}"
    )


def test_wrong_api_version_is_checked_first() -> None:
    text = TEXT.replace("apiVersion: kodegen.dev/v1alpha1", "apiVersion: v1").replace(
        "  template:", "  templat:"
    )
    assert error(text) == "manifest: apiVersion: must be kodegen.dev/v1alpha1, got 'v1'"


def test_missing_api_version() -> None:
    text = TEXT.replace("apiVersion: kodegen.dev/v1alpha1\n", "")
    assert error(text) == "manifest: apiVersion: must be kodegen.dev/v1alpha1, it is missing"


def test_wrong_kind() -> None:
    text = TEXT.replace("kind: CodeGeneration", "kind: ConfigMap")
    assert error(text) == "manifest: kind: must be CodeGeneration, got 'ConfigMap'"


def test_a_template_kind_is_explained() -> None:
    text = TEXT.replace("kind: CodeGeneration", "kind: ClusterCodeTemplate")
    assert "a ClusterCodeTemplate is applied to the cluster" in error(text)


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("    family:", "    famly:", "spec.template.famly: did you mean 'family'?"),
        ("  qualityGates:", "  qualitygates:", "spec.qualitygates: did you mean 'qualityGates'?"),
        (
            "    minCoverage:",
            "    min_coverag:",
            "spec.qualityGates.min_coverag: did you mean 'minCoverage'?",
        ),
        (
            "      inline:",
            "      inlne:",
            "spec.specification.openapi.inlne: did you mean 'inline'?",
        ),
        ("  name: petstore-api", "  nmae: petstore-api", "metadata.nmae: did you mean 'name'?"),
    ],
)
def test_misspelled_field_suggests_the_known_one(old: str, new: str, expected: str) -> None:
    field, suggestion = expected.split(": ")
    message = error(TEXT.replace(old, new))
    assert message.startswith(f"manifest: {field}: unknown field; {suggestion} (at m.yaml:")


def test_unknown_field_without_a_close_match_lists_the_known_ones() -> None:
    message = error(TEXT.replace("  qualityGates:", "  zzz: 1\n  qualityGates:"))
    assert message.startswith("manifest: spec.zzz: unknown field; expected one of specification,")
    assert "qualityGates" in message


def test_unknown_field_in_a_list_item_has_an_index() -> None:
    text = TEXT + "  ai:\n    providers:\n      - {provider: ollama, model: m, baseUrl: x}\n"
    message = error(text)
    assert message.startswith(
        "manifest: spec.ai.providers[0].baseUrl: unknown field; did you mean 'baseURL'?"
    )


def test_position_of_the_bad_key() -> None:
    lines = TEXT.splitlines()
    number = next(
        i for i, line in enumerate(lines, 1) if line == "    family: python-fastapi-service"
    )
    message = error(TEXT.replace("    family:", "    famly:"))
    assert message.endswith(f"(at m.yaml:{number}:5)")


def test_missing_required_field() -> None:
    message = error(TEXT.replace("    family: python-fastapi-service\n", ""))
    assert message.startswith("manifest: spec.template.family: required field is missing (at ")


def test_missing_spec() -> None:
    text = TEXT[: TEXT.index("spec:\n")]
    assert error(text).startswith("manifest: spec: required field is missing")


def test_wrong_value_quotes_it() -> None:
    message = error(TEXT.replace("    type: openapi", "    type: opnapi"))
    assert message.startswith(
        "manifest: spec.specification.type: input should be 'openapi', 'jsonSchema', 'graphql', "
        "'adr' or 'userStory', got 'opnapi'"
    )


def test_long_values_are_truncated() -> None:
    message = error(TEXT.replace("minCoverage: 95", "minCoverage: " + "x" * 500))
    assert "x" * 100 not in message
    assert "..." in message


def test_load_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(errors.ManifestError, match=r"missing\.yaml: cannot read it"):
        manifest.load(tmp_path / "missing.yaml")
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(errors.ManifestError, match=r"binary\.yaml: not UTF-8"):
        manifest.load(binary)
    (tmp_path / "bad.yaml").write_text("a: [\n")
    with pytest.raises(errors.ManifestError, match=r"bad\.yaml:2:1: malformed YAML"):
        manifest.load(tmp_path / "bad.yaml")


def test_deep_nesting_is_an_input_error() -> None:
    with pytest.raises(errors.ManifestError):
        manifest.parse("a: " + "[" * 5000 + "]" * 5000)
