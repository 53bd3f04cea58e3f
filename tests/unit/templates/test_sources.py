"""sources.load for builtin, inline and configMapRef sources, and the ConfigMap encoding.
Git sources: test_sources_git.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kodegen import errors
from kodegen.api import codetemplate
from kodegen.templates import model, registry, sources

from .conftest import spec_data, write_template

FILES = {
    "{{ packageName }}/__init__.py.j2": '"""{{ packageName }}."""\n',
    "{{ packageName }}/__main__.py": "print('hi')\n",
    "README.md": "hello\n",
    "app/main.py.j2": "x = 1\n",
}


def spec(**source: Any) -> codetemplate.CodeTemplateSpec:
    return codetemplate.CodeTemplateSpec.model_validate(spec_data(source=source))


# -- builtin -------------------------------------------------------------------------------


def test_builtin_loads_the_shipped_folder_with_the_resources_spec(root: Path) -> None:
    write_template(root, files=FILES)
    loaded = sources.load(spec(builtin="demo/1.0.0"), builtin_root=root)
    assert loaded.kind == "builtin" and loaded.commit is None
    assert dict(loaded.template.files) == FILES
    assert loaded.template.spec.source is not None
    assert loaded.template.folder == root / "demo" / "1.0.0"
    on_disk = registry.load(root / "demo" / "1.0.0")
    # the digest leaves the source out: same spec and files, same digest
    assert loaded.template.digest == on_disk.digest


def test_builtin_fastapi_template_is_shipped() -> None:
    data = spec_data(family="python-fastapi-service")
    data["source"] = {"builtin": "python-fastapi-service/1.0.0"}
    loaded = sources.load(codetemplate.CodeTemplateSpec.model_validate(data))
    assert any(path.endswith("main.py.j2") for path in loaded.template.files)


def test_builtin_must_be_the_resources_family_and_version(root: Path) -> None:
    write_template(root)
    data = spec_data(version="2.0.0", source={"builtin": "demo/1.0.0"})
    with pytest.raises(errors.TemplateError, match=r"'demo/1.0.0' is not this resource's"):
        sources.load(codetemplate.CodeTemplateSpec.model_validate(data), builtin_root=root)


def test_builtin_that_is_not_shipped_lists_what_is(root: Path) -> None:
    write_template(root, family="other")
    with pytest.raises(errors.TemplateError, match=r"ships no template 'demo/1.0.0'.*other/1.0.0"):
        sources.load(spec(builtin="demo/1.0.0"), builtin_root=root)


def test_a_resource_needs_a_source() -> None:
    with pytest.raises(errors.TemplateError, match=r"spec.source: is required"):
        sources.load(codetemplate.CodeTemplateSpec.model_validate(spec_data()))


# -- inline --------------------------------------------------------------------------------


def test_inline_files_with_digest() -> None:
    loaded = sources.load(spec(inline={"files": FILES}))
    assert loaded.kind == "inline"
    template = loaded.template
    assert dict(template.files) == FILES and template.folder is None
    assert template.digest == model.content_digest(template.spec, FILES)


@pytest.mark.parametrize("path", ["/etc/passwd", "a/../b", "a//b", "./a", "a\\b", "a/"])
def test_inline_paths_must_be_relative_and_normalized(path: str) -> None:
    with pytest.raises(errors.TemplateError, match=r"spec.source.inline.files: the path"):
        sources.load(spec(inline={"files": {path: "x"}}))


# -- configMapRef --------------------------------------------------------------------------


def test_config_map_with_plain_keys() -> None:
    data = {"app__main.py.j2": "x = 1\n", "README.md": "hello\n"}
    loaded = sources.load(spec(configMapRef={"name": "files"}), config_map=data)
    assert loaded.kind == "configMapRef"
    assert dict(loaded.template.files) == {"app/main.py.j2": "x = 1\n", "README.md": "hello\n"}


def test_config_map_round_trip_gives_the_same_digest_as_inline() -> None:
    data = sources.config_map_data(FILES)
    assert sources.INDEX_KEY in data  # Jinja and dunder paths need the index
    assert "app__main.py.j2" in data and "README.md" in data  # plain paths stay readable
    from_map = sources.load(spec(configMapRef={"name": "files"}), config_map=data)
    inline = sources.load(spec(inline={"files": FILES}))
    assert dict(from_map.template.files) == FILES
    spec_only = codetemplate.CodeTemplateSpec.model_validate(spec_data())
    assert from_map.template.digest == inline.template.digest
    assert from_map.template.digest == model.content_digest(spec_only, FILES)


def test_config_map_data_is_needed() -> None:
    with pytest.raises(errors.TemplateError, match=r"the data of ConfigMap 'files' was not given"):
        sources.load(spec(configMapRef={"name": "files"}))


def test_config_map_index_lists_a_missing_key() -> None:
    data = {sources.INDEX_KEY: '{"0001-a": "a/{{ x }}"}', "b": "b"}
    with pytest.raises(errors.TemplateError, match=r"lists keys the ConfigMap does not have: 0001"):
        sources.files_of(data)


def test_config_map_index_must_be_json() -> None:
    with pytest.raises(errors.TemplateError, match=r"kodegen.index.json: is not JSON"):
        sources.files_of({sources.INDEX_KEY: "{nope", "a": "a"})
    with pytest.raises(errors.TemplateError, match=r"must be a JSON object from key to path"):
        sources.files_of({sources.INDEX_KEY: "[1]", "a": "a"})


def test_config_map_two_keys_for_one_path() -> None:
    data = {sources.INDEX_KEY: '{"x": "a/b"}', "x": "1", "a__b": "2"}
    with pytest.raises(errors.TemplateError, match=r"second file for the path 'a/b'"):
        sources.files_of(data)


def test_config_map_numbered_keys_avoid_plain_ones() -> None:
    files = {"0002-x": "plain", "{{ a }}/x": "jinja", "kodegen.index.json": "a file so named"}
    data = sources.config_map_data(files)
    assert sources.files_of(data) == files
    assert data["0002-x"] == "plain"


_segment = st.text(alphabet=st.sampled_from("ab_-.{} %Z9"), min_size=1, max_size=8).filter(
    lambda part: part not in (".", "..")
)


@given(st.dictionaries(st.lists(_segment, min_size=1, max_size=3).map("/".join), st.text()))
def test_config_map_encoding_reads_back_what_it_writes(files: dict[str, str]) -> None:
    data = sources.config_map_data(files)
    assert all(key and set(key) <= set("-._abcdefghijklmnopqrstuvwxyzZ0123456789") for key in data)
    assert sources.files_of(data) == files
