"""The test cluster's PKI: a CA, the API server's serving certificate, the ServiceAccount
signing key and client certificates, written as PEM files (cryptography)."""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclasses.dataclass(frozen=True)
class Pki:
    """The cluster CA and what it signed; all PEM files in one folder."""

    ca_cert: Path
    ca_key: Path
    serving_cert: Path
    serving_key: Path
    service_account_key: Path

    @classmethod
    def create(cls, folder: Path) -> Pki:
        folder.mkdir(parents=True, exist_ok=True)
        ca_key = _rsa()
        ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kodegen-test-ca")])
        ca = (
            _builder(ca_name, ca_name, ca_key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    key_cert_sign=True,
                    crl_sign=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(ca_key, hashes.SHA256())
        )
        pki = cls(
            ca_cert=folder / "ca.crt",
            ca_key=folder / "ca.key",
            serving_cert=folder / "apiserver.crt",
            serving_key=folder / "apiserver.key",
            service_account_key=folder / "sa.key",
        )
        _write(pki.ca_cert, ca.public_bytes(serialization.Encoding.PEM))
        _write(pki.ca_key, _pem(ca_key))
        serving_key = _rsa()
        names = [
            x509.DNSName("localhost"),
            x509.DNSName("kubernetes.default.svc"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]
        serving = (
            _builder(
                x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-apiserver")]),
                ca_name,
                serving_key,
            )
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write(pki.serving_cert, serving.public_bytes(serialization.Encoding.PEM))
        _write(pki.serving_key, _pem(serving_key))
        _write(pki.service_account_key, _pem(_rsa()))
        return pki

    def client_cert(
        self, folder: Path, *, user: str, groups: tuple[str, ...] = ()
    ) -> tuple[Path, Path]:
        """A client certificate for `user` in `groups`, signed by the CA: (cert, key) files."""
        ca_key = serialization.load_pem_private_key(self.ca_key.read_bytes(), password=None)
        ca = x509.load_pem_x509_certificate(self.ca_cert.read_bytes())
        key = _rsa()
        subject = x509.Name(
            [x509.NameAttribute(NameOID.ORGANIZATION_NAME, g) for g in groups]
            + [x509.NameAttribute(NameOID.COMMON_NAME, user)]
        )
        cert = (
            _builder(subject, ca.subject, key)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256())  # type: ignore[arg-type]
        )
        cert_path, key_path = folder / f"{user}.crt", folder / f"{user}.key"
        _write(cert_path, cert.public_bytes(serialization.Encoding.PEM))
        _write(key_path, _pem(key))
        return cert_path, key_path


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def _builder(
    subject: x509.Name, issuer: x509.Name, key: rsa.RSAPrivateKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
    )


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
    path.chmod(0o600)
