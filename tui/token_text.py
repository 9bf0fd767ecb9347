"""What the reviews say about where their figures come from: a token used for the first time
(wallet/token_trust.py: its decimals and their source) and the node(s) asked
(wallet/node_check.py). Below tui/screens/ so the send and swap reviews and the CLI share it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.text import Text

from tui.i18n import t

if TYPE_CHECKING:
    from wallet.token_trust import FirstUse


def first_use_text(first: FirstUse) -> Text:
    """As Text, never markup: the symbol is the contract's own word."""
    key = "source_list" if first.source == "list" else "source_contract"
    source = t(f"send.review.{key}")
    return Text(
        t(
            "send.review.first_use",
            symbol=first.asset.symbol,
            decimals=first.asset.decimals,
            source=source,
        )
    )


def nodes_text(nodes: Sequence[str], session: Any = None) -> str:
    """The node(s) a review's figures came from, by scheme, host and port (never a path: API
    keys live there). The demo's own devnet is named as such: its port changes every run."""
    from wallet.node_check import node_label

    if session is not None and getattr(session, "demo", False):
        return t("send.review.nodes_demo")
    return ", ".join(node_label(u) for u in nodes) or "-"
