"""Adapter for a helpdesk speaking the Zendesk Requests API (the end user's view of tickets):

- POST {base}/api/v2/requests.json   {"request": {"subject", "comment": {"body"}, "requester",
                                      "tags"}}  -> 201 {"request": {"id", "status", ...}}
- GET  {base}/api/v2/requests/{id}/comments.json -> {"comments": [{"id", "body", "author_id",
                                      "public", "created_at"}], "users": [{"id", "name",
                                      "agent"}], "next_page"}
- PUT  {base}/api/v2/requests/{id}.json {"request": {"comment": {"body"}}}: a follow-up.

Auth is Zendesk's API-token basic auth: '{email}/token:{token}'. The only module that imports
httpx for support; httpx errors become SupportError subclasses here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, ValidationError

from chains.proxy import httpx_proxy
from said import Said
from wallet.support.config import SupportSettings
from wallet.support.errors import ChannelNotConfigured, ChannelRejected, ChannelUnavailable
from wallet.support.models import Reply

USER_AGENT = "termwallet-support/1"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class RemoteRequest(_Loose):
    id: int
    status: str = "new"


class RemoteComment(_Loose):
    id: int
    body: str
    author_id: int | None = None
    public: bool = True
    created_at: datetime


class _User(_Loose):
    id: int
    name: str = ""
    agent: bool = False


class _Created(_Loose):
    request: RemoteRequest


class _Comments(_Loose):
    comments: list[RemoteComment]
    users: list[_User] = []
    next_page: str | None = None


class HelpdeskClient:
    def __init__(
        self, settings: SupportSettings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        if not settings.helpdesk_url:
            raise ChannelNotConfigured("helpdesk", "helpdesk_url")
        if not settings.helpdesk_email:
            raise ChannelNotConfigured("helpdesk", "helpdesk_email")
        if settings.helpdesk_token is None:
            raise ChannelNotConfigured("helpdesk", "helpdesk_token")
        self._base = settings.helpdesk_url
        self._requester = settings.helpdesk_email
        self._client = httpx.AsyncClient(
            base_url=self._base,
            auth=(f"{settings.helpdesk_email}/token", settings.helpdesk_token.get_secret_value()),
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=httpx.Timeout(15.0),
            transport=transport,
            **httpx_proxy(self._base),  # the wallet's proxy, when one is set
        )

    async def __aenter__(self) -> HelpdeskClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _call(self, method: str, url: str, json: Any = None) -> Any:
        try:
            resp = await self._client.request(method, url, json=json)
        except httpx.HTTPError as exc:
            # The exception text may quote the URL but never the auth header.
            raise ChannelUnavailable(
                Said(
                    "support.helpdesk.cannot_reach_helpdesk_at",
                    "Cannot reach the helpdesk at {url} ({kind}). The "
                    "ticket stays queued and is sent when the connection is back.",
                    url=self._base,
                    kind=type(exc).__name__,
                )
            ) from None
        if resp.status_code == 429 or resp.status_code >= 500:
            raise ChannelUnavailable(
                Said(
                    "support.helpdesk.helpdesk_busy_http_ticket",
                    "The helpdesk is busy (HTTP {status_code}). The ticket stays "
                    "queued and is retried.",
                    status_code=resp.status_code,
                )
            )
        if resp.status_code in (401, 403):
            raise ChannelRejected(
                Said(
                    "support.helpdesk.helpdesk_refused_credentials_http",
                    "The helpdesk refused the credentials (HTTP {status_code}). "
                    "Check support.helpdesk_email and "
                    "TERMWALLET_SUPPORT__HELPDESK_TOKEN.",
                    status_code=resp.status_code,
                )
            )
        if resp.status_code >= 400:
            raise ChannelRejected(
                Said(
                    "support.helpdesk.helpdesk_rejected_request_http",
                    "The helpdesk rejected the request (HTTP {status_code}). "
                    "Edit the ticket and send it again, or use another channel.",
                    status_code=resp.status_code,
                )
            )
        try:
            return resp.json()
        except ValueError:
            raise ChannelUnavailable(
                Said(
                    "support.helpdesk.helpdesk_answered_with_something",
                    "The helpdesk answered with something that is not JSON.",
                )
            ) from None

    async def create_request(self, subject: str, body: str, tags: list[str]) -> RemoteRequest:
        payload = {
            "request": {
                "subject": subject,
                "comment": {"body": body},
                "requester": {"name": self._requester, "email": self._requester},
                "tags": tags,
            }
        }
        data = await self._call("POST", "/api/v2/requests.json", payload)
        try:
            return _Created.model_validate(data).request
        except ValidationError:
            raise ChannelUnavailable(
                Said(
                    "support.helpdesk.helpdesk_s_answer_had",
                    "The helpdesk's answer had no request id.",
                )
            ) from None

    async def add_comment(self, request_id: str, body: str) -> None:
        await self._call(
            "PUT",
            f"/api/v2/requests/{int(request_id)}.json",
            {"request": {"comment": {"body": body}}},
        )

    async def comments(self, request_id: str) -> list[Reply]:
        url: str | None = f"/api/v2/requests/{int(request_id)}/comments.json"
        out: list[Reply] = []
        pages = 0
        while url and pages < 20:  # a bound, so a looping next_page cannot hang the app
            data = await self._call("GET", url)
            try:
                page = _Comments.model_validate(data)
            except ValidationError:
                raise ChannelUnavailable(
                    Said(
                        "support.helpdesk.helpdesk_s_comment_list",
                        "The helpdesk's comment list was malformed.",
                    )
                ) from None
            names = {u.id: u for u in page.users}
            for c in page.comments:
                if not c.public:
                    continue
                user = names.get(c.author_id) if c.author_id is not None else None
                out.append(
                    Reply(
                        remote_id=str(c.id),
                        author=(user.name if user else "") or "support",
                        body=c.body,
                        created_at=c.created_at,
                        from_requester=bool(user and not user.agent),
                    )
                )
            url = page.next_page
            pages += 1
        return out
