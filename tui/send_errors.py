"""The words for a failed send, swap or signing, shared by the form screens and their reviews.

Below tui/screens/ so a review need not import the form that pushes it (issue 21: no import
circles in tui/)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.errors import user_message
from tui.i18n import t
from wallet.view import amount_text

if TYPE_CHECKING:
    from chains.models import Asset
    from wallet.session import WalletSession


def send_error_text(error: BaseException, session: WalletSession, asset: Asset | None) -> str:
    """InsufficientFunds in the asset's units with what it was for; others by their code."""
    from chains.errors import InsufficientFunds

    if isinstance(error, InsufficientFunds):
        net = session.network
        decimals = asset.decimals if asset and error.symbol == asset.symbol else net.native_decimals
        if asset is None or asset.contract is None:
            what = t("send.what_total")
        else:
            what = (
                t("send.what_fee") if error.symbol == net.native_symbol else t("send.what_amount")
            )
        return t(
            "send.insufficient",
            symbol=error.symbol,
            what=what,
            need=amount_text(error.need, decimals, 18) + f" {error.symbol}",
            have=amount_text(error.have, decimals, 18) + f" {error.symbol}",
        )
    return user_message(error)


def utxo_error_text(error: BaseException, symbol: str, decimals: int) -> str:
    """A Bitcoin/Litecoin send's InsufficientFunds in coins; others by their code."""
    from chains.errors import InsufficientFunds

    if isinstance(error, InsufficientFunds):
        text = t(
            "send.insufficient",
            symbol=symbol,
            what=t("utxo.send.what_total"),
            need=amount_text(error.need, decimals) + f" {symbol}",
            have=amount_text(error.have, decimals) + f" {symbol}",
        )
        return text + frozen_note(error, symbol, decimals)
    return user_message(error)


def frozen_note(error: BaseException, symbol: str, decimals: int) -> str:
    """' (X more is frozen ...)' when automatic selection left frozen coins out."""
    frozen = getattr(error, "frozen", 0)
    if not frozen:
        return ""
    return " " + t("utxo.send.frozen_left_out", amount=amount_text(frozen, decimals) + f" {symbol}")


def swap_error_text(error: BaseException) -> str:
    from chains.errors import InsufficientFunds

    if isinstance(error, InsufficientFunds):
        return t("swap.insufficient", symbol=error.symbol)
    return user_message(error)


def signer_model(session: WalletSession) -> str:
    """The active signer's model ('software', a device's name), or '' when it has none."""
    return str(getattr(getattr(session.active_signer, "info", None), "model", "") or "")


def signing_error_text(
    error: BaseException, session: WalletSession, otherwise: Callable[[BaseException], str]
) -> str:
    """A device's refusal in the device's words (rejected, locked, wrong app, unplugged);
    anything else as `otherwise` words it (the screen's own error text)."""
    from devices.errors import DeviceError
    from tui.device_interaction import device_error_text

    if isinstance(error, DeviceError):
        return device_error_text(error, signer_model(session) or str(session.signer))
    return otherwise(error)


__all__ = [
    "send_error_text",
    "signer_model",
    "signing_error_text",
    "swap_error_text",
    "utxo_error_text",
]
