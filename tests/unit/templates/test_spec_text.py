"""Spec text keeps its mark through everything a template can do to it, and is never printed
without a context filter; the escaping check finds every unfiltered expression."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kodegen import errors
from kodegen.api import codetemplate
from kodegen.templates import escaping, model, render, scaffold, untrusted

from .conftest import make

ROOT = Path(__file__).parents[3]
CONTEXT: dict[str, Any] = {
    "api": untrusted.mark({"title": 'x"); import os; ("', "tags": ["a", "b"]}),
    "ok": "built",
    "packageName": "pkg",
}


def rendered(text: str) -> str:
    return render.render(make({"f.py.j2": text}), CONTEXT)["f.py"]


def refused(text: str) -> str:
    with pytest.raises(errors.TemplateError) as caught:
        render.render(make({"f.py.j2": text}), CONTEXT)
    message = str(caught.value)
    assert "\n" not in message and "f.py.j2" in message
    return message


@pytest.mark.parametrize(
    "text",
    [
        "{{ api.title }}",
        "{{ api.title|upper }}",
        "{{ api.title|string }}",
        "{{ api.title|replace('x', 'y') }}",
        "{{ api.title|trim|lower|title }}",
        "{{ api.title|center(80) }}",
        "{{ api.title|indent(2) }}",
        "{{ api.title|truncate(10) }}",
        "{{ api.title|e }}",
        "{{ api.title|list|join }}",
        "{{ api.tags|join(', ') }}",
        "{{ api.tags|first }}",
        "{{ api.tags }}",
        "{{ 'prefix ' ~ api.title }}",
        "{{ 'prefix ' + api.title }}",
        "{{ '%s' % api.title }}",
        "{{ '%s'|format(api.title) }}",
        "{{ '{}'.format(api.title) }}",
        "{{ ', '.join(api.tags) }}",
        "{{ api.title.upper() }}",
        "{{ api.title[1:] }}",
        "{{ api.title.split(';')[1] }}",
        "{% for c in api.title %}{{ c }}{% endfor %}",
        "{% set t = api.title %}{{ t }}",
        "{% macro m(v) %}{{ v }}{% endmacro %}{{ m(api.title) }}",
        "{% filter upper %}{{ api.title }}{% endfilter %}",
        "{{ api.title if true else '' }}",
        "{{ api.title or 'x' }}",
        "{{ api.tags|map('upper')|join }}",
        "{{ api.title|pascal ~ api.title }}",
    ],
)
def test_spec_text_is_never_printed_raw(text: str) -> None:
    assert "without a context filter" in refused(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ api.title|quote }}", "'x\"); import os; (\"'"),
        ("{{ api.title|pyident }}", "x_import_os"),
        ("{{ api.title|pascal }}", "XImportOs"),
        ("{{ quote(api.title) }}", "'x\"); import os; (\"'"),
        ("{{ (api.title ~ '!')|docstring }}", 'x"); import os; ("!'),
        ("{{ api.title|comment }}", 'x"); import os; ("'),
        ("{{ api.tags|pyrepr }}", '["a", "b"]'),
        ("{{ api.tags|length }}", "2"),
        ("{{ ok }}", "built"),
        ("{{ ok|upper }}", "BUILT"),
        ("{{ ok|code }}", "built"),
    ],
)
def test_a_context_filter_makes_it_printable(text: str, expected: str) -> None:
    assert rendered(text) == expected


def test_code_refuses_spec_text() -> None:
    assert "text from the specification" in refused("{{ api.title|code }}")


def test_mark_is_deep_and_keeps_types() -> None:
    marked = untrusted.mark({"k": ["v", ("w", 1)], "n": None})
    key = next(iter(marked))
    assert isinstance(key, untrusted.SpecText)
    assert isinstance(marked["k"][1], tuple) and marked["k"][1][1] == 1
    assert untrusted.tainted(marked) and not untrusted.tainted({"k": ["v"]})
    assert type(untrusted.plain(untrusted.SpecText("a"))) is str


def test_every_builtin_template_passes_the_escaping_check() -> None:
    assert escaping.check_folders([ROOT / "templates"]) == []


def test_the_check_finds_unfiltered_expressions() -> None:
    template = make(
        {
            "{{ api.name }}/x.py.j2": "{{ api.version }} {{ x|upper }} {{ y|quote }} {{ 'c' }}"
            "{{ packageName }} {{ a if b else c|toml }} {{ n.m[0] }}",
            "verbatim.txt": "{{ not checked }}",
            "{% if x %}cond.md.j2{% endif %}": "{{ item.reason }}",
        },
        variables=[{"name": "packageName", "type": "string"}],
    )
    found = [str(finding) for finding in escaping.check(template)]
    assert [f.split(" prints")[0] for f in found] == [
        "{% if x %}cond.md.j2{% endif %}:1: {{ item.reason }}",
        "{{ api.name }}/x.py.j2:1: {{ api.name }}",
        "{{ api.name }}/x.py.j2:1: {{ api.version }}",
        "{{ api.name }}/x.py.j2:1: {{ x|upper }}",
        "{{ api.name }}/x.py.j2:1: {{ <condexpr> }}",
        "{{ api.name }}/x.py.j2:1: {{ n.m[0] }}",
    ]


def test_the_check_is_a_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert escaping.main([str(ROOT / "templates")]) == 0
    folder = tmp_path / "demo" / "1.0.0"
    (folder / "files").mkdir(parents=True)
    (folder / "template.yaml").write_text(
        "family: demo\nversion: 1.0.0\nlanguage: python\ncategory: service\n"
    )
    (folder / "files" / "a.py.j2").write_text("x = {{ api.title }}\n")
    assert escaping.main([str(tmp_path)]) == 1
    assert "demo@1.0.0 a.py.j2:1: {{ api.title }}" in capsys.readouterr().out


def test_the_scaffold_of_a_new_template_passes_the_escaping_check() -> None:
    spec = codetemplate.CodeTemplateSpec.model_validate(scaffold.spec("my-api"))
    assert escaping.check(model.build(spec, scaffold.files("my-api"))) == []
