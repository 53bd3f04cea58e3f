"""kopf's credentials, taken from the operator's own Kubernetes client.

    connection(configuration, ...)   a `kopf.ConnectionInfo` for what that client would send

kopf's `login_via_client` loads the client's default configuration itself; kodegen's operator
has already built its own (`kube.connect`: in-cluster, else kubeconfig, or the one a caller
gave), so kopf must see exactly those credentials, or it talks to another server or as another
user than the rest of the operator. The extraction follows `login_via_client`:

- the Authorization header is the one the client itself puts on its requests
  (`Configuration.auth_settings()`), whatever the client version names its key (`BearerToken`
  since kubernetes 36, `authorization` before) and whatever prefix it carries; reading it calls
  the client's `refresh_api_key_hook`, so exec plugins, OIDC refreshes and rotated in-cluster
  token files give kopf a fresh token each time kopf logs in again (it does on a 401);
- any other api_key entry with a value is the fallback, split per RFC 7235 as kopf does;
- client certificates, the CA, TLS verification and basic auth come from the same object.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import kopf
import kubernetes

__all__ = ["authorization", "connection"]


def authorization(configuration: kubernetes.client.Configuration) -> str | None:
    """The Authorization header value the client sends, or `None` (no token)."""
    return next(_headers(configuration), None)


def _headers(configuration: kubernetes.client.Configuration) -> Iterator[str]:
    settings: dict[str, Any] = dict(configuration.auth_settings())
    for setting in settings.values():
        value = setting.get("value")
        key = str(setting.get("key", "")).lower()
        if setting.get("in") == "header" and key == "authorization" and value:
            yield str(value)
    for name in sorted(configuration.api_key or {}):
        value = configuration.get_api_key_with_prefix(name)
        if value:
            yield value


def connection(
    configuration: kubernetes.client.Configuration,
    *,
    default_namespace: str | None = None,
    trust_env: bool = False,
) -> kopf.ConnectionInfo:
    """kopf's `ConnectionInfo` for the credentials of `configuration` (module doc)."""
    header = authorization(configuration)
    parts = header.strip().split(" ", 1) if header else []
    scheme, token = (
        (None, None)
        if not parts
        else (None, parts[0])
        if len(parts) == 1
        else (parts[0], parts[1].strip())  # RFC 7235, appendix C
    )
    return kopf.ConnectionInfo(
        server=configuration.host,
        ca_path=configuration.ssl_ca_cert,
        insecure=not configuration.verify_ssl,
        username=configuration.username or None,
        password=configuration.password or None,
        scheme=scheme,
        token=token,
        certificate_path=configuration.cert_file,
        private_key_path=configuration.key_file,
        default_namespace=default_namespace,
        trust_env=trust_env,
    )
