from __future__ import annotations

import pytest

from kodegen import errors
from kodegen.templates import versions

MATRIX: list[tuple[str, str, bool]] = [
    # exact
    ("1.2.3", "1.2.3", True),
    ("1.2.3", "1.2.4", False),
    ("=1.2.3", "1.2.3", True),
    ("v1.2.3", "1.2.3", True),
    ("1.2.3", "1.2.3+build.5", True),
    ("1.2.3-rc.1", "1.2.3-rc.1", True),
    ("1.2.3-rc.1", "1.2.3", False),
    # caret
    ("^1.2", "1.2.0", True),
    ("^1.2", "1.9.9", True),
    ("^1.2", "1.1.9", False),
    ("^1.2", "2.0.0", False),
    ("^1.2", "2.0.0-rc.1", False),
    ("^1.2.3", "1.2.3", True),
    ("^1.2.3", "1.2.2", False),
    ("^1.2.3", "1.99.0", True),
    ("^1.2.3", "2.0.0", False),
    ("^0.2.3", "0.2.9", True),
    ("^0.2.3", "0.3.0", False),
    ("^0.0.3", "0.0.3", True),
    ("^0.0.3", "0.0.4", False),
    ("^0.2", "0.2.5", True),
    ("^0.2", "0.3.0", False),
    ("^1", "1.9.0", True),
    ("^1", "2.0.0", False),
    ("^1.2.3-beta.2", "1.2.3-beta.4", True),
    ("^1.2.3-beta.2", "1.2.3-beta.1", False),
    ("^1.2.3-beta.2", "1.2.4-beta.1", False),
    ("^1.2.3-beta.2", "1.5.0", True),
    # tilde
    ("~1.2.3", "1.2.3", True),
    ("~1.2.3", "1.2.9", True),
    ("~1.2.3", "1.3.0", False),
    ("~1.2.3", "1.2.2", False),
    ("~1.2", "1.2.0", True),
    ("~1.2", "1.3.0", False),
    ("~1", "1.9.0", True),
    ("~1", "2.0.0", False),
    ("~>1.2", "1.2.7", True),
    # comparators and conjunction
    (">=1.0 <2", "1.0.0", True),
    (">=1.0 <2", "1.99.99", True),
    (">=1.0 <2", "2.0.0", False),
    (">=1.0 <2", "2.0.0-alpha", False),
    (">=1.0 <2", "0.9.9", False),
    (">= 1.0 < 2", "1.5.0", True),
    (">1.0.0", "1.0.0", False),
    (">1.0.0", "1.0.1", True),
    (">1.2", "1.2.9", False),
    (">1.2", "1.3.0", True),
    (">1", "1.9.0", False),
    (">1", "2.0.0", True),
    ("<=2", "2.9.9", True),
    ("<=2", "3.0.0", False),
    ("<=1.2.3", "1.2.3", True),
    ("<=1.2.3", "1.2.4", False),
    ("<1.2", "1.1.9", True),
    ("<1.2", "1.2.0", False),
    ("<1.2", "1.2.0-rc.1", False),
    (">=1.2.3 <=1.2.5", "1.2.4", True),
    (">=1.2.3 <=1.2.5", "1.2.6", False),
    # x-ranges and partials
    ("1.x", "1.0.0", True),
    ("1.x", "1.99.0", True),
    ("1.x", "2.0.0", False),
    ("1.2.x", "1.2.7", True),
    ("1.2.x", "1.3.0", False),
    ("1.*", "1.4.0", True),
    ("1", "1.4.0", True),
    ("1", "2.0.0", False),
    ("1.2", "1.2.9", True),
    ("1.2", "1.3.0", False),
    ("*", "0.0.1", True),
    ("*", "99.0.0", True),
    ("*", "1.0.0-rc.1", False),
    ("x", "3.1.4", True),
    ("", "3.1.4", True),
    (">=*", "1.0.0", True),
    (">*", "1.0.0", False),
    # hyphen and disjunction
    ("1.2 - 2.3", "1.2.0", True),
    ("1.2 - 2.3", "2.3.9", True),
    ("1.2 - 2.3", "2.4.0", False),
    ("1.2.3 - 2.3.4", "2.3.4", True),
    ("1.2.3 - 2.3.4", "2.3.5", False),
    ("<1 || >=3", "0.5.0", True),
    ("<1 || >=3", "2.0.0", False),
    ("<1 || >=3", "3.0.0", True),
    # prereleases only when named, for the same release
    (">=1.0.0-rc.0", "1.0.0-rc.1", True),
    (">=1.0.0-rc.0", "1.0.0", True),
    (">=1.0.0-rc.0", "1.1.0-rc.1", False),
    (">=1.0.0-rc.2", "1.0.0-rc.1", False),
    ("^1.0", "1.1.0-rc.1", False),
    ("~1.2.3-alpha", "1.2.3-beta", True),
    # an upper bound excludes every prerelease of its release (`<2.0.0-0`), even where another
    # comparator of the set names one, and whatever the prerelease is called ("0" sorts first)
    (">=2.0.0-rc.1 ^1.5", "2.0.0-rc.2", False),
    ("^1.2", "2.0.0-A", False),
    (">=2.0.0-rc.1 <=1", "2.0.0-rc.2", False),
    ("<=1", "2.0.0-A", False),
    (">=1.2.0-rc.1 <1.2", "1.2.0-rc.2", False),
    ("<1.2", "1.2.0-A", False),
    # a full version as a strict upper bound; operators that read alike
    ("<1.2.3", "1.2.3", False),
    ("<1.2.3", "1.2.2", True),
    ("~>1.2", "1.3.0", False),
    ("=1.2", "1.3.0", False),
    ("=1.2", "1.2.5", True),
    ("1.X", "1.5.0", True),
    ("1.X", "2.0.0", False),
    ("<*", "0.0.0", False),
]


@pytest.mark.parametrize(("version_range", "version", "expected"), MATRIX)
def test_matches(version_range: str, version: str, expected: bool) -> None:
    assert versions.matches(version, version_range) is expected


BEST: list[tuple[list[str], str, str | None]] = [
    (["1.0.0", "1.2.0", "1.10.0", "2.0.0"], "^1.0", "1.10.0"),
    (["1.0.0", "1.2.0", "1.10.0", "2.0.0"], "*", "2.0.0"),
    (["1.0.0", "1.2.0", "1.10.0", "2.0.0"], "~1.2", "1.2.0"),
    (["1.0.0", "1.2.0", "1.10.0", "2.0.0"], "^3", None),
    (["1.0.0", "2.0.0-rc.1"], "*", "1.0.0"),
    (["1.0.0", "2.0.0-rc.1"], ">=2.0.0-rc.0", "2.0.0-rc.1"),
    (["2.0.0-rc.1", "2.0.0-rc.2", "2.0.0"], ">=2.0.0-rc.1", "2.0.0"),
    (["2.0.0-rc.1", "2.0.0-rc.10", "2.0.0-rc.2"], "^2.0.0-rc.1", "2.0.0-rc.10"),
    ([], "*", None),
]


@pytest.mark.parametrize(("available", "version_range", "expected"), BEST)
def test_best_picks_the_highest_match(
    available: list[str], version_range: str, expected: str | None
) -> None:
    assert versions.best(available, version_range) == expected


def test_best_does_not_depend_on_input_order() -> None:
    available = ["1.0.0+b", "1.0.0+a", "0.9.0"]
    assert versions.best(available, "*") == versions.best(list(reversed(available)), "*")


@pytest.mark.parametrize(
    "bad",
    ["^", "1.2.3.4", "abc", ">=x.1", "1.2-rc", "01.2.3", ">=1.0 <", "latest", "1.x.3", "~>"],
)
def test_invalid_range_names_it_and_shows_valid_forms(bad: str) -> None:
    with pytest.raises(errors.TemplateError) as caught:
        versions.parse_range(bad, template="demo")
    message = str(caught.value)
    assert repr(bad) in message
    assert "valid forms: 1.2.3, ^1.2" in message
    assert caught.value.template == "demo"


def test_matches_rejects_a_version_that_is_not_semver() -> None:
    with pytest.raises(errors.TemplateError, match=r"'1\.0' is not a semantic version"):
        versions.matches("1.0", "*")


@pytest.mark.parametrize(
    ("bad", "detail"),
    [
        ("latest", "'latest' is not a version"),
        ("1.x.3", "'1.x.3' has a number after a wildcard"),
        ("1.2.x-rc", "'1.2.x-rc' has a prerelease without a full version"),
    ],
)
def test_an_invalid_range_says_what_is_wrong_with_it(bad: str, detail: str) -> None:
    with pytest.raises(errors.TemplateError) as caught:
        versions.parse_range(f">=1.0 {bad}", template="demo")
    assert (caught.value.template, caught.value.reason) == (
        "demo",
        f"invalid version range '>=1.0 {bad}': {detail}; {versions.VALID_FORMS}",
    )


def test_an_invalid_range_without_a_family_is_labelled_any_template() -> None:
    with pytest.raises(errors.TemplateError) as caught:
        versions.parse_range("latest")
    assert caught.value.template == "*"
    with pytest.raises(errors.TemplateError) as caught:
        versions.best(["1.0.0"], "latest")
    assert caught.value.template == "*"


def test_best_labels_an_invalid_range_with_the_family() -> None:
    with pytest.raises(errors.TemplateError) as caught:
        versions.best(["1.0.0"], "latest", template="python-fastapi-service")
    assert caught.value.template == "python-fastapi-service"


def test_a_range_keeps_its_text() -> None:
    assert versions.parse_range(">=1.0 <2 || 3").text == ">=1.0 <2 || 3"


def test_a_version_that_is_not_semver_is_named_as_the_template() -> None:
    with pytest.raises(errors.TemplateError) as caught:
        versions.parse_version("1.0")
    assert (caught.value.template, caught.value.reason) == (
        "1.0",
        "'1.0' is not a semantic version (MAJOR.MINOR.PATCH, e.g. 1.0.0)",
    )
