"""The support FAQ in English and Simplified Chinese, from faq/<lang>.toml, searchable.

Search is substring matching on case-folded text, every query term required: Chinese has no
spaces to split words on, and a few dozen entries need no index.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from wallet.support.config import SupportSettings

LANGUAGES = ("en", "zh-CN")
_DIR = Path(__file__).parent / "faq"


@dataclass(frozen=True, slots=True)
class FaqEntry:
    id: str
    topic: str
    question: str
    answer: str
    keywords: tuple[str, ...]


@cache
def _raw(lang: str) -> tuple[dict[str, object], ...]:
    if lang not in LANGUAGES:
        raise ValueError(f"no FAQ in '{lang}': choose one of {', '.join(LANGUAGES)}")
    with (_DIR / f"{lang}.toml").open("rb") as fh:
        return tuple(tomllib.load(fh)["entry"])


def entries(lang: str, settings: SupportSettings | None = None) -> list[FaqEntry]:
    """All entries, with the reply-time promises of `settings` filled in."""
    s = settings or SupportSettings()
    values = {
        "live_minutes": s.live_reply_minutes,
        "email_days_min": s.email_reply_business_days[0],
        "email_days_max": s.email_reply_business_days[1],
        "social_hours": s.social_reply_hours,
    }
    return [
        FaqEntry(
            id=str(e["id"]),
            topic=str(e["topic"]),
            question=str(e["question"]),
            answer=str(e["answer"]).strip().format(**values),
            keywords=tuple(str(k) for k in e.get("keywords", ())),  # type: ignore[attr-defined]
        )
        for e in _raw(lang)
    ]


def search(query: str, lang: str, settings: SupportSettings | None = None) -> list[FaqEntry]:
    """Entries containing every term of `query`; question and keyword hits rank first."""
    items = entries(lang, settings)
    terms = [t for t in query.casefold().split() if t]
    if not terms:
        return items
    scored: list[tuple[int, int, FaqEntry]] = []
    for pos, e in enumerate(items):
        head = " ".join((e.question, *e.keywords)).casefold()
        text = f"{head} {e.answer.casefold()}"
        if all(t in text for t in terms):
            scored.append((-sum(t in head for t in terms), pos, e))
    return [e for _, _, e in sorted(scored, key=lambda x: (x[0], x[1]))]
