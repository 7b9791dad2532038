"""The Docker API on TCP: only with TLS and client certificates signed by the configured CA,
as dockerd; a TCP host without them is refused at start. The front runs alone here (`/_ping`
needs no engine behind it)."""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.registry import free_port

pytestmark = pytest.mark.integration


def _pem_pair(name: str, issuer: tuple[Any, Any] | None, ca: bool, usage: Any) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer[1].subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if name == "127.0.0.1":
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(name))]),
            critical=False,
        )
    return key, builder.sign(issuer[0] if issuer else key, hashes.SHA256())


def _write(base: Path, stem: str, pair: tuple[Any, Any]) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization

    key, cert = pair
    cert_path, key_path = base / f"{stem}.pem", base / f"{stem}-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from cryptography.x509.oid import ExtendedKeyUsageOID as Usage

    base = tmp_path_factory.mktemp("tls")
    ca = _pem_pair("dockyard test CA", None, True, None)
    other_ca = _pem_pair("another CA", None, True, None)
    found = {"ca": _write(base, "ca", ca)[0]}
    found["server"], found["server-key"] = _write(
        base, "server", _pem_pair("127.0.0.1", ca, False, Usage.SERVER_AUTH)
    )
    found["client"], found["client-key"] = _write(
        base, "client", _pem_pair("client", ca, False, Usage.CLIENT_AUTH)
    )
    found["stranger"], found["stranger-key"] = _write(
        base, "stranger", _pem_pair("stranger", other_ca, False, Usage.CLIENT_AUTH)
    )
    return found


def _front(base: Path, config: dict[str, Any]) -> subprocess.Popen[bytes]:
    (base / "daemon.json").write_text(json.dumps(config))
    argv = [sys.executable, "-m", "dockyard.services.dockerapi"]
    argv += ["--root", str(base / "root"), "--state", str(base / "state")]
    argv += ["--config", str(base / "daemon.json")]
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.fixture
def tls_front(tmp_path: Path, certs: dict[str, Path]) -> Iterator[int]:
    port = free_port()
    config = {
        "hosts": [f"tcp://127.0.0.1:{port}"],
        "tlsverify": True,
        "tlscacert": str(certs["ca"]),
        "tlscert": str(certs["server"]),
        "tlskey": str(certs["server-key"]),
    }
    process = _front(tmp_path, config)
    try:
        deadline = time.monotonic() + 60
        while not (tmp_path / "state" / "docker.sock").exists():
            assert process.poll() is None, process.communicate()[0]
            assert time.monotonic() < deadline, "the front did not start"
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        if process.stdout is not None:
            process.stdout.close()


def _get(port: int, ca: Path, cert: tuple[Path, Path] | None, path: str) -> tuple[int, str]:
    context = ssl.create_default_context(cafile=str(ca))
    if cert is not None:
        context.load_cert_chain(str(cert[0]), str(cert[1]))
    conn = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _ping(port: int, ca: Path, cert: tuple[Path, Path] | None) -> str:
    return _get(port, ca, cert, "/_ping")[1]


def test_a_client_certificate_of_the_ca_gets_in(tls_front: int, certs: dict[str, Path]) -> None:
    assert _ping(tls_front, certs["ca"], (certs["client"], certs["client-key"])) == "OK"


def test_no_certificate_or_another_cas_is_refused(tls_front: int, certs: dict[str, Path]) -> None:
    for cert in (None, (certs["stranger"], certs["stranger-key"])):
        with pytest.raises((ssl.SSLError, ConnectionError)):
            _ping(tls_front, certs["ca"], cert)


def test_tcp_without_tls_is_refused_at_start(tmp_path: Path) -> None:
    process = _front(tmp_path, {"hosts": [f"tcp://127.0.0.1:{free_port()}"]})
    out, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert b"refusing to listen on tcp://127.0.0.1:" in out
    assert not (tmp_path / "state" / "docker.sock").exists()


def test_without_an_engine_ping_answers_and_the_rest_is_503(
    tls_front: int, certs: dict[str, Path]
) -> None:
    client = (certs["client"], certs["client-key"])
    assert _get(tls_front, certs["ca"], client, "/_ping") == (200, "OK")
    status, body = _get(tls_front, certs["ca"], client, "/containers/json")
    assert status == 503 and "is not answering" in json.loads(body)["message"]
