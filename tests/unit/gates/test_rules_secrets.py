"""Every pass/fail rule of the secrets gate, each shown passing a good project and failing
a bad one.

Rules of `kodegen.gates.secrets.run` (real detect-secrets):

1. an empty project passes without running detect-secrets;
2. files without anything credential-like pass, reporting how many files were scanned;
3. a potential secret in any file (Python or not) fails the gate: `N potential secret(s)`, one
   `high` finding at its file and line that names the kind, never the value;
4. a value the source specification (`GateConfig.openapi`, JSON) itself carries is not a secret
   of the generation: counted as `from_specification`, it does not fail the gate; so is
   anything found inside the specification file itself (detect-secrets may report part of a
   value, a JWT without its signature); a part of such a value elsewhere is not excused;
5. without a usable specification (none configured, missing, not JSON, not UTF-8) nothing is
   excused: the same value fails;
6. a line marked `pragma: allowlist secret` is a deliberate false positive and passes;
7. the name of a module of the generated package (`vault.main:run`, that module existing) is
   not a secret, whatever name the package has: counted as `own_names`, it does not fail.

(Where detect-secrets itself ends with an error status, the gate fails as unable to judge; no
project content makes this detect-secrets fail, so that branch is exercised only through
`gate.unparseable`, tested in `test_rules_gate.py`.)
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from kodegen.gates import config, report, secrets

SPEC = "pkg/openapi.json"
CONFIG = config.GateConfig(package="pkg", app=None, openapi=SPEC)
AWS_KEY = "AKIA" + "IOSFODNN7" + "EXAMPLE"  # assembled here: the repository holds no key
TOKEN = "".join(["zq8", "Xw2pLm4"])  # a high-entropy value under a secret-like name


def _tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def _spec(value: str) -> str:
    return json.dumps({"openapi": "3.0.3", "info": {"x-example": [{"apiKey": value}]}})


async def test_rule_1_an_empty_project_passes(tmp_path: Path) -> None:
    result = await secrets.run(tmp_path, CONFIG)
    assert result.passed
    assert result.counts == {"secrets": 0}
    assert set(result.metrics) == {"contained", "network_isolated"}  # no other figure


async def test_rule_2_files_without_secrets_pass(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"pkg/a.py": 'NAME = "petstore"\n', "README.md": "# Petstore\n"})
    result = await secrets.run(project, CONFIG)
    assert result.passed
    assert result.counts == {"from_specification": 0, "own_names": 0, "secrets": 0}
    assert result.metrics["files"] == 2.0
    assert result.reason is None


@pytest.mark.parametrize("name", ["pkg/settings.py", "deploy/values.yaml", ".env"])
async def test_rule_3_a_secret_in_any_file_fails_without_its_value(
    tmp_path: Path, name: str
) -> None:
    project = _tree(tmp_path, {"pkg/a.py": "X = 1\n", name: f'# settings\nKEY = "{AWS_KEY}"\n'})
    result = await secrets.run(project, CONFIG)
    assert not result.passed
    assert result.reason == "1 potential secret(s)"
    assert result.counts == {"from_specification": 0, "own_names": 0, "secrets": 1}
    [finding] = result.findings
    assert (finding.file, finding.line, finding.code, finding.severity) == (
        name,
        2,
        "AWS Access Key",
        "high",
    )
    assert finding.message == "potential AWS Access Key; the value is not reported"
    assert AWS_KEY not in json.dumps(result.to_dict())


async def test_rule_3_a_secret_after_repeated_lines_is_found_at_its_own_line(
    tmp_path: Path,
) -> None:
    # detect-secrets reads a condensed copy (each distinct line once): line 2 of the copy
    code = 'X = 1\nX = 1\nX = 1\nKEY = "' + AWS_KEY + '"\n'
    result = await secrets.run(_tree(tmp_path, {"pkg/settings.py": code}), CONFIG)
    assert [(f.file, f.line) for f in result.findings] == [("pkg/settings.py", 4)]


async def test_rule_4_a_value_of_the_specification_is_excused(tmp_path: Path) -> None:
    code = f'EXAMPLE = {{"apiKey": "{TOKEN}"}}\n'
    project = _tree(tmp_path, {SPEC: _spec(TOKEN), "pkg/data.py": code})
    result = await secrets.run(project, CONFIG)
    assert result.passed, result.findings
    assert result.counts == {"from_specification": 2, "own_names": 0, "secrets": 0}


async def test_rule_4_only_the_values_of_the_specification_are_excused(tmp_path: Path) -> None:
    other = "".join(["Lk3", "vB9qTs7"])
    code = f'EXAMPLE = {{"apiKey": "{TOKEN}"}}\nOTHER = {{"apiKey": "{other}"}}\n'
    project = _tree(tmp_path, {SPEC: _spec(TOKEN), "pkg/data.py": code})
    result = await secrets.run(project, CONFIG)
    assert not result.passed
    assert [(f.file, f.line) for f in result.findings] == [("pkg/data.py", 2)]
    assert result.counts == {"from_specification": 2, "own_names": 0, "secrets": 1}


# the sample token of jwt.io, assembled here
JWT = ".".join(
    [
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9",
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ",
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ]
)


async def test_rule_4_whatever_is_found_inside_the_specification_is_excused(
    tmp_path: Path,
) -> None:
    project = _tree(tmp_path, {SPEC: json.dumps({"example": JWT}, indent=2)})
    result = await secrets.run(project, CONFIG)
    assert result.passed, result.findings
    assert result.counts["from_specification"] >= 1


async def test_rule_4_a_part_of_a_specification_value_elsewhere_is_not_excused(
    tmp_path: Path,
) -> None:
    code = f'TOKEN = ("{JWT[:48]}" "{JWT[48:96]}" "{JWT[96:]}")\n'
    project = _tree(tmp_path, {SPEC: json.dumps({"example": JWT}), "pkg/data.py": code})
    result = await secrets.run(project, CONFIG)
    assert not result.passed
    assert {f.file for f in result.findings} == {"pkg/data.py"}


@pytest.mark.parametrize(
    ("spec_file", "setting"),
    [
        (None, None),  # no specification configured
        (None, SPEC),  # configured, not in the project
        ("{not json", SPEC),
        (b"\xff\xfe{}", SPEC),  # not UTF-8
    ],
)
async def test_rule_5_without_a_usable_specification_nothing_is_excused(
    tmp_path: Path, spec_file: str | bytes | None, setting: str | None
) -> None:
    files: dict[str, str | bytes] = {"pkg/data.py": f'EXAMPLE = {{"apiKey": "{TOKEN}"}}\n'}
    if spec_file is not None:
        files[SPEC] = spec_file
    result = await secrets.run(_tree(tmp_path, files), dataclasses.replace(CONFIG, openapi=setting))
    assert not result.passed
    assert [(f.file, f.line) for f in result.findings] == [("pkg/data.py", 1)]
    assert result.counts["from_specification"] == 0


async def test_rule_6_an_allowlisted_line_passes(tmp_path: Path) -> None:
    allowed = f'KEY = "{AWS_KEY}"  # pragma: allowlist secret\n'
    result = await secrets.run(_tree(tmp_path, {"pkg/a.py": allowed}), CONFIG)
    assert result.passed
    assert result.counts == {"from_specification": 0, "own_names": 0, "secrets": 0}


VAULT = {
    "password_vault/__init__.py": "",
    "password_vault/main.py": "def run() -> None:\n    return None\n",
}


@pytest.mark.parametrize(
    ("value", "passed"),
    [
        ("password_vault.main:run", True),
        ("password_vault", True),
        ("password_vault.main", True),
        ("password_vault.nowhere:run", False),  # no such module: nothing to excuse it
        ("password_vault.main:run-" + TOKEN, False),
        (TOKEN, False),
    ],
)
async def test_rule_7_the_packages_own_module_names_are_not_secrets(
    tmp_path: Path, value: str, passed: bool
) -> None:
    pyproject = f'[project.scripts]\npassword_vault = "{value}"\n'
    project = _tree(tmp_path, {**VAULT, "pyproject.toml": pyproject})
    result = await secrets.run(project, dataclasses.replace(CONFIG, package="password_vault"))
    assert result.passed is passed, result.findings
    assert result.counts["own_names"] == (1 if passed else 0)
    if not passed:
        assert [(f.file, f.line) for f in result.findings] == [("pyproject.toml", 2)]


async def test_rule_7_own_names_are_found_past_a_file_that_is_not_text(tmp_path: Path) -> None:
    pyproject = '[project.scripts]\npassword_vault = "password_vault.main:run"\n'
    files: dict[str, str | bytes] = {
        **VAULT,
        "logo.bin": b"\xff\xfe\x00",
        "pyproject.toml": pyproject,
    }
    result = await secrets.run(
        _tree(tmp_path, files), dataclasses.replace(CONFIG, package="password_vault")
    )
    assert (result.passed, result.counts["own_names"]) == (True, 1)


# Rules of `kodegen.gates.secrets.held` (the keys kodegen holds, searched for in the output):
#
# 8. every occurrence of every form of a held key is a `high` `held-key` finding at its file
#    and 1-based line, naming the form's label and never the text; files are searched as bytes;
# 9. a file without any form, and an empty form, give no finding; findings are sorted by file,
#    line and label, each (file, line, label) once.


def _held(file: str, line: int, label: str) -> report.Finding:
    return report.Finding(
        file=file, line=line, code="held-key", message=f"holds {label}", severity="high"
    )


def test_rule_8_every_occurrence_of_a_held_key_is_found_at_its_line() -> None:
    files = {
        "b.txt": b"sk-live first\nkey=sk-live sk-live\nsk-live\n\nagain sk-live",
        "a/bin.dat": b"\n\x00\xffsk-live",
        "clean.py": b"print('nothing')\n",
    }
    found = secrets.held(files, [("OPENAI_API_KEY", "sk-live")])
    assert found == (
        _held("a/bin.dat", 2, "OPENAI_API_KEY"),
        _held("b.txt", 1, "OPENAI_API_KEY"),
        _held("b.txt", 2, "OPENAI_API_KEY"),
        _held("b.txt", 3, "OPENAI_API_KEY"),
        _held("b.txt", 5, "OPENAI_API_KEY"),
    )


def test_rule_8_each_form_is_searched_under_its_own_label() -> None:
    files = {"m.py": b"x = 'c2stbGl2ZQ=='\ny = 'sk-live'\n"}
    forms = [("KEY", "sk-live"), ("KEY, base64", "c2stbGl2ZQ=="), ("KEY, empty", "")]
    assert secrets.held(files, forms) == (_held("m.py", 1, "KEY, base64"), _held("m.py", 2, "KEY"))


def test_rule_9_nothing_held_in_the_files_is_no_finding() -> None:
    files = {"a.py": b"safe\n", "b.md": b"also safe"}
    assert secrets.held(files, [("KEY", "sk-live"), ("EMPTY", "")]) == ()
    assert secrets.held(files, []) == ()
