"""Colours for terminals with 16 colours only (TERM=linux, vt100, xterm-16color, Windows'
console), and NO_COLOR.

Textual draws in 24-bit colour and Rich reduces each colour to the nearest of the 16 when the
terminal has no more (rich.color.Color.downgrade, ColorSystem.STANDARD). Textual's dark theme
then lands on pairs such as bright red keys on bright black (grey) in the footer and title,
about 1:1 in xterm's palette. Here the theme's colours are the 16 themselves (the hex values
Rich's STANDARD_PALETTE matches exactly), and the pairs are chosen to stay readable (WCAG's
4.5:1) in xterm's palette and in the Linux console's: text on black or blue, never on grey.
tests/tui/test_terminal_colours.py checks every character of the main screens.

NO_COLOR: Textual's own filter (App.no_color) turns every colour to grey; with 16 colours these
same pairs keep their contrast in grey too.
"""

from __future__ import annotations

from textual.theme import Theme

BLACK = "#000000"
BLUE = "#0000AA"
RED = "#AA0000"
CYAN = "#00AAAA"
WHITE = "#AAAAAA"  # "white" (7): a light grey in every palette
BRIGHT_WHITE = "#FFFFFF"
BRIGHT_YELLOW = "#FFFF55"
BRIGHT_GREEN = "#55FF55"
BRIGHT_RED = "#FF5555"

SIXTEEN_COLOURS = Theme(
    name="termwallet-16",
    primary=BLUE,
    secondary=CYAN,
    accent=BRIGHT_YELLOW,
    warning=BRIGHT_YELLOW,
    error=BRIGHT_RED,
    success=BRIGHT_GREEN,
    foreground=BRIGHT_WHITE,
    background=BLACK,
    surface=BLACK,
    panel=BLUE,
    boost=BLACK,
    dark=True,
    variables={
        "text": BRIGHT_WHITE,
        "text-muted": WHITE,
        "text-disabled": WHITE,
        "text-primary": BRIGHT_WHITE,
        "text-secondary": CYAN,
        "text-accent": BRIGHT_YELLOW,
        "text-warning": BRIGHT_YELLOW,
        "text-error": BRIGHT_RED,
        "text-success": BRIGHT_GREEN,
        "primary-background": BLUE,
        "secondary-background": BLACK,
        "block-cursor-foreground": BLACK,
        "block-cursor-background": CYAN,
        "block-cursor-text-style": "bold",
        "block-cursor-blurred-foreground": BRIGHT_WHITE,
        "block-cursor-blurred-background": BLUE,
        "block-hover-background": BLACK,
        "border": CYAN,
        "border-blurred": WHITE,
        "footer-foreground": BRIGHT_WHITE,
        "footer-background": BLUE,
        "footer-key-foreground": BRIGHT_YELLOW,
        "footer-key-background": BLUE,
        "footer-description-foreground": BRIGHT_WHITE,
        "footer-description-background": BLUE,
        "footer-item-background": BLUE,
        "input-cursor-foreground": BLACK,
        "input-cursor-background": BRIGHT_WHITE,
        "input-selection-background": BLUE,
        "input-selection-foreground": BRIGHT_WHITE,
        "scrollbar": WHITE,
        "scrollbar-hover": BRIGHT_WHITE,
        "scrollbar-active": BRIGHT_WHITE,
        "scrollbar-background": BLACK,
        "scrollbar-background-hover": BLACK,
        "scrollbar-background-active": BLACK,
        "scrollbar-corner-color": BLACK,
        "link-color": CYAN,
        "link-background": BLACK,
        "link-color-hover": BRIGHT_WHITE,
        "link-background-hover": BLUE,
        "button-foreground": BRIGHT_WHITE,
        "button-color-foreground": BLACK,
        "screen-selection-background": BLUE,
        "screen-selection-foreground": BRIGHT_WHITE,
    },
)


def few_colours(color_system: str | None) -> bool:
    """Rich's name for the terminal's colours: 'standard' (16) and 'windows' (the legacy
    console's 16) get SIXTEEN_COLOURS."""
    return color_system in ("standard", "windows")
