"""Output folder ownership, tried as an attacker (or an unlucky user) would: a folder is
kodegen's to replace only when it holds exactly what kodegen recorded writing there."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kodegen import errors
from kodegen.outputs import directory, ownership

FILES = {
    ".kodegen/provenance.json": b"{}\n",
    "app/__init__.py": b"",
    "app/main.py": b"print('v1')\n",
    "README.md": b"# v1\n",
}
NEW = {**FILES, "app/main.py": b"print('v2')\n"}


def published(tmp_path: Path) -> Path:
    out = tmp_path / "out"
    directory.publish(FILES, out)
    return out


def refusal(out: Path) -> str:
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and not p.is_symlink()}
    with pytest.raises(errors.InputError) as caught:
        directory.publish(NEW, out)
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file() and not p.is_symlink()}
    assert after == before  # nothing touched
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"refusing to replace {out}: ")
    return message


def test_the_record_lists_the_digest_of_every_file_written(tmp_path: Path) -> None:
    out = published(tmp_path)
    record = json.loads((out / directory.RECORD).read_text())
    assert record["kind"] == ownership.KIND
    assert sorted(record["files"]) == sorted(FILES)
    assert record["files"]["README.md"].startswith("sha256:")
    assert ownership.read(out) == record["files"]
    assert ownership.differences(out, record["files"]) == ""


def test_an_untouched_output_is_replaced(tmp_path: Path) -> None:
    out = published(tmp_path)
    directory.publish(NEW, out)
    assert (out / "app/main.py").read_bytes() == b"print('v2')\n"


def test_a_user_git_folder_is_never_deleted(tmp_path: Path) -> None:
    """The reported attack: regenerating into a folder that became a repository."""
    out = published(tmp_path)
    (out / ".git" / "objects").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / ".git" / "objects" / "ab").write_bytes(b"blob")
    message = refusal(out)
    assert "(added: .git/)" in message
    assert "HEAD" not in message  # the foreign folder is named once
    assert "--force" in message
    directory.publish(NEW, out, force=True)
    assert not (out / ".git").exists()


HAND_EDITS: dict[str, tuple[Callable[[Path], None], str]] = {
    "a changed file": (
        lambda out: (out / "app/main.py").write_text("print('mine')\n"),
        "changed: app/main.py",
    ),
    "a missing file": (lambda out: (out / "README.md").unlink(), "missing: README.md"),
    "an extra file": (lambda out: (out / "notes.txt").write_text("x"), "added: notes.txt"),
    "an extra file in a generated folder": (
        lambda out: (out / "app/extra.py").write_text("x"),
        "added: app/extra.py",
    ),
    "an empty folder": (lambda out: (out / "data").mkdir(), "added: data/"),
    "a symlink in place of a file": (
        lambda out: ((out / "README.md").unlink(), (out / "README.md").symlink_to("/etc/hostname")),
        "changed: README.md",
    ),
    "a symlinked folder": (
        lambda out: (out / "elsewhere").symlink_to(out.parent, target_is_directory=True),
        "added: elsewhere",
    ),
    "an edited provenance": (
        lambda out: (out / ".kodegen/provenance.json").write_text('{"x": 1}'),
        "changed: .kodegen/provenance.json",
    ),
}


@pytest.mark.parametrize("case", sorted(HAND_EDITS))
def test_a_folder_that_differs_from_the_record_is_refused_naming_what_differs(
    tmp_path: Path, case: str
) -> None:
    out = published(tmp_path)
    edit, named = HAND_EDITS[case]
    edit(out)
    message = refusal(out)
    assert "differs from what kodegen wrote there" in message
    assert named in message


FORGED: dict[str, Callable[[Path], None]] = {
    "an empty provenance (the old marker)": lambda out: (
        (out / ".kodegen").mkdir() or (out / ".kodegen/provenance.json").write_text("{}")
    ),
    "an empty record": lambda out: (
        (out / ".kodegen").mkdir() or (out / directory.RECORD).write_text("{}")
    ),
    "a record of another kind": lambda out: (
        (out / ".kodegen").mkdir()
        or (out / directory.RECORD).write_text('{"kind": "x", "files": {}}')
    ),
    "a record with bad entries": lambda out: (
        (out / ".kodegen").mkdir()
        or (out / directory.RECORD).write_text(
            f'{{"kind": "{ownership.KIND}", "files": {{"a": 1}}}}'
        )
    ),
    "a record that is not JSON": lambda out: (
        (out / ".kodegen").mkdir() or (out / directory.RECORD).write_text("{")
    ),
}


@pytest.mark.parametrize("case", sorted(FORGED))
def test_a_folder_without_a_valid_record_is_refused(tmp_path: Path, case: str) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    FORGED[case](out)
    assert "kodegen has no record of writing it" in refusal(out)


def test_a_symlinked_record_is_not_trusted(tmp_path: Path) -> None:
    """A record elsewhere that describes the folder exactly still proves nothing."""
    out = published(tmp_path)
    elsewhere = tmp_path / "record.json"
    os.replace(out / directory.RECORD, elsewhere)
    (out / directory.RECORD).symlink_to(elsewhere)
    assert "no record" in refusal(out)


def test_a_symlinked_kodegen_folder_is_not_trusted(tmp_path: Path) -> None:
    out = published(tmp_path)
    real = tmp_path / "real-kodegen"
    os.replace(out / ".kodegen", real)
    (out / ".kodegen").symlink_to(real, target_is_directory=True)
    assert "no record" in refusal(out)


def test_a_record_larger_than_the_limit_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = published(tmp_path)
    monkeypatch.setattr(ownership, "MAX_BYTES", 10)
    assert ownership.read(out) is None


def test_many_differences_are_counted_not_all_listed(tmp_path: Path) -> None:
    out = published(tmp_path)
    for index in range(15):
        (out / f"extra{index:02}.txt").write_text("x")
    message = refusal(out)
    assert "extra09.txt" in message and "extra10.txt" not in message
    assert "and 5 more" in message


def test_a_control_character_in_a_name_is_escaped(tmp_path: Path) -> None:
    out = published(tmp_path)
    (out / "bad\x1b[2Jname").write_text("x")
    message = refusal(out)
    assert "\x1b" not in message and "bad\\x1b[2Jname" in message


def test_the_record_cannot_be_overwritten_by_the_files(tmp_path: Path) -> None:
    with pytest.raises(errors.InputError, match="kodegen's own record"):
        directory.publish({str(directory.RECORD): b"{}"}, tmp_path / "out")
