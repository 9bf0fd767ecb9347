"""Real parts for the support tests: an SMTP server (aiosmtpd) with STARTTLS and AUTH using a
self-signed certificate made here, and a helpdesk on 127.0.0.1 speaking the Zendesk Requests
API's JSON shape and checking the auth header. Both listen on 127.0.0.1 only and are stopped by
the fixture that started them."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.tls import self_signed_cert

SMTP_USER = "wallet-user"
SMTP_PASSWORD = "canary-smtp-pw-7f3a"  # a canary: tests assert it never shows up anywhere
HELPDESK_EMAIL = "user@example.org"
HELPDESK_TOKEN = "canary-token-91bd"


@dataclass
class SmtpServer:
    host: str
    port: int
    cafile: Path
    messages: list[Any] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)


@pytest.fixture
def smtp_server(tmp_path: Path) -> Iterator[SmtpServer]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    cert, key = self_signed_cert(tmp_path)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(cert, key)
    server = SmtpServer("127.0.0.1", 0, cert)

    class Handler:
        async def handle_DATA(self, srv: Any, session: Any, envelope: Any) -> str:
            server.messages.append(envelope)
            return "250 OK"

    def authenticator(srv: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        ok = (
            isinstance(data, LoginPassword)
            and data.login.decode() == SMTP_USER
            and data.password.decode() == SMTP_PASSWORD
        )
        if ok:
            server.logins.append(data.login.decode())
        return AuthResult(success=ok)

    # aiosmtpd's readiness probe connects to the configured port, so port 0 cannot be used:
    # take a free one from the OS first.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(
        Handler(),
        hostname="127.0.0.1",
        port=port,
        tls_context=tls,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        server.port = port
        yield server
    finally:
        controller.stop()


@dataclass
class Helpdesk:
    url: str
    requests: dict[int, dict[str, Any]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    seen_bodies: list[str] = field(default_factory=list)
    unauthorised: int = 0
    fail_next: int = 0  # answer this many requests with 503

    def agent_reply(self, request_id: int, body: str) -> None:
        comments = self.comments[request_id]
        comments.append(
            {
                "id": 1000 + len(comments),
                "type": "Comment",
                "body": body,
                "author_id": 2,
                "public": True,
                "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            }
        )


@pytest.fixture
def helpdesk() -> Iterator[Helpdesk]:
    state = Helpdesk(url="")
    expected = (
        "Basic " + base64.b64encode(f"{HELPDESK_EMAIL}/token:{HELPDESK_TOKEN}".encode()).decode()
    )
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _gate(self) -> bool:
            with lock:
                if state.fail_next > 0:
                    state.fail_next -= 1
                    self._send(503, {"error": "busy"})
                    return False
            if self.headers.get("Authorization") != expected:
                state.unauthorised += 1
                self._send(401, {"error": "Couldn't authenticate you"})
                return False
            return True

        def _body(self) -> Any:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state.seen_bodies.append(raw.decode())
            return json.loads(raw)

        def do_POST(self) -> None:
            if not self._gate():
                return
            if self.path != "/api/v2/requests.json":
                return self._send(404, {"error": "InvalidEndpoint"})
            req = self._body().get("request", {})
            if not req.get("subject") or not req.get("comment", {}).get("body"):
                return self._send(422, {"error": "RecordInvalid"})
            with lock:
                rid = 100 + len(state.requests)
                now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                state.requests[rid] = req
                state.comments[rid] = [
                    {
                        "id": 1,
                        "type": "Comment",
                        "body": req["comment"]["body"],
                        "author_id": 1,
                        "public": True,
                        "created_at": now,
                    }
                ]
            self._send(
                201,
                {
                    "request": {
                        "id": rid,
                        "status": "new",
                        "subject": req["subject"],
                        "description": req["comment"]["body"],
                        "created_at": now,
                        "updated_at": now,
                    }
                },
            )

        def do_PUT(self) -> None:
            if not self._gate():
                return
            m = re.fullmatch(r"/api/v2/requests/(\d+)\.json", self.path)
            if not m or int(m.group(1)) not in state.requests:
                return self._send(404, {"error": "RecordNotFound"})
            body = self._body()["request"]["comment"]["body"]
            rid = int(m.group(1))
            with lock:
                state.comments[rid].append(
                    {
                        "id": 500 + len(state.comments[rid]),
                        "type": "Comment",
                        "body": body,
                        "author_id": 1,
                        "public": True,
                        "created_at": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                    }
                )
            self._send(200, {"request": {"id": rid, "status": "open"}})

        def do_GET(self) -> None:
            if not self._gate():
                return
            m = re.fullmatch(r"/api/v2/requests/(\d+)/comments\.json", self.path)
            if not m or int(m.group(1)) not in state.requests:
                return self._send(404, {"error": "RecordNotFound"})
            rid = int(m.group(1))
            self._send(
                200,
                {
                    "comments": state.comments[rid],
                    "users": [
                        {"id": 1, "name": "Wallet User", "agent": False},
                        {"id": 2, "name": "Ada (termwallet support)", "agent": True},
                    ],
                    "organizations": [],
                    "next_page": None,
                    "previous_page": None,
                    "count": len(state.comments[rid]),
                },
            )

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
