"""Every pass/fail rule of the style gate, each shown passing a good project and failing a bad one.

Rules of `kodegen.gates.style.run` (real `ruff check` and `ruff format --check`):

1. a project that ruff finds nothing in, and would not reformat, passes;
2. a lint finding fails the gate: one `low` finding at its file and line, `N lint finding(s)`;
3. a file `ruff format` would change fails the gate: `N unformatted file(s)`; both kinds at once
   are both counted and named in one reason;
4. a file that does not parse is reported once (by `ruff check`), not again by `ruff format`;
5. the project's own ruff configuration applies when it has one (`ruff.toml`, `.ruff.toml`,
   `[tool.ruff]` in `pyproject.toml`), and ruff's defaults (`--isolated`) otherwise: a
   `pyproject.toml` without `[tool.ruff]`, or one that is not TOML, configures nothing;
6. ruff ending with an unexpected exit status (a broken configuration) fails the gate with
   ruff's own words: the gate cannot judge, so it says no.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kodegen.gates import config, style

CONFIG = config.GateConfig(package="pkg", app=None, openapi=None)
GOOD = '"""A module."""\n\n\ndef double(x: int) -> int:\n    return 2 * x\n'
UNUSED_IMPORT = '"""A module."""\n\nimport os\n'
UNFORMATTED = '"""A module."""\n\n\ndef double(x: int) -> int:\n    return  2*x\n'
# Lines of 95 characters: too long for ruff's default (88) under E501, fine under 100.
LONG = '"""A module."""\n\nVALUE = "' + "x" * 83 + '"\n'


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


async def test_rule_1_a_clean_project_passes(tmp_path: Path) -> None:
    result = await style.run(_tree(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": GOOD}), CONFIG)
    assert result.passed
    assert result.counts == {"format": 0, "lint": 0}
    assert result.findings == ()
    assert result.reason is None


async def test_rule_2_a_lint_finding_fails_at_its_file_and_line(tmp_path: Path) -> None:
    result = await style.run(_tree(tmp_path, {"pkg/a.py": GOOD, "pkg/b.py": UNUSED_IMPORT}), CONFIG)
    assert not result.passed
    assert result.counts == {"format": 0, "lint": 1}
    assert result.reason == "1 lint finding(s)"
    [finding] = result.findings
    assert (finding.file, finding.line, finding.code, finding.severity) == (
        "pkg/b.py",
        3,
        "F401",
        "low",
    )
    assert "`os` imported but unused" in finding.message


async def test_rule_3_an_unformatted_file_fails(tmp_path: Path) -> None:
    result = await style.run(_tree(tmp_path, {"a.py": GOOD, "b.py": UNFORMATTED}), CONFIG)
    assert not result.passed
    assert result.counts == {"format": 1, "lint": 0}
    assert result.reason == "1 unformatted file(s)"
    [finding] = result.findings
    assert (finding.file, finding.code, finding.severity) == ("b.py", "unformatted", "low")


async def test_rule_3_lint_and_format_findings_are_both_named(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"a.py": UNUSED_IMPORT, "b.py": UNFORMATTED, "c.py": UNFORMATTED})
    result = await style.run(project, CONFIG)
    assert not result.passed
    assert result.counts == {"format": 2, "lint": 1}
    assert result.reason == "1 lint finding(s), 2 unformatted file(s)"
    assert [(f.file, f.code) for f in result.findings] == [
        ("a.py", "F401"),
        ("b.py", "unformatted"),
        ("c.py", "unformatted"),
    ]


async def test_rule_4_a_file_that_does_not_parse_is_reported_once(tmp_path: Path) -> None:
    result = await style.run(_tree(tmp_path, {"a.py": GOOD, "b.py": "def f(:\n"}), CONFIG)
    assert not result.passed
    assert result.counts["format"] == 0
    assert result.counts["lint"] >= 1
    assert {f.file for f in result.findings} == {"b.py"}
    assert all(f.code == "invalid-syntax" for f in result.findings)


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("ruff.toml", "line-length = 100\n[lint]\nextend-select = ['E501']\n"),
        (".ruff.toml", "line-length = 100\n[lint]\nextend-select = ['E501']\n"),
        ("pyproject.toml", "[tool.ruff]\nline-length = 100\nlint.extend-select = ['E501']\n"),
    ],
)
async def test_rule_5_the_projects_own_configuration_applies(
    tmp_path: Path, name: str, text: str
) -> None:
    project = _tree(tmp_path, {"a.py": LONG, name: text})
    assert style.has_ruff_config(project)
    result = await style.run(project, CONFIG)
    assert result.passed, result.reason


async def test_rule_5_the_projects_configuration_can_fail_what_defaults_pass(
    tmp_path: Path,
) -> None:
    defaults = await style.run(_tree(tmp_path / "defaults", {"a.py": LONG}), CONFIG)
    assert defaults.passed
    strict = "[lint]\nextend-select = ['E501']\n"
    own = await style.run(_tree(tmp_path / "own", {"a.py": LONG, "ruff.toml": strict}), CONFIG)
    assert not own.passed
    assert [f.code for f in own.findings] == ["E501"]


@pytest.mark.parametrize(
    "pyproject",
    [
        "[project]\nname = 'p'\n",
        "[tool.black]\nline-length = 100\n",
        "[tool]\nruff = 'not a table but present'\n",
        "this is [not toml\n",
    ],
)
def test_rule_5_a_pyproject_without_a_ruff_table_configures_nothing(
    tmp_path: Path, pyproject: str
) -> None:
    _tree(tmp_path, {"pyproject.toml": pyproject})
    assert style.has_ruff_config(tmp_path) is pyproject.startswith("[tool]\n")


def test_rule_5_no_configuration_file_at_all(tmp_path: Path) -> None:
    assert not style.has_ruff_config(tmp_path)
    (tmp_path / "ruff.toml").mkdir()  # a folder of that name is not a configuration
    assert not style.has_ruff_config(tmp_path)


async def test_rule_5_a_parent_folders_configuration_is_ignored(tmp_path: Path) -> None:
    _tree(tmp_path, {"ruff.toml": "[lint]\nextend-select = ['E501']\n"})
    project = _tree(tmp_path / "project", {"a.py": LONG})
    result = await style.run(project, CONFIG)
    assert result.passed, result.reason


async def test_rule_6_a_broken_configuration_fails_with_ruffs_words(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"a.py": GOOD, "ruff.toml": "[lint]\nselect = ['NOPE999']\n"})
    result = await style.run(project, CONFIG)
    assert not result.passed
    reason = result.reason or ""
    assert reason.startswith("could not parse ruff check output: unexpected exit status")
    assert "exit status 2" in reason
    assert "NOPE999" in reason


async def test_rule_6_a_configuration_ruff_format_rejects_fails_too(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"a.py": GOOD, "ruff.toml": "line-length = 'wide'\n"})
    result = await style.run(project, CONFIG)
    assert not result.passed
    assert (result.reason or "").startswith("could not parse ruff ")
    assert "unexpected exit status" in (result.reason or "")
