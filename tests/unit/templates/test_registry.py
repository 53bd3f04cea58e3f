from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import kodegen
from kodegen import errors
from kodegen.templates import registry

from .conftest import write_template

# --- load ---------------------------------------------------------------------------------


def test_load_reads_the_spec_and_every_file(root: Path) -> None:
    folder = write_template(
        root,
        files={
            "{{ packageName }}/main.py.j2": "app = {{ port }}\n",
            ".gitignore": "out/\n",
            "deep/er/file.txt": "crlf\r\nkept\r\n",
            "empty": "",
        },
        variables=[{"name": "packageName", "required": True}],
    )
    template = registry.load(folder)
    assert template.spec.family == "demo" and template.spec.version == "1.0.0"
    assert template.spec.variables[0].name == "packageName"
    assert dict(template.files) == {
        ".gitignore": "out/\n",
        "deep/er/file.txt": "crlf\r\nkept\r\n",
        "empty": "",
        "{{ packageName }}/main.py.j2": "app = {{ port }}\n",
    }
    assert template.folder == folder
    assert template.name == "demo@1.0.0"


def test_load_missing_spec(root: Path) -> None:
    folder = root / "demo" / "1.0.0"
    folder.mkdir(parents=True)
    with pytest.raises(
        errors.TemplateError, match=r"template demo@1.0.0:template.yaml: .* does not exist"
    ):
        registry.load(folder)


def test_load_bad_yaml_names_the_line(root: Path) -> None:
    folder = write_template(root, spec_text="family: demo\nversion: 1.0.0\nlanguage: [python\n")
    with pytest.raises(errors.TemplateError) as caught:
        registry.load(folder)
    assert caught.value.file is not None and caught.value.file.startswith("template.yaml:")
    assert "invalid YAML" in caught.value.reason
    assert isinstance(caught.value.__cause__, Exception)


def test_load_yaml_that_is_not_a_mapping(root: Path) -> None:
    folder = write_template(root, spec_text="- family\n- version\n")
    with pytest.raises(errors.TemplateError, match="must be a YAML mapping"):
        registry.load(folder)


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"category": "everything"}, "category: "),
        ({"variables": [{"name": "x", "type": "text"}]}, "variables[0].type: "),
        ({"unknownField": 1}, "unknownField: "),
        ({"variables": [{"name": "x", "pattern": "("}]}, "variables[0].pattern: "),
    ],
)
def test_load_schema_error_is_one_line_naming_the_field(
    root: Path, extra: dict[str, Any], field: str
) -> None:
    folder = write_template(root, **extra)
    with pytest.raises(errors.TemplateError) as caught:
        registry.load(folder)
    assert caught.value.file == "template.yaml"
    assert caught.value.reason.startswith(field)
    assert "\n" not in str(caught.value)


def test_load_schema_error_counts_the_others(root: Path) -> None:
    folder = write_template(root, spec_text="family: demo\nversion: 1.0.0\n")
    with pytest.raises(errors.TemplateError, match=r"\(and 1 more\)"):
        registry.load(folder)


def test_load_non_utf8_file(root: Path) -> None:
    folder = write_template(root, files={"ok.txt": "fine", "logo.png": b"\x89PNG\r\n"})
    with pytest.raises(errors.TemplateError) as caught:
        registry.load(folder)
    assert caught.value.file == "files/logo.png"
    assert "is not UTF-8 text (byte 0x89 at offset 0)" in caught.value.reason


def test_load_non_utf8_spec(root: Path) -> None:
    folder = write_template(root)
    (folder / "template.yaml").write_bytes(b"family: d\xe9mo\n")
    with pytest.raises(errors.TemplateError, match=r"template\.yaml: is not UTF-8"):
        registry.load(folder)


@pytest.mark.parametrize(("family", "version"), [("other", "1.0.0"), ("demo", "2.0.0")])
def test_load_folder_must_be_family_and_version(root: Path, family: str, version: str) -> None:
    folder = write_template(root)
    (folder / "template.yaml").write_text(
        f"family: {family}\nversion: {version}\nlanguage: python\ncategory: service\n"
    )
    with pytest.raises(errors.TemplateError) as caught:
        registry.load(folder)
    assert f"the folder is demo/1.0.0 but template.yaml says {family}/{version}" in str(
        caught.value
    )


def test_load_needs_a_files_folder(root: Path) -> None:
    folder = write_template(root)
    for path in (folder / "files").iterdir():
        path.unlink()
    (folder / "files").rmdir()
    with pytest.raises(errors.TemplateError, match=r"files: .* is missing"):
        registry.load(folder)


def test_load_rejects_symlinks(root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read")
    folder = write_template(root)
    (folder / "files" / "link.txt").symlink_to(secret)
    with pytest.raises(errors.TemplateError) as caught:
        registry.load(folder)
    assert caught.value.file == "files/link.txt"
    assert "symbolic link" in caught.value.reason


# --- available ----------------------------------------------------------------------------


def test_available_sorts_versions_by_precedence(root: Path) -> None:
    for version in ("1.10.0", "1.2.0", "1.2.0-rc.1", "0.9.0"):
        write_template(root, version=version)
    write_template(root, family="another")
    (root / "demo" / "notes").mkdir()  # no template.yaml: not a version
    (root / ".git").mkdir()
    (root / "README.md").write_text("not a family")
    assert registry.available(root) == {
        "another": ["1.0.0"],
        "demo": ["0.9.0", "1.2.0-rc.1", "1.2.0", "1.10.0"],
    }


def test_available_of_a_missing_root(tmp_path: Path) -> None:
    with pytest.raises(errors.TemplateError, match="does not exist"):
        registry.available(tmp_path / "nowhere")


# --- resolve ------------------------------------------------------------------------------


def test_resolve_picks_the_highest_match(root: Path) -> None:
    for version in ("1.0.0", "1.4.0", "2.0.0"):
        write_template(root, version=version, files={"v.txt": version})
    assert registry.resolve("demo", "^1.0", root).spec.version == "1.4.0"
    assert registry.resolve("demo", "*", root).files["v.txt"] == "2.0.0"
    assert registry.resolve("demo", "1.0.0", root).spec.version == "1.0.0"


def test_resolve_unknown_family_suggests_the_closest(root: Path) -> None:
    write_template(root, family="python-fastapi-service")
    write_template(root, family="go-chi-service")
    with pytest.raises(errors.TemplateError) as caught:
        registry.resolve("python-fastapi-servise", "*", root)
    message = str(caught.value)
    assert "unknown template family" in message
    assert "did you mean 'python-fastapi-service'?" in message
    assert "known families: go-chi-service, python-fastapi-service" in message


def test_resolve_with_no_templates(root: Path) -> None:
    with pytest.raises(errors.TemplateError, match="there are no templates under"):
        registry.resolve("demo", "*", root)


def test_resolve_no_matching_version_lists_the_versions(root: Path) -> None:
    for version in ("1.0.0", "1.1.0"):
        write_template(root, version=version)
    with pytest.raises(errors.TemplateError) as caught:
        registry.resolve("demo", "^2.0", root)
    assert caught.value.template == "demo@^2.0"
    assert "no version matches '^2.0'; available: 1.0.0, 1.1.0" in caught.value.reason


def test_resolve_invalid_range(root: Path) -> None:
    write_template(root)
    with pytest.raises(errors.TemplateError, match="invalid version range 'latest'"):
        registry.resolve("demo", "latest", root)


def test_resolve_reports_a_version_folder_that_is_not_semver(root: Path) -> None:
    write_template(root)
    stray = root / "demo" / "latest"
    stray.mkdir()
    (stray / "template.yaml").write_text("family: demo\n")
    with pytest.raises(errors.TemplateError, match="folder name is not a semantic version"):
        registry.resolve("demo", "*", root)


def test_resolve_prefers_versions_that_are_not_deprecated(root: Path) -> None:
    write_template(root, version="1.0.0")
    write_template(root, version="1.1.0", deprecated=True)
    assert registry.resolve("demo", "^1", root).spec.version == "1.0.0"
    assert registry.resolve("demo", "1.1.0", root).spec.version == "1.1.0"  # only match


def test_resolve_reports_a_broken_best_version(root: Path) -> None:
    write_template(root, version="1.0.0")
    write_template(root, version="1.1.0", spec_text="family: demo\nversion: 1.1.0\n")
    with pytest.raises(errors.TemplateError, match=r"demo@1\.1\.0:template\.yaml"):
        registry.resolve("demo", "^1", root)


# --- builtin ------------------------------------------------------------------------------


def test_builtin_root_in_a_source_checkout() -> None:
    assert registry.builtin_root() == Path(kodegen.__file__).resolve().parents[2] / "templates"


def test_builtin_root_prefers_the_wheel_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "site-packages" / "kodegen"
    (package / "_templates").mkdir(parents=True)
    monkeypatch.setattr(kodegen, "__file__", str(package / "__init__.py"))
    assert registry.builtin_root() == package / "_templates"


def test_builtin_root_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    package = tmp_path / "a" / "b" / "kodegen"
    package.mkdir(parents=True)
    monkeypatch.setattr(kodegen, "__file__", str(package / "__init__.py"))
    with pytest.raises(errors.TemplateError, match="no builtin templates"):
        registry.builtin_root()


def test_builtin_templates_load() -> None:
    found = registry.available()
    assert "python-fastapi-service" in found
    for family, names in found.items():
        for name in names:
            template = registry.load(registry.builtin_root() / family / name)
            assert template.files and template.digest.startswith("sha256:")
    resolved = registry.resolve("python-fastapi-service", "^1.0")
    assert resolved.spec.family == "python-fastapi-service"
