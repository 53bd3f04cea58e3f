"""Every exit code of `kodegen`, each from a real trigger: an unwritable destination, a cluster
API on a closed port or answering 404, an AI provider on a closed port, a token budget too small
for the first call. Operational failures never share the code of "gates failed" (1)."""

from __future__ import annotations

import contextlib
import http.server
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodegen import cli, errors

EXAMPLES = Path(__file__).parents[3] / "examples"
AI_KEYS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY", "GEMINI_API_KEY", "OLLAMA_API_KEY")


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = cli.main([str(arg) for arg in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if not line.startswith(("WARNING", " "))]
    lines = [line for line in lines if line.startswith("error: ")]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def closed_port() -> int:
    """A port nothing listens on: bound, read, released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_the_codes_are_distinct_and_documented(capsys: pytest.CaptureFixture[str]) -> None:
    codes = [int(code) for code in errors.ExitCode]
    assert len(codes) == len(set(codes))
    code, out, _ = run(capsys, "--help")
    assert code == 0
    for value in codes:
        assert f"\n  {value} " in out or f"; {value} " in out, value
    readme = (Path(__file__).parents[3] / "README.md").read_text()
    for value in codes:
        assert f"`{value}`" in readme, value


# -- 73: the output destination cannot be written ----------------------------------------------


def test_an_output_folder_under_a_file_is_73_before_any_work(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "out"
    code, stdout, err = run(capsys, "generate", EXAMPLES / "petstore.yaml", "--out", out)
    assert code == errors.ExitCode.OUTPUT_UNWRITABLE == 73
    assert one_error_line(err) == (
        f"error: cannot write the output folder {out}: {tmp_path / 'file'} is not a folder; "
        "nothing was written (check the path, its permissions and the free space)"
    )
    assert "parse" not in err  # refused before the first stage
    assert stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_an_unwritable_init_file_is_73(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    spec = tmp_path / "api.json"
    spec.write_text(json.dumps({"openapi": "3.0.3", "info": {"title": "t", "version": "1"}}))
    code, _, err = run(capsys, "init", "--spec", spec, "-f", tmp_path / "file" / "cg.yaml")
    assert code == 73
    assert one_error_line(err).startswith(
        f"error: cannot write the file {tmp_path / 'file'}/cg.yaml: "
    )


def test_json_output_carries_the_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    out = tmp_path / "file" / "out"
    code, stdout, _ = run(
        capsys, "generate", EXAMPLES / "petstore.yaml", "--out", out, "-o", "json"
    )
    assert code == 73
    summary = json.loads(stdout)
    assert (summary["result"], summary["exitCode"]) == ("error", 73)
    assert summary["error"].startswith("cannot write the output folder")


# -- 75 and 74: the cluster ----------------------------------------------------------------------


def kubeconfig(tmp_path: Path, server: str) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": {"token": "t"}}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    return path


def test_an_unreachable_cluster_is_75(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = kubeconfig(tmp_path, f"http://127.0.0.1:{closed_port()}")
    argv = ["fetch-output", "team/api-code", "--out", tmp_path / "out", "--kubeconfig", config]
    code, _, err = run(capsys, *argv)
    assert code == errors.ExitCode.UNREACHABLE == 75
    line = one_error_line(err)
    assert line.startswith("error: output configmap team/api-code: the Kubernetes API could not be")
    assert not (tmp_path / "out").exists()


@contextlib.contextmanager
def api_answering_404() -> Iterator[str]:
    class NotFound(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(
                {"kind": "Status", "status": "Failure", "reason": "NotFound", "code": 404}
            ).encode()
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotFound)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_missing_output_in_the_cluster_is_74(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with api_answering_404() as url:
        config = kubeconfig(tmp_path, url)
        argv = ["fetch-output", "team/api-code", "--out", tmp_path / "out", "--kubeconfig", config]
        code, _, err = run(capsys, *argv)
    assert code == errors.ExitCode.OUTPUT_FAILED == 74
    assert "output configmap team/api-code: not found" in one_error_line(err)


def test_an_unusable_kubeconfig_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text("kind: Config\n")
    argv = ["fetch-output", "team/x", "--out", tmp_path / "out", "--kubeconfig", config]
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert one_error_line(err).startswith(f"error: --kubeconfig {config}: no usable cluster")


def test_the_operator_without_a_cluster_configuration_is_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "none"))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    code, _, err = run(capsys, "operator", "--standalone")
    assert code == 2
    assert one_error_line(err).startswith("error: no usable cluster configuration")


# -- 69 and 77: AI ---------------------------------------------------------------------------------


@pytest.fixture
def no_ai_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in AI_KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def test_an_unavailable_ai_provider_is_69(
    no_ai_keys: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{closed_port()}")
    out = tmp_path / "out"
    argv = ["generate", EXAMPLES / "user-story.yaml", "--out", out, "--no-ai-cache", "-o", "json"]
    code, stdout, err = run(capsys, *argv)
    assert code == errors.ExitCode.AI_UNAVAILABLE == 69
    line = one_error_line(err)
    assert line.startswith("error: no AI provider answered the plan request: provider ollama: ")
    assert json.loads(stdout)["exitCode"] == 69
    assert not out.exists()


def test_the_ai_budget_stop_is_77(
    no_ai_keys: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", f"http://127.0.0.1:{closed_port()}")  # never called
    out = tmp_path / "out"
    argv = ["generate", EXAMPLES / "user-story.yaml", "--out", out, "--ai-max-tokens", "1"]
    code, _, err = run(capsys, *argv)
    assert code == errors.ExitCode.AI_BUDGET == 77
    assert one_error_line(err).startswith("error: AI budget: maxTokens would be exceeded (spent 0")
    assert not out.exists()


def test_gates_failed_is_1_and_only_that() -> None:
    gate = errors.GateError(gate="tests", reason="pytest could not start")
    assert errors.exit_code(gate) == errors.ExitCode.GATES_FAILED == 1
    others = [
        errors.DestinationError(destination="the output folder o", reason="read-only"),
        errors.OutputError(output="configmap a/b", reason="timeout", retryable=True),
        errors.OutputError(output="configmap a/b", reason="forbidden", status=403),
        errors.AIError("no AI provider answered"),
        errors.BudgetExceeded(limit="maxCostUSD", spent=0, needed=1),
        errors.FlagError(flag="--set", value="a=b", reason="unknown"),
    ]
    assert [int(errors.exit_code(error)) for error in others] == [73, 75, 74, 69, 77, 2]
