"""The demo's own support desk: a helpdesk and a mail sink on 127.0.0.1, started with the demo's
devnet and stopped with it, so a ticket's whole life (send, reply, overdue, follow-up) can be
tried without any real support team.

- The helpdesk speaks the part of the Zendesk Requests API that wallet/support/helpdesk.py uses
  (create, comments, follow-up), checking the same token auth. It answers every ticket with a
  clearly labelled automatic demo reply: at once after a follow-up, and by itself
  FIRST_REPLY_SECONDS after the ticket, later than the demo's one-minute live promise, so the
  ticket first turns overdue and a follow-up can be tried.
- The mail sink (aiosmtpd, plain SMTP on loopback without a password) takes email tickets and
  keeps them in memory; replies to email go to a mailbox, as with real support.

stdlib http.server rather than a web framework: three routes on loopback for one user.
Nothing is written to disk; all of it goes with the demo.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from pydantic import SecretStr

from wallet.support.config import OfficialChannel, OfficialKind, SupportSettings

DEMO_REQUESTER = "you@demo.termwallet.invalid"
DEMO_SUPPORT_EMAIL = "support@demo.termwallet.invalid"
# Shown as they are in both languages (the UI shows a helpdesk's names as data): bilingual.
DEMO_AGENT = "termwallet demo helpdesk (automatic reply) · 演示客服（自动回复）"
DEMO_LABEL = "Demo helpdesk · 演示客服"
# The live channel's promise in the demo (the shortest SupportSettings allows) and when the demo
# answers a ticket nobody followed up: after the promise has passed.
DEMO_LIVE_REPLY_MINUTES = 1
FIRST_REPLY_SECONDS = 150.0

DEMO_REPLY = (
    "[DEMO REPLY - automatic, from the demo's local helpdesk; no person read your ticket]\n"
    "Your ticket {reference} reached the demo helpdesk. In a real wallet the support team "
    "answers here. Real support never asks for your recovery phrase, keys or passwords.\n"
    "[演示回复 - 由演示的本地客服自动发送，没有人阅读您的工单]\n"
    "您的工单 {reference} 已送达演示客服。真正的客服绝不会索要您的助记词、私钥或密码。"
)

_REFERENCE = re.compile(r"\[(TW-[0-9A-F]{6})\]")


def _stamp(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Request:
    id: int
    subject: str
    created_at: datetime
    reference: str
    comments: list[dict[str, Any]] = field(default_factory=list)
    answered: int = 0  # demo replies given


class DemoHelpdesk:
    """The Zendesk-shaped helpdesk on 127.0.0.1, in a thread of its own."""

    REQUESTER_ID, AGENT_ID = 1, 2

    def __init__(
        self,
        *,
        first_reply_seconds: float = FIRST_REPLY_SECONDS,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.first_reply_after = timedelta(seconds=first_reply_seconds)
        # The wallet's clock when it has a fixed one (the snapshots): replies then carry times
        # that agree with the ticket's.
        self._clock = clock or (lambda: datetime.now(UTC))
        self.token = secrets.token_urlsafe(24)
        self.requests: dict[int, _Request] = {}
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None, "start() first"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="demo-helpdesk", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is not None:
            httpd.shutdown()
            httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _authorised(self, header: str | None) -> bool:
        import base64

        expected = base64.b64encode(f"{DEMO_REQUESTER}/token:{self.token}".encode()).decode()
        return secrets.compare_digest(header or "", "Basic " + expected)

    def _comment(self, req: _Request, body: str, author: int, when: datetime) -> None:
        req.comments.append(
            {
                "id": len(req.comments) + 1,
                "body": body,
                "author_id": author,
                "public": True,
                "created_at": _stamp(when),
            }
        )

    def _answer(self, req: _Request, when: datetime) -> None:
        self._comment(req, DEMO_REPLY.format(reference=req.reference), self.AGENT_ID, when)
        req.answered += 1

    def create(self, subject: str, body: str) -> _Request:
        now = self._clock()
        with self._lock:
            rid = 1 + len(self.requests)
            found = _REFERENCE.search(subject)
            req = _Request(rid, subject, now, found.group(1) if found else f"#{rid}")
            self._comment(req, body, self.REQUESTER_ID, now)
            self.requests[rid] = req
            return req

    def follow_up(self, rid: int, body: str) -> bool:
        now = self._clock()
        with self._lock:
            req = self.requests.get(rid)
            if req is None:
                return False
            self._comment(req, body, self.REQUESTER_ID, now)
            self._answer(req, now)  # a follow-up is answered at once
            return True

    def comments(self, rid: int) -> list[dict[str, Any]] | None:
        now = self._clock()
        with self._lock:
            req = self.requests.get(rid)
            if req is None:
                return None
            if not req.answered and now - req.created_at >= self.first_reply_after:
                self._answer(req, req.created_at + self.first_reply_after)
            return list(req.comments)


def _handler(desk: DemoHelpdesk) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # nothing on the app's terminal
            pass

        def _send(self, status: int, payload: Any) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _json(self) -> Any:
            try:
                length = min(int(self.headers.get("Content-Length", 0)), 1 << 20)
                return json.loads(self.rfile.read(length))
            except ValueError:
                return None

        def _gate(self) -> bool:
            if desk._authorised(self.headers.get("Authorization")):
                return True
            self._send(401, {"error": "Couldn't authenticate you"})
            return False

        def do_POST(self) -> None:
            if not self._gate():
                return
            if self.path != "/api/v2/requests.json":
                return self._send(404, {"error": "InvalidEndpoint"})
            data = self._json()
            req = data.get("request") if isinstance(data, dict) else None
            subject = req.get("subject") if isinstance(req, dict) else None
            comment = req.get("comment") if isinstance(req, dict) else None
            body = comment.get("body") if isinstance(comment, dict) else None
            if not isinstance(subject, str) or not isinstance(body, str) or not body:
                return self._send(422, {"error": "RecordInvalid"})
            made = desk.create(subject, body)
            self._send(201, {"request": {"id": made.id, "status": "new", "subject": subject}})

        def do_PUT(self) -> None:
            if not self._gate():
                return
            m = re.fullmatch(r"/api/v2/requests/(\d+)\.json", self.path)
            data = self._json()
            try:
                body = data["request"]["comment"]["body"]
            except (TypeError, KeyError):
                body = None
            if not m or not isinstance(body, str):
                return self._send(422, {"error": "RecordInvalid"})
            if not desk.follow_up(int(m.group(1)), body):
                return self._send(404, {"error": "RecordNotFound"})
            self._send(200, {"request": {"id": int(m.group(1)), "status": "open"}})

        def do_GET(self) -> None:
            if not self._gate():
                return
            m = re.fullmatch(r"/api/v2/requests/(\d+)/comments\.json", self.path)
            comments = desk.comments(int(m.group(1))) if m else None
            if comments is None:
                return self._send(404, {"error": "RecordNotFound"})
            users = [
                {"id": desk.REQUESTER_ID, "name": "you", "agent": False},
                {"id": desk.AGENT_ID, "name": DEMO_AGENT, "agent": True},
            ]
            self._send(200, {"comments": comments, "users": users, "next_page": None})

    return Handler


class DemoMailSink:
    """Plain SMTP on 127.0.0.1 (aiosmtpd) that keeps what it is sent in memory."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []
        self.port = 0
        self._controller: Any = None

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
                sink.messages.append(bytes(envelope.content))
                return "250 OK"

        # aiosmtpd's readiness check connects to the port it was given, so port 0 will not do:
        # take a free one from the OS first.
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()


class DemoSupport:
    """Both servers and the support settings that point the demo's wallet at them."""

    def __init__(
        self,
        *,
        first_reply_seconds: float = FIRST_REPLY_SECONDS,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.helpdesk = DemoHelpdesk(first_reply_seconds=first_reply_seconds, clock=clock)
        self.mail = DemoMailSink()

    def start(self) -> DemoSupport:
        self.helpdesk.start()
        try:
            self.mail.start()
        except BaseException:
            self.helpdesk.stop()
            raise
        return self

    def stop(self) -> None:
        """Safe twice, and after a start that failed half-way."""
        try:
            self.mail.stop()
        finally:
            self.helpdesk.stop()

    @property
    def settings(self) -> SupportSettings:
        return SupportSettings(
            official_channels=(
                # The host without the port (a new one each run): the same on every screen.
                OfficialChannel(
                    kind=OfficialKind.HELPDESK,
                    label=DEMO_LABEL,
                    address="http://127.0.0.1",
                ),
            ),
            helpdesk_url=self.helpdesk.url,
            helpdesk_email=DEMO_REQUESTER,
            helpdesk_token=SecretStr(self.helpdesk.token),
            smtp_host="127.0.0.1",
            smtp_port=self.mail.port,
            # Loopback and no password: nothing to protect with TLS, and no certificate to make.
            smtp_starttls=False,
            smtp_timeout_seconds=5,
            support_email=DEMO_SUPPORT_EMAIL,
            from_email=DEMO_REQUESTER,
            social_handle="@termwallet_demo",
            live_reply_minutes=DEMO_LIVE_REPLY_MINUTES,
            social_reply_hours=1,
        )


def start_demo_support(**kwargs: Any) -> DemoSupport:
    """Blocking (binds sockets, starts threads): call it from a worker thread."""
    return DemoSupport(**kwargs).start()
