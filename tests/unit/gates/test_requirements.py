"""What a generated project declares: read, refused when it is more than a requirement, normalized,
and checked against an environment."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from kodegen import errors
from kodegen.gates import environment, requirements


def _project(tmp_path: Path, dependencies: str, optional: str = "") -> Path:
    text = f"""\
        [project]
        name = "p"
        version = "1.0"
        dependencies = {dependencies}
        """
    if optional:
        text += f"\n[project.optional-dependencies]\n{optional}\n"
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent(text), encoding="utf-8")
    return tmp_path


def _names(found: tuple[Requirement, ...]) -> list[str]:
    return [requirements.canonical(r) for r in found]


def test_dependencies_and_the_test_group_are_read_normalized_and_sorted(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        '["Pydantic >= 2.8", "Email_Validator>=2", "pydantic>=2.8"]',
        'test = ["pytest>=8", "httpx>=0.27"]\ndocs = ["sphinx"]',
    )
    assert _names(requirements.declared(project)) == [
        "email-validator>=2",
        "httpx>=0.27",
        "pydantic>=2.8",
        "pytest>=8",
    ]


def test_a_project_without_pyproject_declares_nothing(tmp_path: Path) -> None:
    assert requirements.declared(tmp_path) == ()


def test_markers_are_evaluated_for_this_interpreter(tmp_path: Path) -> None:
    project = _project(
        tmp_path,
        "[\"old-only; python_version < '3.0'\", \"new-only; python_version >= '3.0'\"]",
    )
    assert _names(requirements.declared(project)) == ["new-only"]


def test_extras_and_specifiers_are_canonical_whatever_the_spelling() -> None:
    one = requirements.canonical(Requirement("Foo_Bar[Zed,alpha] <2, >=1"))
    two = requirements.canonical(Requirement("foo-bar[ALPHA,zed]>=1,<2"))
    assert one == two == "foo-bar[alpha,zed]<2,>=1"


@pytest.mark.parametrize(
    ("entry", "said"),
    [
        ("evil @ https://example.com/evil-1.0-py3-none-any.whl", "direct reference"),
        ("evil @ file:///etc/passwd", "direct reference"),
        ("./vendored/package", "not a PEP 508 requirement"),
        ("git+https://example.com/evil.git", "not a PEP 508 requirement"),
        ("--index-url https://evil.example.com/simple", "pip option"),
        ("-e .", "pip option"),
        ("pkg; os.system('id')", "not a PEP 508 requirement"),
        ("pkg >= 1 --hash=sha256:00", "not a PEP 508 requirement"),
    ],
)
def test_anything_but_a_name_with_specifiers_is_refused_in_one_line(
    tmp_path: Path, entry: str, said: str
) -> None:
    project = _project(tmp_path, json.dumps(["pydantic>=2", entry]))
    with pytest.raises(errors.GateEnvironmentError) as caught:
        requirements.declared(project)
    message = str(caught.value)
    assert said in message
    assert "project.dependencies[1]" in message
    assert "\n" not in message


def test_a_non_string_entry_is_refused(tmp_path: Path) -> None:
    project = _project(tmp_path, '["pydantic", 3]')
    with pytest.raises(errors.GateEnvironmentError, match=r"dependencies\[1\] is not a string"):
        requirements.declared(project)


def test_dependencies_that_are_not_a_list_are_refused(tmp_path: Path) -> None:
    project = _project(tmp_path, '"pydantic"')
    with pytest.raises(errors.GateEnvironmentError, match=r"project\.dependencies is not a list"):
        requirements.declared(project)


def test_an_overlong_requirement_is_refused(tmp_path: Path) -> None:
    long = "a" * (requirements.MAX_REQUIREMENT_CHARS + 1)
    project = _project(tmp_path, f'["{long}"]')
    with pytest.raises(errors.GateEnvironmentError, match="longer than"):
        requirements.declared(project)


def test_too_many_requirements_are_refused(tmp_path: Path) -> None:
    many = ", ".join(f'"p{i}"' for i in range(requirements.MAX_REQUIREMENTS + 1))
    with pytest.raises(errors.GateEnvironmentError, match="declare fewer"):
        requirements.declared(_project(tmp_path, f"[{many}]"))
    at_limit = ", ".join(f'"p{i}"' for i in range(requirements.MAX_REQUIREMENTS))
    assert len(requirements.declared(_project(tmp_path, f"[{at_limit}]"))) == 200


def test_an_unreadable_pyproject_is_refused(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project\n", encoding="utf-8")
    with pytest.raises(errors.GateEnvironmentError, match=r"pyproject\.toml cannot be read"):
        requirements.declared(tmp_path)


ENV: requirements.Installed = {
    "fastapi": (Version("0.115.0"), (Requirement("starlette>=0.40"),)),
    "starlette": (Version("0.41.0"), ()),
    "pydantic": (
        Version("2.9.0"),
        (Requirement("email-validator>=2.0; extra == 'email'"), Requirement("typing-extensions")),
    ),
    "typing-extensions": (Version("4.12.0"), ()),
    "loop": (Version("1.0"), (Requirement("loop[x]; extra == 'x'"),)),
}


@pytest.mark.parametrize(
    ("wanted", "met"),
    [
        ("fastapi>=0.115", True),
        ("fastapi>=0.200", False),
        ("FastAPI", True),
        ("humanize", False),
        ("pydantic>=2.8", True),
        ("pydantic[email]>=2.8", False),  # its extra needs email-validator, which is missing
        ("loop[x]", True),  # an extra that requires itself ends
    ],
)
def test_unsatisfied_follows_versions_and_extras(wanted: str, met: bool) -> None:
    requirement = Requirement(wanted)
    assert requirements.unsatisfied([requirement], ENV) == (() if met else (requirement,))


def test_an_extra_is_met_once_what_it_needs_is_installed() -> None:
    have = {**ENV, "email-validator": (Version("2.2.0"), ())}
    assert requirements.unsatisfied([Requirement("pydantic[email]")], have) == ()


def test_this_interpreters_environment_is_read() -> None:
    have = requirements.installed()
    import pytest as pytest_module

    assert have["pytest"][0] == Version(pytest_module.__version__)


def test_the_key_is_the_set_of_pins_over_the_base() -> None:
    pins = ["email-validator", "dnspython"]
    assert environment.key(pins, ENV) == environment.key(sorted(pins), ENV)
    assert environment.key(pins, ENV) == environment.key([*pins, "dnspython"], ENV)
    assert environment.key(pins, ENV) != environment.key(pins[1:], ENV)
    newer = {**ENV, "starlette": (Version("0.42.0"), ())}
    assert environment.key(pins, ENV) != environment.key(pins, newer)
