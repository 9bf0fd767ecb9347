"""The official support channels and the reply time each promises, from the support settings.

Shown on the Support screen at all times, so a user who is being 'helped' somewhere else can
compare the address with the one the app itself names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from tui.i18n import t, tn

if TYPE_CHECKING:
    from wallet.support.config import SupportSettings

CHANNELS = ("live", "email", "social")


def channel_ready(channel: str, settings: SupportSettings) -> bool:
    """Whether the settings hold what the channel's transport needs, so the form can say so
    before sending (SupportSettings.channel_ready)."""
    return settings.channel_ready(channel)


def promise_values(settings: SupportSettings) -> dict[str, int]:
    low, high = settings.email_reply_business_days
    return {
        "minutes": settings.live_reply_minutes,
        "low": low,
        "high": high,
        "hours": settings.social_reply_hours,
    }


def promise_text(channel: str, settings: SupportSettings) -> str:
    """'usually answers within 15 minutes', in the current language."""
    values = promise_values(settings)
    count = {"live": values["minutes"], "social": values["hours"]}.get(channel, values["high"])
    return tn(f"support.promise.{channel}", count, **values)


class SupportChannels(Vertical):
    """Two lines: the official addresses, then each channel's reply time."""

    def __init__(self, settings: SupportSettings | None = None, **kwargs: str) -> None:
        super().__init__(**kwargs)
        self._settings = settings

    def compose(self) -> ComposeResult:
        yield Static(id="support-official")
        yield Static(id="support-promises")

    def on_mount(self) -> None:
        if self._settings is not None:
            self.show(self._settings)

    def show(self, settings: SupportSettings) -> None:
        self._settings = settings
        official = Text(t("support.short.official") + " ", style="bold")
        if settings.official_channels:
            for i, ch in enumerate(settings.official_channels):
                if i:
                    official.append(" · ")
                official.append(
                    t("support.screen.official_line", label=ch.label, address=ch.address)
                )
        else:
            official.append(t("support.no_official"), style="not bold")
        self.query_one("#support-official", Static).update(official)

        values = promise_values(settings)
        promises = Text(t("support.short.reply_times") + " ", style="bold")
        for i, channel in enumerate(CHANNELS):
            if i:
                promises.append(" · ")
            name = t(f"support.channel.{channel}")
            if channel_ready(channel, settings):
                promises.append(
                    f"{name} {t(f'support.short.{channel}', **values)}", style="not bold"
                )
            else:
                # No reply time for a channel that cannot send: it would be a promise not kept.
                promises.append(f"{name} ({t('support.screen.not_set_up')})", style="not bold dim")
        self.query_one("#support-promises", Static).update(promises)
