"""Support settings: official channels, helpdesk and SMTP endpoints, reply-time promises.

Secrets (helpdesk token, SMTP password) are SecretStr so they never show in repr, logs or
exception text. They are meant to come from the environment
(TERMWALLET_SUPPORT__HELPDESK_TOKEN, TERMWALLET_SUPPORT__SMTP_PASSWORD); the TOML file may hold
them only if the user writes them there on purpose.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from said import Said

ENV_PREFIX = "TERMWALLET_SUPPORT__"


class OfficialKind(StrEnum):
    WEB = "web"
    EMAIL = "email"
    SOCIAL = "social"
    HELPDESK = "helpdesk"


class OfficialChannel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: OfficialKind
    label: str
    address: str  # a URL, an email address or a social handle such as '@termwallet'


class SupportSettings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    # Shown on the Support screen and used to tell official links from lookalikes.
    official_channels: tuple[OfficialChannel, ...] = ()
    # Extra domains that count as official (subdomains included), e.g. 'termwallet.example'.
    official_domains: tuple[str, ...] = ()

    # In-app live and social tickets go to a helpdesk speaking the Zendesk Requests API.
    helpdesk_url: str | None = None  # base URL, e.g. https://termwallet.zendesk.com
    helpdesk_email: str | None = None  # the API user ('{email}/token' basic auth)
    helpdesk_token: SecretStr | None = None

    # Email tickets go over SMTP with STARTTLS and AUTH.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True
    smtp_timeout_seconds: int = Field(default=20, ge=1, le=300)
    # A CA bundle for a self-hosted SMTP server; None uses the system's trust store.
    smtp_ca_file: str | None = None
    support_email: str | None = None  # where email tickets go
    from_email: str | None = None  # the user's address: replies come back to it

    social_handle: str | None = None  # e.g. '@termwallet_support'

    # Reply-time promises, shown to the user before sending.
    live_reply_minutes: int = Field(default=15, ge=1, le=24 * 60)
    email_reply_business_days: tuple[int, int] = (1, 2)
    social_reply_hours: int = Field(default=24, ge=1, le=24 * 14)
    business_timezone: str = "UTC"
    business_days: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday=0, as date.weekday()
    holidays: tuple[date, ...] = ()

    @field_validator("helpdesk_url")
    @classmethod
    def _http_url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        parts = urlsplit(v)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                Said(
                    "support.config.must_http_s_url",
                    "must be an http(s) URL such as https://example.zendesk.com",
                )
            )
        return v.rstrip("/")

    @field_validator("email_reply_business_days")
    @classmethod
    def _ordered(cls, v: tuple[int, int]) -> tuple[int, int]:
        if not 0 < v[0] <= v[1] <= 30:
            raise ValueError(
                Said(
                    "support.config.must_two_business_day",
                    "must be two business-day counts, smallest first, e.g. [1, 2]",
                )
            )
        return v

    @field_validator("business_timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                Said("support.config.unknown_time_zone", "unknown time zone '{zone}'", zone=v)
            ) from None
        return v

    def channel_ready(self, channel: str) -> bool:
        """Whether these settings hold what the channel's transport needs (the fields
        wallet/support/helpdesk.py and smtp.py require): a channel that is not ready promises
        no reply time."""
        if channel in ("live", "social"):
            return bool(self.helpdesk_url and self.helpdesk_email and self.helpdesk_token)
        return bool(self.smtp_host and self.support_email and (self.from_email or self.smtp_user))

    def all_official_domains(self) -> frozenset[str]:
        """Hosts whose links are official: the configured domains plus the hosts of the
        official URLs and email addresses."""
        out = {d.lower().strip(".") for d in self.official_domains}
        for ch in self.official_channels:
            host = _host_of(ch.address)
            if host:
                out.add(host)
        for addr in (self.support_email, self.helpdesk_url):
            host = _host_of(addr or "")
            if host:
                out.add(host)
        return frozenset(out)

    def official_handles(self) -> frozenset[str]:
        handles = {
            ch.address.lower() for ch in self.official_channels if ch.address.startswith("@")
        }
        if self.social_handle:
            handles.add(self.social_handle.lower())
        return frozenset(handles)

    def official_emails(self) -> frozenset[str]:
        mails = {ch.address.lower() for ch in self.official_channels if _is_email(ch.address)}
        if self.support_email:
            mails.add(self.support_email.lower())
        return frozenset(mails)


def _is_email(text: str) -> bool:
    return "@" in text and not text.startswith("@") and "/" not in text


def _host_of(address: str) -> str | None:
    if _is_email(address):
        return address.rsplit("@", 1)[1].lower().strip(".")
    if "://" in address:
        host = urlsplit(address).hostname
        return host.lower().strip(".") if host else None
    return None


def with_env_secrets(
    support: SupportSettings, environ: Mapping[str, str] | None = None
) -> SupportSettings:
    """Fill the secrets from TERMWALLET_SUPPORT__* when the environment has them: the
    environment wins over the file, as in wallet.settings."""
    env = os.environ if environ is None else environ
    updates: dict[str, Any] = {}
    for name in ("helpdesk_token", "smtp_password"):
        value = env.get(ENV_PREFIX + name.upper())
        if value:
            updates[name] = SecretStr(value)
    return support.model_copy(update=updates) if updates else support


def support_settings(
    settings: object,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> SupportSettings:
    """The SupportSettings of the app's Settings (`settings.support`), with env secrets applied.
    Works before Settings grows a `support` field: then the [support] table of `config_file`
    is read here."""
    support = getattr(settings, "support", None)
    if not isinstance(support, SupportSettings):
        support = SupportSettings()
        if config_file is not None and config_file.exists():
            import tomllib

            with config_file.open("rb") as fh:
                table = tomllib.load(fh).get("support", {})
            support = SupportSettings.model_validate(table)
    return with_env_secrets(support, environ)
