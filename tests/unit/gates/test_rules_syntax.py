"""Every pass/fail rule of the syntax gate, each shown passing a good project and failing a bad one.

Rules of `kodegen.gates.syntax.run` (real compiler, in the sandbox):

1. a project without any `.py` file passes, with nothing to compile (`files: 0`);
2. a project whose every `.py` file compiles passes;
3. a file that does not compile fails the gate, one `high` finding at its file and line, and
   the reason counts the files (`N syntax error(s)`);
4. a file the compiler rejects before parsing (NUL bytes, an unknown source encoding) fails the
   gate too, at line 0;
   (The compiler script's `ValueError`/`UnicodeError` branch is for older Pythons, which raised
   `ValueError` for NUL bytes; Python 3.11 raises `SyntaxError` for every case found.)
5. a file that crashes the compiler itself (it runs out of memory on nesting) fails the gate with
   the compiler's own words, not a traceback of kodegen: the gate cannot judge, so it says no.
"""

from __future__ import annotations

from pathlib import Path

from kodegen.gates import config, syntax

CONFIG = config.GateConfig(package="pkg", app=None, openapi=None)
GOOD = '"""A module."""\n\n\ndef double(x: int) -> int:\n    return 2 * x\n'


def _tree(root: Path, files: dict[str, bytes | str]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


async def test_rule_1_no_python_file_passes_with_nothing_compiled(tmp_path: Path) -> None:
    result = await syntax.run(_tree(tmp_path, {"README.md": "# hi\n"}), CONFIG)
    assert result.passed
    assert result.counts == {"errors": 0, "files": 0}
    assert result.reason is None


async def test_rule_1_a_python_file_is_compiled_even_when_alone(tmp_path: Path) -> None:
    result = await syntax.run(_tree(tmp_path, {"pkg/broken.py": "def f(:\n"}), CONFIG)
    assert not result.passed
    assert result.counts == {"errors": 1, "files": 1}


async def test_rule_2_files_that_compile_pass(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"pkg/__init__.py": "", "pkg/a.py": GOOD, "tests/test_a.py": GOOD})
    result = await syntax.run(project, CONFIG)
    assert result.passed
    assert result.counts == {"errors": 0, "files": 3}
    assert result.findings == ()
    assert result.reason is None


async def test_rule_3_a_syntax_error_fails_at_its_file_and_line(tmp_path: Path) -> None:
    broken = '"""Broken."""\n\n\ndef broken(:\n    pass\n'
    project = _tree(tmp_path, {"pkg/a.py": GOOD, "pkg/b.py": broken, "pkg/c.py": "x = (\n"})
    result = await syntax.run(project, CONFIG)
    assert not result.passed
    assert result.reason == "2 syntax error(s)"
    assert result.counts == {"errors": 2, "files": 3}
    assert [(f.file, f.line, f.code, f.severity) for f in result.findings] == [
        ("pkg/b.py", 4, "SyntaxError", "high"),
        ("pkg/c.py", 1, "SyntaxError", "high"),
    ]
    assert result.findings[0].message == "invalid syntax"


async def test_rule_3_an_indentation_error_is_named_by_its_kind(tmp_path: Path) -> None:
    result = await syntax.run(_tree(tmp_path, {"a.py": "def f():\nreturn 1\n"}), CONFIG)
    assert not result.passed
    [finding] = result.findings
    assert (finding.file, finding.line, finding.code) == ("a.py", 2, "IndentationError")


async def test_rule_4_nul_bytes_and_unknown_encodings_fail_at_line_0(tmp_path: Path) -> None:
    project = _tree(
        tmp_path,
        {"nul.py": b"x = 1\n\x00\n", "rot.py": b"# coding: rot13\nx = 1\n", "ok.py": GOOD},
    )
    result = await syntax.run(project, CONFIG)
    assert not result.passed
    assert [(f.file, f.line) for f in result.findings] == [("nul.py", 0), ("rot.py", 0)]
    assert "null bytes" in result.findings[0].message
    assert "rot13" in result.findings[1].message


async def test_rule_5_a_file_that_crashes_the_compiler_fails_the_gate(tmp_path: Path) -> None:
    project = _tree(tmp_path, {"deep.py": "x = " + "-" * 300_000 + "1\n", "ok.py": GOOD})
    result = await syntax.run(project, CONFIG)
    assert not result.passed
    assert result.findings == ()
    assert (result.reason or "").startswith("could not parse the compiler's output: ")
    assert "MemoryError" in (result.reason or "")
