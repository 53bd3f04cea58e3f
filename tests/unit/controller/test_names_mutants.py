"""names, the rules its first tests left open (found by `make mutate`): the canonical form of the
input hash, what it covers, and the exact shape of shortened names."""

from __future__ import annotations

import datetime
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import kodegen
from kodegen.api import codegeneration
from kodegen.controller import names

MANIFEST = Path(__file__).resolve().parents[1] / "api" / "manifests" / "code-generation.yaml"
TEMPLATE = "sha256:" + "2" * 64
DIGEST = "sha256:" + "ab12cd34" + "f" * 56


def _data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(MANIFEST.read_text())["spec"]
    return {**data, **changes}


def _spec(**changes: Any) -> codegeneration.CodeGenerationSpec:
    return codegeneration.CodeGenerationSpec.model_validate(_data(**changes))


def test_the_canonical_form_is_pinned(monkeypatch: pytest.MonkeyPatch) -> None:
    """A change of the canonical form changes every inputHash in every cluster, and so reruns
    every CodeGeneration after an upgrade: it must be deliberate. The form, as documented:
    sorted keys, no spaces, UTF-8 (not ASCII escapes), field names as in the manifest."""
    monkeypatch.setattr(kodegen, "__version__", "0.0.0-pinned")
    spec = _spec(regenerate="naïve ☃")
    document = {
        "spec": spec.model_dump(mode="json", by_alias=True, exclude={"suspend", "drift_policy"}),
        "template": TEMPLATE,
        "generator": f"{kodegen.GENERATOR}/0.0.0-pinned",
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert '"testFramework":"pytest"' in text and "naïve ☃" in text
    expected = "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    assert names.input_hash(spec, TEMPLATE) == expected
    assert expected == "sha256:edda7d92d0f87a7c4422d43907b976bee03111af7fa576923ab0d890efd82e4e"


def test_the_spec_template_and_generator_are_each_part_of_the_hash() -> None:
    base = names.input_hash(_spec(), TEMPLATE)
    assert names.input_hash(_spec(), "sha256:" + "9" * 64) != base
    assert names.input_hash(_spec(regenerate="x"), TEMPLATE) != base


def test_yaml_dates_in_an_inline_document_hash_like_their_text() -> None:
    inline = yaml.safe_load("openapi: 3.0.3\ninfo: {title: t, version: 2024-01-02}\npaths: {}\n")
    assert isinstance(inline["info"]["version"], datetime.date)
    specification = {"type": "openapi", "openapi": {"inline": inline}}
    as_text = {
        "type": "openapi",
        "openapi": {"inline": {**inline, "info": {"title": "t", "version": "2024-01-02"}}},
    }
    dated = names.input_hash(_spec(specification=specification), TEMPLATE)
    assert dated == names.input_hash(_spec(specification=as_text), TEMPLATE)


def test_a_long_name_is_cut_to_the_limit_with_a_five_digit_tag() -> None:
    name = "a" * 70
    tag = hashlib.sha256(name.encode()).hexdigest()[:5]
    job = names.job(name, DIGEST)
    assert len(job) == names.LABEL_MAX
    assert job == "a" * (63 - len("-ab12cd34") - 6) + f"-{tag}-ab12cd34"
    assert names.generation_label(name) == "a" * 57 + f"-{tag}"


def test_a_cut_never_leaves_a_dash_or_dot_before_the_tag() -> None:
    name = "a" * 47 + "-." + "b" * 30
    tag = hashlib.sha256(name.encode()).hexdigest()[:5]
    assert names.job(name, DIGEST) == "a" * 47 + f"-{tag}-ab12cd34"


def test_names_of_a_templates_test_run() -> None:
    assert names.template_job("tpl", DIGEST) == "tpl-test-ab12cd34"
    assert names.template_request("tpl", DIGEST) == "tpl-test-request-ab12cd34"
    assert names.template_result("tpl", DIGEST) == "tpl-test-result-ab12cd34"
    long = "t" * 60
    assert len(names.template_job(long, DIGEST)) == names.LABEL_MAX
    assert names.template_job(long, DIGEST).endswith("-test-ab12cd34")
    assert len(names.template_request("t" * 300, DIGEST)) == names.NAME_MAX
    assert len(names.template_result("t" * 300, DIGEST)) == names.NAME_MAX
    assert names.template_labels("ClusterCodeTemplate", "tpl", DIGEST, "template-job") == {
        "app.kubernetes.io/managed-by": kodegen.GENERATOR,
        "kodegen.dev/template": "tpl",
        "kodegen.dev/template-kind": "ClusterCodeTemplate",
        "kodegen.dev/input-hash": "ab12cd34",
        "kodegen.dev/role": "template-job",
    }
