"""The real Swagger 2.0 specs of `../shared/specs/corpus/swagger2/` through conversion, kodegen's
OpenAPI validation and parsing (what `kodegen validate` runs on a spec). The corpus is
third-party data beside the repository: without it these tests skip with one reason."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kodegen import errors
from kodegen.documents import loading
from kodegen.specs import openapi, swagger2
from tests.corpus import harness

FOLDER = harness.FOLDER / "swagger2"
REASON = harness.REASON
ENTRIES = ("index.yaml", "openapi.yaml", "swagger.yaml", "swagger.json")

# Specs refused on purpose, with the words the one-line reason must hold: each is invalid by the
# Swagger 2.0 specification itself. A multi-file spec is read as the CLI reads a `file:` spec
# (its folder's files bundled), so its sibling-file `$ref`s resolve.
REFUSED: dict[str, str] = {
    # a query parameter of `type: object`, which Swagger 2.0 does not allow
    "grpc-gateway-a-bit-of-everything": "/get/parameters/24: Swagger 2.0: ",
    # a definition holds a `schema` key (with a `oneOf`, itself not Swagger 2.0)
    "nakadi": "/definitions/Event: Swagger 2.0: Additional properties are not allowed",
}


def _entry(path: Path) -> Path:
    if path.is_file():
        return path
    return next(path / name for name in ENTRIES if (path / name).is_file())


def params() -> list[Any]:
    found = sorted(FOLDER.iterdir()) if FOLDER.is_dir() else []
    if not found:
        return [pytest.param(None, id="no-corpus", marks=pytest.mark.skip(reason=REASON))]
    return [pytest.param(spec, id=spec.stem) for spec in found]


def _read(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = loading.load(path.read_bytes(), source=str(path))
    return document


def _bundled(spec: Path) -> dict[str, Any]:
    corpus = harness.script()
    name, _ = corpus.source(spec, "swagger2")
    document: dict[str, Any] = corpus._bundled(spec, name)
    return document


@pytest.mark.parametrize("spec", params())
def test_swagger2_corpus_spec_converts_validates_and_parses(spec: Path) -> None:
    document = _bundled(spec)
    assert swagger2.is_swagger(document)
    if spec.stem in REFUSED:
        with pytest.raises(errors.SpecError) as caught:
            openapi.parse(document)
        assert REFUSED[spec.stem] in str(caught.value) and "\n" not in str(caught.value)
        return
    parsed = openapi.parse(document)
    assert parsed.operations
    assert len({op.operation_id for op in parsed.operations}) == len(parsed.operations)


@pytest.mark.parametrize("spec", params())
def test_swagger2_corpus_conversion_is_byte_identical(spec: Path) -> None:
    first = _outcome(spec)
    assert first == _outcome(spec)


def _outcome(spec: Path) -> str:
    """The converted document as JSON text, or the refusal's one line."""
    try:
        return json.dumps(swagger2.convert(_read(_entry(spec))))
    except errors.SpecError as exc:
        return str(exc)
