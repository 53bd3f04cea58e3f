"""The operator's calls share one connection: every raw answer (`_preload_content=False`) is
read to its end and its connection given back to the pool. Found against the real API server
(benchmarks/operator_bench_real.py): each unread answer cost a new connection, so a TLS
handshake per create, patch and Event (admission three times slower), and the API server logged
each of those writes as "Timeout or abort while handling"."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from kubernetes import client

from kodegen.controller import kube

ANSWER = json.dumps({"kind": "Status", "items": [], "padding": "x" * 4096}).encode()
"""What every request gets back: large enough to be more than the first read of an answer."""


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    connections = 0

    def get_request(self):  # type: ignore[no-untyped-def]
        accepted = super().get_request()
        self.connections += 1
        return accepted


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the API server answers

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        code = 201 if self.command == "POST" else 200
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    do_GET = do_POST = do_PATCH = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Server]:
    running = _Server(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    try:
        yield running
    finally:
        running.shutdown()
        running.server_close()
        thread.join()


def test_every_call_reuses_the_one_connection(server: _Server) -> None:
    host, port = server.server_address[:2]
    api = kube.Kube(client.ApiClient(client.Configuration(host=f"http://{host}:{port}")))
    meta = {"name": "petstore", "namespace": "team-a", "uid": "u1"}
    body = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {}}
    generation = {"apiVersion": "kodegen.dev/v1alpha1", "kind": "CodeGeneration", "metadata": meta}
    for _ in range(3):
        assert api.create_config_map(body)
        assert api.create_job({"apiVersion": "batch/v1", "kind": "Job", "metadata": meta})
        assert api.jobs("team-a", {"app": "kodegen"}) == []
        assert api.read_secret("team-a", "keys") is not None
        api.patch_generation_status("team-a", "petstore", {"phase": "Running"})
        api.patch_template_status("CodeTemplate", "team-a", "t", {"phase": "Ready"})
        api.patch_template_status("ClusterCodeTemplate", None, "t", {"phase": "Ready"})
        assert api.generations() == [] and api.generations(["team-a"]) == []
        assert api.read_peering("kodegen") is not None
        assert api.read_peering("kodegen", "team-a") is not None
        kube.post_event(
            api,
            generation,
            type="Normal",
            reason="Accepted",
            message="m",
            now="2026-12-07T22:00:00Z",
        )
    assert server.connections == 1


def test_the_pool_keeps_a_connection_for_every_handler_thread() -> None:
    """kopf runs 16 handler threads (handlers.configure); the client's default pool (5 per
    CPU) would make the busy ones discard their connection after each call."""
    api = kube.connect(client.Configuration(host="http://127.0.0.1:9"))
    pools = api.client.rest_client.pool_manager.connection_pool_kw
    assert pools["maxsize"] >= kube.CONNECTIONS >= 16
