"""What a person sees: progress on stderr (live on a terminal, one plain line per stage
otherwise), the run's summary tables on stdout."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

import rich.console
import rich.progress
import rich.table
import rich.text

from kodegen.gates import report
from kodegen.outputs import directory
from kodegen.pipeline import generate, stages

__all__ = [
    "Progress",
    "error",
    "isolation_warning",
    "not_implemented",
    "stderr",
    "stdout",
    "summary",
]

FINDINGS_SHOWN = 10
"""Findings listed per failed gate; every finding is in the provenance."""


def stdout() -> rich.console.Console:
    """Results: summaries, tables, what was written."""
    return rich.console.Console(file=sys.stdout, highlight=False, markup=False, soft_wrap=True)


def stderr() -> rich.console.Console:
    """Progress: stages and gates as they finish."""
    return rich.console.Console(file=sys.stderr, highlight=False, markup=False, soft_wrap=True)


def error(message: str) -> None:
    """One `error: ...` line on stderr, whatever the message's own line breaks."""
    print(f"error: {' '.join(message.split())}", file=sys.stderr)


def isolation_warning(record: Any) -> None:
    """Say loudly on stderr when generated code ran without full containment."""
    if record and not record.get("contained", True):
        missing = "; ".join(record.get("missing", []))
        print(
            f"WARNING: generated code ran UNCONTAINED (qualityGates.isolation: "
            f"{record.get('policy')}); missing: {missing}",
            file=sys.stderr,
        )


INPUT_STAGES = ("parse", "resolve", "variables", "plan")
"""The stages that judge the input (`Generator.validate`)."""


class Progress(stages.Silent):
    """Live progress per stage on a terminal; one plain line per stage otherwise. The plain
    lines of the input stages wait until the input is accepted (the plan stage finished): input
    refused is then the one `error:` line on stderr, nothing before it."""

    def __init__(self, console: rich.console.Console) -> None:
        self.console = console
        self.live: rich.progress.Progress | None = None
        self.tasks: dict[str, rich.progress.TaskID] = {}
        self.pending: list[str] | None = []
        if console.is_terminal:
            self.live = rich.progress.Progress(
                rich.progress.SpinnerColumn(finished_text="[green]✓[/]"),
                rich.progress.TextColumn("{task.description:<11}"),
                _Seconds(),
                console=console,
            )

    def __enter__(self) -> Progress:
        if self.live is not None:
            self.live.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self.live is not None:
            self.live.stop()
        if exc_info[0] is None:
            self._flush()

    def stage_started(self, stage: str) -> None:
        if self.live is not None:
            self.tasks[stage] = self.live.add_task(stage, total=1)

    def stage_finished(self, stage: str, seconds: float) -> None:
        if self.live is not None:
            self.live.update(self.tasks[stage], completed=1)
            return
        line = f"{stage:<11} {seconds:7.2f} s"
        if self.pending is None:
            self.console.print(line)
            return
        self.pending.append(line)
        if stage == INPUT_STAGES[-1]:
            self._flush()

    def _flush(self) -> None:
        for line in self.pending or ():
            self.console.print(line)
        self.pending = None

    def gate_finished(self, gate: report.GateReport) -> None:
        verdict = "passed" if gate.passed else "FAILED"
        line = rich.text.Text(f"  gate {gate.name:<9} {verdict}")
        if gate.reason:
            line.append(f": {gate.reason}")
        if self.live is not None:
            self.live.console.print(line)
        else:
            self.console.print(line)


class _Seconds(rich.progress.ProgressColumn):
    """Seconds a stage has run, to the hundredth (rich's own column counts whole seconds)."""

    def render(self, task: rich.progress.Task) -> rich.text.Text:
        seconds = task.finished_time if task.finished else task.elapsed
        return rich.text.Text(f"{seconds or 0.0:7.2f} s", style="progress.elapsed")


def summary(console: rich.console.Console, result: generate.Result) -> None:
    """The run as tables: totals, AI, gates with their findings, time per stage."""
    counts = result.counts
    coverage = "-" if counts.coverage is None else f"{counts.coverage:.1f} %"
    totals = rich.table.Table(title="Summary", show_header=False)
    totals.add_column("what")
    totals.add_column("value", justify="right")
    totals.add_row("files", str(counts.files))
    totals.add_row("lines", str(counts.lines))
    totals.add_row("coverage", coverage)
    totals.add_row("not implemented", str(len(result.not_implemented)))
    _ai_rows(totals, result)
    if result.isolation is not None:
        contained = "contained" if result.isolation["contained"] else "UNCONTAINED"
        totals.add_row("isolation", f"{contained} ({result.isolation['policy']})")
    totals.add_row("total time", f"{sum(result.timings.values()):.2f} s")
    console.print(totals)
    if result.ai is not None and result.ai.rejected:
        console.print(f"AI file blocks not taken ({len(result.ai.rejected)}):")
        for line in result.ai.rejected:
            console.print(rich.text.Text(f"  - {line}"))
    _gates(console, result.gates)
    stages = rich.table.Table(title="Time per stage")
    for stage in result.timings:
        stages.add_column(stage, justify="right")
    stages.add_row(*(f"{seconds:.2f} s" for seconds in result.timings.values()))
    console.print(stages)
    not_implemented(console, result.not_implemented)


def _ai_rows(totals: rich.table.Table, result: generate.Result) -> None:
    if result.ai is None:
        return
    ai = result.ai
    totals.add_row("AI provider", ", ".join(ai.providers) or "-")
    totals.add_row("AI model", ai.model or "-")
    totals.add_row("AI tokens", f"{ai.tokens} ({ai.input_tokens} in, {ai.output_tokens} out)")
    totals.add_row(
        "AI cost", f"${ai.cost_usd:.4f}" + (f" ({ai.cached} cached)" if ai.cached else "")
    )
    totals.add_row("AI attempts", f"{ai.attempts} (kept: {ai.chosen})")
    if ai.failures:
        totals.add_row("AI failovers", f"{ai.failures} (see .kodegen/transcript.jsonl)")
    if ai.rejected:
        totals.add_row("AI rejected blocks", str(len(ai.rejected)))


def _gates(console: rich.console.Console, gates: Sequence[report.GateReport]) -> None:
    table = rich.table.Table(title="Quality gates")
    for column in ("gate", "result", "findings", "time", "reason"):
        table.add_column(column, justify="right" if column in ("findings", "time") else "left")
    for gate in gates:
        table.add_row(
            gate.name,
            rich.text.Text("passed") if gate.passed else rich.text.Text("FAILED", style="red"),
            _findings(gate),
            f"{gate.duration_seconds:.2f} s",
            rich.text.Text(gate.reason or ""),
        )
    console.print(table)
    for gate in gates:
        if not gate.passed and gate.findings:
            console.print(f"{gate.name}: {len(gate.findings)} finding(s)")
            for finding in gate.findings[:FINDINGS_SHOWN]:
                where = f"{finding.file}:{finding.line}" if finding.line else finding.file
                line = f"  {where or '-'}: {finding.code} {finding.message} [{finding.severity}]"
                console.print(rich.text.Text(line))
            if len(gate.findings) > FINDINGS_SHOWN:
                rest = len(gate.findings) - FINDINGS_SHOWN
                console.print(f"  ... and {rest} more in {directory.MARKER}")


def _findings(gate: report.GateReport) -> str:
    if not gate.findings:
        return "0"
    by_severity: dict[str, int] = {}
    for finding in gate.findings:
        by_severity[finding.severity] = by_severity.get(finding.severity, 0) + 1
    detail = ", ".join(f"{count} {severity}" for severity, count in sorted(by_severity.items()))
    return f"{len(gate.findings)} ({detail})"


def not_implemented(console: rich.console.Console, operations: Sequence[Any]) -> None:
    if not operations:
        return
    console.print(
        f"Not implemented ({len(operations)}): these answer with data that conforms to the "
        "spec and carry a `# kodegen:implement <operationId>` region to fill:"
    )
    for op in operations:
        console.print(
            rich.text.Text(f"  - {op.operation_id} ({op.method.upper()} {op.path}): {op.reason}")
        )
