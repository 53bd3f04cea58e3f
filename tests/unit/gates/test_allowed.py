"""What the gates may install beside kodegen's environment: only pinned, hashed packages kodegen
knows, closed over their own requirements; anything else refused in one line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from kodegen import errors
from kodegen.gates import allowed, requirements

BASE: requirements.Installed = {
    "pydantic": (
        Version("2.9.0"),
        (Requirement("email-validator>=2.0; extra == 'email'"), Requirement("typing-extensions")),
    ),
    "typing-extensions": (Version("4.12.0"), ()),
    "idna": (Version("3.10"), ()),
}
"""An environment like kodegen's: pydantic without its `email` extra, idna present."""


def _resolve(*wanted: str, base: requirements.Installed = BASE) -> tuple[str, ...]:
    return allowed.resolve([Requirement(text) for text in wanted], base)


def test_a_pinned_package_comes_with_the_pins_it_needs_but_not_what_kodegen_has() -> None:
    assert _resolve("email-validator>=2") == ("dnspython", "email-validator")


def test_an_extra_of_a_package_kodegen_has_brings_the_pins_the_extra_needs() -> None:
    assert _resolve("pydantic[email]>=2.8") == ("dnspython", "email-validator")


def test_nothing_missing_installs_nothing() -> None:
    assert _resolve() == ()


def test_a_need_missing_from_the_base_is_resolved_to_a_pin_or_refused() -> None:
    without_idna = {name: value for name, value in BASE.items() if name != "idna"}
    with pytest.raises(errors.GateEnvironmentError) as caught:
        _resolve("email-validator", base=without_idna)
    assert "'idna' is neither in kodegen's environment nor among" in str(caught.value)
    assert "dependency 'email-validator'" in str(caught.value), "names what the project declared"


@pytest.mark.parametrize(
    "wanted",
    ["requests-evil", "Typo_Squat>=1", "evil; python_version > '3'", "dnspython2"],
)
def test_a_package_kodegen_does_not_know_is_refused_in_one_line(wanted: str) -> None:
    with pytest.raises(errors.GateEnvironmentError) as caught:
        _resolve(wanted)
    message = str(caught.value)
    assert message.startswith(f"gate environment: dependency {str(Requirement(wanted))!r}: ")
    assert "never install a package kodegen does not know" in message
    assert "kodegen.gates.allowed" in message, "says where the allow-list is"
    assert "\n" not in message


def test_a_version_range_that_excludes_the_pin_is_refused() -> None:
    pinned = allowed.PINS["email-validator"].version
    with pytest.raises(errors.GateEnvironmentError) as caught:
        _resolve("email-validator>=99")
    assert f"the gates install email-validator {pinned} only, outside '>=99'" in str(caught.value)


def test_an_extra_of_a_package_kodegen_lacks_is_refused() -> None:
    with pytest.raises(errors.GateEnvironmentError, match="extras only of packages kodegen has"):
        _resolve("email-validator[idna]")


def test_a_kodegen_package_in_a_version_outside_the_range_must_be_pinned() -> None:
    with pytest.raises(errors.GateEnvironmentError, match="'pydantic' is neither"):
        _resolve("pydantic>=3")


def test_the_pip_lines_pin_one_version_and_one_wheel() -> None:
    text = allowed.lines(("dnspython", "email-validator"))
    pins = allowed.PINS
    assert text == (
        f"dnspython=={pins['dnspython'].version} --hash=sha256:{pins['dnspython'].sha256}\n"
        f"email-validator=={pins['email-validator'].version}"
        f" --hash=sha256:{pins['email-validator'].sha256}\n"
    )


@pytest.mark.parametrize("name", sorted(allowed.PINS))
def test_every_pin_is_canonical_hashed_and_closed_over_kodegens_environment(name: str) -> None:
    pin = allowed.PINS[name]
    assert name == canonicalize_name(name)
    assert re.fullmatch(r"[0-9a-f]{64}", pin.sha256)
    assert str(Version(pin.version)) == pin.version
    for need in pin.needs:
        needed = Requirement(need)
        assert not needed.extras and needed.marker is None, "needs are plain requirements"
        if requirements.unsatisfied([needed]):  # kodegen's environment lacks it: a pin must
            other = allowed.PINS[canonicalize_name(needed.name)]
            assert needed.specifier.contains(Version(other.version))


def test_what_the_builtin_templates_declare_for_email_fields_resolves_here() -> None:
    # python-fastapi-service and python-pydantic-models declare this with EmailStr fields
    missing = requirements.unsatisfied([Requirement("email-validator>=2")])
    assert set(allowed.resolve(missing)) <= set(allowed.PINS)


TEMPLATES = Path(__file__).resolve().parents[3] / "templates"
_LISTS = re.compile(r"^(?:dependencies|test) = \[(.*?)\]", re.M | re.S)


def _template_requirements() -> list[tuple[str, str]]:
    found = []
    for path in sorted(TEMPLATES.glob("*/*/files/pyproject.toml.j2")):
        text = re.sub(r"\{%.*?%\}", "", path.read_text(encoding="utf-8"), flags=re.S)
        for block in _LISTS.findall(text):
            for entry in re.findall(r'"([^"]+)"', block):
                found.append((path.relative_to(TEMPLATES).parts[0], entry))
    return found


def test_the_builtin_templates_declare_dependencies() -> None:
    assert {family for family, _ in _template_requirements()} >= {
        "python-fastapi-service",
        "python-graphql-service",
        "python-pydantic-models",
    }


@pytest.mark.parametrize(("family", "text"), _template_requirements())
def test_every_dependency_a_builtin_template_declares_can_be_given_to_the_gates(
    family: str, text: str
) -> None:
    """A template that declares a package kodegen neither has nor pins would fail its own
    tests and contract gates: add the package to kodegen's dependencies or to `PINS`."""
    missing = requirements.unsatisfied([Requirement(text)])
    assert set(allowed.resolve(missing)) <= set(allowed.PINS)
