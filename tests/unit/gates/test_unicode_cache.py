from __future__ import annotations

import os
from pathlib import Path

import pytest

from kodegen.gates import unicode_cache


@pytest.mark.slow
async def test_tables_are_built_once_and_copied_into_each_storage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    first, second = tmp_path / "run1", tmp_path / "run2"
    await unicode_cache.seed(first, build_if_missing=True)
    tables = sorted(p.name for p in (first / "unicode_data").rglob("*.json.gz"))
    assert tables == ["charmap.json.gz", "codec-v2-utf-8.json.gz"]
    shared = unicode_cache.folder() / "unicode_data"
    built = {p: p.stat().st_mtime_ns for p in shared.rglob("*")}
    await unicode_cache.seed(second, build_if_missing=True)
    assert {p: p.stat().st_mtime_ns for p in shared.rglob("*")} == built, "not rebuilt"
    assert sorted(p.name for p in (second / "unicode_data").rglob("*.json.gz")) == tables


async def test_without_tables_and_without_building_the_storage_starts_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    await unicode_cache.seed(tmp_path / "run", build_if_missing=False)
    assert list((tmp_path / "run").iterdir()) == []


async def test_an_unwritable_cache_home_falls_back_to_a_private_temporary_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr("tempfile.tempdir", None)  # re-read TMPDIR
    await unicode_cache.seed(tmp_path / "run", build_if_missing=False)
    fallback = tmp_path / "tmp" / f"kodegen-hypothesis-{os.getuid()}"
    assert fallback.is_dir()
    assert oct(fallback.stat().st_mode & 0o777) == "0o700"
