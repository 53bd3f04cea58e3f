"""`kodegen template new|manifest|test`: what needs no quality gates (the runs through every
gate are in tests/integration/test_template_cli.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kodegen import cli
from kodegen.templates import manifests, registry, scaffold, sources


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    return lines[0]


def test_template_needs_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "template")
    assert code == 2
    assert "a template command is required: test, new or manifest" in one_error(err)


def test_new_writes_a_loadable_family(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, _ = run(capsys, "template", "new", "my-api", "--out", tmp_path)
    assert code == 0
    folder = tmp_path / "my-api" / "1.0.0"
    assert f"kodegen template test {folder}" in out
    template = registry.load(folder)
    assert [test.name for test in template.spec.tests] == ["hello"]
    assert template.spec.tests[0].variables == {"packageName": "my_api"}
    assert set(template.files) == set(scaffold.files("my-api"))


def test_new_refuses_an_existing_folder_and_a_bad_name(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run(capsys, "template", "new", "my-api", "--out", tmp_path)[0] == 0
    code, _, err = run(capsys, "template", "new", "my-api", "--out", tmp_path)
    assert code == 2 and "exists; choose another --out" in one_error(err)
    code, _, err = run(capsys, "template", "new", "My_API", "--out", tmp_path)
    assert code == 2 and "a family name is a DNS-1123 label" in one_error(err)


def test_manifest_prints_a_cluster_code_template(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = scaffold.write("my-api", tmp_path)
    code, out, _ = run(capsys, "template", "manifest", folder)
    assert code == 0
    (document,) = yaml.safe_load_all(out)
    assert document["kind"] == "ClusterCodeTemplate"
    assert document["metadata"] == {"name": "my-api-1.0.0"}
    assert document["spec"]["source"] == {"builtin": "my-api/1.0.0"}
    assert document["spec"]["tests"][0]["name"] == "hello"


def test_manifest_with_a_config_map_reads_back(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = scaffold.write("my-api", tmp_path)
    args = ["--source", "configMap", "--kind", "CodeTemplate", "--namespace", "team-a"]
    code, out, _ = run(capsys, "template", "manifest", folder, *args, "--out", tmp_path)
    assert code == 0
    written = tmp_path / "my-api-1.0.0.yaml"
    assert f"wrote {written}" in out
    config_map, template = manifests.parse(written.read_text())
    assert config_map["kind"] == "ConfigMap" and template["kind"] == "CodeTemplate"
    assert config_map["metadata"] == {"name": "my-api-1.0.0-files", "namespace": "team-a"}
    assert template["spec"]["source"] == {"configMapRef": {"name": "my-api-1.0.0-files"}}
    assert sources.INDEX_KEY in config_map["data"]  # {{ packageName }}/… paths are indexed
    loaded = manifests.load(written)
    assert loaded.kind == "configMapRef"
    assert loaded.template.digest == registry.load(folder).digest


def test_manifest_git_needs_url_and_ref(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = scaffold.write("my-api", tmp_path)
    code, _, err = run(capsys, "template", "manifest", folder, "--source", "git")
    assert code == 2 and "--git-url, --git-ref" in one_error(err)
    code, out, _ = run(
        capsys,
        "template",
        "manifest",
        folder,
        "--source",
        "git",
        "--git-url",
        "https://example.com/t.git",
        "--git-ref",
        "v1.0.0",
        "--git-path",
        "/my-api/1.0.0/",
    )
    assert code == 0
    git = yaml.safe_load(out)["spec"]["source"]["git"]
    assert git == {"url": "https://example.com/t.git", "ref": "v1.0.0", "path": "my-api/1.0.0"}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("kind: ConfigMap\n", "holds ConfigMap; it must hold exactly one CodeTemplate"),
        ("a: [b\n", "invalid YAML"),
        (
            "apiVersion: kodegen.dev/v1alpha1\nkind: CodeTemplate\nmetadata: {name: x}\n"
            "spec: {family: x, version: 1.0.0, language: python, category: nope}\n",
            "spec.category",
        ),
        (
            "apiVersion: kodegen.dev/v1alpha1\nkind: CodeTemplate\nmetadata: {name: x}\n"
            "spec: {family: x, version: 1.0.0, language: python, category: service,"
            " source: {configMapRef: {name: files}}}\n",
            "ConfigMap 'files' is not in the file",
        ),
    ],
)
def test_test_refuses_bad_input(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(text)
    code, _, err = run(capsys, "template", "test", path)
    assert code == 2 and message in one_error(err)


def test_test_of_a_missing_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "template", "test", tmp_path / "nothing")
    assert code == 2 and "give a template folder or a CodeTemplate manifest" in one_error(err)


def test_test_reports_a_render_error_and_exits_1(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A render error fails the test before any gate runs."""
    folder = scaffold.write("my-api", tmp_path)
    (folder / "files" / "README.md.j2").write_text("# {{ packageName }}\n{{ oops }}\n")
    code, out, _ = run(capsys, "template", "test", folder)
    assert code == 1
    assert "FAILED" in out and "README.md.j2:2" in out and "undefined variable 'oops'" in out
    assert "1 of 1 test(s) FAILED: hello" in out


def test_test_of_a_template_without_tests(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    folder = scaffold.write("my-api", tmp_path)
    spec = yaml.safe_load((folder / "template.yaml").read_text())
    del spec["tests"]
    (folder / "template.yaml").write_text(yaml.safe_dump(spec))
    code, _, err = run(capsys, "template", "test", folder)
    assert code == 2 and "a template without tests is never Ready" in one_error(err)
