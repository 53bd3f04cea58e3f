"""Test-only, for the kill soak (test_cluster_soak.py): Python loads this module at start-up
in every process whose PYTHONPATH holds this folder. The soak's operator gives its Jobs that
PYTHONPATH and KODEGEN_TEST_PUBLISH_GATE (a folder) through KODEGEN_JOB_ENV; in such a
`kodegen run-job`, the output ConfigMaps are published, then `<gate>/<output>.published` is
written and the run waits until `<gate>/<output>.go` exists before it writes its result: the
test kills the operator while a run is between its publish and its result. Without the
variable this module does nothing."""

from __future__ import annotations

import os

GATE = os.environ.get("KODEGEN_TEST_PUBLISH_GATE")
WAIT_SECONDS = 600.0

if GATE:
    import functools
    import pathlib
    import time
    from typing import Any

    from kodegen.outputs import configmaps

    publish = configmaps.publish

    @functools.wraps(publish)
    def _held(*args: Any, name: str, **kwargs: Any) -> list[str]:
        written = publish(*args, name=name, **kwargs)
        folder = pathlib.Path(GATE)
        (folder / f"{name}.published").write_text("\n".join(written))
        deadline = time.monotonic() + WAIT_SECONDS
        while not (folder / f"{name}.go").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        return written

    configmaps.publish = _held
