"""kopf logs in with the operator's own client's credentials (controller/login.py).

The end-to-end test runs the real kopf operator against kmock's emulator (a real HTTP server on
127.0.0.1) from a kubeconfig with a bearer token and reads the Authorization header of every
request the server received. The others build the client's configuration the way
`kube.connect` does (kubeconfig with token, client certificate or exec plugin; in-cluster files)
and check what kopf is given.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import ssl
import sys
import time
from pathlib import Path
from typing import Any

import kubernetes
import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kodegen.controller import kube, login, main, settings

TOKEN = "kodegen-test-token-5f1c"  # a test credential for a local server
CG = "kodegen.dev/v1alpha1/codegenerations"
VERBS = ["list", "watch", "get", "patch", "create", "update", "delete"]


def _kubeconfig(path: Path, server: str, user: dict[str, Any]) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": "u", "user": user}],
                "contexts": [{"name": "x", "context": {"cluster": "c", "user": "u"}}],
                "current-context": "x",
            }
        )
    )
    return path


def _cert_pair() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kodegen-operator")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=1))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), key_pem


async def test_kubeconfig_token_is_sent_on_every_request(kmock: Any, tmp_path: Path) -> None:
    for resource, kind, namespaced in (
        ("v1/namespaces", "Namespace", False),
        ("v1/events", "Event", True),
        ("v1/configmaps", "ConfigMap", True),
        ("batch/v1/jobs", "Job", True),
    ):
        kmock.resources[resource] = {"kind": kind, "namespaced": namespaced, "verbs": VERBS}
    kmock.resources[CG] = {
        "kind": "CodeGeneration",
        "namespaced": True,
        "subresources": ["status"],
        "verbs": VERBS,
    }
    config = _kubeconfig(tmp_path / "kubeconfig", str(kmock.url).rstrip("/"), {"token": TOKEN})
    client = kube.connect(kubeconfig=str(config))
    op = main.build(settings.Settings(executor="job", metrics_port=0), client)
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(main.run(op, standalone=True, stop_flag=stop, ready_flag=ready))
    try:
        await asyncio.wait_for(ready.wait(), 30)
        deadline = time.monotonic() + 30
        while not any("codegenerations" in str(r.url) for r in list(kmock)):
            assert time.monotonic() < deadline, "kopf never watched codegenerations"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 60)
        client.client.close()
    requests = list(kmock)
    assert len(requests) >= 3
    sent = {(str(r.url.path), r.headers.get("Authorization")) for r in requests}
    assert {header for _, header in sent} == {f"Bearer {TOKEN}"}, sorted(sent, key=str)


def test_token_is_read_under_either_key_with_its_prefix() -> None:
    new = kubernetes.client.Configuration(host="https://k8s.test:6443")
    new.api_key = {"BearerToken": f"Bearer {TOKEN}"}  # kubernetes >= 36
    old = kubernetes.client.Configuration(host="https://k8s.test:6443")
    old.api_key, old.api_key_prefix = {"authorization": TOKEN}, {"authorization": "Bearer"}
    other = kubernetes.client.Configuration(host="https://k8s.test:6443")
    other.api_key, other.api_key_prefix = {"custom": TOKEN}, {"custom": "Token"}
    bare = kubernetes.client.Configuration(host="https://k8s.test:6443")
    bare.api_key = {"BearerToken": TOKEN}
    seen = {
        name: (info.scheme, info.token)
        for name, info in (
            ("new", login.connection(new)),
            ("old", login.connection(old)),
            ("other", login.connection(other)),
            ("bare", login.connection(bare)),
        )
    }
    assert seen == {
        "new": ("Bearer", TOKEN),
        "old": ("Bearer", TOKEN),
        "other": ("Token", TOKEN),
        "bare": (None, TOKEN),  # kopf sends a bare token as Bearer
    }


def test_no_credentials_give_an_anonymous_connection() -> None:
    info = login.connection(kubernetes.client.Configuration(host="http://127.0.0.1:1"))
    assert (info.scheme, info.token, info.username, info.certificate_path) == (
        None,
        None,
        None,
        None,
    )


def test_kubeconfig_client_certificate_and_ca(tmp_path: Path) -> None:
    cert, key = _cert_pair()
    config = _kubeconfig(
        tmp_path / "kubeconfig",
        "https://127.0.0.1:6443",
        {
            "client-certificate-data": base64.b64encode(cert).decode(),
            "client-key-data": base64.b64encode(key).decode(),
        },
    )
    document = yaml.safe_load(config.read_text())
    document["clusters"][0]["cluster"]["certificate-authority-data"] = base64.b64encode(
        cert
    ).decode()
    config.write_text(yaml.safe_dump(document))
    client = kube.connect(kubeconfig=str(config))
    info = login.connection(client.configuration, default_namespace="kodegen-system")
    client.client.close()
    assert info.token is None and info.scheme is None
    assert info.certificate_path and info.private_key_path and info.ca_path
    assert Path(info.certificate_path).read_bytes() == cert
    assert Path(info.private_key_path).read_bytes() == key
    assert Path(info.ca_path).read_bytes() == cert
    assert (info.server, info.insecure, info.default_namespace) == (
        "https://127.0.0.1:6443",
        False,
        "kodegen-system",
    )
    ssl.create_default_context().load_cert_chain(info.certificate_path, info.private_key_path)


def test_exec_plugin_token_is_fetched_through_the_client(tmp_path: Path) -> None:
    plugin = tmp_path / "plugin.py"
    credential = {
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": TOKEN},
    }
    plugin.write_text(f"import json\nprint(json.dumps({credential!r}))\n")
    config = _kubeconfig(
        tmp_path / "kubeconfig",
        "https://127.0.0.1:6443",
        {
            "exec": {
                "apiVersion": "client.authentication.k8s.io/v1",
                "command": sys.executable,
                "args": [str(plugin)],
                "interactiveMode": "Never",
            }
        },
    )
    client = kube.connect(kubeconfig=str(config))
    info = login.connection(client.configuration)
    client.client.close()
    assert (info.scheme, info.token) == ("Bearer", TOKEN)


def test_in_cluster_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, _ = _cert_pair()
    (tmp_path / "token").write_text(TOKEN + "\n")
    (tmp_path / "ca.crt").write_bytes(cert)
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", "16443")
    # The paths a pod sees under /var/run/secrets/kubernetes.io/serviceaccount/, moved here.
    incluster = kubernetes.config.incluster_config
    monkeypatch.setattr(incluster, "SERVICE_TOKEN_FILENAME", str(tmp_path / "token"))
    monkeypatch.setattr(incluster, "SERVICE_CERT_FILENAME", str(tmp_path / "ca.crt"))
    client = kube.connect()
    info = login.connection(client.configuration)
    client.client.close()
    assert (info.server, (info.scheme or "").lower(), info.token) == (
        "https://127.0.0.1:16443",
        "bearer",
        TOKEN,
    )
    assert info.ca_path == str(tmp_path / "ca.crt") and not info.insecure
    assert info.certificate_path is None
