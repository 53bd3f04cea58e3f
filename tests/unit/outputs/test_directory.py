"""outputs.directory.publish: all or nothing, never over a user's folder."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from kodegen import errors
from kodegen.outputs import directory

GOOD = {
    ".kodegen/provenance.json": b"{}\n",
    "app/__init__.py": b"",
    "app/main.py": b"print('new')\n",
    "README.md": b"# new\n",
}


class Exploding(Mapping[str, bytes]):
    """A file mapping whose n-th read raises: a write that fails midway."""

    def __init__(self, files: Mapping[str, bytes], after: int, error: BaseException) -> None:
        self.files, self.after, self.error, self.reads = dict(files), after, error, 0

    def __getitem__(self, key: str) -> bytes:
        self.reads += 1
        if self.reads > self.after:
            raise self.error
        return self.files[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)


def tree(root: Path) -> dict[str, bytes]:
    """The files of `root` but kodegen's ownership record."""
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.relative_to(root).as_posix() != str(directory.RECORD)
    }


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


def previous_output(out: Path) -> dict[str, bytes]:
    old = {".kodegen/provenance.json": b'{"old": true}\n', "old.py": b"print('old')\n"}
    directory.publish(old, out)
    return old


def test_writes_every_file_into_a_new_folder(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "out"
    directory.publish(GOOD, out)
    assert tree(out) == GOOD
    assert siblings(out) == []


def test_replaces_a_previous_output_completely(tmp_path: Path) -> None:
    out = tmp_path / "out"
    previous_output(out)
    directory.publish(GOOD, out)
    assert tree(out) == GOOD  # old.py is gone
    assert siblings(out) == []


def test_empty_existing_folder_is_replaced(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    directory.publish(GOOD, out)
    assert tree(out) == GOOD


def test_files_honour_the_umask_not_mkdtemp_0700(tmp_path: Path) -> None:
    out = tmp_path / "out"
    directory.publish(GOOD, out)
    assert out.stat().st_mode & 0o077 == 0o777 & ~_umask() & 0o077


FAILURES = [
    (OSError(28, "No space left on device"), errors.DestinationError),
    (KeyboardInterrupt(), KeyboardInterrupt),
]


@pytest.mark.parametrize(("error", "raised"), FAILURES)
def test_a_write_failing_midway_leaves_no_out(
    tmp_path: Path, error: BaseException, raised: type[BaseException]
) -> None:
    out = tmp_path / "out"
    with pytest.raises(raised):
        directory.publish(Exploding(GOOD, after=2, error=error), out)
    assert not out.exists()
    assert siblings(out) == []


@pytest.mark.parametrize(("error", "raised"), FAILURES)
def test_a_write_failing_midway_keeps_the_previous_output(
    tmp_path: Path, error: BaseException, raised: type[BaseException]
) -> None:
    out = tmp_path / "out"
    old = previous_output(out)
    with pytest.raises(raised):
        directory.publish(Exploding(GOOD, after=2, error=error), out)
    assert tree(out) == old
    assert siblings(out) == []


def test_a_failed_rename_in_puts_the_previous_output_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    old = previous_output(out)
    real_rename = os.rename
    calls: list[str] = []

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        calls.append(Path(src).name)
        if len(calls) == 2:  # 1: old out aside, 2: new folder in
            raise KeyboardInterrupt
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(KeyboardInterrupt):
        directory.publish(GOOD, out)
    monkeypatch.undo()
    assert tree(out) == old
    assert siblings(out) == []


def test_refuses_a_non_empty_folder_kodegen_did_not_produce(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(errors.InputError, match=r"refusing to replace .*mine.*no valid"):
        directory.publish(GOOD, out)
    assert tree(out) == {"thesis.tex": b"precious"}
    assert siblings(out) == []


def test_refuses_a_file_in_place_of_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.write_text("x")
    with pytest.raises(errors.InputError, match="not a folder"):
        directory.publish(GOOD, out)
    assert out.read_text() == "x"


@pytest.mark.parametrize("name", ["../escape.py", "/etc/passwd", "a/../../b", "a//b", "./a", ""])
def test_refuses_paths_that_leave_the_folder(tmp_path: Path, name: str) -> None:
    out = tmp_path / "out"
    with pytest.raises(errors.InputError, match="plain relative path"):
        directory.publish({name: b"x"}, out)
    assert not out.exists()
    assert not (tmp_path / "escape.py").exists()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_a_disk_error_is_one_clear_destination_error(tmp_path: Path) -> None:
    out = tmp_path / "out"
    failing = Exploding(GOOD, after=1, error=OSError(28, "No space left on device"))
    with pytest.raises(errors.DestinationError) as caught:
        directory.publish(failing, out)
    assert str(caught.value).startswith(
        f"cannot write the output folder {out}: No space left on device; nothing was written"
    )
    assert isinstance(caught.value.__cause__, OSError)


def test_a_file_in_the_way_of_the_parent_is_a_destination_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(errors.DestinationError, match="cannot write the output folder") as caught:
        directory.publish(GOOD, tmp_path / "file" / "out")
    assert f"{tmp_path / 'file'} is not a folder" in str(caught.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_the_check_before_any_work_finds_an_unwritable_destination(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(errors.DestinationError, match="is not a folder"):
        directory.check(tmp_path / "file" / "a" / "b" / "out")
    directory.check(tmp_path / "new" / "deeper" / "out")  # missing folders are created later
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_files_in_nested_folders_are_written(tmp_path: Path) -> None:
    files = {"app/api/v1/routes.py": b"routes\n", "top.txt": b"top\n"}
    directory.publish(files, tmp_path / "out")
    assert tree(tmp_path / "out") == files


def test_missing_folders_above_out_are_created(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "out"
    directory.publish(GOOD, out)
    assert tree(out) == GOOD


def test_a_folder_above_out_that_cannot_be_made_is_a_destination_error(tmp_path: Path) -> None:
    out = tmp_path / ("x" * 300) / "out"  # longer than a file name may be
    with pytest.raises(errors.DestinationError) as caught:
        directory.publish(GOOD, out)
    assert str(caught.value).startswith(
        f"cannot write the output folder {out}: File name too long; nothing was written"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_the_new_and_the_old_folder_are_hidden_siblings_with_fresh_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    previous_output(out)
    (tmp_path / ".out.kodegen-new-aaaaaaaa").mkdir()  # names already taken: tried again
    (tmp_path / ".out.kodegen-old-aaaaaaaa").mkdir()
    tokens = iter(["aaaaaaaa", "bbbbbbbb", "aaaaaaaa", "cccccccc"])
    monkeypatch.setattr(directory.secrets, "token_hex", lambda size: next(tokens))
    real_rename = os.rename
    renames: list[tuple[str, str]] = []

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        renames.append((Path(src).name, Path(dst).name))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    directory.publish(GOOD, out)
    monkeypatch.undo()
    assert renames == [
        ("out", ".out.kodegen-old-cccccccc"),
        (".out.kodegen-new-bbbbbbbb", "out"),
    ]
    assert tree(out) == GOOD
    assert siblings(out) == [".out.kodegen-new-aaaaaaaa", ".out.kodegen-old-aaaaaaaa"]


def test_the_sibling_names_hold_eight_random_hex_digits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    previous_output(out)
    real_rename = os.rename
    names: list[str] = []

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        names.extend([Path(src).name, Path(dst).name])
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    directory.publish(GOOD, out)
    monkeypatch.undo()
    assert [re.sub("[0-9a-f]{8}$", "HEX", name) for name in names] == [
        "out",
        ".out.kodegen-old-HEX",
        ".out.kodegen-new-HEX",
        "out",
    ]


def test_a_filesystem_that_refuses_to_fsync_folders_is_fine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def fsync(descriptor: int) -> None:
        if stat.S_ISDIR(os.fstat(descriptor).st_mode):
            raise OSError(22, "Invalid argument")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", fsync)
    directory.publish(GOOD, tmp_path / "out")
    assert tree(tmp_path / "out") == GOOD


def test_an_unwritable_parent_is_found_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_access = os.access
    parent = tmp_path / "read-only"
    parent.mkdir()

    def access(path: str | os.PathLike[str], mode: int) -> bool:
        if Path(path) == parent and mode & os.W_OK:
            return False  # as a read-only mount answers, even for root
        return real_access(path, mode)

    monkeypatch.setattr(os, "access", access)
    with pytest.raises(errors.DestinationError) as caught:
        directory.check(parent / "new" / "out")
    assert str(caught.value).startswith(
        f"cannot write the output folder {parent / 'new' / 'out'}: "
        f"{parent} is not writable (permissions or a read-only mount); nothing was written"
    )


def test_check_refuses_a_foreign_folder_unless_forced(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    with pytest.raises(errors.InputError) as caught:
        directory.check(out)
    assert str(caught.value) == (
        f"refusing to replace {out}: it is not empty and kodegen has no record of writing it "
        f"(no valid {directory.RECORD} inside); choose another --out, empty that folder, or "
        "pass --force to replace it (everything in it is deleted)"
    )
    directory.check(out, force=True)
    assert tree(out) == {"thesis.tex": b"precious"}


def test_a_changed_output_is_refused_naming_the_difference(tmp_path: Path) -> None:
    out = tmp_path / "out"
    directory.publish(GOOD, out)
    (out / "README.md").write_bytes(b"# edited by hand\n")
    with pytest.raises(errors.InputError) as caught:
        directory.publish(GOOD, out)
    assert str(caught.value) == (
        f"refusing to replace {out}: its content differs from what kodegen wrote there "
        "(changed: README.md); pass --force to replace it anyway (everything in it is "
        "deleted), or choose another --out"
    )


def test_a_path_that_is_not_plain_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(errors.InputError) as caught:
        directory.publish({"a/../b": b"x"}, tmp_path / "out")
    assert str(caught.value) == (
        "output path 'a/../b' is not a plain relative path; "
        "a template may only write inside the output folder"
    )


def test_the_record_is_refused_as_a_file_naming_it(tmp_path: Path) -> None:
    with pytest.raises(errors.InputError) as caught:
        directory.publish({".kodegen/output.json": b"{}"}, tmp_path / "out")
    assert str(caught.value) == "output path '.kodegen/output.json' is kodegen's own record"
