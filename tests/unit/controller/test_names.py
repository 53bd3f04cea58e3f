"""names: the input hash and the names derived from it are pure, stable and within Kubernetes'
limits."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from kodegen.api import codegeneration
from kodegen.controller import names

MANIFEST = Path(__file__).resolve().parents[1] / "api" / "manifests" / "code-generation.yaml"
TEMPLATE = "sha256:" + "2" * 64
DIGEST = "sha256:" + "ab12cd34" + "f" * 56

DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")


def spec_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())["spec"]
    return data


def spec(**changes: Any) -> codegeneration.CodeGenerationSpec:
    return codegeneration.CodeGenerationSpec.model_validate({**spec_data(), **changes})


# -- input_hash ----------------------------------------------------------------------------


def test_input_hash_is_a_sha256_digest_and_stable() -> None:
    digest = names.input_hash(spec(), TEMPLATE)
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest)
    assert names.input_hash(spec(), TEMPLATE) == digest


def test_input_hash_ignores_key_order_defaults_and_suspend() -> None:
    digest = names.input_hash(spec(), TEMPLATE)
    reordered = dict(reversed(list(spec_data().items())))
    assert (
        names.input_hash(codegeneration.CodeGenerationSpec.model_validate(reordered), TEMPLATE)
        == digest
    )
    assert names.input_hash(spec(suspend=True), TEMPLATE) == digest
    for policy in ("Ignore", "Report", "Restore"):  # what happens to the output afterwards
        assert names.input_hash(spec(driftPolicy=policy), TEMPLATE) == digest
    without_default = {k: v for k, v in spec_data().items() if k != "regenerate"}
    assert (
        names.input_hash(
            codegeneration.CodeGenerationSpec.model_validate(without_default), TEMPLATE
        )
        == digest
    )


@pytest.mark.parametrize(
    "change",
    [
        {"regenerate": "1"},
        {"variables": {"packageName": "shop"}},
        {"qualityGates": {"minCoverage": 90, "failOnSeverity": "medium", "contract": True}},
    ],
)
def test_input_hash_changes_with_what_decides_the_output(change: dict[str, Any]) -> None:
    assert names.input_hash(spec(**change), TEMPLATE) != names.input_hash(spec(), TEMPLATE)


def test_input_hash_changes_with_the_template_and_the_generator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    digest = names.input_hash(spec(), TEMPLATE)
    assert names.input_hash(spec(), "sha256:" + "3" * 64) != digest
    monkeypatch.setattr("kodegen.__version__", "9.9.9")
    assert names.input_hash(spec(), TEMPLATE) != digest


# -- derived names -------------------------------------------------------------------------


def test_short_names() -> None:
    assert names.hash8(DIGEST) == "ab12cd34"
    assert names.job("petstore-api", DIGEST) == "petstore-api-ab12cd34"
    assert names.request("petstore-api", DIGEST) == "petstore-api-request-ab12cd34"
    assert names.result("petstore-api", DIGEST) == "petstore-api-result-ab12cd34"
    assert names.output("petstore-api") == "petstore-api-code"
    assert names.labels("petstore-api", DIGEST, "job") == {
        "app.kubernetes.io/managed-by": "kodegen",
        "kodegen.dev/generation": "petstore-api",
        "kodegen.dev/input-hash": "ab12cd34",
        "kodegen.dev/role": "job",
    }


NAMES = [
    "a",
    "petstore-api",
    "team.petstore-api",
    "x" * 54,
    "x" * 55,
    "y" * 63,
    "z" * 64,
    "a.b-c" * 50 + "d",
    "q" * 253,
    "w" * 47 + "-" + "v" * 205,  # a cut just after the dash
    "w" * 47 + "." + "v" * 205,  # a cut just after the dot
]


@pytest.mark.parametrize("name", NAMES, ids=[f"len{len(n)}" for n in NAMES])
def test_derived_names_are_valid(name: str) -> None:
    assert DNS1123_SUBDOMAIN.match(name) and len(name) <= 253
    job = names.job(name, DIGEST)
    assert len(job) <= 63 and DNS1123_SUBDOMAIN.match(job)
    for derived in (names.request(name, DIGEST), names.result(name, DIGEST), names.output(name)):
        assert len(derived) <= 253 and DNS1123_SUBDOMAIN.match(derived), derived
    for value in names.labels(name, DIGEST, "request").values():
        assert len(value) <= 63 and LABEL_VALUE.match(value), value
    assert names.generation_label(name) == names.labels(name, DIGEST, "job")[names.LABEL_GENERATION]
    if len(name) + 9 <= 63:
        assert job == f"{name}-ab12cd34"  # short names are kept whole


def test_names_of_different_objects_stay_distinct() -> None:
    shared = "p" * 240
    first, second = shared + "-one", shared + "-two"
    for derive in (names.job, names.request, names.result):
        assert derive(first, DIGEST) != derive(second, DIGEST)
    assert names.output(first) != names.output(second)
    assert names.generation_label(first) != names.generation_label(second)


def test_names_of_different_runs_stay_distinct() -> None:
    other = "sha256:" + "00000000" + "f" * 56
    name = "q" * 253
    assert names.job(name, DIGEST) != names.job(name, other)
    assert names.request(name, DIGEST) != names.request(name, other)
