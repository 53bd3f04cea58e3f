"""The reported attack on the output folder, through the real CLI: a folder that merely contains
a `.kodegen/provenance.json` (even `{}`, even a link) is not kodegen's to replace; a folder
kodegen wrote that has since become a Git repository keeps its `.git`. Each refusal is one line
naming what differs, exit 2, before any work is done."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodegen import cli
from kodegen.outputs import directory

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "examples" / "petstore.yaml"


def generate(capsys: pytest.CaptureFixture[str], out: Path, *flags: str) -> tuple[int, str]:
    code = cli.main(["generate", str(EXAMPLE), "--out", str(out), *flags])
    err = capsys.readouterr().err
    return code, err


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.mark.parametrize(
    "provenance",
    [b"{}", b'{"_type": "https://in-toto.io/Statement/v1", "subject": []}'],
)
def test_a_provenance_file_alone_does_not_make_a_folder_kodegens(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], provenance: bytes
) -> None:
    out = tmp_path / "project"
    (out / ".git").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / ".kodegen").mkdir()
    (out / ".kodegen" / "provenance.json").write_bytes(provenance)
    before = snapshot(out)
    code, err = generate(capsys, out)
    assert code == 2
    [line] = err.splitlines()
    assert line.startswith(f"error: refusing to replace {out}: it is not empty and kodegen has ")
    assert snapshot(out) == before


def test_a_symlinked_record_copied_from_a_real_output_is_not_trusted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    real = tmp_path / "real"
    directory.publish({"a.txt": b"a\n"}, real)
    out = tmp_path / "project"
    out.mkdir()
    (out / "a.txt").write_text("a\n")
    (out / ".kodegen").mkdir()
    (out / directory.RECORD).symlink_to(real / directory.RECORD)
    code, err = generate(capsys, out)
    assert code == 2 and "kodegen has no record of writing it" in err
    assert (out / "a.txt").read_text() == "a\n"


def test_an_output_that_became_a_repository_keeps_its_git_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    directory.publish({"app.py": b"print(1)\n", "README.md": b"# r\n"}, out)
    (out / ".git" / "refs").mkdir(parents=True)
    (out / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (out / "README.md").write_text("# my notes\n")
    before = snapshot(out)
    code, err = generate(capsys, out)
    assert code == 2
    [line] = err.splitlines()
    assert line == (
        f"error: refusing to replace {out}: its content differs from what kodegen wrote there "
        "(changed: README.md; added: .git/); pass --force to replace it anyway (everything in "
        "it is deleted), or choose another --out"
    )
    assert snapshot(out) == before


def test_force_never_replaces_a_link_in_place_of_the_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--force replaces a folder, never a file or a link in place of the folder."""
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    out = tmp_path / "out"
    out.symlink_to(target, target_is_directory=True)
    code, err = generate(capsys, out, "--force")
    assert code == 2 and "exists and is not a folder" in err
    assert (target / "keep.txt").read_text() == "keep"
