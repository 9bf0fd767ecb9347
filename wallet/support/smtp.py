"""Email tickets over SMTP with STARTTLS and AUTH (stdlib smtplib, run in a worker thread).

stdlib rather than aiosmtplib: one blocking send per ticket is all this needs, asyncio.to_thread
keeps the UI responsive, and it spares a dependency. smtplib errors become SupportError here.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from said import Said
from wallet.support.config import SupportSettings
from wallet.support.errors import ChannelNotConfigured, ChannelRejected, ChannelUnavailable


def build_message(
    settings: SupportSettings, *, subject: str, body: str, reference: str, in_reply_to: str | None
) -> EmailMessage:
    if not settings.support_email:
        raise ChannelNotConfigured("email", "support_email")
    sender = settings.from_email or settings.smtp_user
    if not sender:
        raise ChannelNotConfigured("email", "from_email")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = settings.support_email
    msg["Subject"] = f"[{reference}] {subject}"
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain="termwallet.local")
    msg["X-Termwallet-Ticket"] = reference
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    return msg


class _ProxiedSMTP(smtplib.SMTP):
    """smtplib's SMTP, its socket through the wallet's proxy when one is set (chains/proxy.py);
    STARTTLS then wraps that socket as it would a direct one."""

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        from chains.proxy import blocking_socket

        return blocking_socket(host, port, timeout)


def _send_blocking(settings: SupportSettings, msg: EmailMessage) -> None:
    if not settings.smtp_host:
        raise ChannelNotConfigured("email", "smtp_host")
    context = ssl.create_default_context(cafile=settings.smtp_ca_file)
    smtp: smtplib.SMTP | None = None
    try:
        # No `with`: its exit sends QUIT, which after a failed TLS handshake waits for the
        # timeout and then replaces the real error with a timeout.
        smtp = _ProxiedSMTP(
            settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
        )
        smtp.ehlo()
        if settings.smtp_starttls:
            smtp.starttls(context=context)
            smtp.ehlo()
        elif settings.smtp_password is not None:
            # Never send a password over a connection that is not encrypted.
            raise ChannelRejected(
                Said(
                    "support.smtp.smtp_login_without_starttls",
                    "SMTP login without STARTTLS is refused: it would send the "
                    "password in clear. Set support.smtp_starttls = true.",
                )
            )
        if settings.smtp_user and settings.smtp_password is not None:
            try:
                smtp.login(settings.smtp_user, settings.smtp_password.get_secret_value())
            except smtplib.SMTPServerDisconnected:
                # smtplib tries each mechanism in turn; servers (aiosmtpd, Postfix with limits)
                # hang up after a refused one, so a hang-up during login is a refusal too.
                raise smtplib.SMTPAuthenticationError(535, b"disconnected during AUTH") from None
        smtp.send_message(msg)
        smtp.quit()
        smtp = None
    except smtplib.SMTPAuthenticationError as exc:
        raise ChannelRejected(
            Said(
                "support.smtp.mail_server_refused_login",
                "The mail server refused the login (SMTP {smtp_code}). Check "
                "support.smtp_user and TERMWALLET_SUPPORT__SMTP_PASSWORD.",
                smtp_code=exc.smtp_code,
            )
        ) from None
    except smtplib.SMTPRecipientsRefused:
        raise ChannelRejected(
            Said(
                "support.smtp.mail_server_refused_support",
                "The mail server refused the support address. Check support.support_email.",
            )
        ) from None
    except smtplib.SMTPNotSupportedError:
        raise ChannelRejected(
            Said(
                "support.smtp.mail_server_does_not",
                "The mail server does not offer STARTTLS or AUTH, which termwallet requires.",
            )
        ) from None
    except ssl.SSLError as exc:
        raise ChannelRejected(
            Said(
                "support.smtp.mail_server_s_tls",
                "The mail server's TLS certificate was not accepted "
                "({reason}). Check support.smtp_host, or "
                "support.smtp_ca_file for a private server.",
                reason=exc.reason,
            )
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise ChannelUnavailable(
            Said(
                "support.smtp.cannot_send_email_through",
                "Cannot send email through {smtp_host}:{smtp_port} "
                "({kind}). The ticket stays queued and is retried.",
                smtp_host=settings.smtp_host,
                smtp_port=settings.smtp_port,
                kind=type(exc).__name__,
            )
        ) from None
    finally:
        if smtp is not None:
            smtp.close()


async def send(settings: SupportSettings, msg: EmailMessage) -> str:
    """Send `msg`; returns its Message-ID, which follow-ups reference."""
    await asyncio.to_thread(_send_blocking, settings, msg)
    return str(msg["Message-ID"])
