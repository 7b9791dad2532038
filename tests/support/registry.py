"""A real registry for tests: Debian's docker-registry (distribution 2.8) on loopback.

    with Registry.start(tmp) as registry:              # anonymous, plain HTTP, 127.0.0.1
    with Registry.start(tmp, auth="basic") as r:       # htpasswd (bcrypt), user/password
    with Registry.start(tmp, auth="token") as r:       # bearer tokens from TokenServer below
    with Registry.start(tmp, tls=True) as r:           # HTTPS on 127.0.0.2; r.ca is the CA

The token server is a small HTTP server in this process that checks basic credentials and
signs RS256 JWTs with a self-signed certificate the registry trusts (its rootcertbundle; the
certificate also travels in the token's x5c header, which is how distribution finds the key).
Everything runs on loopback; `stop` ends the registry by pid and removes its storage.
`Front` puts a hostile server in front of a registry: it passes requests through, except the
paths it is told to answer itself (endless or oversized blobs, malformed manifests).
"""

from __future__ import annotations

import base64
import datetime
import http.client
import http.server
import json
import re
import secrets
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

USER, PASSWORD = "dockyard", "s3cret-password"
SERVICE = "dockyard-test-registry"
ISSUER = "dockyard-test-token-issuer"


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class Registry:
    host: str  # "127.0.0.1:5123"
    root: Path
    process: subprocess.Popen[bytes]
    auth: str = ""
    ca: Path | None = None
    token_server: TokenServer | None = None
    scheme: str = "http"

    @classmethod
    def start(cls, base: Path, auth: str = "", tls: bool = False, ip: str = "") -> Registry:
        root = base / f"registry-{secrets.token_hex(3)}"
        root.mkdir(parents=True)
        ip = ip or ("127.0.0.2" if tls else "127.0.0.1")
        host = f"{ip}:{free_port(ip)}"
        config: dict[str, Any] = {
            "version": 0.1,
            "log": {"level": "warn", "accesslog": {"disabled": True}},
            "storage": {
                "filesystem": {"rootdirectory": str(root / "data")},
                "delete": {"enabled": True},
            },
            "http": {"addr": host, "secret": secrets.token_hex(16)},
        }
        ca = None
        if tls:
            ca, cert, key = _certificate(root, ip)
            config["http"]["tls"] = {"certificate": str(cert), "key": str(key)}
        token_server = None
        if auth == "basic":
            (root / "htpasswd").write_text(_htpasswd(USER, PASSWORD))
            config["auth"] = {
                "htpasswd": {"realm": "dockyard-test", "path": str(root / "htpasswd")}
            }
        elif auth == "token":
            token_server = TokenServer.start(root)
            config["auth"] = {
                "token": {
                    "realm": token_server.url,
                    "service": SERVICE,
                    "issuer": ISSUER,
                    "rootcertbundle": str(token_server.cert),
                }
            }
        (root / "config.yml").write_text(json.dumps(config))  # YAML is a superset of JSON
        with open(root / "registry.log", "wb") as log:  # the child keeps its own copy
            process = subprocess.Popen(
                ["/usr/bin/docker-registry", "serve", str(root / "config.yml")],
                stdout=log,
                stderr=log,
                stdin=subprocess.DEVNULL,
            )
        registry = cls(host, root, process, auth, ca, token_server, "https" if tls else "http")
        registry._wait_ready()
        return registry

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}"

    def _wait_ready(self) -> None:
        deadline = time.time() + 30
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the registry exited:\n{(self.root / 'registry.log').read_text()}"
                )
            try:
                with socket.create_connection(tuple(self.host.rsplit(":", 1)), timeout=0.2):  # type: ignore[arg-type]
                    return
            except OSError:
                time.sleep(0.05)
        raise TimeoutError("the registry did not start")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.token_server is not None:
            self.token_server.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def blob_path(self, digest: str) -> Path:
        """Where the registry stores a blob (to corrupt it in a test)."""
        hexdigest = digest.removeprefix("sha256:")
        return (
            self.root / "data/docker/registry/v2/blobs/sha256" / hexdigest[:2] / hexdigest / "data"
        )

    def credentials(self) -> tuple[str, str] | None:
        return (USER, PASSWORD) if self.auth else None


def _htpasswd(user: str, password: str) -> str:
    import bcrypt

    return f"{user}:{bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=4)).decode()}\n"


def _certificate(root: Path, ip: str) -> tuple[Path, Path, Path]:
    """A self-signed CA and a server certificate for `ip` signed by it."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)

    def make(
        subject: str, issuer_key: Any, issuer: x509.Name | None, ca: bool, san: bool
    ) -> tuple[Any, Any]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        builder = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer or name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if san:
            builder = builder.add_extension(
                x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(ip))]),
                critical=False,
            )
        return key, builder.sign(issuer_key or key, hashes.SHA256())

    ca_key, ca_cert = make("dockyard test CA", None, None, True, False)
    key, cert = make(ip, ca_key, ca_cert.subject, False, True)
    paths = (root / "ca.crt", root / "server.crt", root / "server.key")
    paths[0].write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


# -- the token server ---------------------------------------------------------------------------


@dataclass
class TokenServer:
    url: str
    cert: Path
    server: http.server.ThreadingHTTPServer
    thread: threading.Thread
    issued: list[str] = field(default_factory=list)  # the scopes of every token issued

    @classmethod
    def start(cls, root: Path) -> TokenServer:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.x509.oid import NameOID

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        cert_path = root / "token.crt"
        cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        der = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        issued: list[str] = []
        handler = _token_handler(key, der, issued)
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.server_address[1]}/token"
        return cls(url, cert_path, server, thread, issued)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _token_handler(
    key: Any, der_cert: str, issued: list[str]
) -> type[http.server.BaseHTTPRequestHandler]:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            query = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
            expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") != expected:
                self._reply(
                    401,
                    {
                        "errors": [
                            {"code": "UNAUTHORIZED", "message": "incorrect username or password"}
                        ]
                    },
                )
                return
            access = []
            for scope in query.get("scope", []):
                kind, name, actions = scope.split(":", 2)
                access.append({"type": kind, "name": name, "actions": actions.split(",")})
            now = int(time.time())
            claims = {
                "iss": ISSUER,
                "sub": USER,
                "aud": query.get("service", [""])[0],
                "exp": now + 600,
                "nbf": now - 60,
                "iat": now,
                "jti": secrets.token_hex(8),
                "access": access,
            }
            header = {"typ": "JWT", "alg": "RS256", "x5c": [der_cert]}
            signing = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"
            signature = key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
            issued.append(" ".join(query.get("scope", [])))  # the scopes of each token issued
            self._reply(200, {"token": f"{signing}.{b64(signature)}", "expires_in": 600})

        def _reply(self, status: int, doc: dict[str, Any]) -> None:
            body = json.dumps(doc).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


# -- a minimal client for pushing test images ------------------------------------------------------


class Client:
    """Just enough of the distribution API to push images: monolithic uploads, manifest PUT."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._auth: str | None = None
        self._context = None
        if registry.ca is not None:
            import ssl

            self._context = ssl.create_default_context(cafile=str(registry.ca))

    def request(
        self,
        method: str,
        path: str,
        data: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        url = path if path.startswith("http") else f"{self._registry.url}{path}"
        for attempt in range(2):
            request = urllib.request.Request(
                url, data=data, method=method, headers=dict(headers or {})
            )
            if self._auth:
                request.add_header("Authorization", self._auth)
            try:
                with urllib.request.urlopen(request, context=self._context, timeout=30) as response:
                    return response.status, dict(response.headers), response.read()
            except urllib.error.HTTPError as err:
                if err.code == 401 and attempt == 0:
                    self._authenticate(err.headers.get("WWW-Authenticate", ""))
                    continue
                return err.code, dict(err.headers), err.read()
        raise AssertionError("unreachable")

    def _authenticate(self, challenge: str) -> None:
        basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if challenge.startswith("Basic"):
            self._auth = basic
            return
        params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
        query = urllib.parse.urlencode(
            {"service": params["service"], "scope": params.get("scope", "")}
        )
        request = urllib.request.Request(
            f"{params['realm']}?{query}", headers={"Authorization": basic}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            self._auth = "Bearer " + json.loads(response.read())["token"]

    def push_blob(self, repository: str, data: bytes, digest: str) -> None:
        status, headers, _ = self.request("POST", f"/v2/{repository}/blobs/uploads/")
        assert status == 202, status
        location = headers["Location"]
        separator = "&" if "?" in location else "?"
        url = location if location.startswith("http") else f"{self._registry.url}{location}"
        status, _, body = self.request(
            "PUT",
            f"{url}{separator}digest={digest}",
            data,
            {"Content-Type": "application/octet-stream"},
        )
        assert status == 201, (status, body)

    def push_manifest(self, repository: str, reference: str, data: bytes, media_type: str) -> None:
        status, _, body = self.request(
            "PUT", f"/v2/{repository}/manifests/{reference}", data, {"Content-Type": media_type}
        )
        assert status == 201, (status, body)


# -- a hostile front: the registry's answers, some of them replaced -------------------------------

Body = bytes | Callable[[], Iterator[bytes]]


@dataclass
class Answer:
    """What the front sends for one path instead of the registry's answer."""

    body: Body
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    length: bool = True  # send Content-Length (a generator body never does)
    times: int = 0  # answer this many requests, then pass the rest through; 0 = all of them


@dataclass
class Front:
    """A plain-HTTP server on 127.0.0.1 in front of a real registry: every request is passed
    through, except the paths given an `Answer` (an endless blob, a 10 MB manifest, one
    without a config ...). It records which paths were asked for and which answers the client
    abandoned before their end (`hung_up`), so a test can wait for either without sleeping.

        with Front.start(registry) as front:
            front.answer("/v2/x/blobs/sha256:…", Answer(endless))
            engine.cli("pull", f"{front.host}/x")
    """

    registry: Registry
    server: http.server.ThreadingHTTPServer
    thread: threading.Thread
    answers: dict[str, Answer] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    hung_up: list[str] = field(default_factory=list)
    sent: dict[str, int] = field(default_factory=dict)  # body bytes written per answered path
    changed: threading.Condition = field(default_factory=threading.Condition)

    @classmethod
    def start(cls, registry: Registry) -> Front:
        holder: list[Front] = []
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _front_handler(holder))
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        front = cls(registry, server, thread)
        holder.append(front)
        thread.start()
        return front

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.server.server_address[1]}"

    def answer(self, path: str, answer: Answer) -> None:
        self.answers[path] = answer

    def take(self, path: str) -> Answer | None:
        """The answer for `path` now (counting down an answer given `times`)."""
        with self.changed:
            answer = self.answers.get(path)
            if answer is not None and answer.times:
                answer.times -= 1
                if not answer.times:
                    del self.answers[path]
            return answer

    def note(self, record: list[str], path: str) -> None:
        with self.changed:
            record.append(path)
            self.changed.notify_all()

    def wait_for(self, record: list[str], path: str, timeout: float = 60) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: path in record, timeout)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Front:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def endless(chunk: bytes = b"\0" * 65536, per_second: int = 0) -> Callable[[], Iterator[bytes]]:
    """A body that never ends; at most `per_second` bytes a second when that is given."""

    def body() -> Iterator[bytes]:
        start, sent = time.monotonic(), 0
        while True:
            yield chunk
            sent += len(chunk)
            if per_second and (ahead := sent / per_second - (time.monotonic() - start)) > 0:
                time.sleep(ahead)

    return body


def trickle(first: bytes, stall: threading.Event) -> Callable[[], Iterator[bytes]]:
    """`first`, then nothing until `stall` is set (a download that hangs mid-blob)."""

    def body() -> Iterator[bytes]:
        yield first
        while not stall.wait(0.2):
            yield b""  # a write of nothing: lets the handler notice a client that went away

    return body


def _front_handler(holder: list[Front]) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            self._serve(send_body=True)

        def do_HEAD(self) -> None:
            self._serve(send_body=False)

        def _serve(self, send_body: bool) -> None:
            front = holder[0]
            path = self.path.split("?", 1)[0]
            front.note(front.asked, path)
            answer = front.take(path)
            try:
                if answer is None:
                    self._pass_through(front.registry, send_body)
                    return
                self._answer(front, path, answer, send_body)
            except (BrokenPipeError, ConnectionResetError):
                front.note(front.hung_up, path)
            self.close_connection = True

        def _answer(self, front: Front, path: str, answer: Answer, send_body: bool) -> None:
            self.send_response(answer.status)
            for key, value in answer.headers.items():
                self.send_header(key, value)
            if isinstance(answer.body, bytes) and answer.length:
                self.send_header("Content-Length", str(len(answer.body)))
            self.send_header("Connection", "close")
            self.end_headers()
            if not send_body:
                return
            chunks = [answer.body] if isinstance(answer.body, bytes) else answer.body()
            for chunk in chunks:
                self.wfile.write(chunk)
                self.wfile.flush()
                front.sent[path] = front.sent.get(path, 0) + len(chunk)
                if not chunk and _peer_gone(self.connection):
                    raise BrokenPipeError

        def _pass_through(self, registry: Registry, send_body: bool) -> None:
            keep = ("Authorization", "Accept", "Range")
            headers = {k: v for k, v in self.headers.items() if k in keep}
            request = urllib.request.Request(
                f"{registry.url}{self.path}", method=self.command, headers=headers
            )
            try:
                response = urllib.request.urlopen(request, timeout=30)
            except urllib.error.HTTPError as err:
                response = err
            with response:
                try:
                    body = response.read()
                except http.client.IncompleteRead as err:  # distribution's 416 body is short
                    body = err.partial
                self.send_response(response.status)
                for key, value in response.headers.items():
                    if key.lower() not in ("content-length", "connection", "transfer-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if send_body:
                    self.wfile.write(body)

    return Handler


def _peer_gone(sock: socket.socket) -> bool:
    """Whether the client closed its end (a readable socket with nothing to read)."""
    import select

    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True
