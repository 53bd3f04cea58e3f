"""The Python packages a generated project declares, read from its `pyproject.toml` and checked.

The gates that run generated code (tests, contract) need what the project needs at run time
and to test itself: `[project].dependencies` and the optional groups named in `TEST_GROUPS`.
The file comes from a template, and templates are untrusted (other teams' CodeTemplates), so
every entry must be a plain PEP 508 requirement: a distribution name, extras, version
specifiers and an environment marker. A direct reference (`name @ https://...`, `@ file:...`),
a path, a pip option (`--index-url ...`, `-e .`) or anything else pip would read as more than
"this package, in these versions" is refused with `errors.GateEnvironmentError` naming it.
What goes on to pip is rebuilt from the parsed parts (`canonical`), never the text as written.

`unsatisfied` says which requirements the running interpreter's own environment (kodegen's)
does not already meet, following extras through the installed metadata; when none, the gates
need no other environment and no network.
"""

from __future__ import annotations

import functools
import importlib.metadata
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from kodegen import errors

__all__ = [
    "MAX_REQUIREMENTS",
    "TEST_GROUPS",
    "Installed",
    "canonical",
    "declared",
    "installed",
    "parse",
    "unsatisfied",
]

TEST_GROUPS = ("test", "tests", "testing")
"""Optional-dependency groups the project's own tests need (`pip install .[test]`)."""

MAX_REQUIREMENTS = 200
"""Declared dependencies accepted at most: a real project has a few dozen; a template listing
thousands would make every gate run resolve them."""

MAX_REQUIREMENT_CHARS = 300
"""The longest single requirement accepted (a name, extras, specifiers and a marker)."""

Installed = Mapping[str, tuple[Version, tuple[Requirement, ...]]]
"""An environment's distributions: canonical name -> (version, its own requirements)."""


def declared(project: Path) -> tuple[Requirement, ...]:
    """The requirements `project/pyproject.toml` declares that apply to this interpreter
    (markers evaluated), sorted by their canonical form, without duplicates; () without a
    `pyproject.toml`. Raises `errors.GateEnvironmentError` for a refused entry or file."""
    path = project / "pyproject.toml"
    if not path.is_file():
        return ()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, tomllib.TOMLDecodeError) as exc:
        raise errors.GateEnvironmentError(
            requirement="", reason=f"pyproject.toml cannot be read: {exc}"
        ) from exc
    entries = list(_entries(data))
    if len(entries) > MAX_REQUIREMENTS:
        raise errors.GateEnvironmentError(
            requirement="",
            reason=f"pyproject.toml declares {len(entries)} dependencies, more than the "
            f"{MAX_REQUIREMENTS} the gates install; declare fewer",
        )
    found: dict[str, Requirement] = {}
    for where, entry in entries:
        requirement = parse(entry, where=where)
        if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
            requirement.marker = None  # it holds here: what is installed no longer depends on it
            found.setdefault(canonical(requirement), requirement)
    return tuple(found[key] for key in sorted(found))


def parse(entry: object, *, where: str) -> Requirement:
    """One declared dependency as a `Requirement`, or `errors.GateEnvironmentError`.

    `where`: the place in pyproject.toml (`project.dependencies[2]`), for the message."""
    if not isinstance(entry, str):
        raise errors.GateEnvironmentError(
            requirement=repr(entry)[:80], reason=f"{where} is not a string"
        )
    shown = entry[:80]
    if len(entry) > MAX_REQUIREMENT_CHARS:
        raise errors.GateEnvironmentError(
            requirement=shown,
            reason=f"{where} is longer than {MAX_REQUIREMENT_CHARS} characters",
        )
    if entry.lstrip().startswith("-"):
        raise errors.GateEnvironmentError(
            requirement=shown,
            reason=f"{where} is a pip option, not a requirement; declare a package name "
            "with version specifiers only",
        )
    try:
        requirement = Requirement(entry)
    except InvalidRequirement as exc:
        reason = " ".join(str(exc).split())[:200]
        raise errors.GateEnvironmentError(
            requirement=shown,
            reason=f"{where} is not a PEP 508 requirement ({reason}); declare a package name "
            "with version specifiers only",
        ) from exc
    if requirement.url is not None:
        raise errors.GateEnvironmentError(
            requirement=shown,
            reason=f"{where} is a direct reference (name @ URL or path); the gates install "
            "only packages from the configured index: declare a name and version specifiers",
        )
    return requirement


def canonical(requirement: Requirement) -> str:
    """The requirement rebuilt from its parts, normalized: `name[a,b]>=1,<2 ; marker`.

    Canonical name (PEP 503), extras sorted and canonical, specifiers sorted: two spellings of
    one requirement give one string, so the set of them keys a cache."""
    name = canonicalize_name(requirement.name)
    extras = sorted(canonicalize_name(extra) for extra in requirement.extras)
    text = name + (f"[{','.join(extras)}]" if extras else "")
    text += ",".join(sorted(str(spec) for spec in requirement.specifier))
    if requirement.marker is not None:
        text += f" ; {requirement.marker}"
    return text


def unsatisfied(
    requirements: Iterable[Requirement], environment: Installed | None = None
) -> tuple[Requirement, ...]:
    """The requirements `environment` (default: this interpreter's, `installed()`) does not
    meet: a distribution missing, in a version outside the specifiers, or an extra whose own
    requirements (recursively) are not met."""
    have = installed() if environment is None else environment
    return tuple(r for r in requirements if not _met(r, have, frozenset()))


@functools.cache
def installed() -> Installed:
    """Every distribution importable by this interpreter, first one on `sys.path` per name
    (the one an import finds), read once per process."""
    found: dict[str, tuple[Version, tuple[Requirement, ...]]] = {}
    for distribution in importlib.metadata.distributions():
        name = distribution.metadata["Name"]
        if not name:
            continue
        key = canonicalize_name(name)
        if key in found:
            continue
        try:
            version = Version(distribution.version)
        except InvalidVersion:
            continue
        found[key] = (version, tuple(_requires(distribution.requires or ())))
    return found


def _entries(data: Mapping[str, object]) -> Iterable[tuple[str, object]]:
    project = data.get("project")
    if not isinstance(project, Mapping):
        return
    dependencies = project.get("dependencies", [])
    yield from _listed("project.dependencies", dependencies)
    optional = project.get("optional-dependencies", {})
    if isinstance(optional, Mapping):
        for group in TEST_GROUPS:
            if group in optional:
                yield from _listed(f"project.optional-dependencies.{group}", optional[group])


def _listed(where: str, value: object) -> Iterable[tuple[str, object]]:
    if not isinstance(value, list):
        raise errors.GateEnvironmentError(requirement="", reason=f"{where} is not a list")
    for index, entry in enumerate(value):
        yield f"{where}[{index}]", entry


def _requires(lines: Sequence[str]) -> Iterable[Requirement]:
    for line in lines:
        try:
            yield Requirement(line)
        except InvalidRequirement:
            continue  # an installed distribution's bad metadata is not the project's fault


def _met(requirement: Requirement, have: Installed, seen: frozenset[str]) -> bool:
    name = canonicalize_name(requirement.name)
    if name not in have:
        return False
    version, requires = have[name]
    if not requirement.specifier.contains(version, prereleases=True):
        return False
    wanted = frozenset(canonicalize_name(extra) for extra in requirement.extras)
    key = name + "[" + ",".join(sorted(wanted)) + "]"
    if key in seen or not wanted:
        return True
    environment = {name: str(value) for name, value in default_environment().items()}
    for extra in wanted:
        for needed in requires:
            if needed.marker is None:
                continue  # the distribution's base requirements: installed with it
            context: dict[str, str] = {**environment, "extra": extra}
            if needed.marker.evaluate(context) and not _met(needed, have, seen | {key}):
                return False
    return True
