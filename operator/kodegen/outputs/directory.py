"""Publish generated files into a folder, all or nothing.

`publish` never leaves a half-written `out`: the files go into a fresh folder created next to
`out` (same parent, so the same filesystem, so `rename(2)` is atomic), every file and folder is
fsynced, and only then is the new folder renamed into place.

POSIX cannot rename a folder onto a non-empty folder (`ENOTEMPTY`), and Python exposes no
portable atomic exchange of two folders (Linux's `renameat2(RENAME_EXCHANGE)` is not in `os`).
So when `out` already exists the swap is three steps: rename the old `out` aside, rename the new
folder in, delete the old one. Each rename is atomic; if the second one fails or is interrupted,
the old folder is renamed back. At every instant `out` is either the complete previous output,
the complete new output, or (for the instant between the two renames) absent — never partial.

Ownership. Every published folder carries `RECORD` (`.kodegen/output.json`): the sha256 of
every file kodegen wrote there. A non-empty `out` is replaced only when its content is exactly
that record: no file changed by hand, none missing, nothing added (a `.git` folder, notes), no
symbolic link anywhere, the record itself a regular file. Anything else is refused with one
line naming what differs, unless the caller forces it (`kodegen generate --force`). The mere
presence of a provenance file proves nothing: anyone can write `{}` there.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath

from kodegen import errors
from kodegen.outputs import ownership

__all__ = ["MARKER", "RECORD", "check", "publish"]

MARKER = PurePosixPath(".kodegen/provenance.json")
"""The provenance statement kodegen puts in every output (what the CLI points users to)."""
RECORD = PurePosixPath(ownership.PATH)
"""kodegen's record of what it wrote into a folder: what makes the folder safe to replace."""


def publish(files: Mapping[str, bytes], out: Path, *, force: bool = False) -> None:
    """Write `files` (relative POSIX path -> content) as the whole content of the folder `out`,
    with `RECORD` listing them.

    Raises `errors.InputError` when `out` is a file, or a non-empty folder whose content is not
    what kodegen recorded writing there (unless `force`), or when a path would land outside
    `out`; `errors.DestinationError` when the filesystem refuses a write (permissions, no
    space left, a path under a file). Nothing is changed in any of these cases.
    """
    relative = [_checked(name) for name in files]
    if str(RECORD) in files:
        raise errors.InputError(f"output path {str(RECORD)!r} is kodegen's own record")
    out = Path(os.path.abspath(out))
    check(out, force=force)
    with _refused(out):
        out.parent.mkdir(parents=True, exist_ok=True)
        staging = _fresh_sibling(out, "new")
    try:
        with _refused(out):
            for name, path in zip(files, relative, strict=True):
                _write(staging / path, files[name])
            _write(staging / RECORD, ownership.dump(files))
            _fsync_tree(staging)
            _swap_in(staging, out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_dir(out.parent)


@contextlib.contextmanager
def _refused(out: Path) -> Iterator[None]:
    """The filesystem's refusals as a `DestinationError` naming the folder (the cause is
    chained)."""
    try:
        yield
    except OSError as exc:
        raise errors.DestinationError(
            destination=f"the output folder {out}", reason=str(exc.strerror or exc)
        ) from exc


def _checked(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if not name or path.is_absolute() or any(part in ("", ".", "..") for part in name.split("/")):
        raise errors.InputError(
            f"output path {name!r} is not a plain relative path; "
            "a template may only write inside the output folder"
        )
    return path


def check(out: Path, *, force: bool = False) -> None:
    """Raise `errors.InputError` unless `publish` may replace `out` (see the module doc), or
    `errors.DestinationError` when it could not write there: the nearest existing folder
    above `out` is a file or not writable (so a run finds out before any work, and creates
    nothing to find out)."""
    with _refused(out):
        _writable(out)
        _check(out, force)


def _writable(out: Path) -> None:
    parent = out.parent
    while not os.path.lexists(parent) and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise errors.DestinationError(
            destination=f"the output folder {out}", reason=f"{parent} is not a folder"
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise errors.DestinationError(
            destination=f"the output folder {out}",
            reason=f"{parent} is not writable (permissions or a read-only mount)",
        )


def _check(out: Path, force: bool) -> None:
    if not os.path.lexists(out):
        return
    if not out.is_dir() or out.is_symlink():
        raise errors.InputError(
            f"output {out} exists and is not a folder; choose another --out or remove it"
        )
    if force or not any(out.iterdir()):
        return
    record = ownership.read(out)
    if record is None:
        raise errors.InputError(
            f"refusing to replace {out}: it is not empty and kodegen has no record of writing "
            f"it (no valid {RECORD} inside); choose another --out, empty that folder, or pass "
            "--force to replace it (everything in it is deleted)"
        )
    differences = ownership.differences(out, record)
    if differences:
        raise errors.InputError(
            f"refusing to replace {out}: its content differs from what kodegen wrote there "
            f"({differences}); pass --force to replace it anyway (everything in it is "
            "deleted), or choose another --out"
        )


def _fresh_sibling(out: Path, role: str) -> Path:
    """Create (or for role 'old', only name) a hidden folder next to `out`."""
    while True:
        candidate = out.parent / f".{out.name}.kodegen-{role}-{secrets.token_hex(4)}"
        if role != "new":
            if not os.path.lexists(candidate):
                return candidate
            continue
        try:
            candidate.mkdir()  # honours the umask, unlike tempfile.mkdtemp's 0o700
        except FileExistsError:
            continue
        return candidate


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("xb") as stream:
        stream.write(content)
        stream.flush()
        os.fsync(stream.fileno())


def _fsync_tree(root: Path) -> None:
    for folder, _, _ in os.walk(root):
        _fsync_dir(Path(folder))


def _fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        with contextlib.suppress(OSError):  # some filesystems refuse fsync on folders
            os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _swap_in(staging: Path, out: Path) -> None:
    if not os.path.lexists(out):
        os.rename(staging, out)
        return
    old = _fresh_sibling(out, "old")
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except BaseException:
        os.rename(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)
