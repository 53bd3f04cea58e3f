"""A hypothesis fuzzer over manifests and every spec type, through `kodegen validate`.

The cases (test_fuzz_cases): every spec type with hostile values, mutated valid examples,
raw YAML attacks, raw text and bytes; each a manifest file or a ConfigMap-held document run
through the harness (test_fuzz_harness). The run must end with no crash and no hang; the
counts and the peak RSS are printed.

`make test` runs `CASES` (a few hundred, derandomized: the same cases every run); `make fuzz`
sets KODEGEN_FUZZ_CASES=10000, split over KODEGEN_FUZZ_SHARDS processes (pytest-xdist), each
with its own random seed, and sums the counts each shard appends to KODEGEN_FUZZ_REPORT.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings

from tests.security import test_fuzz_cases as fuzz_cases
from tests.security import test_fuzz_harness as harness

CASES = int(os.environ.get("KODEGEN_FUZZ_CASES", "300"))
FULL = "KODEGEN_FUZZ_CASES" in os.environ
SHARDS = int(os.environ.get("KODEGEN_FUZZ_SHARDS", "1"))
REPORT = os.environ.get("KODEGEN_FUZZ_REPORT")


@pytest.mark.parametrize("shard", range(SHARDS))
def test_no_case_crashes_or_hangs(shard: int, tmp_path: Path) -> None:
    tally = harness.Tally()
    wanted = CASES // SHARDS

    @settings(
        max_examples=wanted,
        deadline=None,
        database=None,
        derandomize=not FULL,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=fuzz_cases.cases())
    def one(case: harness.Case) -> None:
        harness.rearm()
        harness.run(case, tally, tmp_path)

    if FULL:
        one = seed(int.from_bytes(os.urandom(8), "big") + shard)(one)
    with harness.guarded():
        one()
    print("\n" + tally.report())
    if REPORT:
        with open(REPORT, "a", encoding="utf-8") as out:
            out.write(json.dumps(tally.as_dict()) + "\n")
    assert tally.cases >= wanted * 0.9, tally.report()  # hypothesis ran (nearly) every case
    assert not tally.crashes, "\n".join(tally.crashes[:10])
    assert not tally.hangs, "\n".join(tally.hangs[:10])
    assert tally.accepted > 0 and tally.rejected > 0, tally.report()


def total(report: str) -> str:
    """The counts of every shard in `report` (JSON lines), summed: what `make fuzz` prints."""
    tally = harness.Tally()
    for line in Path(report).read_text(encoding="utf-8").splitlines():
        tally.add(json.loads(line))
    return tally.report()


def test_shards_add_up(tmp_path: Path) -> None:
    report = tmp_path / "report.jsonl"
    first = harness.Tally(accepted=1, rejected=2, slowest=0.5)
    second = harness.Tally(accepted=3, rejected=4, crashes=["x"], slowest=1.5)
    lines = [{**first.as_dict(), "peak_rss_mib": 700.0}, {**second.as_dict(), "peak_rss_mib": 9.0}]
    report.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert "11 cases: 4 accepted, 6 rejected cleanly, 1 crashes" in total(str(report))
    assert "slowest case 1.50 s of CPU; peak RSS 700 MiB" in total(str(report))


if __name__ == "__main__":  # `make fuzz` sums the shards' counts
    print(total(os.environ["KODEGEN_FUZZ_REPORT"]))
