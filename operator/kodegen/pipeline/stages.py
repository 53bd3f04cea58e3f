"""What the pipeline's stages hand each other, and what a display is told as they run.

Its own module so `generate` (which runs the stages) and `authoring` (the AI stage, which formats
and gates each attempt through a `Stages`) both depend on it and not on each other.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from kodegen.api import codegeneration
from kodegen.gates import report
from kodegen.specs import model
from kodegen.templates import model as template_model
from kodegen.views import plan as plan_


class Progress(Protocol):
    """What a display is told while the pipeline runs (all calls from the calling thread)."""

    def stage_started(self, stage: str) -> None:
        """`stage` (one of `STAGES`) begins."""

    def stage_finished(self, stage: str, seconds: float) -> None:
        """`stage` ended normally after `seconds`; a stage that raises is never finished."""

    def gate_finished(self, gate: report.GateReport) -> None:
        """One quality gate reported (during the `gates` stage)."""


class Silent:
    """A `Progress` that shows nothing: the default, and a base for partial displays."""

    def stage_started(self, stage: str) -> None:
        return None

    def stage_finished(self, stage: str, seconds: float) -> None:
        return None

    def gate_finished(self, gate: report.GateReport) -> None:
        return None


@dataclasses.dataclass(frozen=True)
class Prepared:
    """Everything decided before rendering: the output of `Generator.validate`."""

    manifest: codegeneration.CodeGeneration
    spec: model.ApiSpec
    template: template_model.Template
    variables: Mapping[str, Any]
    plan: plan_.Plan
    timings: Mapping[str, float]
    """Seconds per stage run so far, in stage order."""


class Stages(Protocol):
    """The stages the AI stage runs again for each attempt: `generate.Generator` is one."""

    progress: Progress
    clock: Callable[[], float]

    def format(self, prepared: Prepared, rendered: Mapping[str, bytes]) -> dict[str, bytes]: ...

    def gates(
        self, prepared: Prepared, rendered: Mapping[str, bytes]
    ) -> tuple[report.GateReport, ...]: ...
