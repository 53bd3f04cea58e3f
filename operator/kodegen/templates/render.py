"""Render a template's files: paths and contents, in the sandbox, in sorted order.

For every file under ``files/``, by sorted path:

1. its path is rendered (``{{ packageName }}/main.py.j2``); a path that renders to nothing
   or ends in ``/`` is skipped: that is how a file is made conditional
   (``{% if models %}models.py.j2{% endif %}``);
2. a rendered path ending in ``.j2`` has its content rendered and the suffix removed; any
   other file is copied byte for byte;
3. the output path must be relative and normalized, without ``..``, ``\\``, control
   characters or a ``.git`` part (any depth, any case), and no two files may land on the same
   path;
4. each file renders within :mod:`kodegen.templates.budget` (time, loop iterations, output
   characters, string-widening filters) and prints text from the spec only through a
   context filter (:mod:`kodegen.templates.sandbox`).

Every failure is a :class:`~kodegen.errors.TemplateError` naming ``family@version`` and the
file with its line, the Jinja exception chained.
"""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Mapping
from typing import Any

import jinja2
import jinja2.exceptions

from kodegen import errors
from kodegen.templates import budget, model, sandbox

__all__ = ["JINJA_SUFFIX", "expand", "render"]

JINJA_SUFFIX = ".j2"
"""Files whose rendered path ends with this are Jinja templates; the suffix is dropped."""

_INLINE = "<template>"
"""The file name Jinja gives a template compiled from a string (paths, expressions)."""

_UNSAFE_PATH = re.compile(r"[\x00-\x1f\x7f\\]")
_DRIVE = re.compile(r"^[A-Za-z]:")
_UNDEFINED = re.compile(r"'([^']*)' is undefined")


def render(template: model.Template, context: Mapping[str, Any]) -> dict[str, str]:
    """Output path -> text, sorted by path; identical bytes for identical input."""
    compiled = _compiled(template)
    outputs: dict[str, str] = {}
    origins: dict[str, str] = {}
    total = 0
    for source in sorted(template.files):
        rendered = _render(compiled, template, source, context, path=True)
        target = rendered.removesuffix(JINJA_SUFFIX)
        if target.rpartition("/")[2] == "":
            continue  # a conditional file that is switched off
        _check_path(template, source, target)
        if target != rendered:
            text = _render(compiled, template, source, context, path=False)
        else:
            text = template.files[source]
        if target in origins:
            raise errors.TemplateError(
                template=template.name,
                file=source,
                reason=f"renders to {target!r}, as {origins[target]!r} does; "
                "make the paths distinct or the files conditional",
            )
        origins[target] = source
        outputs[target] = text
        total += len(text)
        if total > budget.MAX_TOTAL_CHARS:
            raise errors.TemplateError(
                template=template.name,
                file=source,
                reason=f"the rendered files exceed {budget.MAX_TOTAL_CHARS} characters together",
            )
    _check_file_folder_clash(template, origins)
    return dict(sorted(outputs.items()))


def expand(text: str, context: Mapping[str, Any], *, template: str = "expression") -> str:
    """Render one short string (an entrypoint such as ``{{ packageName }}.main:app``) in the
    same sandbox; ``template`` names it in errors."""
    try:
        with budget.limits():
            return _expression(text).render(context)
    except Exception as exc:
        raise errors.TemplateError(
            template=template, reason=f"in {text!r}: {_reason(exc)}"
        ) from exc


class _Compiled:
    """A template's environment and its compiled paths (Jinja caches the compiled files)."""

    def __init__(self, template: model.Template) -> None:
        self.env = sandbox.environment(template.files)
        self.paths: dict[str, jinja2.Template] = {}

    def path(self, source: str) -> jinja2.Template:
        if source not in self.paths:
            self.paths[source] = self.env.from_string(source)
        return self.paths[source]

    def content(self, source: str) -> jinja2.Template:
        return self.env.get_template(source)


@functools.lru_cache(maxsize=32)
def _compiled(template: model.Template) -> _Compiled:
    """Compiling is most of the cost of rendering; the key is the template's content (its
    digest and files), so a cached entry can only ever be the same code."""
    return _Compiled(template)


@functools.lru_cache(maxsize=256)
def _expression(text: str) -> jinja2.Template:
    return sandbox.environment().from_string(text)


def _render(
    compiled: _Compiled,
    template: model.Template,
    source: str,
    context: Mapping[str, Any],
    *,
    path: bool,
) -> str:
    """Render the path (``path=True``) or the content of one file; translate whatever goes
    wrong into a TemplateError."""
    try:
        with budget.limits():
            if path:
                return compiled.path(source).render(context)
            return compiled.content(source).render(context)
    except Exception as exc:
        file, line = _location(exc, template.files, source, inline=path)
        raise errors.TemplateError(
            template=template.name,
            file=f"{file}:{line}" if line else file,
            reason=("in the path: " if path else "") + _reason(exc),
        ) from exc


def _location(
    exc: Exception, files: Mapping[str, str], source: str, *, inline: bool
) -> tuple[str, int | None]:
    """The template file and line an exception comes from: the innermost traceback frame
    that Jinja mapped back to a template (it names frames after the template file)."""
    names = {_INLINE: source} if inline else {name: name for name in files}
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name = exc.name or _INLINE
        return names.get(name, source), exc.lineno
    found: tuple[str, int | None] = (source, None)
    traceback = exc.__traceback__
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename in names:
            found = (names[filename], traceback.tb_lineno)
        traceback = traceback.tb_next
    return found


def _reason(exc: Exception) -> str:
    """What went wrong, in words a template author can act on."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return f"syntax error: {exc.message}"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"no file {exc.name!r} in this template to include or import"
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return f"unsafe operation blocked by the sandbox: {exc}"
    if isinstance(exc, jinja2.UndefinedError):
        match = _UNDEFINED.fullmatch(str(exc))
        if match:
            return (
                f"undefined variable {match[1]!r}; declare it as a template variable "
                "or check its spelling"
            )
        return f"undefined value: {exc}"
    if isinstance(exc, OverflowError | MemoryError):
        return f"value too large: {str(exc) or type(exc).__name__}"
    if isinstance(exc, RecursionError):
        return "recursion too deep: does a macro or include call itself?"
    return f"{type(exc).__name__}: {exc}"


def _check_path(template: model.Template, source: str, target: str) -> None:
    problem = None
    if target.startswith("/") or _DRIVE.match(target):
        problem = "is absolute"
    elif _UNSAFE_PATH.search(target):
        problem = "holds a backslash or a control character"
    elif ".." in target.split("/"):
        problem = "leaves the output folder (..)"
    elif posixpath.normpath(target) != target:
        problem = "is not normalized (empty, '.' or '//' parts)"
    elif any(part.lower().rstrip(". ") == ".git" for part in target.split("/")):
        problem = "is inside a .git folder (hooks and config there run code)"
    if problem is not None:
        raise errors.TemplateError(
            template=template.name,
            file=source,
            reason=f"renders to the path {target!r}, which {problem}; output paths must be "
            "relative and normalized, '/'-separated, without '..'",
        )


def _check_file_folder_clash(template: model.Template, origins: Mapping[str, str]) -> None:
    """A file cannot also be a folder of another file (``pkg`` and ``pkg/main.py``)."""
    for target, source in sorted(origins.items()):
        parts = target.split("/")
        for depth in range(1, len(parts)):
            folder = "/".join(parts[:depth])
            if folder in origins:
                raise errors.TemplateError(
                    template=template.name,
                    file=origins[folder],
                    reason=f"renders to the file {folder!r}, but {source!r} needs a folder "
                    "of that name; rename one of them",
                )
