"""The peer: fastapi-code-generator on the same specs, judged like kodegen's output is.

fastapi-code-generator pins versions that conflict with kodegen's, so it lives in its own venv
(`.venv-bench` at the repository root, created here on first use) together with what judging
its output needs: fastapi (its output imports it; the peer does not depend on it), uvicorn,
schemathesis, ruff and bandit. Nothing of that venv is imported here: everything runs as a
subprocess with that venv's interpreter, a scrubbed environment and a time limit.

Per spec, the output is generated the way fastapi-code-generator documents
(`fastapi-codegen --input api.yaml --output app`, then `uvicorn app.main:app`): `main.py` does
`from .models import ...`, so it is a package and is imported as `app.main`, not as `main`.
"""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import json
import os
import statistics
import subprocess  # nosec B404: fixed argv, no shell
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REQUIREMENTS = Path(__file__).resolve().parent / "requirements-peer.txt"
"""What the peer's venv gets: the generator (pinned), and the tools that judge its output."""

VERSIONS = ("fastapi-code-generator", "fastapi", "pydantic", "schemathesis", "ruff", "bandit")
"""Packages whose versions the report names."""

STAMP = ".bench-installed"
"""Written into the venv once `REQUIREMENTS` installed (its text); when it is missing or holds
other text, the venv is (re)installed."""

TIMEOUT = 300.0
"""Seconds any one peer command may take."""

MAX_EXAMPLES = 25
"""Schemathesis cases per operation: `GateConfig.max_examples`, as kodegen's contract gate."""

MAX_CASES = 400
"""Cases in all, fewer per operation for a large API: `GateConfig.max_cases`, likewise."""

MIN_EXAMPLES = 5
"""The fewest cases an operation gets: `GateConfig.contract_min_examples`, likewise."""

HTTP_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
HERE = Path(__file__).resolve().parent


@dataclasses.dataclass
class PeerResult:
    """What fastapi-code-generator did with one spec."""

    spec: str
    seconds: list[float] = dataclasses.field(default_factory=list)
    """Wall time of each `fastapi-codegen` command (interpreter start-up included)."""
    inprocess_seconds: list[float] = dataclasses.field(default_factory=list)
    """Time of each in-process generation (`invoke_main`, imports done beforehand)."""
    generated: bool = False
    error: str | None = None
    imports: bool | None = None
    import_error: str | None = None
    ruff_findings: int | None = None
    ruff_pyflakes: int | None = None
    """Of `ruff_findings`, the pyflakes (F) ones: undefined names and the like, real bugs."""
    bandit_issues: int | None = None
    test_files: int | None = None
    contract_operations: int | None = None
    contract_cases: int | None = None
    contract_failures: int | None = None
    contract_errors: int | None = None
    contract_fatal: str | None = None
    contract_findings: list[str] = dataclasses.field(default_factory=list)
    routes: int | None = None
    stubs: int | None = None
    """Routes whose handler body is only `pass` (or `...`): they answer `null` whatever is asked."""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    @property
    def inprocess_median(self) -> float | None:
        return statistics.median(self.inprocess_seconds) if self.inprocess_seconds else None


class Peer:
    """fastapi-code-generator in its own venv."""

    def __init__(self, venv: Path) -> None:
        self.venv = venv
        self.python = venv / "bin" / "python"
        self.codegen = venv / "bin" / "fastapi-codegen"

    def ensure(self, log: Any) -> None:
        """Create the venv and install `REQUIREMENTS` unless a previous run did."""
        wanted = REQUIREMENTS.read_text(encoding="utf-8")
        stamp = self.venv / STAMP
        if (
            stamp.is_file()
            and stamp.read_text(encoding="utf-8") == wanted
            and self.codegen.is_file()
        ):
            return
        log(f"installing {REQUIREMENTS.name} into {self.venv} (first run only)")
        if not self.python.is_file():
            # The base interpreter, so that the venv does not depend on kodegen's .venv.
            base = getattr(sys, "_base_executable", sys.executable)
            _check([base, "-m", "venv", str(self.venv)], "python -m venv")
        pip = [str(self.python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _check([*pip, "--upgrade", "pip"], "pip install --upgrade pip")
        _check([*pip, "-r", str(REQUIREMENTS)], f"pip install -r {REQUIREMENTS.name}")
        stamp.write_text(wanted, encoding="utf-8")

    def versions(self) -> dict[str, str]:
        code = (
            "import importlib.metadata as m, json, sys\n"
            "print(json.dumps({n: m.version(n) for n in sys.argv[1:]}))"
        )
        done = _run([str(self.python), "-c", code, *VERSIONS], cwd=self.venv)
        try:
            versions: dict[str, str] = json.loads(done.stdout)
        except json.JSONDecodeError:
            return {}
        return versions

    def measure(self, spec: Path, runs: int) -> PeerResult:
        """Generate from `spec` `runs` times (timed), then judge the last output."""
        result = PeerResult(spec=spec.stem)
        with tempfile.TemporaryDirectory(prefix="kodegen-bench-peer-") as scratch:
            root = Path(scratch)
            for run in range(runs):
                project = root / f"run{run}"
                argv = [str(self.codegen), "--input", str(spec), "--output", str(project / "app")]
                started = time.perf_counter()
                done = _run(argv, cwd=root)
                result.seconds.append(time.perf_counter() - started)
                if done.returncode != 0 or not (project / "app" / "main.py").is_file():
                    result.error = _last_line(done.stderr) or f"exit status {done.returncode}"
                    return result
            result.generated = True
            self._inprocess(spec, root / "inprocess", runs, result)
            self._judge(spec, root / f"run{runs - 1}", root, result)
        return result

    # -- measurements --------------------------------------------------------------------------

    def _inprocess(self, spec: Path, root: Path, runs: int, result: PeerResult) -> None:
        script = str(HERE / "_fcg_inprocess.py")
        done = _run([str(self.python), script, str(spec), str(root), str(runs)], cwd=root.parent)
        # Without it, the command timing stands on its own.
        with contextlib.suppress(json.JSONDecodeError, KeyError, TypeError):
            result.inprocess_seconds = list(json.loads(done.stdout)["seconds"])

    def _judge(self, spec: Path, project: Path, scratch: Path, result: PeerResult) -> None:
        package = project / "app"
        python = str(self.python)

        done = _run([python, "-c", "import app.main"], cwd=project)
        result.imports = done.returncode == 0
        if not result.imports:
            result.import_error = _last_line(done.stderr)

        # ruff's own defaults, --isolated: what kodegen's style gate applies to a project
        # without a ruff configuration (fastapi-codegen writes none).
        ruff = [python, "-m", "ruff", "check", "--isolated", "--no-cache"]
        done = _run([*ruff, "--output-format", "json", "--exit-zero", "app"], cwd=project)
        try:
            diagnostics = json.loads(done.stdout)
            codes = [str(d.get("code") or "") for d in diagnostics]
            result.ruff_findings = len(codes)
            result.ruff_pyflakes = sum(
                1 for code in codes if code[:1] == "F" and code[1:].isdigit()
            )
        except (json.JSONDecodeError, AttributeError):
            pass

        # Severity medium and up, any confidence: kodegen's security gate with its default.
        bandit = [python, "-m", "bandit", "-r", "app", "--severity-level", "medium"]
        done = _run([*bandit, "--format", "json", "--quiet"], cwd=project)
        with contextlib.suppress(json.JSONDecodeError, KeyError, TypeError):
            result.bandit_issues = len(json.loads(done.stdout)["results"])

        result.test_files = sum(
            1 for path in project.rglob("*.py") if _is_test(path.name) and path.is_file()
        )
        result.routes, result.stubs = _stubs(package)

        if result.imports:
            self._contract(spec, project, scratch, result)

    def _contract(self, spec: Path, project: Path, scratch: Path, result: PeerResult) -> None:
        """kodegen's own contract probe, with the peer's interpreter, against `app.main:app`."""
        probe_dir = scratch / "probe"
        probe_dir.mkdir(exist_ok=True)
        probe = probe_dir / "contract_probe.py"
        # Copied out of kodegen's gates folder, as the contract gate does: run from there,
        # that folder's `secrets.py` would shadow the standard library's.
        probe.write_text(_probe_source(), encoding="utf-8")
        output = probe_dir / f"{spec.stem}.json"
        budget = f"{MAX_EXAMPLES},{MAX_CASES},{MIN_EXAMPLES}"  # the contract gate's defaults
        argv = [str(self.python), str(probe), str(spec), "app.main:app", budget]
        done = _run([*argv, str(output)], cwd=project, env={"PYTHONPATH": str(project)})
        if not output.is_file():
            result.contract_fatal = _last_line(done.stderr) or "the probe wrote no result"
            return
        data = json.loads(output.read_text(encoding="utf-8"))
        result.contract_fatal = data.get("fatal")
        result.contract_operations = int(data.get("operations", 0))
        result.contract_cases = int(data.get("cases", 0))
        result.contract_failures = len(data.get("failures", []))
        result.contract_errors = len(data.get("errors", []))
        result.contract_findings = [
            f"{f['operation']}: {f['check']}: {f['title']}" for f in data.get("failures", [])
        ] + [f"{e['operation']}: untestable: {e['message']}" for e in data.get("errors", [])]


def _probe_source() -> str:
    import importlib.resources

    return importlib.resources.files("kodegen.gates").joinpath("_contract_probe.py").read_text()


def _is_test(name: str) -> bool:
    return name.endswith(".py") and (name.startswith("test_") or name.endswith("_test.py"))


def _stubs(package: Path) -> tuple[int, int]:
    """(routes, routes whose handler does nothing) over the package's modules."""
    routes = stubs = 0
    for path in sorted(package.rglob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and _is_route(node):
                routes += 1
                stubs += _does_nothing(node.body)
    return routes, stubs


def _is_route(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    for decorator in function.decorator_list:
        call = decorator.func if isinstance(decorator, ast.Call) else decorator
        if isinstance(call, ast.Attribute) and call.attr in HTTP_METHODS:
            return True
    return False


def _does_nothing(body: Sequence[ast.stmt]) -> bool:
    statements = list(body)
    if statements and isinstance(statements[0], ast.Expr):
        value = statements[0].value
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            statements = statements[1:]  # the docstring
    return all(
        isinstance(s, ast.Pass)
        or (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and s.value.value is ...)
        for s in statements
    )


def _environment(cwd: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """A minimal environment: nothing of the parent's (API keys, tokens, proxies) leaks."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "HOME": str(cwd),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NO_COLOR": "1",
    }
    for name in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_CONFIG_FILE"):
        if name in os.environ:  # how pip reaches the registry on this machine
            env[name] = os.environ[name]
    env.update(extra or {})
    return env


def _run(
    argv: list[str], *, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    cwd.mkdir(parents=True, exist_ok=True)
    try:
        return subprocess.run(  # nosec B603: fixed argv, no shell
            argv,
            cwd=cwd,
            env=_environment(cwd, env),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(argv, -9, "", f"timed out after {TIMEOUT:.0f} s")
    except OSError as exc:
        return subprocess.CompletedProcess(argv, -1, "", f"could not start {argv[0]}: {exc}")


def _check(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # nosec B603
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise SystemExit(f"bench: {what} failed (exit {done.returncode}):\n{tail}")


def _last_line(text: str) -> str | None:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else None
