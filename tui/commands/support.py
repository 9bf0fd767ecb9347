"""`termwallet ticket new | list | show`: the support desk for scripts and for when the app
itself will not start.

The description and follow-ups are read from a file or stdin, never from argv (other users can
read a process's arguments, and a description is where a pasted secret would hide); the
scrubber checks them before anything is stored. Tokens and passwords come from the
environment (TERMWALLET_SUPPORT__HELPDESK_TOKEN, TERMWALLET_SUPPORT__SMTP_PASSWORD).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import datetime
from typing import Any

from tui.errors import sentence

_CATEGORIES = (
    "locked_out",
    "abnormal_transaction",
    "compromised",
    "fees",
    "swap",
    "device",
    "other",
)
_CHANNELS = ("live", "email", "social")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ticket = sub.add_parser("ticket", help="write to support and follow your tickets")
    tsub = ticket.add_subparsers(dest="ticket_command", metavar="ACTION", required=True)

    new = tsub.add_parser("new", help="write a ticket (shows exactly what is sent first)")
    new.add_argument("--category", choices=_CATEGORIES, required=True)
    new.add_argument("--subject", required=True)
    new.add_argument(
        "--description-file",
        required=True,
        metavar="FILE",
        help="the problem in your words; '-' reads stdin",
    )
    new.add_argument("--channel", choices=_CHANNELS, default="email")
    new.add_argument(
        "--tx", action="append", default=[], metavar="HASH", help="a transaction (repeatable)"
    )
    new.add_argument("--contact", help="email address or handle for the reply")
    new.add_argument("--yes", action="store_true", help="send without asking")
    new.add_argument("--json", action="store_true")
    new.set_defaults(handler=run_new)

    ls = tsub.add_parser("list", help="your tickets; also sends queued ones")
    ls.add_argument("--offline", action="store_true", help="do not retry queued tickets")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(handler=run_list)

    show = tsub.add_parser("show", help="one ticket with support's replies")
    show.add_argument("reference")
    show.add_argument("--offline", action="store_true", help="do not fetch replies")
    show.add_argument("--follow-up", metavar="FILE", help="send a follow-up read from FILE or '-'")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=run_show)


def _context(args: argparse.Namespace) -> tuple[Any, Any]:
    """(SupportDesk, SupportSettings) for the user's wallet, language set."""
    from tui.i18n import set_language
    from wallet.paths import Paths
    from wallet.settings import load_settings
    from wallet.store import Store
    from wallet.support.config import support_settings
    from wallet.support.tickets import SupportDesk

    paths = Paths.default().ensure()
    settings = load_settings(paths.config_file)
    set_language(getattr(args, "lang", None) or settings.language)
    try:
        support = support_settings(settings, config_file=paths.config_file)
    except ValueError as exc:  # pydantic's ValidationError is a ValueError
        from tui.cli_errors import CliError

        raise CliError(f"{paths.config_file}: [support]: {exc}") from None
    return SupportDesk(Store(paths.database), support), support


def _own_addresses() -> list[str]:
    """The wallet's account addresses: a hex string or WIF in a ticket that derives one of them
    is certainly a key (wallet/support/scrubber.py), as the app checks too."""
    from wallet.accounts import AccountBook
    from wallet.paths import Paths
    from wallet.store import Store

    store = Store(Paths.default().database)
    try:
        return [a.address for a in AccountBook(store).list()]
    finally:
        store.close()


def _read_text(source: str) -> str:
    from tui.user_files import TEXT_LIMIT, read_stdin_text, read_user_text

    if source == "-":
        return read_stdin_text(limit=TEXT_LIMIT)
    return read_user_text(source, limit=TEXT_LIMIT)


def _fmt(when: datetime) -> str:
    return when.astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _promise(channel: str, support: Any) -> str:
    from tui.i18n import tn

    low, high = support.email_reply_business_days
    minutes, hours = support.live_reply_minutes, support.social_reply_hours
    count = {"live": minutes, "social": hours}.get(channel, high)
    return tn(f"support.promise.{channel}", count, minutes=minutes, low=low, high=high, hours=hours)


def refusal_lines(exc: Any) -> list[str]:
    """The scrubber's findings in the user's language; never the secret itself."""
    from tui.i18n import t, tn

    lines = [tn("support.scrub.refused", len(exc.findings), count=len(exc.findings))]
    for f in exc.findings:
        line = t(f"support.scrub.{f.kind.value}", field=f.field, start=f.start + 1, end=f.end)
        if f.also:
            line += " " + t("support.scrub.continues", fields=", ".join(f.also))
        lines.append("  - " + line)
    lines.append(t("support.scrub.never_needed"))
    return lines


def _refused(exc: Any, args: argparse.Namespace) -> int:
    """The scrubber's refusal: its lines on stderr, or with --json the error object."""
    from tui.cli_errors import CliError

    lines = refusal_lines(exc)
    if getattr(args, "json", False):
        raise CliError("\n".join(lines), "SECRET_IN_TICKET")
    print("\n".join(lines), file=sys.stderr)
    return 2


def _diagnostics() -> Any:
    import shutil
    from importlib.metadata import PackageNotFoundError, version

    from wallet.support.diagnostics import gather

    try:
        app_version = version("termwallet")
    except PackageNotFoundError:
        app_version = "unknown"
    size = shutil.get_terminal_size(fallback=(0, 0))
    # The CLI knows no signer or network state; the app passes those in.
    return gather(
        app_version=app_version,
        terminal_size=(size.columns, size.lines) if size.columns else None,
    )


def run_new(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from tui.cli_errors import CliError
    from tui.i18n import t
    from wallet.support.channels import Channel
    from wallet.support.scrubber import SecretRefused
    from wallet.support.tickets import Category, Status, TicketDraft

    desk, support = _context(args)
    description = _read_text(args.description_file)
    try:
        # The secret check first, before any other: a pasted phrase is flagged even when the
        # ticket is wrong in other ways too.
        desk.refuse_secrets(
            {"subject": args.subject, "description": description, "contact": args.contact or ""},
            known_tx_hashes=args.tx,
            own_addresses=_own_addresses(),
        )
    except SecretRefused as exc:
        return _refused(exc, args)
    try:
        draft = TicketDraft(
            category=Category(args.category),
            subject=args.subject,
            description=description,
            transactions=tuple(args.tx),
            channel=Channel(args.channel),
            contact=args.contact,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CliError(f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}") from None
    try:
        prepared = desk.prepare(draft, _diagnostics(), own_addresses=_own_addresses())
    except SecretRefused as exc:
        return _refused(exc, args)
    channel_name = t(f"support.channel.{args.channel}")
    print(t("support.never_asks"), file=sys.stderr)
    print(t("support.cli.preview"), file=sys.stderr)
    print(prepared.body, file=sys.stderr)
    for flag in prepared.link_flags:
        print("! " + t("support.phishing.flagged", link=flag.text), file=sys.stderr)
    if support.channel_ready(args.channel):
        line = t(
            "support.cli.reply_due",
            channel=channel_name,
            promise=_promise(args.channel, support),
            due=_fmt(prepared.reply_due_at),
        )
    else:  # no reply time from a channel that cannot send; delivery says what is missing
        line = t("support.cli.not_set_up", channel=channel_name)
    print(line, file=sys.stderr)
    if not args.yes:
        if not sys.stdin.isatty() or args.description_file == "-":
            raise CliError(t("support.cli.needs_yes"))
        if input(t("support.cli.confirm")).strip().lower() not in ("y", "yes", "是"):
            print(t("support.cli.not_confirmed"), file=sys.stderr)
            return 1
    ticket = desk.submit(prepared)
    asyncio.run(desk.deliver(only_ticket=ticket.id))
    ticket = desk.get(ticket.reference)
    if args.json:
        print(json.dumps(_ticket_json(ticket, desk.now())))
    if ticket.status is Status.SENT:
        print(
            t("support.cli.sent", reference=ticket.reference, channel=channel_name), file=sys.stderr
        )
        return 0
    if ticket.status is Status.QUEUED:
        print(
            t("support.cli.queued", reference=ticket.reference, error=ticket.last_error or "-"),
            file=sys.stderr,
        )
        return 0
    print(
        t("support.cli.failed", reference=ticket.reference, error=ticket.last_error or "-"),
        file=sys.stderr,
    )
    return 1


def _ticket_json(ticket: Any, now: datetime) -> dict[str, Any]:
    return {
        "reference": ticket.reference,
        "status": ticket.status.value,
        "category": ticket.category.value,
        "channel": ticket.channel.value,
        "subject": ticket.subject,
        "submitted_at": ticket.submitted_at.isoformat(),
        "reply_due_at": ticket.reply_due_at.isoformat(),
        "overdue": ticket.overdue(now),
        "last_error": ticket.last_error,
        "replies": [
            {"author": r.author, "body": r.body, "created_at": r.created_at.isoformat()}
            for r in ticket.replies
            if not r.from_requester
        ],
    }


def run_list(args: argparse.Namespace) -> int:
    from tui.i18n import t, tn

    desk, _ = _context(args)
    if not args.offline:
        asyncio.run(desk.deliver())
    tickets = desk.list()
    now = desk.now()
    if args.json:
        print(json.dumps([_ticket_json(tk, now) for tk in tickets]))
        return 0
    if not tickets:
        print(t("support.cli.none"))
        return 0
    cols = [
        t("support.cli.col_ref"),
        t("support.cli.col_status"),
        t("support.cli.col_channel"),
        t("support.cli.col_submitted"),
        t("support.cli.col_due"),
        t("support.cli.col_subject"),
    ]
    print("  ".join(cols))
    overdue = 0
    for tk in tickets:
        late = tk.overdue(now)
        overdue += late
        print(
            "  ".join(
                [
                    tk.reference,
                    t(f"support.status.{tk.status.value}"),
                    t(f"support.channel.{tk.channel.value}"),
                    _fmt(tk.submitted_at),
                    _fmt(tk.reply_due_at) + (f" {t('support.cli.overdue')}" if late else ""),
                    tk.subject,
                ]
            )
        )
    if overdue:
        print(tn("support.cli.overdue_hint", overdue, count=overdue), file=sys.stderr)
    return 0


def run_show(args: argparse.Namespace) -> int:
    from tui.cli_errors import typed_error
    from tui.i18n import t
    from wallet.support.errors import SupportError
    from wallet.support.scrubber import SecretRefused

    desk, _ = _context(args)
    try:
        ticket = desk.get(args.reference)
    except SupportError as exc:
        raise typed_error(exc) from None
    if args.follow_up:
        try:
            desk.follow_up(ticket.reference, _read_text(args.follow_up))
        except SecretRefused as exc:
            return _refused(exc, args)
        except SupportError as exc:
            raise typed_error(exc) from None
        print(t("support.cli.follow_up_queued", reference=ticket.reference), file=sys.stderr)
    if not args.offline:
        try:
            asyncio.run(desk.deliver(only_ticket=ticket.id))
            ticket = asyncio.run(desk.refresh(ticket.reference))
        except SupportError as exc:
            print(
                t("support.cli.refresh_failed", error=f"{exc.code}: {sentence(exc)}"),
                file=sys.stderr,
            )
            ticket = desk.get(ticket.reference)
    now = desk.now()
    if args.json:
        print(json.dumps(_ticket_json(ticket, now)))
        return 0
    late = f"  {t('support.cli.overdue')}" if ticket.overdue(now) else ""
    print(f"{ticket.reference}  {ticket.subject}")
    print(
        f"{t('support.cli.col_status')}: {t(f'support.status.{ticket.status.value}')}  "
        f"{t('support.cli.col_channel')}: {t(f'support.channel.{ticket.channel.value}')}"
    )
    print(f"{t('support.cli.col_submitted')}: {_fmt(ticket.submitted_at)}")
    print(f"{t('support.cli.col_due')}: {_fmt(ticket.reply_due_at)}{late}")
    if ticket.last_error:
        print(ticket.last_error)
    print()
    print(ticket.description)
    print()
    print(f"{t('support.cli.replies')}:")
    agent = [r for r in ticket.replies if not r.from_requester]
    if not agent:
        key = "replies_elsewhere" if ticket.channel.value == "email" else "no_replies"
        print("  " + t(f"support.cli.{key}"))
    for r in agent:
        print(f"  [{_fmt(r.created_at)}] {r.author}:")
        print("    " + r.body.replace("\n", "\n    "))
    return 0
