"""One corpus spec through kodegen, every gate, for `versus.py`, in a process of its own (so
that `versus.py` can bound it with a timeout):

    python _versus_kodegen.py SPEC OUT

The spec becomes the CodeGeneration `corpus.py` builds for it; `Generator.run` runs every stage;
the output is published into OUT (for the import check `versus.py` runs next). Prints one JSON
object on stdout: result (passed, gates failed, refused, crashed), reason, gates {name: passed},
gate_reasons, timings {stage: seconds}, generation_seconds (every stage but gates and
provenance: what compares with the peer's generation), implemented, total, test_files, app
(the module to import, e.g. `pets.main`) or null.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus

from kodegen import errors
from kodegen.api import codegeneration
from kodegen.cli import summary
from kodegen.outputs import directory
from kodegen.pipeline import generate

NOT_GENERATION = ("gates", "provenance")


def main(argv: list[str]) -> int:
    spec, out = Path(argv[0]), Path(argv[1])
    kind = spec.parent.name
    row: dict[str, Any] = {"result": "crashed", "reason": "", "gates": {}, "gate_reasons": {}}
    started = time.perf_counter()
    try:
        name, content = corpus.source(spec, kind)
        cg = codegeneration.CodeGeneration.model_validate(
            corpus.manifest(spec, kind, name, content)
        )
        result = generate.Generator().run(cg)
    except errors.UnexpectedInputError as exc:
        row["reason"] = str(exc)
    except (errors.KodegenError, corpus.NoEntry) as exc:
        row.update(result="refused", reason=str(exc))
    except Exception as exc:  # the finding: a crash, in one line
        row["reason"] = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    else:
        directory.publish(result.files, out)
        implemented, total = summary.operations(result.prepared)
        app = result.prepared.plan.entrypoints.app
        row.update(
            result="passed" if result.passed else "gates failed",
            gates={gate.name: gate.passed for gate in result.gates},
            gate_reasons={gate.name: gate.reason for gate in result.gates if not gate.passed},
            timings=dict(result.timings),
            generation_seconds=sum(
                seconds for stage, seconds in result.timings.items() if stage not in NOT_GENERATION
            ),
            implemented=implemented,
            total=total,
            test_files=sum(1 for path in result.files if _is_test(path)),
            app=app.split(":")[0] if app else None,
        )
    row["seconds"] = time.perf_counter() - started
    print(json.dumps(row))
    return 0


def _is_test(path: str) -> bool:
    name = path.rsplit("/", 1)[-1]
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
