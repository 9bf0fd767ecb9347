"""The scrubber's refusal in the user's words, shared by the support screens that send text
(new ticket, follow-up). Below tui/screens/ so those screens need not import the support tab
that pushes them (issue 21: no import circles in tui/)."""

from __future__ import annotations

from typing import Any

from tui.i18n import t, tn


def refusal_text(exc: Any) -> str:
    """The scrubber's refusal in the user's language: where and what kind, never the text."""
    lines = [tn("support.scrub.refused", len(exc.findings), count=len(exc.findings))]
    for f in exc.findings:
        field = t(f"support.field.{f.field}")
        line = t(f"support.scrub.{f.kind.value}", field=field, start=f.start + 1, end=f.end)
        if f.also:
            names = ", ".join(t(f"support.field.{n}") for n in f.also)
            line += " " + t("support.scrub.continues", fields=names)
        lines.append("• " + line)
    lines.append(t("support.scrub.never_needed"))
    return "\n".join(lines)
