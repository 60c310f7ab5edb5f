"""A local stand-in for Google Wallet's REST API and Google's OAuth token endpoint, at the HTTP
level, for the tests and the benchmark.

- ``POST /token``: the service account's JWT-bearer grant, checked against the account's public
  key (signature, issuer, audience, scope), answered with an access token;
- ``/walletobjects/v1/loyaltyClass`` and ``/loyaltyObject``: insert (409 when it exists), patch
  (404 when it does not; top-level fields merged, null clears), get; every body validated
  against Google's discovery document (``google_schema``), 400 for what Google would refuse;
  401 without a token it issued;
- ``POST /walletobjects/v1/loyaltyObject/{id}/addMessage``: the message (an ``AddMessageRequest``,
  validated likewise) appended to the object's ``messages``, 404 when the object does not exist;
  answered with ``{"resource": <the object>}`` as Google answers;
- faults on demand (``fail_next``), every request recorded with its arrival time.

Runs in a thread of the test process (``GoogleStandIn().start()``), or alone for the benchmark:
``python -m tests.wallets.google_standin --port 8765 --public-key key.pem [--count-only]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.wallets.google_schema import problems

API = "/walletobjects/v1/"
ADD_MESSAGE = "/addMessage"
SCHEMA_OF = {"loyaltyClass": "LoyaltyClass", "loyaltyObject": "LoyaltyObject"}
SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"


@dataclass
class Fault:
    status: int
    reason: str = ""
    method: str | None = None  # only requests of this method ("PATCH", "POST")
    kind: str | None = None  # only "loyaltyClass" or "loyaltyObject"
    count: int = 1
    action: str | None = None  # only "addMessage" requests ("" for inserts, patches and gets)


@dataclass
class Received:
    at: float  # time.monotonic() on arrival
    method: str
    kind: str
    resource_id: str | None
    body: dict[str, Any] | None
    status: int = 0
    action: str = ""  # "addMessage", or "" for an insert, patch or get


def busiest_second(arrivals: list[float]) -> int:
    """The most arrivals within any one second (the half-open window [t, t + 1))."""
    times = sorted(arrivals)
    most, first = 0, 0
    for last, moment in enumerate(times):
        while moment - times[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def service_account_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def service_account_info(
    key: rsa.RSAPrivateKey, *, token_uri: str, email: str = "wallet@test-project.iam.example"
) -> dict[str, str]:
    """A service-account JSON as Google's console gives it, its ``token_uri`` at the stand-in."""
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": secrets.token_hex(20),
        "private_key": pem,
        "client_email": email,
        "client_id": "1234567890",
        "token_uri": token_uri,
    }


@dataclass
class StandInState:
    public_key: Any
    token_uri: str = ""
    count_only: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    tokens: set[str] = field(default_factory=set)
    token_requests: int = 0
    resources: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {"loyaltyClass": {}, "loyaltyObject": {}}
    )
    received: list[Received] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    delay: float = 0.0  # seconds before every API answer


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go in two writes: without this each answer waits ~40 ms for a delayed ACK.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # quiet

    def _reply(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, reason: str = "") -> None:
        errors = [{"reason": reason, "message": message}] if reason else []
        self._reply(status, {"error": {"code": status, "message": message, "errors": errors}})

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:
        if self.path == "/token":
            self._token()
        else:
            self._api("POST")

    def do_PATCH(self) -> None:
        self._api("PATCH")

    def do_GET(self) -> None:
        self._api("GET")

    def _token(self) -> None:
        state = self.server.state
        form = parse_qs(self._body().decode())
        try:
            claims = jwt.decode(
                form["assertion"][0],
                state.public_key,
                algorithms=["RS256"],
                # google-auth addresses the grant to Google's token endpoint wherever it posts it.
                audience=[GOOGLE_TOKEN_AUDIENCE, state.token_uri],
            )
        except (KeyError, jwt.PyJWTError) as error:
            self._reply(400, {"error": "invalid_grant", "error_description": str(error)})
            return
        if claims.get("scope") != SCOPE:
            self._reply(400, {"error": "invalid_scope"})
            return
        token = secrets.token_urlsafe(24)
        with state.lock:
            state.tokens.add(token)
            state.token_requests += 1
        self._reply(200, {"access_token": token, "expires_in": 3600, "token_type": "Bearer"})

    def _api(self, method: str) -> None:
        state = self.server.state
        arrived = time.monotonic()
        raw = self._body()
        if not self.path.startswith(API):
            self._error(404, "no such API")
            return
        parts = self.path[len(API) :].split("/", 1)
        kind, resource_id = parts[0], (parts[1] if len(parts) > 1 else None)
        action = ""
        if method == "POST" and resource_id and resource_id.endswith(ADD_MESSAGE):
            resource_id, action = resource_id.removesuffix(ADD_MESSAGE), "addMessage"
        if kind not in SCHEMA_OF:
            self._error(404, "no such collection")
            return
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._error(400, "Invalid JSON payload received.", "invalid")
            return
        record = Received(arrived, method, kind, resource_id, body, action=action)
        with state.lock:
            state.received.append(record)
            fault = self._take_fault(method, kind, action)
            authorized = self.headers.get("Authorization", "").removeprefix("Bearer ") in (
                state.tokens
            )
        if state.delay:
            time.sleep(state.delay)
        if not authorized:
            record.status = 401
            self._error(401, "Request had invalid authentication credentials.", "authError")
            return
        if fault is not None:
            record.status = fault.status
            self._error(fault.status, f"stand-in fault {fault.status}", fault.reason)
            return
        if state.count_only:
            record.status = 200
            self._reply(200, {"resource": {"id": resource_id}} if action else body or {})
            return
        if action:
            status, answer = self._add_message(kind, resource_id, body)
        else:
            status, answer = self._apply(method, kind, resource_id, body)
        record.status = status
        if status >= 400:
            self._error(status, answer["message"], answer.get("reason", ""))
        else:
            self._reply(status, answer)

    def _take_fault(self, method: str, kind: str, action: str) -> Fault | None:
        faults = self.server.state.faults
        for fault in faults:
            if (
                fault.method in (None, method)
                and fault.kind in (None, kind)
                and fault.action in (None, action)
            ):
                fault.count -= 1
                if fault.count <= 0:
                    faults.remove(fault)
                return fault
        return None

    def _apply(
        self, method: str, kind: str, resource_id: str | None, body: Any
    ) -> tuple[int, dict[str, Any]]:
        state = self.server.state
        stored = state.resources[kind]
        if method == "GET":
            with state.lock:
                found = stored.get(resource_id or "")
            return (200, found) if found else (404, {"message": "Resource not found"})
        if body is None or not isinstance(body, dict):
            return 400, {"message": "a JSON object is required", "reason": "invalid"}
        wrong = problems(SCHEMA_OF[kind], body)
        if wrong:
            return 400, {"message": "; ".join(wrong), "reason": "invalidArgument"}
        with state.lock:
            if method == "POST":
                new_id = body.get("id")
                if not new_id:
                    return 400, {"message": "id is required", "reason": "required"}
                if new_id in stored:
                    return 409, {"message": "Resource already exists", "reason": "duplicate"}
                if (
                    kind == "loyaltyObject"
                    and body.get("classId") not in state.resources["loyaltyClass"]
                ):
                    return 404, {"message": "Class not found", "reason": "resourceNotFound"}
                stored[new_id] = {k: v for k, v in body.items() if v is not None}
                return 200, stored[new_id]
            current = stored.get(resource_id or "")
            if current is None:
                return 404, {"message": "Resource not found", "reason": "resourceNotFound"}
            for name, value in body.items():
                if value is None:
                    current.pop(name, None)
                else:
                    current[name] = value
            return 200, current

    def _add_message(
        self, kind: str, resource_id: str | None, body: Any
    ) -> tuple[int, dict[str, Any]]:
        state = self.server.state
        if kind != "loyaltyObject":
            return 404, {"message": "no such method"}
        if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
            return 400, {"message": "a message is required", "reason": "required"}
        wrong = problems("AddMessageRequest", body)
        if wrong:
            return 400, {"message": "; ".join(wrong), "reason": "invalidArgument"}
        with state.lock:
            current = state.resources[kind].get(resource_id or "")
            if current is None:
                return 404, {"message": "Resource not found", "reason": "resourceNotFound"}
            current.setdefault("messages", []).append(body["message"])
            return 200, {"resource": current}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256
    state: StandInState


class GoogleStandIn:
    def __init__(self, *, public_key: Any, count_only: bool = False, port: int = 0) -> None:
        self.state = StandInState(public_key=public_key, count_only=count_only)
        self._server = _Server(("127.0.0.1", port), Handler)
        self._server.state = self.state
        self.state.token_uri = self.token_uri
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/"

    @property
    def token_uri(self) -> str:
        return self.url + "token"

    def start(self) -> GoogleStandIn:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="google-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self.state.lock:
            self.state.received.clear()
            self.state.faults.clear()
            self.state.resources = {"loyaltyClass": {}, "loyaltyObject": {}}
            self.state.delay = 0.0

    def clear_requests(self) -> None:
        """Forget what arrived so far (what is stored stays)."""
        with self.state.lock:
            self.state.received.clear()

    def fail_next(
        self,
        status: int,
        *,
        reason: str = "",
        method: str | None = None,
        kind: str | None = None,
        count: int = 1,
        action: str | None = None,
    ) -> None:
        with self.state.lock:
            self.state.faults.append(Fault(status, reason, method, kind, count, action))

    def requests(
        self, *, kind: str | None = None, method: str | None = None, action: str | None = None
    ) -> list[Received]:
        """What arrived, in order; ``action="addMessage"`` for the messages only, ``""`` for
        everything else."""
        with self.state.lock:
            return [
                r
                for r in self.state.received
                if (kind is None or r.kind == kind)
                and (method is None or r.method == method)
                and (action is None or r.action == action)
            ]

    def get(self, kind: str, resource_id: str) -> dict[str, Any] | None:
        with self.state.lock:
            return self.state.resources[kind].get(resource_id)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--public-key", type=Path, required=True, help="PEM public key")
    parser.add_argument("--count-only", action="store_true", help="answer 200 without storing")
    args = parser.parse_args()
    key = serialization.load_pem_public_key(args.public_key.read_bytes())
    standin = GoogleStandIn(public_key=key, count_only=args.count_only, port=args.port)
    print(standin.url, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        standin._server.serve_forever()


if __name__ == "__main__":
    main()
