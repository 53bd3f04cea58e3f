"""Every ClusterCodeTemplate in templates/ would be Ready: `kodegen template test` on its
manifest (the builtin files, each fixture, every real gate) passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodegen import cli

pytestmark = pytest.mark.slow

MANIFESTS = sorted((Path(__file__).resolve().parents[2] / "templates").glob("*.yaml"))


def test_there_are_published_templates() -> None:
    assert len(MANIFESTS) >= 3


@pytest.mark.parametrize("manifest", MANIFESTS, ids=[path.stem for path in MANIFESTS])
def test_published_template_passes_its_tests(
    capsys: pytest.CaptureFixture[str], manifest: Path
) -> None:
    code = cli.main(["template", "test", str(manifest)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "would be Ready" in out
