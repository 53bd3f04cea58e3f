"""Every call of the operator's Kubernetes client is bounded: an API server (or proxy) that
accepts a request and never answers ends the call with a KubeError, not a thread held forever."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from kubernetes import client

from kodegen.controller import kube


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A listener that accepts connections, reads what comes and never answers."""
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    host, port = listener.getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        stop.set()
        thread.join()
        for connection in held:
            connection.close()
        listener.close()


def test_a_call_that_gets_no_answer_fails_within_the_timeout(
    silent_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kube, "REQUEST_TIMEOUT", (1.0, 0.5))
    api = kube.Kube(client.ApiClient(client.Configuration(host=silent_server)))
    raised: list[BaseException] = []

    def call() -> None:
        try:
            api.read_config_map("team-a", "spec")
        except BaseException as exc:
            raised.append(exc)

    started = time.monotonic()
    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    thread.join(timeout=15)
    assert not thread.is_alive(), "the call still waits for an answer"
    assert time.monotonic() - started < 10
    (error,) = raised
    assert isinstance(error, kube.KubeError)
    assert error.status == 0
    assert "read configmap team-a/spec" in str(error)


def test_a_call_with_its_own_timeout_keeps_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[object] = []
    api_client = client.ApiClient(client.Configuration(host="http://127.0.0.1:9"))

    def call_api(*args: object, _request_timeout: object = None, **kwargs: object) -> object:
        seen.append(_request_timeout)
        raise OSError("no server")

    monkeypatch.setattr(api_client, "call_api", call_api)
    api = kube.Kube(api_client)
    kube.Kube(api_client)  # a second Kube on the same client does not wrap it twice
    with pytest.raises(kube.KubeError):
        api.read_config_map("team-a", "spec")
    with pytest.raises(OSError):
        api.client.call_api("GET", "/api", _request_timeout=3)
    assert seen == [kube.REQUEST_TIMEOUT, 3]
