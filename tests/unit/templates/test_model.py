from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from kodegen.templates import model, registry

from .conftest import make, write_template

FILES = {"a.py.j2": "{{ x }}\n", "pkg/b.txt": "b\n", "pkg/c/d.md": "d\n"}


def test_digest_format() -> None:
    digest = make(FILES).digest
    assert digest.startswith("sha256:") and len(digest) == 71
    assert digest == model.content_digest(make(FILES).spec, FILES)


def test_digest_ignores_file_order() -> None:
    forward = make(dict(FILES))
    backward = make(dict(reversed(list(FILES.items()))))
    assert forward.digest == backward.digest
    assert list(forward.files) == list(backward.files) == sorted(FILES)


def test_digest_ignores_the_disk(root: Path, tmp_path: Path) -> None:
    folder = write_template(root, files=FILES)
    first = registry.load(folder)
    for path in sorted(folder.rglob("*")):
        os.utime(path, (1_000_000, 1_000_000))
    copy = tmp_path / "elsewhere" / "demo" / "1.0.0"
    shutil.copytree(folder, copy)
    assert registry.load(folder).digest == first.digest
    assert registry.load(copy).digest == first.digest


def test_digest_ignores_yaml_layout(root: Path) -> None:
    plain = write_template(root / "a", files=FILES)
    styled = write_template(
        root / "b",
        files=FILES,
        spec_text="# a comment\ncategory: 'service'\nlanguage: python\n"
        "version: 1.0.0\nfamily: demo\nspecTypes: [openapi]\n",
    )
    assert registry.load(plain).digest == registry.load(styled).digest


def test_digest_of_a_loaded_template_is_its_content_digest(root: Path) -> None:
    template = registry.load(write_template(root, files=FILES))
    assert template.digest == make(FILES).digest


@pytest.mark.parametrize(
    ("files", "extra"),
    [
        ({**FILES, "a.py.j2": "{{ x }}\n\n"}, {}),  # one byte more
        ({**FILES, "a.py.j2": "{{ y }}\n"}, {}),  # content
        ({"A.py.j2": "{{ x }}\n", "pkg/b.txt": "b\n", "pkg/c/d.md": "d\n"}, {}),  # path
        ({**FILES, "new.txt": ""}, {}),  # an empty file added
        ({k: v for k, v in FILES.items() if k != "pkg/b.txt"}, {}),  # a file removed
        (FILES, {"language": "go"}),
        (FILES, {"category": "model"}),
        (FILES, {"variables": [{"name": "x", "default": 1, "type": "integer"}]}),
        (FILES, {"entrypoints": {"package": "{{ x }}", "app": "{{ x }}:app"}}),
    ],
)
def test_digest_changes_with_any_content(files: dict[str, str], extra: dict[str, Any]) -> None:
    assert make(files, **extra).digest != make(FILES).digest


def test_path_and_content_cannot_trade_bytes() -> None:
    assert make({"ab": "c"}).digest != make({"a": "bc"}).digest


def test_mutable_spec_fields_do_not_change_the_digest() -> None:
    assert make(FILES, deprecated=True).digest == make(FILES).digest
    assert make(FILES, rollout={"strategy": "Automatic"}).digest == make(FILES).digest


def test_template_is_frozen_and_read_only() -> None:
    template = make(FILES)
    with pytest.raises(TypeError):
        template.files["a.py.j2"] = "changed"  # type: ignore[index]
    with pytest.raises(AttributeError):
        template.digest = "sha256:0"  # type: ignore[misc]
    assert template.name == "demo@1.0.0"
    assert hash(template) == hash(make(FILES))
    assert template == make(FILES)


def test_build_copies_the_files_it_is_given() -> None:
    files = dict(FILES)
    template = model.build(make(FILES).spec, files, folder=Path("x"))
    files["a.py.j2"] = "changed"
    assert template.files["a.py.j2"] == "{{ x }}\n"
    assert template.folder == Path("x")
