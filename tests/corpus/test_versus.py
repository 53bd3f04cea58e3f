"""`benchmarks/versus.py` (kodegen vs fastapi-code-generator, in `make bench`): without the
corpus it says so in one line and does nothing else; its table and totals count what each side
did."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "versus.py"


def test_without_the_corpus_one_line_and_nothing_else(tmp_path: Path) -> None:
    venv = tmp_path / "peer-venv"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--corpus", str(tmp_path / "absent"), "--peer-venv", venv],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"versus: no corpus at {tmp_path / 'absent'}: kodegen vs fastapi-code-generator skipped "
        "(it runs when ../shared/specs/corpus/ is beside the repository)\n"
    )
    assert done.stderr == ""
    assert not venv.exists()  # the peer's venv is not built for nothing


def test_the_table_and_totals_count_each_side() -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import versus
    finally:
        sys.path.remove(str(SCRIPT.parent))
    kodegen = versus.Side(
        result="passed",
        generation_seconds=1.5,
        imports=True,
        test_files=2,
        tests_pass=True,
        static_passed=4,
        all_passed=6,
        implemented=3,
        total=4,
    )
    fcg = versus.Side(
        result="generated",
        generation_seconds=0.75,
        imports=False,
        import_error="NameError: name 'Pet' is not defined",
        static_passed=2,
        static_failures=["style: 3 lint finding(s)", "security: 1 finding(s)"],
        implemented=0,
        total=4,
    )
    rows = [
        versus.Row(spec="openapi/pets.yaml", kodegen=kodegen, fcg=fcg),
        versus.Row(
            spec="openapi/odd.yaml",
            kodegen=versus.Side(result="refused", reason="specification at #/x: bad"),
            fcg=versus.Side(result="timeout", reason="over 90 s"),
        ),
    ]
    assert versus.table(rows)[2:] == [
        "| openapi/pets.yaml | passed | 1.50 / 0.75 | yes / NO | 2 pass / none | 4/4 / 2/4 "
        "| 6/6 | 3/4 / 0/4 |",
        "| openapi/odd.yaml | refused | - / - (timeout) | - / - | - / - | - / - | - | - / - |",
    ]
    totals = versus.totals(rows)
    assert totals["kodegen"]["imports"] == 1
    assert totals["kodegen"]["all_6"] == 1
    assert totals["kodegen"]["implemented_percent"] == 75.0
    assert totals["fastapi-codegen"]["imports"] == 0
    assert totals["fastapi-codegen"]["timeouts"] == 1
    assert totals["fastapi-codegen"]["implemented_percent"] == 0.0
    problems = versus.problems(rows)
    assert (
        "  fastapi-codegen openapi/pets.yaml: import fails: NameError: name 'Pet' is not defined"
        in problems
    )
    assert "  kodegen openapi/odd.yaml: refused: specification at #/x: bad" in problems
