"""Templates are untrusted code: hangs, huge outputs, links out of the folder and writes into
.git are each stopped with one TemplateError line naming the template file."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest

from kodegen import errors
from kodegen.api import codetemplate
from kodegen.templates import budget, model, registry, render

CONTEXT: dict[str, Any] = {"packageName": "pkg", "items": list(range(10))}
SPEC = {"family": "demo", "version": "1.0.0", "language": "python", "category": "service"}


def make(files: dict[str, str]) -> model.Template:
    spec = codetemplate.CodeTemplateSpec.model_validate(SPEC)
    return model.build(spec, files)


def refused(text: str, name: str = "bomb.txt.j2") -> str:
    """Render one file; it must fail fast with a one-line error naming it."""
    started = time.monotonic()
    with pytest.raises(errors.TemplateError) as caught:
        render.render(make({name: text}), CONTEXT)
    assert time.monotonic() - started < budget.SECONDS + 5
    message = str(caught.value)
    assert "\n" not in message and name in message, message
    return message


WIDENING = [
    "{{ 'x'|center(10**9) }}",
    "{{ 'x'|indent(10**9) }}",
    "{{ ('a\n' * 900000)|indent('y' * 900000) }}",
    "{{ 'x'.ljust(10**9) }}",
    "{{ 'x'.rjust(10**9) }}",
    "{{ 'x'.zfill(10**9) }}",
    "{{ 'x'.center(10**9) }}",
    "{{ ('\t' * 900000).expandtabs(1000) }}",
    "{{ '%999999999d'|format(1) }}",
    "{{ '{:>999999999}'.format(1) }}",
    "{{ '%*d' % (10**9, 1) }}",
    "{{ '%999999999s' % 'x' }}",
    "{{ ('a' * 900000)|replace('a', 'b' * 900000) }}",
    "{{ ('a' * 900000).replace('a', 'b' * 900000) }}",
    "{{ ('a ' * 400000)|wordwrap(1, wrapstring='z' * 1000) }}",
    "{{ (range(100000)|list)|join('y' * 1000) }}",
    "{{ ('y' * 1000).join(range(100000)|map('string')) }}",
    "{{ 'x' * 10**7 }}",
    "{{ ('x' * 900000) ~ ('x' * 900000) ~ ('x' * 900000) }}" * 10,
    "{% set s = 'x' * 900000 %}{% for i in range(100) %}{{ s }}{% endfor %}",
    "{{ range(50000)|batch(1)|sum(start=[]) }}",
    "{{ [[[[1]]]]|tojson(indent=10**8) }}",
    "{{ [[[[1]]]]|pyrepr(indent=10**8) }}",
    "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}"
    "{% endfor %}{{ ns.s|length }}",
    "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s|length }}",
    "{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}"
    "{% endfor %}{{ ns.l|length }}",
]


@pytest.mark.parametrize("text", WIDENING)
def test_string_widening_is_capped(text: str) -> None:
    message = refused(text)
    reasons = ("unsafe operation blocked by the sandbox", "exceed", "outside 0..")
    assert any(reason in message for reason in reasons), message


def test_nested_loops_stop_at_the_iteration_budget() -> None:
    message = refused(
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    )
    assert f"more than {budget.MAX_ITERATIONS} iterations" in message


def test_loops_over_lists_count_too() -> None:
    refused(
        "{% set l = range(100000)|list %}"
        "{% for i in l %}{% for j in l %}{% for k in l %}{% endfor %}{% endfor %}{% endfor %}"
    )


def test_recursive_macro_is_stopped() -> None:
    assert "recursion" in refused("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}")


def test_the_deadline_stops_a_slow_render() -> None:
    started = time.monotonic()
    with budget.limits(seconds=0.2), pytest.raises(budget.Exceeded, match="longer than"):
        for _ in budget.loop(iter(int, 1)):  # endless
            time.sleep(0)
    assert time.monotonic() - started < 5


def test_output_budget() -> None:
    with budget.limits():
        budget.printed("x" * 1000)
        with pytest.raises(budget.Exceeded, match="output is longer"):
            budget.printed("x" * budget.MAX_CHARS)


def test_ordinary_templates_fit_the_budget() -> None:
    files = {"a.txt.j2": "{% for i in items %}{{ i|int }} {{ 'x'|center(20) }}\n{% endfor %}"}
    assert render.render(make(files), CONTEXT)["a.txt"].count("\n") == 10


@pytest.mark.parametrize(
    "path",
    [".git/hooks/pre-commit", ".git/config", "sub/.git/config", ".GIT/config", "a/.Git./x"],
)
def test_output_into_git_is_refused(path: str) -> None:
    message = refused("#!/bin/sh\nid\n", name=path + ".j2")
    assert ".git" in message


def test_verbatim_file_into_git_is_refused() -> None:
    with pytest.raises(errors.TemplateError, match=r"\.git folder"):
        render.render(make({".git/hooks/post-checkout": "id"}), CONTEXT)


def test_a_folder_named_like_git_is_fine() -> None:
    files = {"gitignore.j2": "x", "a.github/b.txt": "y", ".gitignore": "z"}
    assert set(render.render(make(files), CONTEXT)) == {"gitignore", "a.github/b.txt", ".gitignore"}


# --- links out of the template folder ------------------------------------------------------


def folder(root: Path) -> Path:
    version = root / "demo" / "1.0.0"
    version.mkdir(parents=True)
    (version / "template.yaml").write_text(
        "family: demo\nversion: 1.0.0\nlanguage: python\ncategory: service\n"
    )
    return version


def load_error(version: Path) -> str:
    with pytest.raises(errors.TemplateError) as caught:
        registry.load(version)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_files_folder_that_is_a_symlink_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "id_rsa").write_text("PRIVATE KEY")
    version = folder(tmp_path / "t")
    (version / "files").symlink_to(secret, target_is_directory=True)
    assert "files" in load_error(version) and "symbolic link" in load_error(version)


def test_a_symlink_inside_is_refused(tmp_path: Path) -> None:
    version = folder(tmp_path / "t")
    (version / "files").mkdir()
    (version / "files" / "passwd").symlink_to("/etc/passwd")
    assert "files/passwd" in load_error(version)


def test_a_symlinked_subfolder_is_refused(tmp_path: Path) -> None:
    version = folder(tmp_path / "t")
    (version / "files").mkdir()
    (version / "files" / "etc").symlink_to("/etc", target_is_directory=True)
    assert "files/etc" in load_error(version)


def test_a_hard_link_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("token")
    version = folder(tmp_path / "t")
    (version / "files").mkdir()
    os.link(secret, version / "files" / "copy.txt")
    message = load_error(version)
    assert "files/copy.txt" in message and "hard link" in message


def test_template_yaml_symlink_is_refused(tmp_path: Path) -> None:
    version = tmp_path / "t" / "demo" / "1.0.0"
    version.mkdir(parents=True)
    real = tmp_path / "real.yaml"
    real.write_text("family: demo\nversion: 1.0.0\nlanguage: python\ncategory: service\n")
    (version / "template.yaml").symlink_to(real)
    (version / "files").mkdir()
    assert "template.yaml" in load_error(version)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    version = folder(tmp_path / "t")
    (version / "files").mkdir()
    os.mkfifo(version / "files" / "pipe")
    assert "not a regular file" in load_error(version)


def test_an_oversized_file_is_refused(tmp_path: Path) -> None:
    version = folder(tmp_path / "t")
    (version / "files").mkdir()
    with (version / "files" / "big.txt").open("wb") as handle:
        handle.truncate(registry.MAX_FILE_BYTES + 1)
    assert "bytes" in load_error(version)


def test_a_plain_template_still_loads(tmp_path: Path) -> None:
    version = folder(tmp_path / "t")
    (version / "files" / "sub").mkdir(parents=True)
    (version / "files" / "sub" / "a.txt").write_text("a")
    assert dict(registry.load(version).files) == {"sub/a.txt": "a"}


def test_counted_loops_keep_their_semantics() -> None:
    text = (
        "{% for x in [] %}a{% else %}empty{% endfor %}|"
        "{% for x in [1, 2, 3] if x > 1 %}{{ x }}{{ loop.cycle('a', 'b') }}{{ loop.length }}"
        "{% endfor %}|{% for i in [[1, [2]], [3]] recursive %}["
        "{% if i is iterable %}{{ loop(i) }}{% else %}{{ i }}{% endif %}]{% endfor %}"
    )
    assert render.render(make({"a.txt.j2": text}), CONTEXT)["a.txt"] == (
        "empty|2a23b2|[[1][[2]]][[3]]"
    )
