"""`termwallet agent` on the "laptop" whose Trezor is the live emulator, with DebugLink
pressing the device's confirm button where the person would:
`python -m tests.tui.agent_pressing [agent options]`.

The agent is the real CLI (tui.cli main, `agent`), the Trezor is found and opened as any
plugged-in one (UDP 127.0.0.1:21324); the only stand-in is the finger: after the agent has
printed what the device shows (CliInteraction.confirm_on_device), DebugLink (:21325) presses
yes, as the live tests of tests/tui/test_device_wallet_cli.py do in their own process.
"""

from __future__ import annotations

import sys
from typing import Any

DEBUGLINK = "127.0.0.1:21325"


def main(argv: list[str]) -> int:
    from trezorlib import models
    from trezorlib.debuglink import DebugLink
    from trezorlib.transport.udp import UdpTransport

    from tui.cli import main as termwallet
    from tui.commands import devices

    link = DebugLink(UdpTransport(DEBUGLINK))
    link.model = models.T1B1

    class Pressing(devices.CliInteraction):
        def confirm_on_device(self, prompt: Any) -> None:
            super().confirm_on_device(prompt)  # told here first, as to the person
            print("(DebugLink presses yes)", file=sys.stderr, flush=True)
            link.press_yes()

    devices.CliInteraction = Pressing  # type: ignore[misc]
    try:
        return termwallet(["agent", *argv])
    finally:
        link.close()


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
