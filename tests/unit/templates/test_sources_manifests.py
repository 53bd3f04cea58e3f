"""templates/<family>-<version>.yaml: the ClusterCodeTemplates of the builtin templates, equal
to what `kodegen template manifest` makes of template.yaml, valid for the shipped CRD, and
loading the same content (same digest) as the folder."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest

from kodegen.templates import manifests, model, registry
from tests.unit.deploy.test_manifests import crds

ROOT = Path(__file__).resolve().parents[3] / "templates"

UNPUBLISHED = {"python-project": "adr/userStory need AI; template tests never call it"}
"""Builtin families with no tests, hence no ClusterCodeTemplate (template.yaml says why)."""


def builtin() -> list[model.Template]:
    return [
        registry.load(ROOT / family / version)
        for family, versions in registry.available(ROOT).items()
        for version in versions
    ]


PUBLISHED = [template for template in builtin() if template.spec.family not in UNPUBLISHED]


def expected(template: model.Template) -> str:
    header = manifests.HEADER.format(family=template.spec.family, version=template.spec.version)
    return manifests.dump(manifests.objects(template), header=header)


@pytest.mark.parametrize("template", PUBLISHED, ids=[t.name for t in PUBLISHED])
def test_manifest_is_generated_from_template_yaml(template: model.Template) -> None:
    path = ROOT / manifests.file_name(template)
    fix = f"run: kodegen template manifest {template.folder} --out templates/"
    assert path.is_file(), f"{path.name} is missing; {fix}"
    assert path.read_text(encoding="utf-8") == expected(template), f"{path.name} differs; {fix}"


@pytest.mark.parametrize("template", PUBLISHED, ids=[t.name for t in PUBLISHED])
def test_manifest_loads_the_same_content(template: model.Template) -> None:
    loaded = manifests.load(ROOT / manifests.file_name(template), builtin_root=ROOT)
    assert loaded.kind == "builtin"
    assert loaded.template.digest == template.digest
    assert template.spec.tests, "a published template needs tests, or it is never Ready"


def test_every_manifest_file_is_a_builtin_template() -> None:
    names = {manifests.file_name(template) for template in PUBLISHED}
    assert {path.name for path in ROOT.glob("*.yaml")} == names
    assert {path.name for path in ROOT.glob("*.yml")} == set()


def test_unpublished_templates_have_no_tests_and_say_why() -> None:
    for family in UNPUBLISHED:
        (folder,) = (ROOT / family).iterdir()
        template = registry.load(folder)
        assert not template.spec.tests
        assert "not published" in (folder / registry.SPEC_FILE).read_text()


@pytest.mark.parametrize("template", PUBLISHED, ids=[t.name for t in PUBLISHED])
@pytest.mark.parametrize("source", ["builtin", "inline", "configMap", "git"])
def test_manifests_are_valid_for_the_crd(template: model.Template, source: Any) -> None:
    """Every object `kodegen template manifest` writes, against the schema of crds/."""
    documents = manifests.objects(
        template, source=source, git_url="https://example.com/t.git", git_ref="v1"
    )
    definitions = crds()
    for document in documents:
        if document["kind"] == "ConfigMap":
            assert set(document["data"]) and all(len(key) <= 253 for key in document["data"])
            continue
        definition = definitions[("kodegen.dev", document["kind"])]
        (schema,) = [
            v["schema"]["openAPIV3Schema"]
            for v in definition["spec"]["versions"]
            if f"kodegen.dev/{v['name']}" == document["apiVersion"]
        ]
        jsonschema.validate(document, schema)
