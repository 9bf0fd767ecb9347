"""Footer texts in the user's language.

Textual's BINDINGS are class attributes with fixed descriptions. Ours hold catalog keys, and
translate_bindings() rebuilds the node's binding map with the texts of the current language.
It uses DOMNode._bindings, which Textual documents as the way bindings are stored but does
not expose publicly; tests/tui/test_app.py catches a change there (the footer would show keys).
"""

from __future__ import annotations

from dataclasses import replace

from textual.binding import BindingsMap
from textual.dom import DOMNode

from tui.i18n import catalog, language, t


def translate_bindings(node: DOMNode) -> None:
    """Our bindings' catalog keys ("bind.*"), and Textual's own English descriptions (its
    widgets' keys, in the catalog's [textual] table) in the current language."""
    merged = type(node)._merged_bindings
    if merged is None:
        return
    texts = catalog(language())
    node._bindings = BindingsMap.from_keys(
        {
            key: [
                replace(b, description=t(b.description), tooltip=t(b.tooltip) if b.tooltip else "")
                if b.description.startswith("bind.")
                else replace(
                    b,
                    description=texts[f"textual.{b.description}"],
                    tooltip=texts.get(f"textual.{b.tooltip}", b.tooltip),
                )
                if f"textual.{b.description}" in texts
                else b
                for b in bindings
            ]
            for key, bindings in merged.key_to_bindings.items()
        }
    )
