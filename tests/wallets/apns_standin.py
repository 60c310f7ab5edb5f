"""A local stand-in for Apple Push Notification service: HTTP/2 over TLS, built on ``h2``.

It requires a client certificate that chains to the CAs it is given (the tests' root and WWDR-like
intermediate, as APNs requires the Pass Type ID certificate), records every request (path,
headers, body, the client certificate's subject) and answers per device token as scripted:
200, 410 ``Unregistered``, 400 ``BadDeviceToken``, a 503 then a 200, or no answer at all (stall).

Runs on an asyncio loop in a background thread (``ApnsStandIn``), or in a process of its own:
``python -m tests.wallets.apns_standin --client-ca root.pem --client-ca wwdr.pem --folder DIR``
prints one JSON line ``{"url", "ca_file"}`` and then, with ``--report``, one JSON line per request
``{"token", "at"}`` (``time.time()`` when the request ended), or with ``--count-only`` (the
throughput bench) records nothing and answers every request 200 as cheaply as it can.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import ipaddress
import json
import ssl
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

STALL = "stall"


@dataclass(frozen=True)
class Reply:
    status: int
    reason: str = ""


OK = Reply(200)
GONE = Reply(410, "Unregistered")
BAD_TOKEN = Reply(400, "BadDeviceToken")
UNAVAILABLE = Reply(503, "ServiceUnavailable")
TOO_MANY = Reply(429, "TooManyRequests")

Script = Reply | str  # a reply, or STALL
_BARE_OK = [(b":status", b"200")]


@dataclass(frozen=True)
class Recorded:
    path: str
    method: str
    headers: dict[str, str]
    body: bytes
    client_subject: dict[str, str]  # e.g. {"userId": "pass.test.loyalty", "commonName": ...}
    at: float  # time.time() when the request ended

    @property
    def token(self) -> str:
        return self.path.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class ServerTLS:
    ca_file: Path  # the CA that signed the server certificate: APNS_CA_FILE for the client
    cert_file: Path
    key_file: Path


def make_server_tls(folder: Path) -> ServerTLS:
    """A CA and a server certificate for 127.0.0.1 and localhost signed by it, as PEM files."""
    folder.mkdir(parents=True, exist_ok=True)
    now = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    ca_key, server_key = (
        ec.generate_private_key(ec.SECP256R1()),
        ec.generate_private_key(ec.SECP256R1()),
    )
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "APNs stand-in test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    tls = ServerTLS(folder / "apns-ca.pem", folder / "apns-server.pem", folder / "apns-server.key")
    tls.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    tls.cert_file.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    tls.key_file.write_bytes(
        server_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tls


def _subject(peer: dict | None) -> dict[str, str]:
    if not peer:
        return {}
    return {key: value for rdn in peer.get("subject", ()) for key, value in rdn}


class ApnsStandIn:
    """The stand-in on 127.0.0.1 (a free port), serving from a thread of its own.

    ``script(token, reply, ...)`` sets the answers for a token, used in order (the last one
    repeats); tokens without a script get 200.
    """

    def __init__(
        self,
        *,
        tls: ServerTLS,
        client_ca_files: Iterable[Path | str],
        on_request: Callable[[Recorded], None] | None = None,
        count_only: bool = False,
    ) -> None:
        self.tls = tls
        self._client_ca_files = [str(path) for path in client_ca_files]
        self._on_request = on_request
        # The throughput bench: every request gets 200, only ``count`` says how many came.
        self.count_only = count_only
        self.count = 0
        self._scripts: dict[str, list[Script]] = {}
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self.requests: list[Recorded] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._handlers: set[asyncio.Task] = set()

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    # -- scripting and inspection (any thread) --

    def script(self, token: str, *replies: Script) -> None:
        with self._lock:
            self._scripts[token] = list(replies)

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
            self.requests.clear()

    def received(self, token: str | None = None) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if token is None or r.token == token]

    def wait_for(self, count: int, *, token: str | None = None, timeout: float = 10) -> bool:
        """Wait until ``count`` requests (for ``token``) have arrived; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while sum(1 for r in self.requests if token is None or r.token == token) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._arrived.wait(left)
        return True

    def _next_reply(self, token: str) -> Script:
        with self._lock:
            replies = self._scripts.get(token)
            if not replies:
                return OK
            return replies.pop(0) if len(replies) > 1 else replies[0]

    def _record(self, recorded: Recorded) -> None:
        with self._arrived:
            self.requests.append(recorded)
            self._arrived.notify_all()
        if self._on_request:
            self._on_request(recorded)

    # -- the server --

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.tls.cert_file, self.tls.key_file)
        context.verify_mode = ssl.CERT_REQUIRED  # APNs refuses a connection without one
        for path in self._client_ca_files:
            context.load_verify_locations(path)
        context.set_alpn_protocols(["h2"])
        return context

    async def _serve_connection(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.add(task)
        subject = _subject(writer.get_extra_info("peercert"))
        if self.count_only:
            # Every header h2 checks or normalises costs CPU per request: the bench's stand-in
            # must not be what limits the client (it still checks the client certificate).
            config = h2.config.H2Configuration(
                client_side=False,
                header_encoding=None,
                validate_inbound_headers=False,
                normalize_inbound_headers=False,
                validate_outbound_headers=False,
                normalize_outbound_headers=False,
            )
        else:
            config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        conn = h2.connection.H2Connection(config=config)
        # APNs allows many concurrent streams on an authenticated connection.
        conn.local_settings = h2.settings.Settings(
            client=False,
            initial_values={h2.settings.SettingCodes.MAX_CONCURRENT_STREAMS: 1000},
        )
        conn.initiate_connection()
        writer.write(conn.data_to_send())
        streams: dict[int, tuple[dict[str, str], bytearray]] = {}
        try:
            while True:
                data = await reader.read(65536)
                if not data:
                    break
                events = conn.receive_data(data)
                if self.count_only:
                    self._count(conn, events)
                    writer.write(conn.data_to_send())
                    await writer.drain()
                    continue
                for event in events:
                    if isinstance(event, h2.events.RequestReceived):
                        streams[event.stream_id] = (dict(event.headers), bytearray())
                    elif isinstance(event, h2.events.DataReceived):
                        streams[event.stream_id][1].extend(event.data)
                        conn.acknowledge_received_data(
                            event.flow_controlled_length, event.stream_id
                        )
                    elif isinstance(event, h2.events.StreamEnded):
                        headers, body = streams.pop(event.stream_id)
                        self._answer(conn, event.stream_id, headers, bytes(body), subject)
                    elif isinstance(event, h2.events.ConnectionTerminated):
                        writer.write(conn.data_to_send())
                        return
                writer.write(conn.data_to_send())
                await writer.drain()
        except (ConnectionError, ssl.SSLError, h2.exceptions.ProtocolError):
            pass
        finally:
            self._handlers.discard(task)
            writer.close()

    def _count(self, conn: h2.connection.H2Connection, events: list[h2.events.Event]) -> None:
        """``count_only``: a bare 200 (no apns-id) to every request that ended, no records."""
        for event in events:
            if isinstance(event, h2.events.StreamEnded):
                self.count += 1
                conn.send_headers(event.stream_id, _BARE_OK, end_stream=True)
            elif isinstance(event, h2.events.DataReceived):
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.ConnectionTerminated):
                raise ConnectionResetError

    def _answer(
        self,
        conn: h2.connection.H2Connection,
        stream_id: int,
        headers: dict[str, str],
        body: bytes,
        subject: dict[str, str],
    ) -> None:
        path = headers.get(":path", "")
        recorded = Recorded(
            path=path,
            method=headers.get(":method", ""),
            headers={k: v for k, v in headers.items() if not k.startswith(":")},
            body=body,
            client_subject=subject,
            at=time.time(),
        )
        self._record(recorded)
        reply = self._next_reply(recorded.token)
        if reply == STALL:
            return  # never answered: the client's timeout has to deal with it
        assert isinstance(reply, Reply)
        response_headers = [(":status", str(reply.status)), ("apns-id", str(uuid.uuid4()))]
        if reply.status == 200:
            conn.send_headers(stream_id, response_headers, end_stream=True)
            return
        payload = {"reason": reply.reason}
        if reply.status == 410:
            payload["timestamp"] = int(time.time() * 1000)
        data = json.dumps(payload).encode()
        conn.send_headers(
            stream_id,
            [*response_headers, ("content-type", "application/json")],
        )
        conn.send_data(stream_id, data, end_stream=True)

    def start(self, port: int = 0) -> ApnsStandIn:
        started = threading.Event()
        self._loop = asyncio.new_event_loop()

        async def listen() -> None:
            self._server = await asyncio.start_server(
                self._serve_connection, "127.0.0.1", port, ssl=self._ssl_context()
            )
            self.port = self._server.sockets[0].getsockname()[1]
            started.set()

        def run() -> None:
            assert self._loop is not None
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(listen())
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, name="apns-standin", daemon=True)
        self._thread.start()
        if not started.wait(10):
            raise RuntimeError("the APNs stand-in did not start")
        return self

    def stop(self) -> None:
        if self._loop is None:
            return
        loop = self._loop

        async def shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for task in list(self._handlers):
                task.cancel()
            await asyncio.sleep(0)

        asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)
        loop.close()
        self._loop = None

    def serve_forever(self) -> None:
        """Block the calling thread while the server runs (its own process)."""
        assert self._thread is not None
        self._thread.join()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client-ca", action="append", required=True)
    parser.add_argument("--folder", required=True, help="where to write the server's TLS files")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--report", action="store_true", help="print one line per request")
    parser.add_argument(
        "--count-only", action="store_true", help="answer 200 to all, record nothing (bench)"
    )
    args = parser.parse_args(argv)

    def report(recorded: Recorded) -> None:
        sys.stdout.write(json.dumps({"token": recorded.token, "at": recorded.at}) + "\n")
        sys.stdout.flush()

    tls = make_server_tls(Path(args.folder))
    standin = ApnsStandIn(
        tls=tls,
        client_ca_files=args.client_ca,
        on_request=report if args.report else None,
        count_only=args.count_only,
    )
    standin.start(args.port)
    print(json.dumps({"url": standin.url, "ca_file": str(tls.ca_file)}), flush=True)
    standin.serve_forever()


if __name__ == "__main__":
    main()
