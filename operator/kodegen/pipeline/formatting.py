"""Canonical formatting of generated Python: `ruff format` and ruff's import sorting.

Templates are written for readability, not for exact line wrapping; the formatter makes the
output what `ruff format --check` expects, deterministically, using the generated project's own
ruff settings when it carries a pyproject.toml.
"""

from __future__ import annotations

import subprocess  # nosec B404: runs ruff, a fixed argv, no shell
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from kodegen import errors

TIMEOUT_SECONDS = 60.0
"""Ruff formats thousands of files a second; a minute means something is wrong."""


def python(files: Mapping[str, bytes]) -> dict[str, bytes]:
    """`files` with every `.py` file formatted; other files unchanged."""
    if not any(path.endswith(".py") for path in files):
        return dict(files)
    with tempfile.TemporaryDirectory(prefix="kodegen-format-") as folder:
        root = Path(folder)
        for path, content in files.items():
            if path.endswith(".py") or path == "pyproject.toml":
                target = root / path
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
        ruff = [sys.executable, "-m", "ruff"]
        _run(
            [*ruff, "check", "--fix", "--select", "I", "--exit-zero", "--quiet", "--no-cache", "."],
            root,
        )
        _run([*ruff, "format", "--quiet", "--no-cache", "."], root)
        return {
            path: (root / path).read_bytes() if path.endswith(".py") else content
            for path, content in files.items()
        }


def _run(argv: list[str], cwd: Path) -> None:
    """Best effort: a file ruff cannot parse stays as rendered, and the syntax gate reports it."""
    try:
        subprocess.run(  # nosec B603: fixed argv
            argv, cwd=cwd, capture_output=True, timeout=TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise errors.GateError(
            gate="formatting", reason=f"ruff timed out after {exc.timeout} s"
        ) from exc
