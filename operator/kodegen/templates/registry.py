"""Find and load template versions on disk: ``<root>/<family>/<version>/template.yaml`` and
``files/…`` beside it.

Nothing is cached here and nothing happens at import: every call reads the disk, so tests
and operators never share state through this module.
"""

from __future__ import annotations

import difflib
import os
import stat
from pathlib import Path
from typing import Any

import pydantic

import kodegen
from kodegen import errors
from kodegen.documents import loading
from kodegen.api import codetemplate
from kodegen.templates import model, versions

__all__ = ["SPEC_FILE", "available", "builtin_root", "load", "resolve"]

SPEC_FILE = "template.yaml"
"""The spec of a template version, validated as :class:`CodeTemplateSpec`."""

FILES_DIR = "files"
"""The folder of the files a template renders."""


def builtin_root() -> Path:
    """The templates shipped with kodegen: ``kodegen/_templates`` in an installed wheel, else
    the repository's ``templates/`` folder in a source checkout."""
    package = Path(kodegen.__file__ or "kodegen/__init__.py").resolve().parent
    candidates = (package / "_templates", package.parents[1] / "templates")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise errors.TemplateError(
        template="builtin",
        reason=f"no builtin templates: neither {candidates[0]} nor {candidates[1]} exists; "
        "reinstall kodegen or run from a source checkout",
    )


def load(folder: Path) -> model.Template:
    """Read one version: ``folder/template.yaml`` and every file under ``folder/files``.

    :class:`~kodegen.errors.TemplateError` names the file for bad YAML, a schema error (one
    line naming the field), a file that is not UTF-8 text, a symlink, or a folder that is not
    ``<family>/<version>`` of the spec.
    """
    folder = Path(os.path.abspath(folder))  # normalized, symlinks kept: names are checked
    label = f"{folder.parent.name}@{folder.name}"
    if (folder / SPEC_FILE).is_symlink():
        raise errors.TemplateError(
            template=label, file=SPEC_FILE, reason="is a symbolic link; it must be a regular file"
        )
    spec = _read_spec(folder / SPEC_FILE, label)
    label = f"{spec.family}@{spec.version}"
    if (folder.parent.name, folder.name) != (spec.family, spec.version):
        raise errors.TemplateError(
            template=label,
            file=SPEC_FILE,
            reason=f"the folder is {folder.parent.name}/{folder.name} but {SPEC_FILE} says "
            f"{spec.family}/{spec.version}; move it to {spec.family}/{spec.version}/ "
            "or fix family and version",
        )
    return model.build(spec, _read_files(folder / FILES_DIR, label), folder=folder)


def available(root: Path | None = None) -> dict[str, list[str]]:
    """Every family under ``root`` (default :func:`builtin_root`) with its versions, lowest
    first; a version is a folder holding a template.yaml."""
    base = builtin_root() if root is None else root
    if not base.is_dir():
        raise errors.TemplateError(
            template=str(base), reason="the template folder does not exist; check the path"
        )
    found: dict[str, list[str]] = {}
    for family in sorted(base.iterdir()):
        if family.name.startswith(".") or not family.is_dir():
            continue
        names = [v.name for v in family.iterdir() if (v / SPEC_FILE).is_file()]
        if names:
            found[family.name] = sorted(names, key=_order)
    return found


def resolve(family: str, version_range: str, root: Path | None = None) -> model.Template:
    """The highest version of ``family`` that matches ``version_range`` (npm-style, see
    :mod:`kodegen.templates.versions`); a deprecated version only when no other matches."""
    base = builtin_root() if root is None else root
    known = available(base)
    if family not in known:
        raise errors.TemplateError(template=family, reason=_unknown(family, known, base))
    label = f"{family}@{version_range}"
    for name in known[family]:
        if not _is_version(name):
            raise errors.TemplateError(
                template=label,
                file=f"{base / family / name}",
                reason="the folder name is not a semantic version; name version folders "
                "MAJOR.MINOR.PATCH, as the version in their template.yaml",
            )
    candidates = list(known[family])
    deprecated: model.Template | None = None
    while (version := versions.best(candidates, version_range, template=label)) is not None:
        template = load(base / family / version)
        if not template.spec.deprecated:
            return template
        deprecated = deprecated or template
        candidates.remove(version)
    if deprecated is not None:
        return deprecated
    raise errors.TemplateError(
        template=label,
        reason=f"no version matches {version_range!r}; available: {', '.join(known[family])}",
    )


def _order(name: str) -> tuple[Any, ...]:
    """Semantic versions by precedence, then other names (reported by resolve) by text."""
    return (0, versions.parse_version(name), name) if _is_version(name) else (1, name)


def _is_version(name: str) -> bool:
    try:
        versions.parse_version(name)
    except errors.TemplateError:
        return False
    return True


def _unknown(family: str, known: dict[str, list[str]], root: Path) -> str:
    if not known:
        return f"unknown template family; there are no templates under {root}"
    close = difflib.get_close_matches(family, list(known), n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"unknown template family; {hint}known families: {', '.join(known)}"


def _read_spec(path: Path, label: str) -> codetemplate.CodeTemplateSpec:
    if not path.exists():
        raise errors.TemplateError(template=label, file=SPEC_FILE, reason=f"{path} does not exist")
    try:
        text = _read_regular(path, label, SPEC_FILE).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.TemplateError(template=label, file=SPEC_FILE, reason=_not_utf8(exc)) from exc
    try:
        data = loading.load(text, source=SPEC_FILE)  # bounded: aliases, depth, size
    except errors.DocumentError as exc:
        where = SPEC_FILE if exc.line is None else f"{SPEC_FILE}:{exc.line}"
        at = f" at {exc.pointer}" if exc.pointer else ""
        problem = exc.reason.removeprefix("malformed YAML: ")
        raise errors.TemplateError(template=label, file=where, reason=f"invalid YAML: {problem}{at}") from exc
    if not isinstance(data, dict):
        raise errors.TemplateError(
            template=label,
            file=SPEC_FILE,
            reason=f"must be a YAML mapping (family, version, ...), got {type(data).__name__}",
        )
    try:
        return codetemplate.CodeTemplateSpec.model_validate(data)
    except pydantic.ValidationError as exc:
        raise errors.TemplateError(template=label, file=SPEC_FILE, reason=_schema(exc)) from exc


def _schema(exc: pydantic.ValidationError) -> str:
    """One line: the first problem with its field path, and how many more there are."""
    problems = exc.errors(include_url=False)
    first = problems[0]
    field = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in first["loc"]
    ).lstrip(".")
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"{field or 'spec'}: {first['msg']}{more}"


MAX_FILE_BYTES = 8 * 1024 * 1024
"""Largest file a template may hold (8 MiB; the largest builtin file is ~10 KiB)."""

MAX_TEMPLATE_BYTES = 64 * 1024 * 1024
"""Largest total of a template's files."""


def _read_files(folder: Path, label: str) -> dict[str, str]:
    """Every file under ``folder``, each checked to be what it looks like: a regular file
    with one link, inside the template once every symlink is resolved."""
    files_dir = f"{FILES_DIR}/"
    if folder.is_symlink():
        raise errors.TemplateError(
            template=label,
            file=FILES_DIR,
            reason="is a symbolic link; a template's files must be inside its own folder",
        )
    if not folder.is_dir():
        raise errors.TemplateError(
            template=label, file=FILES_DIR, reason=f"{folder} is missing; add the files to render"
        )
    real = folder.resolve()
    if real != folder.parent.resolve() / FILES_DIR:
        raise errors.TemplateError(
            template=label, file=FILES_DIR, reason="resolves outside the template's folder"
        )
    files: dict[str, str] = {}
    total = 0
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder).as_posix()
        where = files_dir + relative
        if path.is_symlink():
            raise errors.TemplateError(
                template=label,
                file=where,
                reason="is a symbolic link; templates hold regular files only",
            )
        if not path.resolve().is_relative_to(real):
            raise errors.TemplateError(
                template=label, file=where, reason="resolves outside the template's folder"
            )
        if path.is_dir():
            continue
        data = _read_regular(path, label, where)
        total += len(data)
        if total > MAX_TEMPLATE_BYTES:
            raise errors.TemplateError(
                template=label,
                file=where,
                reason=f"the template's files exceed {MAX_TEMPLATE_BYTES} bytes",
            )
        try:
            files[relative] = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise errors.TemplateError(template=label, file=where, reason=_not_utf8(exc)) from exc
    return files


def _read_regular(path: Path, label: str, where: str) -> bytes:
    """The bytes of ``path``, opened without following a symlink, refused unless it is a
    regular file with a single link (a hard link can bring in a file from anywhere on the
    same filesystem) of at most MAX_FILE_BYTES."""
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        raise errors.TemplateError(
            template=label, file=where, reason=f"cannot be opened: {exc.strerror}"
        ) from exc
    with os.fdopen(descriptor, "rb") as handle:
        info = os.fstat(handle.fileno())
        problem = None
        if not stat.S_ISREG(info.st_mode):
            problem = "is not a regular file (a device, pipe or socket)"
        elif info.st_nlink != 1:
            problem = f"has {info.st_nlink} hard links; templates hold files of their own only"
        elif info.st_size > MAX_FILE_BYTES:
            problem = f"is {info.st_size} bytes, more than {MAX_FILE_BYTES}"
        if problem is not None:
            raise errors.TemplateError(template=label, file=where, reason=problem)
        return handle.read(MAX_FILE_BYTES + 1)


def _not_utf8(exc: UnicodeDecodeError) -> str:
    byte = exc.object[exc.start]
    return (
        f"is not UTF-8 text (byte 0x{byte:02x} at offset {exc.start}); "
        "templates hold text files only: save it as UTF-8"
    )
