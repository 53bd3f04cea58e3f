"""Build template folders and in-memory templates for the template-engine tests."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from kodegen.api import codetemplate
from kodegen.templates import model


def spec_data(family: str = "demo", version: str = "1.0.0", **extra: Any) -> dict[str, Any]:
    """The smallest valid template.yaml content, with ``extra`` fields merged in."""
    return {
        "family": family,
        "version": version,
        "language": "python",
        "category": "service",
        **extra,
    }


def write_template(
    root: Path,
    family: str = "demo",
    version: str = "1.0.0",
    files: Mapping[str, str | bytes] | None = None,
    spec_text: str | None = None,
    **extra: Any,
) -> Path:
    """Write ``root/family/version/{template.yaml, files/...}``; return the version folder.

    ``spec_text`` replaces the generated template.yaml verbatim (for YAML errors).
    """
    folder = root / family / version
    (folder / "files").mkdir(parents=True, exist_ok=True)
    text = (
        spec_text if spec_text is not None else yaml.safe_dump(spec_data(family, version, **extra))
    )
    (folder / "template.yaml").write_text(text, encoding="utf-8")
    for path, content in (files or {"README.md": "hello\n"}).items():
        target = folder / "files" / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return folder


def make(files: Mapping[str, str], **extra: Any) -> model.Template:
    """An in-memory template (family ``demo``, version ``1.0.0``) holding ``files``."""
    spec = codetemplate.CodeTemplateSpec.model_validate(spec_data(**extra))
    return model.build(spec, files)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty template root folder."""
    folder = tmp_path / "templates"
    folder.mkdir()
    return folder
