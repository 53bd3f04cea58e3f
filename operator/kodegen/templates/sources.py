"""Load the files of a CodeTemplate / ClusterCodeTemplate from its `spec.source`.

    load(spec, config_map=..., git=..., builtin_root=...) -> Loaded(template, kind, commit)

- `builtin: <family>/<version>`: the folder `templates/<family>/<version>/` shipped with
  kodegen; it must be the resource's own family and version.
- `inline: {files: {path: text}}`: the files written in the resource.
- `configMapRef: {name}`: the ConfigMap's `data`, read by the caller (the operator) and passed
  as `config_map`; keys encode paths as described below (:func:`config_map_data` writes them).
- `git: {url, ref, path, secretRef}`: a template folder (`template.yaml` + `files/`, as
  `kodegen template new` makes) of a repository at a tag, branch or commit, fetched by `git`
  (a :class:`~kodegen.templates.git.GitFetcher`, which carries the Secret's credentials);
  `Loaded.commit` is the SHA the ref resolved to. Its template.yaml must name the resource's
  family and version.

The resource's spec is authoritative (variables, tests, entrypoints): the source supplies the
files. The template's digest (:func:`kodegen.templates.model.content_digest`) covers the spec
and every file, so the same content gives the same digest from any source.

ConfigMap encoding (`configMapRef`). ConfigMap keys allow only `[-._a-zA-Z0-9]`, so:

- a key is a file path with each `/` written as `__`: `app__main.py.j2` is `app/main.py.j2`;
- paths that cannot be written so (Jinja in a path, `__init__.py`, any character outside that
  set) are listed in the index key `kodegen.index.json`, a JSON object from key to path:
  `{"0001-main.py.j2": "{{ packageName }}/main.py.j2"}`; a key listed there is taken verbatim;
- every key but the index is a file; the index may list only keys that exist.
"""

from __future__ import annotations

import dataclasses
import json
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Literal


from kodegen import errors
from kodegen.api import codetemplate, refs
from kodegen.documents import loading
from kodegen.templates import git as git_
from kodegen.templates import model, registry

__all__ = ["INDEX_KEY", "Loaded", "SourceKind", "config_map_data", "files_of", "load"]

SourceKind = Literal["builtin", "inline", "configMapRef", "git", "folder"]
"""Where the files came from: a resource's source, or a template folder on disk (the CLI)."""

INDEX_KEY = "kodegen.index.json"
"""The ConfigMap key mapping other keys to the paths they hold (see the module doc)."""

_PLAIN_SEGMENT = re.compile(r"^[-.a-zA-Z0-9]+(_[-.a-zA-Z0-9]+)*$")
_MAX_KEY = 253


@dataclasses.dataclass(frozen=True)
class Loaded:
    """A template loaded from a resource, and where its files came from."""

    template: model.Template
    kind: SourceKind
    commit: str | None = None
    """For git: the full commit SHA the ref resolved to (record it in status)."""


def load(
    spec: codetemplate.CodeTemplateSpec,
    *,
    config_map: Mapping[str, str] | None = None,
    git: git_.GitFetcher | None = None,
    builtin_root: Path | None = None,
) -> Loaded:
    """The template of `spec`, with its digest. `config_map`: the `data` of the ConfigMap of a
    configMapRef source. `git`: the fetcher of a git source (default `git.Cli()`: no
    credentials, isolated from the local git configuration). `builtin_root`: the folder of
    builtin templates (default :func:`registry.builtin_root`)."""
    label = f"{spec.family}@{spec.version}"
    source = spec.source
    if source is None:
        raise errors.TemplateError(
            template=label,
            file="spec.source",
            reason="is required in a resource: set builtin, inline, configMapRef or git",
        )
    if source.builtin is not None:
        return Loaded(_builtin(spec, source.builtin, builtin_root), "builtin")
    if source.inline is not None:
        files = _checked(label, "spec.source.inline.files", source.inline.files)
        return Loaded(model.build(spec, files), "inline")
    if source.config_map_ref is not None:
        where = f"configMap {source.config_map_ref.name}"
        if config_map is None:
            raise errors.TemplateError(
                template=label,
                file="spec.source.configMapRef",
                reason=f"the data of ConfigMap {source.config_map_ref.name!r} was not given; "
                "the operator reads it from the template's namespace (the CLI cannot: use "
                "inline or a template folder)",
            )
        files = _checked(label, where, files_of(config_map, where=f"{label}:{where}"))
        return Loaded(model.build(spec, files), "configMapRef")
    assert source.git is not None  # the model guarantees exactly one source
    template, commit = _git(spec, source.git, git or git_.Cli())
    return Loaded(template, "git", commit)


# -- builtin and git ---------------------------------------------------------------------------


def _builtin(spec: codetemplate.CodeTemplateSpec, name: str, root: Path | None) -> model.Template:
    label = f"{spec.family}@{spec.version}"
    family, _, version = name.partition("/")
    if (family, version) != (spec.family, spec.version):
        raise errors.TemplateError(
            template=label,
            file="spec.source.builtin",
            reason=f"{name!r} is not this resource's family/version; set it to "
            f"{spec.family}/{spec.version}, or family and version to {family} and {version}",
        )
    base = registry.builtin_root() if root is None else root
    folder = base / family / version
    if not (folder / registry.SPEC_FILE).is_file():
        shipped = [f"{f}/{v}" for f, vs in registry.available(base).items() for v in vs]
        raise errors.TemplateError(
            template=label,
            file="spec.source.builtin",
            reason=f"kodegen ships no template {name!r}; builtin templates: "
            f"{', '.join(shipped) or 'none'}",
        )
    return model.build(spec, registry.load(folder).files, folder=folder)


def _git(
    spec: codetemplate.CodeTemplateSpec, ref: refs.GitDirRef, fetcher: git_.GitFetcher
) -> tuple[model.Template, str]:
    where = git_.describe(ref.url, ref.ref, ref.path)
    with tempfile.TemporaryDirectory(prefix="kodegen-template-") as scratch:
        folder = Path(scratch) / spec.family / spec.version
        folder.mkdir(parents=True)
        commit = fetcher.fetch(ref.url, ref.ref, ref.path, folder)
        _agrees(spec, folder / registry.SPEC_FILE, where)
        try:
            files = registry.load(folder).files
        except errors.TemplateError as exc:
            raise errors.TemplateError(
                template=f"{where} ({commit[:12]})", file=exc.file, reason=exc.reason
            ) from exc
    return model.build(spec, files), commit


def _agrees(spec: codetemplate.CodeTemplateSpec, path: Path, where: str) -> None:
    """The template.yaml of a fetched folder names the resource's family and version."""
    if not path.is_file():
        raise errors.TemplateError(
            template=where,
            file=registry.SPEC_FILE,
            reason="is missing: spec.source.git.path must be a template folder "
            "(template.yaml and files/, as `kodegen template new` makes)",
        )
    try:
        data = loading.load(path.read_bytes(), source=registry.SPEC_FILE)  # bounded
    except errors.DocumentError:
        return  # registry.load reports it with the line
    if not isinstance(data, dict):
        return
    found = (str(data.get("family")), str(data.get("version")))
    if found != (spec.family, spec.version):
        raise errors.TemplateError(
            template=where,
            file=registry.SPEC_FILE,
            reason=f"is {found[0]}/{found[1]}, but the resource is {spec.family}/"
            f"{spec.version}; point spec.source.git at the folder of this version",
        )


# -- inline files and the ConfigMap encoding ---------------------------------------------------


def _checked(label: str, where: str, files: Mapping[str, str]) -> dict[str, str]:
    """Paths relative, normalized and unique; a template needs at least one file."""
    if not files:
        raise errors.TemplateError(template=label, file=where, reason="holds no files")
    for path in files:
        parts = path.split("/")
        if (
            path.startswith("/")
            or "\\" in path
            or "\x00" in path
            or any(part in ("", ".", "..") for part in parts)
        ):
            raise errors.TemplateError(
                template=label,
                file=where,
                reason=f"the path {path!r} is not a relative, normalized path; write it as "
                "folder/file under files/, without '..', '.', '\\' or empty parts",
            )
    return dict(files)


def files_of(data: Mapping[str, str], *, where: str = "configMap") -> dict[str, str]:
    """Path -> content from a ConfigMap's `data` (the encoding of the module doc)."""
    index: dict[str, str] = {}
    if INDEX_KEY in data:
        try:
            loaded = json.loads(data[INDEX_KEY])
        except json.JSONDecodeError as exc:
            raise errors.TemplateError(
                template=where, file=INDEX_KEY, reason=f"is not JSON: {exc.msg} (line {exc.lineno})"
            ) from exc
        if not isinstance(loaded, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in loaded.items()
        ):
            raise errors.TemplateError(
                template=where, file=INDEX_KEY, reason="must be a JSON object from key to path"
            )
        missing = sorted(set(loaded) - set(data))
        if missing:
            raise errors.TemplateError(
                template=where,
                file=INDEX_KEY,
                reason=f"lists keys the ConfigMap does not have: {', '.join(missing)}",
            )
        index = loaded
    files: dict[str, str] = {}
    for key in sorted(data):
        if key == INDEX_KEY:
            continue
        path = index.get(key, key.replace("__", "/"))
        if path in files:
            raise errors.TemplateError(
                template=where, file=key, reason=f"is a second file for the path {path!r}"
            )
        files[path] = data[key]
    return files


def config_map_data(files: Mapping[str, str]) -> dict[str, str]:
    """The ConfigMap `data` that :func:`files_of` reads back as `files`: plain keys where the
    path allows, the others numbered and listed in :data:`INDEX_KEY`."""
    data: dict[str, str] = {}
    indexed: list[tuple[int, str]] = []
    for number, path in enumerate(sorted(files), start=1):
        parts = path.split("/")
        key = "__".join(parts)
        if (
            all(_PLAIN_SEGMENT.match(part) for part in parts)
            and len(key) <= _MAX_KEY
            and key != INDEX_KEY
        ):
            data[key] = files[path]
        else:
            indexed.append((number, path))
    index: dict[str, str] = {}
    for number, path in indexed:
        name = re.sub(r"[^-._a-zA-Z0-9]+", "-", path.rpartition("/")[2]).strip("-.") or "file"
        key, extra = f"{number:04d}-{name}"[:_MAX_KEY], 0
        while key in data or key == INDEX_KEY:  # a plain path that looks numbered
            extra += 1
            key = f"{number:04d}.{extra}-{name}"[:_MAX_KEY]
        index[key] = path
        data[key] = files[path]
    if index:
        data[INDEX_KEY] = json.dumps(dict(sorted(index.items())), indent=1, sort_keys=True)
    return dict(sorted(data.items()))
