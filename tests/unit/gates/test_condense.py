"""The secrets gate reads each distinct line once (`condense`), with the findings and line
numbers detect-secrets gives on the files as they are (real detect-secrets both ways)."""

from __future__ import annotations

import json
import subprocess  # nosec B404: runs detect-secrets, a fixed program
import sys
from pathlib import Path

import pytest

from kodegen.gates import condense, config, secrets

AWS_KEY = "AKIA" + "IOSFODNN7" + "EXAMPLE"  # assembled here: the repository holds no key
OTHER_KEY = "AKIA" + "J7QZ3XW9K" + "PL2M4NB"
TOKEN = "".join(["zq8", "Xw2pLm4"])
CONFIG = config.GateConfig(package="pkg", app=None, openapi=None)

REPEATED = '@router.get("/items")\nasync def handler() -> None:\n    return None\n\n'

FILES = {
    # Python: the same lines again and again, a key on two lines, another key once
    "pkg/routes.py": '"""Routes."""\n'
    + REPEATED * 40
    + f'KEY = "{AWS_KEY}"\n'
    + REPEATED * 10
    + f'KEY = "{AWS_KEY}"\n'
    + f'password = "{TOKEN}"\n'
    + REPEATED * 5,
    # JSON, indented: repeated fragments, a key late in the file
    "pkg/openapi.json": json.dumps(
        {
            "paths": {
                f"/p{i}": {"get": {"responses": {"200": {"description": "OK"}}}} for i in range(60)
            },
            "x-key": OTHER_KEY,
        },
        indent=2,
    )
    + "\n",
    # not condensed: a YAML file, and a Python file whose allowlist comment covers the next line
    "deploy.yaml": "a: 1\n" * 30 + f"key: {OTHER_KEY}\n",
    "pkg/allowed.py": "# pragma: allowlist nextline secret\n"
    + f'KEY = "{AWS_KEY}"\nX = 1\nKEY = "{AWS_KEY}"\n',
}


def _first_line(name: str, text: str) -> int:
    return next(n for n, line in enumerate(FILES[name].splitlines(), 1) if text in line)


def _tree(root: Path) -> Path:
    for name, text in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def _detect_secrets(folder: Path, files: list[str]) -> set[tuple[str, int, str]]:
    done = subprocess.run(  # nosec B603: detect-secrets of kodegen's environment
        [sys.executable, "-m", "detect_secrets", "scan", "--no-verify", *files],
        cwd=folder,
        capture_output=True,
        check=True,
    )
    results = json.loads(done.stdout)["results"]
    return {
        (name, found["line_number"], found["type"])
        for name, secrets_ in results.items()
        for found in secrets_
    }


def test_the_condensed_copies_give_the_findings_of_the_originals(tmp_path: Path) -> None:
    project = _tree(tmp_path / "project")
    files = sorted(FILES)
    condensed = condense.write(project, files, tmp_path / "copy")
    assert set(condensed.origins) == {"pkg/routes.py", "pkg/openapi.json"}
    direct = _detect_secrets(project, files)
    mapped = {
        (name, condensed.line(name, line), kind)
        for name, line, kind in _detect_secrets(tmp_path / "copy", files)
    }
    assert mapped == direct
    first = _first_line("pkg/routes.py", AWS_KEY)
    assert ("pkg/routes.py", first, "AWS Access Key") in direct, "the first of the two key lines"
    assert ("pkg/allowed.py", 4, "AWS Access Key") in direct, "only the allowlisted line is"
    routes = (tmp_path / "copy" / "pkg/routes.py").read_text(encoding="utf-8").splitlines()
    assert len(routes) < 10, "each distinct line once"


async def test_the_gate_reports_the_original_files_and_lines(tmp_path: Path) -> None:
    project = _tree(tmp_path)
    result = await secrets.run(project, CONFIG)
    assert not result.passed
    places = sorted((finding.file, finding.line) for finding in result.findings)
    assert ("pkg/routes.py", _first_line("pkg/routes.py", AWS_KEY)) in places
    assert ("pkg/allowed.py", 4) in places
    assert ("pkg/openapi.json", _first_line("pkg/openapi.json", OTHER_KEY)) in places
    assert sorted(p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()) == (
        sorted(FILES)
    ), "the project is read, never written"


@pytest.mark.parametrize(
    ("name", "text", "condensed"),
    [
        ("a.py", "x = 1\nx = 1\n", True),
        ("a.json", '{\n  "a": 1\n}\n', True),
        ("a.yaml", "a: 1\na: 1\n", False),  # read as a whole by detect-secrets
        ("a.md", "same\nsame\n", False),
        ("a.py", "# pragma: allowlist nextline secret\nx = 1\nx = 1\n", False),
        ("a.py", "# comment\n\n[section]\nkey = 1\nkey = 1\n", False),  # could be read as INI
        ("a.json", '{"a": 1}\n{"a": 1}\n', False),  # no bracket line: could be read as INI
    ],
)
def test_only_files_whose_lines_are_judged_alone_are_condensed(
    name: str, text: str, condensed: bool
) -> None:
    assert condense.condensable(name, text) is condensed


def test_lines_end_as_detect_secrets_reads_them(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"a = 1\r\nb = '\xe2\x80\xa8'\ra = 1\nc = 2\n")
    found = condense.write(tmp_path, ["a.py"], tmp_path / "copy")
    assert (tmp_path / "copy" / "a.py").read_bytes() == b"a = 1\nb = '\xe2\x80\xa8'\nc = 2\n"
    assert [found.line("a.py", n) for n in (1, 2, 3)] == [1, 2, 4]
    assert found.line("other.py", 7) == 7


def test_a_file_that_is_not_utf8_is_copied_as_it_is(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(b"\xff\xfe x = 1\nx = 1\n")
    found = condense.write(tmp_path, ["a.py"], tmp_path / "copy")
    assert (tmp_path / "copy" / "a.py").read_bytes() == b"\xff\xfe x = 1\nx = 1\n"
    assert found.origins == {}
