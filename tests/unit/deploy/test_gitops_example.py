"""examples/gitops/: the Argo CD Applications point at folders that exist, and every kodegen
resource in them is valid: the CodeGeneration parses (and its Git output passes the checks the
operator makes before a run), the ConfigMap it names is beside it, the ClusterCodeTemplates of
templates/ parse."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kodegen.api import codegeneration, codetemplate
from kodegen.outputs import git

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "gitops"


def documents(folder: Path, pattern: str = "*.yaml") -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted(folder.glob(pattern)):
        found.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return found


def applications() -> list[dict[str, Any]]:
    return documents(EXAMPLE / "argocd")


def test_every_application_points_at_a_folder_of_this_repository() -> None:
    apps = applications()
    assert {a["metadata"]["name"] for a in apps} == {"kodegen-templates", "team-a-services"}
    for app in apps:
        source = app["spec"]["source"]
        assert (ROOT / source["path"]).is_dir(), source["path"]
        pattern = source.get("directory", {}).get("include", "*.yaml")
        assert documents(ROOT / source["path"], pattern), source["path"]


def test_the_team_folder_holds_valid_resources_in_the_applications_namespace() -> None:
    app = next(a for a in applications() if a["metadata"]["name"] == "team-a-services")
    folder = ROOT / app["spec"]["source"]["path"]
    resources = documents(folder)
    assert {r["metadata"]["namespace"] for r in resources} == {
        app["spec"]["destination"]["namespace"]
    }
    config_maps = {r["metadata"]["name"]: r for r in resources if r["kind"] == "ConfigMap"}
    generations = [r for r in resources if r["kind"] == "CodeGeneration"]
    assert generations
    for body in generations:
        cg = codegeneration.CodeGeneration.model_validate(body)
        ref = cg.spec.specification.openapi
        assert ref is not None and ref.config_map_ref is not None
        (document,) = config_maps[ref.config_map_ref.name]["data"].values()
        assert yaml.safe_load(document)["openapi"].startswith("3.")
        assert cg.spec.output.git is not None
        git.check(cg.spec.output.git)
        assert cg.spec.output.git.mode == "pullRequest"


def test_the_templates_application_syncs_valid_cluster_code_templates() -> None:
    app = next(a for a in applications() if a["metadata"]["name"] == "kodegen-templates")
    source = app["spec"]["source"]
    found = documents(ROOT / source["path"], source["directory"]["include"])
    assert {d["kind"] for d in found} == {"ClusterCodeTemplate"}
    for body in found:
        codetemplate.CodeTemplateSpec.model_validate(body["spec"])
