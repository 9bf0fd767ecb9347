"""The diagnostics bundle attached to a ticket: gathered from what the app knows, scrubbed,
shown to the user before sending.

`gather` is a pure function of its arguments (the environment and platform are passed in, with
the live process's as defaults) so tests and the app build the same bundle the same way.
"""

from __future__ import annotations

import os
import platform as _platform
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict, Field

from devices.base import DeviceInfo
from wallet.support.scrubber import redact

MAX_LOG_LINES = 50
MAX_ERROR_CODES = 20


class NetworkHealth(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    network: str
    healthy: bool
    detail: str = ""  # e.g. 'block 1234, 80 ms' or an error code


class Diagnostics(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    app_version: str
    os: str
    python: str
    terminal: str
    terminal_size: str
    signer_kind: str | None = None
    signer_model: str | None = None
    signer_firmware: str | None = None
    networks: tuple[NetworkHealth, ...] = ()
    error_codes: tuple[str, ...] = ()
    log_lines: tuple[str, ...] = ()
    redactions: int = Field(default=0, ge=0)  # log secrets replaced by [REDACTED:kind]

    def render(self) -> str:
        """Plain text, exactly what is sent."""
        unknown = "-"
        lines = [
            f"App: termwallet {self.app_version}",
            f"OS: {self.os}",
            f"Python: {self.python}",
            f"Terminal: {self.terminal} ({self.terminal_size})",
            "Signer: "
            + " / ".join(
                v or unknown for v in (self.signer_kind, self.signer_model, self.signer_firmware)
            ),
            "Networks: "
            + (
                ", ".join(
                    f"{n.network} {'ok' if n.healthy else 'DOWN'}"
                    + (f" ({n.detail})" if n.detail else "")
                    for n in self.networks
                )
                or unknown
            ),
            "Recent errors: " + (", ".join(self.error_codes) or unknown),
        ]
        if self.log_lines:
            lines.append(f"Recent log ({len(self.log_lines)} lines, {self.redactions} redacted):")
            lines.extend(f"  {line}" for line in self.log_lines)
        return "\n".join(lines)


def gather(
    *,
    app_version: str,
    signer: DeviceInfo | None = None,
    networks: Iterable[NetworkHealth] = (),
    error_codes: Iterable[str] = (),
    log_lines: Iterable[str] = (),
    terminal_size: tuple[int, int] | None = None,
    environ: Mapping[str, str] | None = None,
    os_name: str | None = None,
    python_version: str | None = None,
) -> Diagnostics:
    env = os.environ if environ is None else environ
    term = env.get("TERM", "unknown")
    colorterm = env.get("COLORTERM")
    program = env.get("TERM_PROGRAM")
    terminal = " ".join(
        [term]
        + ([f"COLORTERM={colorterm}"] if colorterm else [])
        + ([f"TERM_PROGRAM={program}"] if program else [])
    )
    size = f"{terminal_size[0]}x{terminal_size[1]}" if terminal_size else "unknown"
    scrubbed: list[str] = []
    redactions = 0
    for line in list(log_lines)[-MAX_LOG_LINES:]:
        clean, n = redact(line.rstrip("\n"))
        scrubbed.append(clean)
        redactions += n
    codes: list[str] = []
    for code in error_codes:
        if code not in codes:
            codes.append(code)
    return Diagnostics(
        app_version=app_version,
        os=os_name or f"{_platform.system()} {_platform.release()} ({_platform.machine()})",
        python=python_version or _platform.python_version(),
        terminal=terminal,
        terminal_size=size,
        signer_kind=signer.kind.value if signer else None,
        signer_model=signer.model if signer else None,
        signer_firmware=signer.firmware if signer else None,
        networks=tuple(networks),
        error_codes=tuple(codes[-MAX_ERROR_CODES:]),
        log_lines=tuple(scrubbed),
        redactions=redactions,
    )
