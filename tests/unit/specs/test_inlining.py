"""A manifest read from disk: its `file:` spec (and the files that spec refers to) read from
the manifest's folder and inlined; an inline spec's allowed remote `$ref`s fetched."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from kodegen import errors
from kodegen.pipeline import manifest
from tests.schema_host import Host

INFO = {"title": "T", "version": "1"}


def write_manifest(folder: Path, openapi: dict[str, Any], **specification: Any) -> Path:
    body = {
        "apiVersion": "kodegen.dev/v1alpha1",
        "kind": "CodeGeneration",
        "metadata": {"name": "t"},
        "spec": {
            "specification": {"type": "openapi", "openapi": openapi, **specification},
            "template": {"family": "python-fastapi-service", "version": "^1.0"},
            "variables": {"packageName": "t"},
        },
    }
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(body))
    return path


def test_a_file_spec_is_read_beside_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "spec" / "schemas").mkdir(parents=True)
    (tmp_path / "spec" / "openapi.yaml").write_text(
        yaml.safe_dump(
            {
                "openapi": "3.0.3",
                "info": INFO,
                "paths": {},
                "components": {"schemas": {"Pet": {"$ref": "schemas/Pet.json"}}},
            }
        )
    )
    (tmp_path / "spec" / "schemas" / "Pet.json").write_text('{"type": "object"}')
    loaded = manifest.load(write_manifest(tmp_path, {"file": "spec/openapi.yaml"}))
    source = loaded.spec.specification.openapi
    assert source is not None and source.file is None
    assert source.inline == {
        "openapi": "3.0.3",
        "info": INFO,
        "paths": {},
        "components": {"schemas": {"Pet": {"type": "object"}}},
    }


@pytest.mark.parametrize("file", ["../outside.yaml", "spec/../../outside.yaml"])
def test_a_file_outside_the_manifests_folder_is_refused(tmp_path: Path, file: str) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (tmp_path / "outside.yaml").write_text("openapi: 3.0.3\n")
    with pytest.raises(errors.ManifestError, match="leaves the manifest's folder") as refused:
        manifest.load(write_manifest(folder, {"file": file}))
    assert str(refused.value).startswith("manifest: spec.specification.openapi.file")


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(errors.DocumentError, match="no such file") as refused:
        manifest.load(write_manifest(tmp_path, {"file": "nope.yaml"}))
    assert "\n" not in str(refused.value)


def test_the_cli_fetches_remote_refs_the_manifest_allows(tmp_path: Path, schema_host: Host) -> None:
    url = schema_host.serve("/s/Pet.json", json.dumps({"type": "string"}))
    inline = {
        "openapi": "3.0.3",
        "info": INFO,
        "paths": {},
        "components": {"schemas": {"Pet": {"$ref": url}}},
    }
    loaded = manifest.load(write_manifest(tmp_path, {"inline": inline}))
    assert schema_host.seen == []  # not allowed: left for the parser to refuse
    path = write_manifest(tmp_path, {"inline": inline}, allowRemoteRefs=[schema_host.url + "/s/"])
    loaded = manifest.load(path)
    source = loaded.spec.specification.openapi
    assert source is not None and source.inline is not None
    assert source.inline["components"]["schemas"]["Pet"] == {"type": "string"}
    assert schema_host.seen == ["/s/Pet.json"]
