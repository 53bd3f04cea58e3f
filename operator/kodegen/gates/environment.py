"""The Python that runs generated code in the gates: kodegen's own, or a cached virtualenv that
adds what the project declares and kodegen lacks.

The tests and contract gates import the generated project, so they need every package it
declares (`requirements.declared`: e.g. `email-validator` for pydantic's `EmailStr`). When
kodegen's own environment meets all of them (the builtin templates' case, and the operator
image's), that environment is used as it is: no virtualenv, no network. Otherwise what is
missing must be met by the packages kodegen pins (`allowed.resolve`: a name kodegen knows, one
version, one wheel by its hash; anything else is refused), and `prepare` gives a virtualenv in
the cache folder (`folder()`), named by `key()`: a digest of those pins, this interpreter, and
the distributions kodegen has and the folders they are in. It layers on kodegen's environment
(a `.pth` file adds kodegen's site folders after its own, so pytest, coverage and
schemathesis come from there) and holds only the pins, installed by pip from the configured
index (pip's own settings: `PIP_INDEX_URL`, `pip.conf`) with `--require-hashes --no-deps
--only-binary :all:`: no other file, no other package, and no package's build code.

A first run pays for the install once; every later run with the same set finds the folder and
installs nothing. Building is atomic: a lock file makes a concurrent second builder (another
process, another Job on a shared volume) wait and then reuse the result; the environment is
built in a temporary folder beside its final place and renamed there only once complete, so a
crash mid-build leaves no half environment (left-over temporary folders are removed after
`STALE_SECONDS`). Inside the sandbox the folder is shown read-only (`Environment.readable`).

Anything that goes wrong is an `errors.GateEnvironmentError` with one line: the gates that run
generated code fail with it; the static gates are not concerned.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
import hashlib
import json
import os
import shutil
import site
import subprocess  # nosec B404: runs this interpreter's venv and pip, fixed programs, no shell
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from kodegen import errors
from kodegen.gates import allowed, requirements

__all__ = [
    "ENV_FOLDER",
    "INSTALL_SECONDS",
    "OWN",
    "STALE_SECONDS",
    "Environment",
    "base_site_dirs",
    "folder",
    "key",
    "prepare",
]

ENV_FOLDER = "KODEGEN_GATE_ENVS"
"""The cache folder of gate environments, if set (default `$XDG_CACHE_HOME/kodegen/gate-envs`)."""

INSTALL_SECONDS = 600.0
"""Longest a pip install may take: a handful of wheels from a slow index takes a minute; ten
is a hung index, and the gates should say so rather than wait for the gate timeout."""

STALE_SECONDS = 3600.0
"""Age after which a temporary build folder is a crashed build's and is removed: longer than
any install (`INSTALL_SECONDS`) by far."""

MARKER = "kodegen-gate-env.json"
"""Written last inside a built environment: what it holds. Its presence means complete."""

_FORMAT = 1  # bump when the layout of an environment changes: old ones are then not reused
_PTH = "_kodegen_gate_base.pth"
_ENV_KEYS = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SSL_CERT_FILE", "SSL_CERT_DIR")
_ENV_PREFIXES = ("PIP_", "XDG_", "REQUESTS_CA_BUNDLE", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY")
_REASON_CHARS = 300


@dataclasses.dataclass(frozen=True)
class Environment:
    """The interpreter that runs a project's code in the gates."""

    python: str
    """The Python executable (kodegen's own, or the cached virtualenv's)."""

    readable: tuple[Path, ...] = ()
    """Folders the sandbox must show read-only for `python` to work (the virtualenv)."""

    added: tuple[str, ...] = ()
    """The requirements (canonical) the virtualenv adds to kodegen's environment; () for
    kodegen's own."""

    built: bool = False
    """Whether this call built the virtualenv (False: kodegen's own, or found in the cache)."""

    problem: str | None = None
    """Why no environment could be made (then the gates that run generated code fail with
    this reason); None when `python` is usable."""

    @classmethod
    def unavailable(cls, reason: str) -> Environment:
        """No usable environment: `reason` is what the gates that run generated code report."""
        return cls(python=sys.executable, problem=f"gate environment: {reason}")


OWN = Environment(python=sys.executable)
"""kodegen's own interpreter and packages."""


def folder() -> Path:
    """The cache folder of gate environments (not created)."""
    configured = os.environ.get(ENV_FOLDER, "").strip()
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base, "kodegen", "gate-envs")


def key(
    pins: Sequence[str],
    base: requirements.Installed | None = None,
    sites: Sequence[Path] | None = None,
) -> str:
    """The name of the environment adding `pins` (`allowed.resolve`) to `base` (default:
    kodegen's environment) found in `sites` (default: `base_site_dirs()`): a digest of the
    pinned versions and wheel hashes, this interpreter, `base`'s distributions and versions,
    and the folders holding them (the environment's `.pth` names them: two installs of the same
    versions, two virtualenvs sharing the cache, each need their own). The order of `pins`
    does not change it."""
    have = requirements.installed() if base is None else base
    material = {
        "format": _FORMAT,
        "pins": allowed.lines(sorted(set(pins))),
        "python": [sys.implementation.name, sys.version, sys.platform, sys.base_prefix],
        "base": sorted(f"{name}=={version}" for name, (version, _) in have.items()),
        "sites": [str(path) for path in (base_site_dirs() if sites is None else sites)],
    }
    digest = hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()
    return digest[:32]


async def prepare(project: Path, *, cache: Path | None = None) -> Environment:
    """The environment for `project` (never raises: a failure is `Environment.problem`)."""
    try:
        return await asyncio.to_thread(_prepare, project, cache or folder())
    except errors.GateEnvironmentError as exc:
        return Environment.unavailable(exc.reason)
    except OSError as exc:  # the cache folder: full, read-only, removed under us
        return Environment.unavailable(f"cannot build in {str(cache or folder())!r}: {exc}")


def _prepare(project: Path, cache: Path) -> Environment:
    wanted = requirements.declared(project)
    missing = requirements.unsatisfied(wanted)
    if not missing:
        return OWN
    added = allowed.resolve(missing)
    name = key(added)
    target = cache / name
    if _complete(target):
        return _found(target, added, built=False)
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise errors.GateEnvironmentError(
            requirement="",
            reason=f"cannot create the cache folder {str(cache)!r} ({exc.strerror}); "
            f"set {ENV_FOLDER} to a writable folder",
        ) from exc
    with _locked(cache / f".{name}.lock"):
        if _complete(target):  # a concurrent builder finished while we waited
            return _found(target, added, built=False)
        _sweep(cache)
        _build(cache, target, added)
    return _found(target, added, built=True)


def _found(target: Path, added: tuple[str, ...], *, built: bool) -> Environment:
    return Environment(
        python=str(target / "bin" / "python"), readable=(target,), added=added, built=built
    )


def _complete(target: Path) -> bool:
    return (target / MARKER).is_file() and (target / "bin" / "python").exists()


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on `path` (created) for the block; released when the process dies."""
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _sweep(cache: Path) -> None:
    """Remove temporary build folders older than `STALE_SECONDS` (crashed builds)."""
    now = time.time()
    for entry in cache.glob(".build-*"):
        with contextlib.suppress(OSError):
            if now - entry.stat().st_mtime > STALE_SECONDS:
                shutil.rmtree(entry, ignore_errors=True)


def _build(cache: Path, target: Path, added: Sequence[str]) -> None:
    """Make the environment in a temporary folder of `cache`, then rename it to `target`."""
    scratch = Path(tempfile.mkdtemp(prefix=f".build-{target.name[:12]}-", dir=cache))
    try:
        _run(
            [sys.executable, "-m", "venv", "--without-pip", str(scratch)],
            what="create the virtualenv",
        )
        python = scratch / "bin" / "python"
        layer = _site_packages(python)
        (layer / _PTH).write_text(_base_pth(), encoding="utf-8")
        pins = scratch / "pins.txt"
        pins.write_text(allowed.lines(added), encoding="utf-8")
        _run(
            [
                *(sys.executable, "-m", "pip", "--python", str(python), "install"),
                *("--no-input", "--disable-pip-version-check", "--no-warn-script-location"),
                *("--root-user-action", "ignore", "--no-compile"),
                *("--require-hashes", "--no-deps", "--only-binary", ":all:", "-r", str(pins)),
            ],
            what="install " + ", ".join(added) + " from the package index",
            fix="; is the index reachable (PIP_INDEX_URL, pip.conf)? Once built, an "
            "environment is reused offline",
            timeout=INSTALL_SECONDS,
        )
        # Byte code compiled under the final path, so tracebacks name files that exist.
        _run(
            [
                str(python),
                "-m",
                "compileall",
                "-q",
                "-s",
                str(scratch),
                "-p",
                str(target),
                str(layer),
            ],
            what="compile the installed packages",
        )
        record = {"pins": allowed.lines(added).splitlines(), "python": sys.version}
        (scratch / MARKER).write_text(json.dumps(record, indent=1), encoding="utf-8")
        scratch.chmod(0o755)  # mkdtemp's 0700: readable by whoever shares the cache
        try:
            scratch.rename(target)
        except OSError:
            if not _complete(target):  # someone else's complete one is as good as ours
                raise
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _site_packages(python: Path) -> Path:
    """The site-packages folder of the virtualenv whose interpreter is `python`."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    layer = python.parent.parent / "lib" / version / "site-packages"
    if not layer.is_dir():
        raise errors.GateEnvironmentError(
            requirement="", reason=f"the new virtualenv has no {str(layer)!r}"
        )
    return layer


def _base_pth() -> str:
    """A `.pth` adding kodegen's site folders (after the virtualenv's own), their own `.pth`
    files processed, as `--system-site-packages` does for the system's."""
    lines = [f"import site; site.addsitedir({str(path)!r})" for path in base_site_dirs()]
    return "\n".join(lines) + "\n"


def base_site_dirs() -> list[Path]:
    """kodegen's site folders: those of its interpreter (and the user's) that are on `sys.path`."""
    candidates = [*site.getsitepackages()]
    if site.ENABLE_USER_SITE:
        candidates.append(site.getusersitepackages())
    on_path = {os.path.realpath(entry) for entry in sys.path if entry}
    return [
        Path(candidate)
        for candidate in candidates
        if Path(candidate).is_dir() and os.path.realpath(candidate) in on_path
    ]


def _run(argv: Sequence[str], *, what: str, timeout: float = 120.0, fix: str = "") -> None:
    """Run `argv`; `errors.GateEnvironmentError` (what failed, the tool's own reason, and
    `fix`) when it cannot start, times out, or exits non-zero."""
    try:
        done = subprocess.run(  # nosec B603: fixed programs; arguments checked or ours
            list(argv),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            env=_pip_environment(os.environ),
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise errors.GateEnvironmentError(
            requirement="",
            reason=f"could not {what}: no answer after {timeout:g} s (is the package index "
            "reachable? set PIP_INDEX_URL to one that is)",
        ) from exc
    except OSError as exc:
        raise errors.GateEnvironmentError(
            requirement="", reason=f"could not {what}: {exc}"
        ) from exc
    if done.returncode != 0:
        said = _last_error(done.stderr.decode("utf-8", "replace"))
        raise errors.GateEnvironmentError(
            requirement="",
            reason=f"could not {what} (exit status {done.returncode}): {said}{fix}",
        )


def _last_error(stderr: str) -> str:
    """pip's own one-line reason: its first `ERROR:` line, else its last line."""
    lines = [" ".join(line.split()) for line in stderr.splitlines() if line.strip()]
    chosen = next((line for line in lines if line.startswith("ERROR:")), lines[-1] if lines else "")
    return chosen.removeprefix("ERROR: ")[:_REASON_CHARS] or "no message"


def _pip_environment(parent: Mapping[str, str]) -> dict[str, str]:
    """What pip is given of kodegen's environment: how to reach the index (pip's settings,
    proxies, certificates) and nothing else: no AI key, token or kubeconfig."""
    return {
        name: value
        for name, value in parent.items()
        if name in _ENV_KEYS or name.upper().startswith(_ENV_PREFIXES)
    }
