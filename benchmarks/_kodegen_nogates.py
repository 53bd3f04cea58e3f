"""`kodegen generate MANIFEST --out DIR` with the gates stage switched off, as a command.

    python _kodegen_nogates.py MANIFEST DIR

The whole command path (argument parsing, manifest load, every pipeline stage, the summary
display, publishing) except the quality gates, in a fresh interpreter: the kodegen figure that
compares with the `fastapi-codegen` command, which runs no gates either.
"""

from __future__ import annotations

import sys

from kodegen import cli
from kodegen.pipeline import generate


def _no_gates(self: generate.Generator, prepared: object, rendered: object) -> tuple[()]:
    """`Generator.gates` replaced: no gate runs, so the result counts as passed."""
    return ()


def main(argv: list[str]) -> int:
    manifest, out = argv
    no_gates: object = _no_gates
    generate.Generator.gates = no_gates  # type: ignore[assignment,method-assign]
    return cli.main(["generate", manifest, "--out", out])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
