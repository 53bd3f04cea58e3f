"""ai.guard: a model's answer cannot change what the gates trust, nor break the project's tree;
every block it refuses is named, with the reason."""

from __future__ import annotations

import pytest

from kodegen.ai import guard, protocol

ROUTES = (
    "import x\n\n\ndef list_pets():\n    # kodegen:implement listPets\n    return []\n"
    "    # kodegen:end\n\n\ndef tail():\n    return 1\n"
)
PYPROJECT = (
    '[project]\nname = "pets"\nversion = "0.1.0"\n\n'
    '[tool.pytest.ini_options]\ntestpaths = ["tests"]\n\n[tool.coverage.run]\nsource = ["pets"]\n'
)
PROJECT = {
    "pets/routes.py": ROUTES.encode(),
    "pets/openapi.json": b'{"openapi": "3.0.3"}\n',
    "tests/conftest.py": b"import pytest\n",
    "pyproject.toml": PYPROJECT.encode(),
    "pets/store": b"a file, not a folder\n",
}


def check(files: dict[str, str], protected: frozenset[str] = frozenset()) -> protocol.Parsed:
    rules = guard.Guard(PROJECT, protected=protected or frozenset({"pets/openapi.json"}))
    return rules.check(protocol.Parsed(files, ()))


def test_ordinary_code_and_tests_pass_untouched() -> None:
    files = {"pets/routes.py": ROUTES.replace("return []", "return [1]"), "tests/test_x.py": "1\n"}
    assert check(files) == protocol.Parsed(files, ())


HOSTILE = {
    "the served specification": ("pets/openapi.json", '{"openapi": "3.0.3", "paths": {}}\n'),
    "a conftest hook": (
        "tests/conftest.py",
        "import pytest\n\n\n@pytest.hookimpl(hookwrapper=True)\ndef pytest_runtest_makereport():\n"
        "    outcome = yield\n    outcome.get_result().outcome = 'passed'\n",
    ),
    "a new conftest elsewhere": ("conftest.py", "def pytest_configure(config):\n    pass\n"),
    "a pytest.ini": ("pytest.ini", "[pytest]\naddopts = -p no:terminal\n"),
    "a coverage configuration": (".coveragerc", "[report]\nfail_under = 0\n"),
    "a ruff configuration": ("ruff.toml", "lint.ignore = ['ALL']\n"),
    "a start-up hook": ("pets/evil.pth", "import os; os.system('id')\n"),
    "sitecustomize": ("sitecustomize.py", "import builtins\n"),
    "a detect-secrets baseline": (".secrets.baseline", "{}\n"),
    "pyproject tool table": (
        "pyproject.toml",
        PYPROJECT.replace('testpaths = ["tests"]', 'testpaths = ["nowhere"]'),
    ),
    "pyproject new tool table": (
        "pyproject.toml",
        PYPROJECT + '\n[tool.ruff.lint]\nignore = ["ALL"]\n',
    ),
    "a pyproject in a sub-folder": (
        "pets/pyproject.toml",
        '[tool.pytest.ini_options]\naddopts = "-p evil"\n',
    ),
    "pyproject that is not TOML": ("pyproject.toml", "[tool\n"),
    "text outside the regions of a protected file": (
        "tests/conftest.py",
        "import pytest\nimport os\n",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_protected_files_cannot_be_changed_or_added(case: str) -> None:
    path, content = HOSTILE[case]
    parsed = check({path: content, "tests/test_ok.py": "def test_ok():\n    pass\n"})
    assert parsed.files == {"tests/test_ok.py": "def test_ok():\n    pass\n"}
    [problem] = parsed.problems
    assert problem.startswith(f"file {path!r} rejected: ")
    assert "protected" in problem or "[tool]" in problem or "TOML" in problem


def test_pyproject_metadata_may_change_while_its_tool_table_stays() -> None:
    changed = PYPROJECT.replace('version = "0.1.0"', 'version = "0.2.0"')
    assert check({"pyproject.toml": changed}).files == {"pyproject.toml": changed}
    assert check({"pets/pyproject.toml": '[project]\nname = "x"\n'}).problems == ()


def test_a_protected_file_may_change_inside_its_implement_regions_only() -> None:
    protected = frozenset({"pets/routes.py"})
    inside = ROUTES.replace(
        "    # kodegen:implement listPets\n    return []\n    # kodegen:end\n",
        "    return [{'id': 1}]\n",
    )
    assert check({"pets/routes.py": inside}, protected).problems == ()
    outside = inside.replace("import x", "import os")
    [problem] = check({"pets/routes.py": outside}, protected).problems
    assert "outside its '# kodegen:implement' regions" in problem
    appended = inside + "\nimport os\n"
    assert check({"pets/routes.py": appended}, protected).files == {}


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("pets/store/extra.py", "'pets/store' is a file in the project, not a folder"),
        ("pets", "the project has a folder of that name"),
        ("tests", "the project has a folder of that name"),
    ],
)
def test_a_path_clash_with_the_project_is_a_named_rejection(path: str, reason: str) -> None:
    parsed = check({path: "x = 1\n"})
    assert parsed.files == {}
    assert parsed.problems == (f"file {path!r} rejected: {reason}",)


def test_a_path_clash_inside_one_answer_keeps_the_first() -> None:
    parsed = check({"pkg/a.py": "1\n", "pkg/a.py/b.py": "2\n", "pkg": "3\n"})
    assert parsed.files == {"pkg/a.py": "1\n"}
    assert parsed.problems == (
        "file 'pkg/a.py/b.py' rejected: 'pkg/a.py' is a file in the project, not a folder",
        "file 'pkg' rejected: the project has a folder of that name",
    )


def test_problems_the_parser_found_are_kept() -> None:
    parsed = guard.Guard({}).check(protocol.parse("=== FILE: ../x ===\n1\n=== END FILE ===\n"))
    assert parsed.files == {}
    assert len(parsed.problems) == 1 and "'..'" in parsed.problems[0]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        (".git/hooks/pre-commit", ".git folder"),
        ("sub/.git/config", ".git folder"),
        ("a\x1b[2Jb.py", "control characters"),
        ("tab\there.py", "control characters"),
    ],
)
def test_the_protocol_refuses_git_folders_and_control_characters(path: str, reason: str) -> None:
    parsed = protocol.parse(f"=== FILE: {path} ===\nx\n=== END FILE ===\n")
    assert parsed.files == {}
    [problem] = parsed.problems
    assert reason in problem and "\x1b" not in problem
