from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2
import pytest

from kodegen import errors
from kodegen.templates import registry, render

from .conftest import make, write_template

CONTEXT: dict[str, Any] = {"packageName": "petstore", "port": 8000, "models": [], "title": "Pets"}


def failure(
    files: dict[str, str], context: Mapping[str, Any] | None = None
) -> errors.TemplateError:
    with pytest.raises(errors.TemplateError) as caught:
        render.render(make(files), CONTEXT if context is None else context)
    assert caught.value.template == "demo@1.0.0"
    return caught.value


# --- paths and files ----------------------------------------------------------------------


def test_paths_are_templates_and_j2_is_dropped() -> None:
    template = make(
        {
            "{{ packageName }}/main.py.j2": "PORT = {{ port }}\n",
            "{{ packageName }}/__init__.py": "",
            "{{ packageName|upper }}.md.j2": "# {{ title }}\n",
        }
    )
    assert render.render(template, CONTEXT) == {
        "PETSTORE.md": "# Pets\n",
        "petstore/__init__.py": "",
        "petstore/main.py": "PORT = 8000\n",
    }


def test_conditional_files() -> None:
    template = make(
        {
            "{% if models %}models.py.j2{% endif %}": "models\n",
            "{% if not models %}no_models.py.j2{% endif %}": "none\n",
            "pkg/{% if models %}db.py{% endif %}": "db\n",
            "pkg/{% if models %}schema.sql{% endif %}.j2": "{{ models[0] }}",
            "{{ '' }}": "skipped too\n",
        }
    )
    assert render.render(template, CONTEXT) == {"no_models.py": "none\n"}
    assert render.render(template, {**CONTEXT, "models": ["Pet"]}) == {
        "models.py": "models\n",
        "pkg/db.py": "db\n",
        "pkg/schema.sql": "Pet",
    }


def test_verbatim_files_are_copied_byte_for_byte() -> None:
    text = "{{ not_a_variable }}\r\n{% raw %}\ttabs\n\n"
    assert render.render(make({"store.py": text}), CONTEXT) == {"store.py": text}


def test_output_is_sorted_by_output_path() -> None:
    template = make({"b.j2": "", "{{ 'a' }}": "", "c/d.txt": "", "C.txt": ""})
    assert list(render.render(template, CONTEXT)) == ["C.txt", "a", "b", "c/d.txt"]


def test_rendering_is_byte_identical(root: Path) -> None:
    files = {
        "{{ packageName }}/data.py.j2": (
            "DATA = {{ data|pyrepr }}\n"
            "{% for k, v in data.items() %}{{ k|snake }} = {{ v|tojson }}\n{% endfor %}"
        ),
        "README.md.j2": "{{ title|docstring }}\n",
    }
    context = {**CONTEXT, "data": {"zebra": [1, 2.5], "Apple": {"é": None}, "mid": "x"}}
    first = render.render(make(files), context)
    folder = write_template(root, files=files)
    second = render.render(registry.load(folder), context)
    assert first == second
    assert [text.encode() for text in first.values()] == [text.encode() for text in second.values()]


def test_environment_options() -> None:
    template = make(
        {
            "a.j2": (
                "{% for i in range(2) %}\n    {% if i %}\nline {{ i }}\n    {% endif %}\n"
                "{% endfor %}\nend\n\n"
            ),
            "b.j2": "{% if x is defined %}x{% else %}no x{% endif %} <{{ '<&>' }}>",
        }
    )
    assert render.render(template, {}) == {"a": "line 1\nend\n\n", "b": "no x <<&>>"}


def test_include_and_import_between_template_files() -> None:
    template = make(
        {
            "macros.jinja": "{% macro greet(name) %}hello {{ name }}{% endmacro %}",
            "{% if false %}partial{% endif %}": "",
            "a.txt.j2": (
                "{% import 'macros.jinja' as m %}{{ m.greet(title) }}\n{% include 'b.inc' %}"
            ),
            "b.inc": "included {{ port }}\n",
        }
    )
    out = render.render(template, CONTEXT)
    assert out["a.txt"] == "hello Pets\nincluded 8000\n"


def test_context_is_not_modified() -> None:
    context = {"items": [1, 2], "ns": {"a": 1}}
    render.render(make({"a.j2": "{% set items = items + [3] %}{{ items|length }}"}), context)
    assert context == {"items": [1, 2], "ns": {"a": 1}}


def test_filters_and_globals_are_registered() -> None:
    template = make(
        {
            "a.py.j2": (
                "{{ 'listPets'|snake }} {{ pascal('list pets') }} {{ 'x y'|camel }} "
                "{{ 'aB'|kebab }} {{ 'class'|pyident }} {{ [1, none]|pyrepr }} "
                "{{ {'a': 'é'}|tojson }} {{ 'q'|quote }} {{ 'd\"\"\"'|docstring }}"
            )
        }
    )
    assert render.render(template, {})["a.py"] == (
        'list_pets ListPets xY a-b class_ [1, None] {"a": "é"} "q" d\\"\\"\\"'
    )


def test_nondeterministic_helpers_are_gone() -> None:
    assert "undefined variable 'lipsum'" in failure({"a.j2": "{{ lipsum() }}"}).reason
    assert "random" in failure({"a.j2": "{{ [1, 2]|random }}"}).reason


# --- output paths that escape ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "target", "problem"),
    [
        ("../x", "../x", "leaves the output folder (..)"),
        ("a/../../x.j2", "a/../../x", "leaves the output folder (..)"),
        ("{{ '..' }}/x", "../x", "leaves the output folder (..)"),
        ("/etc/x", "/etc/x", "is absolute"),
        ("{{ '/etc/passwd' }}", "/etc/passwd", "is absolute"),
        ("C:/x", "C:/x", "is absolute"),
        ("a\\b", "a\\b", "holds a backslash or a control character"),
        ("{{ '..\\\\x' }}", "..\\x", "holds a backslash or a control character"),
        ("a{{ '\\n' }}b", "a\nb", "holds a backslash or a control character"),
        ("a//b", "a//b", "is not normalized (empty, '.' or '//' parts)"),
        ("./a", "./a", "is not normalized (empty, '.' or '//' parts)"),
        ("a/./b", "a/./b", "is not normalized (empty, '.' or '//' parts)"),
        (".git/config", ".git/config", "is inside a .git folder (hooks and config there run code)"),
        (
            "a/.GIT/hooks/x",
            "a/.GIT/hooks/x",
            "is inside a .git folder (hooks and config there run code)",
        ),
        ("a/.git./x", "a/.git./x", "is inside a .git folder (hooks and config there run code)"),
        ("a/.git /x", "a/.git /x", "is inside a .git folder (hooks and config there run code)"),
    ],
)
def test_path_escapes_are_rejected(source: str, target: str, problem: str) -> None:
    caught = failure({source: "x"})
    assert caught.file == source
    assert caught.reason == (
        f"renders to the path {target!r}, which {problem}; output paths must be "
        "relative and normalized, '/'-separated, without '..'"
    )


def test_paths_that_only_look_like_git_are_allowed() -> None:
    files = {".github/ci.yml": "c", ".gitignore": "i", "a/git/x": "g", "b/.git-x/y": "y"}
    assert render.render(make(files), CONTEXT) == dict(sorted(files.items()))


def test_two_files_on_one_path() -> None:
    caught = failure({"main.py": "a", "{{ 'main.py' }}": "b"})
    assert caught.file == "{{ 'main.py' }}"
    assert caught.reason == (
        "renders to 'main.py', as 'main.py' does; make the paths distinct or the files conditional"
    )
    caught = failure({"main.py": "a", "main.py.j2": "b"})
    assert "renders to 'main.py'" in caught.reason


def test_a_file_cannot_be_the_folder_of_another() -> None:
    caught = failure({"{{ packageName }}": "a file", "petstore/main.py.j2": "x"})
    assert caught.file == "{{ packageName }}"
    assert caught.reason == (
        "renders to the file 'petstore', but 'petstore/main.py.j2' needs a folder "
        "of that name; rename one of them"
    )


def test_a_file_cannot_be_a_folder_deeper_down() -> None:
    caught = failure({"pkg/sub": "a file", "pkg/sub/deep/main.py": "x"})
    assert caught.file == "pkg/sub"
    assert caught.reason == (
        "renders to the file 'pkg/sub', but 'pkg/sub/deep/main.py' needs a folder "
        "of that name; rename one of them"
    )


def test_the_rendered_files_together_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(render.budget, "MAX_TOTAL_CHARS", 10)
    at_the_limit = {"a.j2": "{{ '12345' }}", "b": "67890"}
    assert render.render(make(at_the_limit), CONTEXT) == {"a": "12345", "b": "67890"}
    caught = failure({"a.j2": "{{ '12345' }}", "b": "67890", "c": "!"})
    assert (caught.file, caught.reason) == (
        "c",
        "the rendered files exceed 10 characters together",
    )


# --- errors name the file and the line ------------------------------------------------------


def test_undefined_variable_names_file_and_line() -> None:
    caught = failure({"pkg/a.py.j2": "one\ntwo\n{{ missing }}\n"})
    assert caught.file == "pkg/a.py.j2:3"
    assert caught.reason.startswith("undefined variable 'missing'")
    assert isinstance(caught.__cause__, jinja2.UndefinedError)
    assert str(caught).startswith("template demo@1.0.0:pkg/a.py.j2:3: undefined variable")


def test_undefined_attribute() -> None:
    caught = failure({"a.j2": "\n{{ title.nope.deeper }}"}, {"title": {}})
    assert caught.file == "a.j2:2"
    assert caught.reason.startswith("undefined value: 'dict object' has no attribute 'nope'")


def test_syntax_error_names_file_and_line() -> None:
    caught = failure({"a.j2": "ok\n{% for x in %}\n{% endfor %}"})
    assert caught.file == "a.j2:2"
    assert caught.reason.startswith("syntax error: ")
    assert isinstance(caught.__cause__, jinja2.TemplateSyntaxError)


def test_error_in_an_included_file_names_that_file() -> None:
    caught = failure({"a.j2": "{% include 'b.inc' %}", "b.inc": "1\n2\n3\n{{ nope }}"})
    assert caught.file == "b.inc:4"


def test_syntax_error_in_an_included_file_names_that_file() -> None:
    caught = failure({"a.j2": "{% include 'b.inc' %}", "b.inc": "1\n{% if %}\n"})
    assert caught.file == "b.inc:2"
    assert caught.reason.startswith("syntax error: ")


def test_syntax_error_in_a_file_a_path_includes_names_the_path() -> None:
    caught = failure({"{% include 'bad.inc' %}x": "x", "bad.inc": "1\n{% if %}\n"})
    assert caught.file == "{% include 'bad.inc' %}x:2"
    assert caught.reason.startswith("in the path: syntax error: ")


def test_an_error_outside_every_template_line_names_the_file_alone() -> None:
    class Unreadable(Mapping[str, Any]):
        def __getitem__(self, key: str) -> Any:
            raise RuntimeError("no values")

        def __iter__(self) -> Iterator[str]:
            return iter(["title"])

        def __len__(self) -> int:
            return 1

    caught = failure({"a.j2": "{{ title }}"}, Unreadable())
    assert (caught.file, caught.reason) == ("a.j2", "in the path: RuntimeError: no values")


def test_including_a_missing_file() -> None:
    caught = failure({"a.j2": "\n{% include 'nope.txt' %}"})
    assert caught.file == "a.j2:2"
    assert caught.reason == "no file 'nope.txt' in this template to include or import"


def test_error_in_a_path() -> None:
    caught = failure({"{{ pkg }}/a.py": "x"})
    assert caught.file == "{{ pkg }}/a.py:1"
    assert caught.reason.startswith("in the path: undefined variable 'pkg'")
    caught = failure({"{% if %}a": "x"})
    assert caught.reason.startswith("in the path: syntax error")


def test_exception_raised_by_a_filter() -> None:
    caught = failure({"a.j2": "\n\n{{ value|pyrepr }}"}, {"value": float("nan")})
    assert caught.file == "a.j2:3"
    assert caught.reason.startswith("ValueError: pyrepr: nan has no Python literal")
    assert isinstance(caught.__cause__, ValueError)


def test_exception_raised_by_the_context() -> None:
    class Boom:
        @property
        def name(self) -> str:
            raise RuntimeError("kaboom")

    caught = failure({"a.j2": "{{ thing.name }}"}, {"thing": Boom()})
    assert caught.reason == "RuntimeError: kaboom"


def test_recursion() -> None:
    caught = failure({"a.j2": "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}"})
    assert caught.reason == "recursion too deep: does a macro or include call itself?"


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        (OverflowError("int too large to convert"), "value too large: int too large to convert"),
        (MemoryError(), "value too large: MemoryError"),
    ],
)
def test_a_value_too_large_says_so(error: Exception, reason: str) -> None:
    class Huge:
        @property
        def size(self) -> int:
            raise error

    caught = failure({"a.j2": "{{ thing.size }}"}, {"thing": Huge()})
    assert caught.reason == reason


# --- expand ---------------------------------------------------------------------------------


def test_expand() -> None:
    assert render.expand("{{ packageName }}.main:app", CONTEXT) == "petstore.main:app"
    assert render.expand("{{ packageName|pascal }}", CONTEXT) == "Petstore"
    assert render.expand("plain", {}) == "plain"


def test_expand_errors_name_the_text() -> None:
    with pytest.raises(errors.TemplateError) as caught:
        render.expand("{{ nope }}:app", CONTEXT, template="demo@1.0.0 entrypoints.app")
    assert str(caught.value) == (
        "template demo@1.0.0 entrypoints.app: in '{{ nope }}:app': undefined variable 'nope'; "
        "declare it as a template variable or check its spelling"
    )
    with pytest.raises(errors.TemplateError, match="unsafe operation blocked"):
        render.expand("{{ packageName.__class__ }}", CONTEXT)


def test_expand_errors_without_a_name_are_the_expressions() -> None:
    with pytest.raises(errors.TemplateError) as caught:
        render.expand("{{ nope }}", CONTEXT)
    assert caught.value.template == "expression"
