"""Known Jinja server-side template injection payloads: each must fail as a TemplateError
and nothing may run, read the environment or read a file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kodegen import errors
from kodegen.templates import render, sandbox

from .conftest import make


class Thing:
    """An object in the context, with a private attribute and a method."""

    def __init__(self) -> None:
        self._private = "private"
        self.public = "public"

    def method(self) -> str:
        return "called"


RUN = "touch {marker}"

PAYLOADS = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('RUN').read() }}",
    "{{ joiner.__init__.__globals__.os.system('RUN') }}",
    "{{ namespace.__init__.__globals__.os.system('RUN') }}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('RUN').read() }}",
    "{{ self._TemplateReference__context }}",
    "{{ self.__init__.__globals__.__builtins__.open('/etc/passwd').read() }}",
    "{{ self.__dict__ }}",
    "{{ config.__class__ }}",
    "{{ config.items() }}",
    "{{ request.application.__globals__.__builtins__.__import__('os').popen('RUN').read() }}",
    "{{ '{0.__class__}'.format(x) }}",
    "{{ '{0.__class__.__mro__}'.format(x) }}",
    "{{ '{t.__class__.__mro__}'.format_map({'t': x}) }}",
    "{{ '{0._private}'.format(x) }}",
    "{{ range(10**10)|list }}",
    "{% for i in range(10**10) %}{% endfor %}",
    "{{ 'x' * 10**10 }}",
    "{{ [0] * 10**10 }}",
    "{{ 2 ** (10 ** 8) }}",
    "{% set b = 10 ** 4000 %}{{ b * b * b * b * b * b }}",
    "{{ x._private }}",
    "{{ x.method.__self__ }}",
    "{{ x.method.__func__.__globals__ }}",
    "{{ snake.__code__ }}",
    "{{ snake.__globals__['json'] }}",
    "{{ pyrepr.__module__ }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ ''|attr('__class__') }}",
    "{{ (''|attr('__class__')|attr('__mro__'))[1] }}",
    "{{ dict.__base__.__subclasses__() }}",
    "{{ ''.join.__self__ }}",
    "{{ (range(3)|map('string')).gi_frame.f_globals }}",
    "{% set f = cycler.__init__ %}{{ f.__globals__ }}",
    "{{ '%s'|format(''.__class__) }}",
    "{{ items.append(1) }}",
    "{{ mapping.update({'a': 1}) }}",
    "{{ mapping.__setitem__('a', 1) }}",
    "{% import 'os' as os %}{{ os.system('RUN') }}",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payload_is_blocked_and_runs_nothing(payload: str, tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    source = payload.replace("RUN", RUN.format(marker=marker))
    context: dict[str, Any] = {"x": Thing(), "items": [1], "mapping": {}}
    with pytest.raises(errors.TemplateError) as caught:
        render.render(make({"evil.py.j2": source}), context)
    assert caught.value.file == "evil.py.j2:1"
    assert caught.value.__cause__ is not None
    assert not marker.exists()
    assert context == {"x": context["x"], "items": [1], "mapping": {}}


@pytest.mark.parametrize("payload", PAYLOADS[:6])
def test_payload_in_a_path_or_an_entrypoint_is_blocked(payload: str, tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    source = payload.replace("RUN", RUN.format(marker=marker))
    with pytest.raises(errors.TemplateError, match="in the path"):
        render.render(make({source: ""}), {})
    with pytest.raises(errors.TemplateError):
        render.expand(source, {})
    assert not marker.exists()


def test_the_sandbox_says_what_it_blocked() -> None:
    with pytest.raises(errors.TemplateError) as caught:
        render.render(make({"a.j2": "{{ ''.__class__ }}"}), {})
    assert caught.value.reason == (
        "unsafe operation blocked by the sandbox: "
        "access to attribute '__class__' of 'str' object is unsafe."
    )
    with pytest.raises(errors.TemplateError) as caught:
        render.render(make({"a.j2": "{{ range(10**10)|list }}"}), {})
    assert caught.value.reason.startswith("value too large: Range too big")
    with pytest.raises(errors.TemplateError) as caught:
        render.render(make({"a.j2": "{{ 'ab' * 10**9 }}"}), {})
    assert "repeating 2 items 1000000000 times exceeds" in caught.value.reason


ENV_AND_FILE_READS = [
    "{{ environ }}",
    "{{ os.environ }}",
    "{{ env }}",
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ self.__init__.__globals__['os'].environ['KODEGEN_TEST_SECRET'] }}",
    "{% include '/proc/self/environ' %}",
    "{% include 'SECRET' %}",
    "{% include '../../template.yaml' %}",
    "{% import '/etc/passwd' as p %}",
    "{% extends '/etc/hostname' %}",
    "{% include '../SECRET_NAME' %}",
    "{{ open('SECRET').read() }}",
]


@pytest.mark.parametrize("payload", ENV_AND_FILE_READS)
def test_templates_cannot_read_the_environment_or_files(
    payload: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("file-s3cr3t")
    monkeypatch.setenv("KODEGEN_TEST_SECRET", "env-s3cr3t")
    monkeypatch.chdir(tmp_path)
    source = payload.replace("SECRET_NAME", secret.name).replace("SECRET", str(secret))
    with pytest.raises(errors.TemplateError) as caught:
        render.render(make({"a.txt.j2": source, "b.txt": "ok"}), {})
    assert "s3cr3t" not in str(caught.value)


def test_ordinary_template_code_still_works() -> None:
    source = (
        "{% set ns = namespace(total=0) %}{% for i in range(5) %}{% set ns.total = ns.total + i %}"
        "{% endfor %}{{ ns.total }} {{ dict(a=1)|tojson }} {{ 'a-b'.split('-')|join('+') }} "
        "{{ '{}!'.format('hi') }} {{ 2 ** 10 }} {{ 'ab' * 3 }} {{ x.public }} {{ x.method() }} "
        "{{ [3, 1, 2]|sort|list }} {{ {'b': 1, 'a': 2}|dictsort|first|first }} {{ 'Title'|lower }}"
    )
    out = render.render(make({"a.j2": source}), {"x": Thing()})
    assert out["a"] == '10 {"a": 1} a+b hi! 1024 ababab public called [1, 2, 3] a title'


def test_limits_are_generous_for_real_code() -> None:
    assert sandbox.MAX_REPEAT >= 100_000
    out = render.render(make({"a.j2": "{{ ('=' * 100)|length }} {{ (10 ** 100) > 0 }}"}), {})
    assert out["a"] == "100 True"
