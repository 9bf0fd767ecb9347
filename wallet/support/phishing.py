"""Anti-phishing: links, email addresses and handles in a ticket that are not official.

Flagged, not refused: a user reporting a scam site must be able to quote it. The screen shows
each flag with a warning that support never sends people to such addresses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from wallet.support.config import SupportSettings


class LinkKind(StrEnum):
    URL = "url"
    EMAIL = "email"
    HANDLE = "handle"


@dataclass(frozen=True, slots=True)
class LinkFlag:
    kind: LinkKind
    field: str
    start: int
    end: int
    text: str  # the link itself: a phishing URL is no secret, and the user must see which


_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"'）」，。]+")
_EMAIL = re.compile(r"(?i)(?<![\w.@/])[\w.+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)+")
_HANDLE = re.compile(r"(?<![\w@/.])@[A-Za-z0-9_]{2,30}\b(?![.@])")
_BARE_DOMAIN = re.compile(
    r"(?i)(?<![\w@/.-])(?:[a-z0-9-]+\.)+(?:com|net|org|io|app|xyz|co|me|info|cc|top|site|link)"
    r"(?![\w.-]*@)\b(?:/[^\s]*)?"
)


def _official_host(host: str, official: frozenset[str]) -> bool:
    host = host.lower().strip(".")
    return any(host == d or host.endswith("." + d) for d in official)


def find_unofficial(text: str, settings: SupportSettings, *, field: str = "text") -> list[LinkFlag]:
    domains = settings.all_official_domains()
    emails = settings.official_emails()
    handles = settings.official_handles()
    flags: list[LinkFlag] = []
    taken: list[tuple[int, int]] = []

    def add(kind: LinkKind, m: re.Match[str], official: bool) -> None:
        taken.append((m.start(), m.end()))
        if not official:
            flags.append(LinkFlag(kind, field, m.start(), m.end(), m.group().rstrip(".,;:!?)")))

    for m in _URL.finditer(text):
        raw = m.group()
        host = urlsplit(raw if "://" in raw else "http://" + raw).hostname or ""
        add(LinkKind.URL, m, _official_host(host, domains))
    for m in _EMAIL.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        addr = m.group().lower()
        add(LinkKind.EMAIL, m, addr in emails or _official_host(addr.rsplit("@", 1)[1], domains))
    for m in _BARE_DOMAIN.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        host = m.group().split("/", 1)[0]
        add(LinkKind.URL, m, _official_host(host, domains))
    for m in _HANDLE.finditer(text):
        if any(a <= m.start() < b for a, b in taken):
            continue
        add(LinkKind.HANDLE, m, m.group().lower() in handles)
    return sorted(flags, key=lambda f: f.start)
