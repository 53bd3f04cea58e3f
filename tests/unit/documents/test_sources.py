"""Document sources: the files of a multi-file spec by name, never anything outside its
folder. The attacks come first; each is refused in one line naming the reference."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kodegen import errors
from kodegen.documents import limits, sources

# -- attacks -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reference",
    [
        "../../etc/passwd",
        "../secret.yaml",
        "paths/../../secret.yaml",
        "/etc/passwd",
        "\\\\server\\share\\x.yaml",
        "C:\\Windows\\win.ini",
        "C:/x.yaml",
        "a\x00b.yaml",
    ],
)
def test_a_reference_out_of_the_folder_is_refused(reference: str) -> None:
    with pytest.raises(errors.SpecError, match="leaves the spec's folder") as refused:
        sources.resolve("openapi.yaml", reference)
    assert "\n" not in str(refused.value)


def test_a_reference_from_a_nested_file_may_climb_to_the_root_not_past_it() -> None:
    assert sources.resolve("paths/pets.yaml", "../schemas/Pet.yaml") == "schemas/Pet.yaml"
    with pytest.raises(errors.SpecError):
        sources.resolve("paths/pets.yaml", "../../Pet.yaml")


def test_a_symlink_to_a_file_outside_the_folder_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text("password: hunter2\n")
    root = tmp_path / "spec"
    root.mkdir()
    os.symlink(secret, root / "innocent.yaml")
    with pytest.raises(errors.DocumentError, match="outside the spec's folder") as refused:
        sources.Folder(root).read("innocent.yaml")
    assert "hunter2" not in str(refused.value)


def test_a_symlinked_folder_outside_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "x.yaml").write_text("a: 1\n")
    root = tmp_path / "spec"
    root.mkdir()
    os.symlink(tmp_path / "elsewhere", root / "linked")
    with pytest.raises(errors.DocumentError, match="outside"):
        sources.Folder(root).read("linked/x.yaml")


def test_a_symlink_inside_the_folder_is_read(tmp_path: Path) -> None:
    (tmp_path / "real.yaml").write_text("a: 1\n")
    os.symlink(tmp_path / "real.yaml", tmp_path / "alias.yaml")
    assert sources.Folder(tmp_path).read("alias.yaml") == b"a: 1\n"


def test_a_folder_or_a_device_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    with pytest.raises(errors.DocumentError, match=r"not a file|cannot read"):
        sources.Folder(tmp_path).read("dir.yaml")


def test_a_file_past_the_size_limit_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_bytes(b"x" * 5000)
    small = limits.Limits(max_bytes=1000)
    with pytest.raises(errors.DocumentError, match=r"limits\.max_bytes"):
        sources.Folder(tmp_path, limits=small).read("big.yaml")
    with pytest.raises(errors.DocumentError, match=r"limits\.max_bytes"):
        sources.Files({"big.yaml": "x" * 5000}, limits=small).read("big.yaml")


def test_a_missing_file_names_itself(tmp_path: Path) -> None:
    with pytest.raises(errors.DocumentError, match="no such file") as missing:
        sources.Folder(tmp_path, label="spec").read("paths/pets.yaml")
    assert "spec/paths/pets.yaml" in str(missing.value)
    with pytest.raises(errors.DocumentError, match="no such file"):
        sources.Files({"a.yaml": "{}"}).read("b.yaml")


# -- the ConfigMap encoding ----------------------------------------------------------------------


def test_config_map_keys_name_paths_with_double_underscores() -> None:
    data = {"openapi.yaml": "a", "paths__pets.yaml": "b", "components__schemas__Pet.yaml": "c"}
    assert sources.config_map_files(data, where="ConfigMap ns/spec") == {
        "openapi.yaml": "a",
        "paths/pets.yaml": "b",
        "components/schemas/Pet.yaml": "c",
    }
    assert sources.entry_name("paths__pets.yaml", data) == "paths/pets.yaml"


def test_the_index_key_names_paths_keys_cannot_hold() -> None:
    data = {
        sources.INDEX_KEY: '{"p1": "paths/{id}.yaml"}',
        "p1": "b",
        "openapi.yaml": "a",
    }
    assert sources.config_map_files(data, where="cm") == {
        "paths/{id}.yaml": "b",
        "openapi.yaml": "a",
    }
    assert sources.entry_name("p1", data) == "paths/{id}.yaml"


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({sources.INDEX_KEY: "{not json"}, "not JSON"),
        ({sources.INDEX_KEY: '["a"]'}, "JSON object from key to path"),
        ({sources.INDEX_KEY: '{"gone": "x.yaml"}'}, "does not have: gone"),
        ({sources.INDEX_KEY: '{"a": "../../etc/passwd"}', "a": "x"}, "leaves the spec's folder"),
        ({"a__b.yaml": "1", sources.INDEX_KEY: '{"c": "a/b.yaml"}', "c": "2"}, "another key"),
    ],
)
def test_a_bad_config_map_encoding_is_one_line(data: dict[str, str], words: str) -> None:
    with pytest.raises(errors.InputError, match=words) as refused:
        sources.config_map_files(data, where="ConfigMap ns/spec")
    assert "\n" not in str(refused.value)
