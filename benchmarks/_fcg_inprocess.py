"""Time fastapi-code-generator in-process: run INSIDE the peer's venv, never imported by kodegen.

    python _fcg_inprocess.py SPEC OUTROOT RUNS

Imports fastapi-code-generator once, then calls its own CLI entry point (`invoke_main`, what the
`fastapi-codegen` script runs) RUNS times, each into a fresh `OUTROOT/<n>/app`, and prints the
seconds of each run as a JSON list on stdout. This is the peer's figure comparable with
kodegen's in-process generation stages (no interpreter start-up, no imports).
"""

from __future__ import annotations

import contextlib
import io
import json
import sys
import time
import warnings
from pathlib import Path


def main(argv: list[str]) -> int:
    spec, outroot, runs = argv
    warnings.simplefilter("ignore")  # datamodel-code-generator's FutureWarnings on every run
    from fastapi_code_generator.__main__ import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
        invoke_main,
    )

    seconds = []
    for run in range(int(runs)):
        out = Path(outroot, str(run), "app")
        started = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            code = invoke_main(["--input", spec, "--output", str(out)])
        seconds.append(time.perf_counter() - started)
        if code:
            print(json.dumps({"error": f"exit status {code}"}))
            return 1
    print(json.dumps({"seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
