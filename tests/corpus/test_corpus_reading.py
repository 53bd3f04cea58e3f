"""The fast part of the corpus tier (in `make test`): every real public spec of
`../shared/specs/corpus/` is read and planned (parse, template, variables, plan; no render, no
gates: those are `make corpus`); nothing crashes (an exception that is not kodegen's fails the
test), every refusal is one line and no refusal is kodegen's report of its own bug
(`UnexpectedInputError`). The rule for a
multi-file folder's entry document is tested on folders built here, so it runs without the
corpus too."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.pipeline import generate
from tests.corpus import harness


@pytest.mark.parametrize("spec", harness.params())
def test_every_refusal_is_one_line(spec: Path) -> None:
    corpus = harness.script()
    kind = spec.parent.name
    try:
        name, content = corpus.source(spec, kind)
        raw = corpus.manifest(spec, kind, name, content)
        manifest = codegeneration.CodeGeneration.model_validate(raw)
        prepared = generate.Generator().validate(manifest)
    except (errors.KodegenError, corpus.NoEntry) as exc:
        assert not isinstance(exc, errors.UnexpectedInputError), f"{spec.name}: {exc}"
        message = str(exc)
        assert message.strip(), f"{spec.name}: an empty refusal"
        assert "\n" not in message, f"{spec.name}: a refusal of several lines: {message!r}"
        assert "Traceback" not in message
    else:
        assert prepared.plan.context, f"{spec.name}: planned to an empty context"


def _write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_entry_is_the_single_top_level_document(tmp_path: Path) -> None:
    folder = _write(tmp_path, {"petstore.yaml": "{}", "paths/pets.yaml": "{}", "README.md": ""})
    assert harness.script().entry(folder) == folder / "petstore.yaml"


def test_entry_is_the_document_named_like_a_root(tmp_path: Path) -> None:
    folder = _write(tmp_path, {"openapi.yaml": "{}", "flag.yaml": "{}", "tag.yaml": "{}"})
    assert harness.script().entry(folder) == folder / "openapi.yaml"


def test_entry_is_the_document_no_other_refers_to(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        {
            "bom.json": '{"$ref": "spdx.json"}',
            "spdx.json": "{}",
            "sig.json": '{"x": {"$ref": "spdx.json#/a"}}',
        },
    )
    (folder / "spdx.json").write_text('{"$ref": "sig.json#/x"}', encoding="utf-8")
    assert harness.script().entry(folder) == folder / "bom.json"


def test_entry_is_found_in_nested_folders(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        {
            "item-spec/json-schema/item.json": '{"$ref": "common.json"}',
            "item-spec/json-schema/common.json": '{"a": {"$ref": "basics.json"}}',
            "item-spec/json-schema/basics.json": "{}",
            "catalog-spec/json-schema/catalog.json": (
                '{"$ref": "../../item-spec/json-schema/item.json#/definitions/links"}'
            ),
        },
    )
    assert harness.script().entry(folder) == folder / "catalog-spec/json-schema/catalog.json"


def test_of_several_roots_the_one_reaching_most_documents_is_the_entry(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        {
            "data/api/v2_ping.yaml": "paths: {}\n",
            "data/api/v2_lookup.yaml": (
                "a: {$ref: 'definitions/sid.yaml'}\nb: {$ref: '../schemas/sig.yaml'}\n"
            ),
            "data/api/v2_terms.yaml": "a: {$ref: 'definitions/sid.yaml'}\n",
            "data/api/definitions/sid.yaml": "type: string\n",
            "data/schemas/sig.yaml": "type: object\n",
        },
    )
    assert harness.script().entry(folder) == folder / "data/api/v2_lookup.yaml"


def test_a_folder_without_one_root_is_refused_in_one_line(tmp_path: Path) -> None:
    folder = _write(tmp_path, {"a/one.yaml": "{}", "b/two.yaml": "{}"})
    with pytest.raises(harness.script().NoEntry) as refused:
        harness.script().entry(folder)
    assert "\n" not in str(refused.value)
    assert "0 top-level documents, 2 documents no other refers to" in str(refused.value)
