"""Every pass/fail rule of the security gate, each shown passing a good project and failing
a bad one.

Rules of `kodegen.gates.security.run` (real bandit):

1. a project without non-test Python code passes without running bandit (all counts 0);
2. code bandit finds nothing in passes, reporting how many files it scanned;
3. an issue at or above `GateConfig.fail_on_severity` fails the gate:
   `N issue(s) of severity <threshold> or higher`, counting every blocking level;
4. an issue below the threshold is counted and listed but does not fail the gate;
5. a file bandit could not scan (it does not parse) fails the gate:
   `bandit could not scan N file(s)`, with a `bandit-error` finding; with blocking issues as
   well, both reasons are given;
6. `# nosec` silences a line, and the number of silenced lines is the metric `nosec`;
7. test code (folders `tests`/`test`, `conftest.py`, `test_*.py`, `*_test.py`) is not scanned.

(Bandit ending with another exit status than 0 or 1, or printing what is not its JSON report,
fails the gate as unable to judge; bandit runs isolated (`-I`) on files kodegen names, so no
project content provokes it: that path goes through `gate.unparseable`, proven in
`test_rules_gate.py`. Note: `# nosec B324` (naming the test) silences as well, but bandit counts
it under `skipped_tests`, not `nosec`, so the metric misses it.)
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kodegen.gates import config, security

CONFIG = config.GateConfig(package="pkg", app=None, openapi=None)
GOOD = '"""A module."""\n\n\ndef double(x: int) -> int:\n    return 2 * x\n'
LOW = '"""Low: importing subprocess (B404)."""\n\nimport subprocess\n\nRUN = subprocess.run\n'
MEDIUM = (
    '"""Medium: pickle (B301)."""\n\nimport pickle\n\n\ndef load(b):\n    return pickle.loads(b)\n'
)
HIGH = '"""High: MD5 (B324)."""\n\nimport hashlib\n\nDIGEST = hashlib.md5(b"x").hexdigest()\n'


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _at(threshold: config.Severity) -> config.GateConfig:
    return dataclasses.replace(CONFIG, fail_on_severity=threshold)


async def test_rule_1_only_test_code_passes_without_scanning(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"tests/test_a.py": HIGH, "README.md": "hi\n"})
    result = await security.run(project, _at("low"))
    assert result.passed
    assert result.counts == {"high": 0, "low": 0, "medium": 0}
    assert result.findings == ()
    assert "files" not in result.metrics


async def test_rule_2_clean_code_passes(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": GOOD})
    result = await security.run(project, _at("low"))
    assert result.passed
    assert result.counts == {"high": 0, "low": 0, "medium": 0}
    assert result.reason is None
    assert result.metrics["files"] == 2.0
    assert result.metrics["nosec"] == 0.0


async def test_rule_3_an_issue_at_the_threshold_fails(tmp_path: Path) -> None:
    result = await security.run(_tree(tmp_path, {"pkg/m.py": MEDIUM}), _at("medium"))
    assert not result.passed
    assert result.counts == {"high": 0, "low": 1, "medium": 1}
    assert result.reason == "1 issue(s) of severity medium or higher"
    assert [(f.file, f.line, f.code, f.severity) for f in result.findings] == [
        ("pkg/m.py", 3, "B403", "low"),
        ("pkg/m.py", 7, "B301", "medium"),
    ]
    assert result.findings[1].message.startswith("Pickle and modules that wrap it")


async def test_rule_3_every_level_above_the_threshold_counts(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"a.py": LOW, "b.py": MEDIUM, "c.py": HIGH})
    result = await security.run(project, _at("low"))
    assert not result.passed
    assert result.counts == {"high": 1, "low": 2, "medium": 1}
    assert result.reason == "4 issue(s) of severity low or higher"
    at_medium = await security.run(project, _at("medium"))
    assert at_medium.reason == "2 issue(s) of severity medium or higher"
    at_high = await security.run(project, _at("high"))
    assert at_high.reason == "1 issue(s) of severity high or higher"


async def test_rule_4_an_issue_below_the_threshold_is_counted_but_passes(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"a.py": LOW, "b.py": MEDIUM})
    result = await security.run(project, _at("high"))
    assert result.passed
    assert result.reason is None
    assert result.counts == {"high": 0, "low": 2, "medium": 1}
    assert len(result.findings) == 3


async def test_rule_5_a_file_bandit_cannot_scan_fails(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"a.py": GOOD, "broken.py": "def f(:\n"})
    result = await security.run(project, _at("high"))
    assert not result.passed
    assert result.reason == "bandit could not scan 1 file(s)"
    [finding] = result.findings
    assert (finding.file, finding.line, finding.code, finding.severity) == (
        "broken.py",
        0,
        "bandit-error",
        "high",
    )
    assert "syntax error" in finding.message


async def test_rule_5_both_reasons_when_issues_and_unscannable_files(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"c.py": HIGH, "broken.py": "def f(:\n", "worse.py": "x = (\n"})
    result = await security.run(project, _at("medium"))
    assert not result.passed
    assert result.reason == (
        "1 issue(s) of severity medium or higher; bandit could not scan 2 file(s)"
    )


async def test_rule_6_nosec_silences_and_is_counted(tmp_path: Path) -> None:
    silenced = HIGH.replace(".hexdigest()\n", ".hexdigest()  # nosec\n")
    result = await security.run(_tree(tmp_path, {"c.py": silenced}), _at("low"))
    assert result.passed, result.reason
    assert result.metrics["nosec"] == 1.0
    loud = await security.run(_tree(tmp_path / "loud", {"c.py": HIGH}), _at("low"))
    assert not loud.passed
    assert loud.metrics["nosec"] == 0.0


@pytest.mark.parametrize(
    "name",
    [
        "tests/a.py",
        "test/a.py",
        "pkg/tests/helpers/a.py",
        "conftest.py",
        "pkg/test_a.py",
        "a_test.py",
    ],
)
async def test_rule_7_test_code_is_not_scanned(tmp_path: Path, name: str) -> None:
    assert security.is_test_file(name)
    result = await security.run(_tree(tmp_path, {name: HIGH, "pkg/ok.py": GOOD}), _at("low"))
    assert result.passed
    assert result.metrics["files"] == 1.0


@pytest.mark.parametrize(
    "name", ["testing/a.py", "pkg/contest.py", "pkg/attest.py", "tests.py", "pkg/a_test_b.py"]
)
async def test_rule_7_code_merely_named_like_tests_is_scanned(tmp_path: Path, name: str) -> None:
    assert not security.is_test_file(name)
    result = await security.run(_tree(tmp_path, {name: HIGH}), _at("low"))
    assert not result.passed
    assert [f.file for f in result.findings] == [name]
