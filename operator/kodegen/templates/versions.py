"""Semantic-version ranges with npm semantics, over the `semver` package.

A range is one or more comparator sets joined by ``||``; a set is comparators joined by
spaces (all must hold). Forms:

    1.2.3  =1.2.3  v1.2.3      exactly that version
    1.2  1  1.x  1.2.*  *  x   any version with that prefix ("" and "*" mean any)
    ^1.2.3  ^1.2  ^0.2.3       compatible: same left-most non-zero part
    ~1.2.3  ~1.2  ~1           same minor (same major for ~1)
    >=1.0  >1.0.0  <2  <=2     comparisons; partial versions fill in as npm does
    1.2 - 2.3                  hyphen range: >=1.2.0 <=2.3
    >=1.0 <2 || >=3            conjunction (space) and disjunction (||)

A prerelease version (``1.0.0-rc.1``) matches only when a comparator of the same set names
a prerelease of the same major.minor.patch (``>=1.0.0-rc.0``): ``*`` and ``^1.0`` never pick
one by accident.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable

import semver

from kodegen import errors

__all__ = ["Range", "best", "matches", "parse_range", "parse_version"]

VALID_FORMS = (
    "valid forms: 1.2.3, ^1.2, ^1.2.3, ~1.2.3, ~1.2, >=1.0 <2, >1.0.0, <=2, 1.x, *, "
    "1.2 - 2.3, and sets joined by ' ' (and) or ' || ' (or)"
)

_NUM = r"0|[1-9]\d*"
_PART = rf"{_NUM}|[xX*]"
_IDENT = r"[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*"
_PARTIAL = re.compile(
    rf"v?(?P<major>{_PART})"
    rf"(?:\.(?P<minor>{_PART})"
    rf"(?:\.(?P<patch>{_PART})"
    rf"(?:-(?P<pre>{_IDENT}))?"
    rf"(?:\+(?P<build>{_IDENT}))?"
    r")?)?"
)
_COMPARATOR = re.compile(r"(?P<op>\^|~>?|>=|<=|>|<|=)?(?P<version>.*)")
_OPERATOR_SPACE = re.compile(r"(\^|~>?|>=|<=|>|<|=)\s+")
_HYPHEN = re.compile(r"^(?P<low>\S+)\s+-\s+(?P<high>\S+)$")


@dataclasses.dataclass(frozen=True)
class _Partial:
    """A version as written in a range; ``None`` for a missing or wildcard part."""

    major: int | None
    minor: int | None
    patch: int | None
    prerelease: str | None

    def version(self, *, prerelease: str | None = None) -> semver.Version:
        return semver.Version(
            self.major or 0,
            self.minor or 0,
            self.patch or 0,
            prerelease=prerelease if prerelease is not None else self.prerelease,
        )


@dataclasses.dataclass(frozen=True)
class _Comparator:
    operator: str  # one of ">=", ">", "<", "<=", "="
    version: semver.Version

    def test(self, version: semver.Version) -> bool:
        order = version.compare(self.version)
        return {
            ">=": order >= 0,
            ">": order > 0,
            "<": order < 0,
            "<=": order <= 0,
            "=": order == 0,
        }[self.operator]


_NOTHING = (_Comparator("<", semver.Version(0, 0, 0, prerelease="0")),)


@dataclasses.dataclass(frozen=True)
class Range:
    """A parsed range: a tuple of comparator sets; an empty set matches any release."""

    text: str
    sets: tuple[tuple[_Comparator, ...], ...]

    def matches(self, version: semver.Version) -> bool:
        return any(_test_set(comparators, version) for comparators in self.sets)


def parse_version(text: str) -> semver.Version:
    """Parse a strict semantic version (``1.2.3``, ``1.2.3-rc.1+build``)."""
    try:
        return semver.Version.parse(text)
    except (ValueError, TypeError) as exc:
        raise errors.TemplateError(
            template=str(text),
            reason=f"{text!r} is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)",
        ) from exc


def parse_range(text: str, *, template: str = "*") -> Range:
    """Parse a range; :class:`~kodegen.errors.TemplateError` names it and the valid forms.

    ``template`` labels the error (the family the range was asked for).
    """
    sets = []
    for alternative in text.split("||"):
        normalized = _OPERATOR_SPACE.sub(r"\1", alternative.strip())
        hyphen = _HYPHEN.match(normalized)
        if hyphen:
            normalized = f">={hyphen['low']} <={hyphen['high']}"
        comparators: list[_Comparator] = []
        for token in normalized.split():
            comparators.extend(_desugar(token, text, template))
        sets.append(tuple(comparators))
    return Range(text=text, sets=tuple(sets))


def matches(version: str, version_range: str) -> bool:
    """Whether ``version`` (strict semver) satisfies ``version_range``."""
    return parse_range(version_range).matches(parse_version(version))


def best(versions: Iterable[str], version_range: str, *, template: str = "*") -> str | None:
    """The highest of ``versions`` that satisfies ``version_range``, or ``None``."""
    parsed_range = parse_range(version_range, template=template)
    candidates = [(parse_version(text), text) for text in versions]
    matching = [(version, text) for version, text in candidates if parsed_range.matches(version)]
    if not matching:
        return None
    # Build metadata does not order versions; the text breaks ties deterministically.
    return max(matching)[1]


def _test_set(comparators: tuple[_Comparator, ...], version: semver.Version) -> bool:
    if not all(comparator.test(version) for comparator in comparators):
        return False
    if not version.prerelease:
        return True
    # npm: a prerelease only satisfies a set that names a prerelease of the same release.
    return any(
        comparator.version.prerelease
        and comparator.version.finalize_version() == version.finalize_version()
        for comparator in comparators
    )


def _invalid(text: str, detail: str, template: str) -> errors.TemplateError:
    return errors.TemplateError(
        template=template,
        reason=f"invalid version range {text!r}: {detail}; {VALID_FORMS}",
    )


def _partial(token: str, text: str, template: str) -> _Partial:
    match = _PARTIAL.fullmatch(token)
    if not match:
        raise _invalid(text, f"{token!r} is not a version", template)
    parts = [match["major"], match["minor"], match["patch"]]
    values = [None if part is None or part in "xX*" else int(part) for part in parts]
    for index in range(1, 3):
        if values[index] is not None and values[index - 1] is None:
            raise _invalid(text, f"{token!r} has a number after a wildcard", template)
    if match["pre"] and values[2] is None:
        raise _invalid(text, f"{token!r} has a prerelease without a full version", template)
    return _Partial(values[0], values[1], values[2], match["pre"])


def _desugar(token: str, text: str, template: str) -> tuple[_Comparator, ...]:
    match = _COMPARATOR.fullmatch(token)
    assert match is not None  # the pattern accepts any token
    operator, partial = match["op"] or "", _partial(match["version"], text, template)
    if operator == "^":
        return _caret(partial)
    if operator in ("~", "~>"):
        return _tilde(partial)
    return _xrange(operator, partial)


def _between(low: _Partial, high: tuple[int, int, int]) -> tuple[_Comparator, ...]:
    """``>=low <high-0``: the upper bound excludes the prereleases of ``high``."""
    return (
        _Comparator(">=", low.version()),
        _Comparator("<", semver.Version(*high, prerelease="0")),
    )


def _caret(p: _Partial) -> tuple[_Comparator, ...]:
    if p.major is None:
        return ()
    if p.minor is None:
        return _between(p, (p.major + 1, 0, 0))
    if p.patch is None:
        if p.major == 0:
            return _between(p, (0, p.minor + 1, 0))
        return _between(p, (p.major + 1, 0, 0))
    if p.major == 0 and p.minor == 0:
        return _between(p, (0, 0, p.patch + 1))
    if p.major == 0:
        return _between(p, (0, p.minor + 1, 0))
    return _between(p, (p.major + 1, 0, 0))


def _tilde(p: _Partial) -> tuple[_Comparator, ...]:
    if p.major is None:
        return ()
    if p.minor is None:
        return _between(p, (p.major + 1, 0, 0))
    return _between(p, (p.major, p.minor + 1, 0))


def _xrange(operator: str, p: _Partial) -> tuple[_Comparator, ...]:
    if p.major is None:
        return _NOTHING if operator in (">", "<") else ()
    if p.minor is not None and p.patch is not None:
        return (_Comparator(operator or "=", p.version()),)
    if operator in ("", "="):
        if p.minor is None:
            return _between(p, (p.major + 1, 0, 0))
        return _between(p, (p.major, p.minor + 1, 0))
    major, minor = p.major, p.minor
    if operator == ">":  # >1 is >=2.0.0, >1.2 is >=1.3.0
        bump = (major + 1, 0, 0) if minor is None else (major, minor + 1, 0)
        return (_Comparator(">=", semver.Version(*bump)),)
    if operator == "<=":  # <=1 is <2.0.0-0, <=1.2 is <1.3.0-0
        bump = (major + 1, 0, 0) if minor is None else (major, minor + 1, 0)
        return (_Comparator("<", semver.Version(*bump, prerelease="0")),)
    if operator == "<":  # <1.2 is <1.2.0-0
        return (_Comparator("<", p.version(prerelease="0")),)
    return (_Comparator(">=", p.version()),)  # >=1.2 is >=1.2.0
