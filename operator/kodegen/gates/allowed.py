"""The packages the gates may install beside kodegen's own, each pinned to one wheel.

A generated project declares its dependencies (`requirements.declared`); the gates that run
its code need them. What kodegen's own environment already meets is used as it is. Anything
else must be one of `PINS`: a name kodegen knows, at the one version kodegen pins, installed
from the one wheel whose SHA-256 is recorded here (pip `--require-hashes --no-deps`), never
whatever a template or a specification names. The pins' own dependencies are listed with them
(`Pin.needs`) and resolved the same way, so nothing outside this table and kodegen's
environment is ever installed.

`resolve` turns the unmet requirements into that closed set of pins, or refuses with one line
naming the requirement and the reason (`errors.GateEnvironmentError`). Adding a package: record
its pure-Python wheel's version and hash and its requirements below, and a test
(`tests/unit/gates/test_allowed.py`) checks that the table is closed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from kodegen import errors
from kodegen.gates import requirements

__all__ = ["PINS", "Pin", "lines", "resolve"]


@dataclasses.dataclass(frozen=True)
class Pin:
    """One package the gates may install: the version and its wheel."""

    version: str
    """The one version installed (it must meet the project's specifiers)."""

    sha256: str
    """SHA-256 of its `py3-none-any` wheel on the index: any other file is refused by pip."""

    needs: tuple[str, ...] = ()
    """Its own requirements (the wheel's `Requires-Dist` without extras), met by kodegen's
    environment or by another pin."""


PINS: Mapping[str, Pin] = {
    # pydantic's EmailStr (the `email` extra of pydantic): generated models with format: email
    "email-validator": Pin(
        "2.4.0",
        "4454e41c4e1c6b6caee34a1dc71d5e736791562be8fd179b02e298f796522684",
        needs=("dnspython>=2.0.0", "idna>=2.0.0"),
    ),
    "dnspython": Pin(
        "2.9.2",
        "af15f7d385a6ae2fb35a796fde2138004c8c42c7389090e2addc83e3b3340fd8",
    ),
}
"""Canonical name (PEP 503) -> its pin. Keep it short: every entry is code the gates run."""


def resolve(
    missing: Iterable[Requirement], base: requirements.Installed | None = None
) -> tuple[str, ...]:
    """The pins (canonical names, sorted) that meet `missing` over `base` (default: kodegen's
    environment), with what they need in turn; `errors.GateEnvironmentError` for a
    requirement no pin meets."""
    have = requirements.installed() if base is None else base
    chosen: set[str] = set()
    pending = [(requirement, str(requirement)) for requirement in missing]
    while pending:
        requirement, declared = pending.pop()
        for needed in _expand(requirement, have, declared):
            name = canonicalize_name(needed.name)
            if name in chosen:
                continue
            pin = _pin(needed, declared)
            chosen.add(name)
            pending.extend(
                (Requirement(line), declared)
                for line in pin.needs
                if requirements.unsatisfied([Requirement(line)], have)
            )
    return tuple(sorted(chosen))


def lines(names: Sequence[str]) -> str:
    """A pip requirements file installing `names` (from `resolve`): one pinned, hashed line
    each."""
    return "".join(
        f"{name}=={PINS[name].version} --hash=sha256:{PINS[name].sha256}\n" for name in names
    )


def _expand(
    requirement: Requirement, have: requirements.Installed, declared: str
) -> list[Requirement]:
    """What to install for an unmet `requirement`: itself when kodegen lacks the distribution
    (or has it in a version outside the specifiers); the unmet requirements of its extras when
    kodegen has it (`pydantic[email]` -> `email-validator`)."""
    name = canonicalize_name(requirement.name)
    if name not in have or not requirement.specifier.contains(have[name][0], prereleases=True):
        if requirement.extras:
            raise errors.GateEnvironmentError(
                requirement=declared,
                reason="the gates install extras only of packages kodegen has; declare the "
                "packages the extra brings instead",
            )
        return [requirement]
    environment = {key: str(value) for key, value in default_environment().items()}
    found: list[Requirement] = []
    for extra in sorted(canonicalize_name(extra) for extra in requirement.extras):
        context = {**environment, "extra": extra}
        for needed in have[name][1]:
            if needed.marker is None or not needed.marker.evaluate(context):
                continue
            bare = Requirement(str(needed))
            bare.marker = None
            if requirements.unsatisfied([bare], have):
                found.extend(_expand(bare, have, declared))
    return found


def _pin(requirement: Requirement, declared: str) -> Pin:
    name = canonicalize_name(requirement.name)
    pin = PINS.get(name)
    if pin is None:
        raise errors.GateEnvironmentError(
            requirement=declared,
            reason=f"{name!r} is neither in kodegen's environment nor among the packages the "
            f"gates may install ({', '.join(sorted(PINS))}); the gates never install a package "
            "kodegen does not know: use one of those, or add it to kodegen.gates.allowed",
        )
    if not requirement.specifier.contains(Version(pin.version), prereleases=True):
        raise errors.GateEnvironmentError(
            requirement=declared,
            reason=f"the gates install {name} {pin.version} only, outside "
            f"'{requirement.specifier}'; declare a range that includes it",
        )
    return pin
